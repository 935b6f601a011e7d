// Throughput: one trial runs a batch of foreground `run`s of the scenario's command spread over `concurrency`
// workers, and `measure` times the whole batch (wall) and the CPU of every process in it.
//
// Why a shell: the workers must run in parallel while the test-bed stays single-threaded (fork safety, see
// docs/performance.md); /bin/sh backgrounds one loop per worker and waits for all, and since it
// reaps the runtimes, their CPU lands in the rusage `measure` reads. Each worker has its own bundle, so its
// containers get their own cgroup path, reused one after another (the runtime removes it on exit).
import DrydockKit
import Foundation

extension BenchRunner {
  func throughputTrial(_ context: TrialContext, driver: RuntimeDriver, id: String) throws -> TrialOutcome {
    let batch = context.scenario.batchSize
    let workers = context.workerBundles.count
    guard workers > 0 else { return .failed("throughput: no worker bundles") }
    var plain = driver
    plain.launcher = []  // `measure` wraps the shell, not each runtime call
    var script =
      "w() { b=$1; shift; for id in \"$@\"; do "
      + plain.command(["run", "--bundle"]).map(Self.shellQuoted).joined(separator: " ")
      + " \"$b\" \"$id\" </dev/null >/dev/null 2>&1 || { echo \"run $id failed\" >&2; return 1; }; done; }\n"
    for (worker, bundle) in context.workerBundles.enumerated() {
      do {
        try context.config.setCgroupsPath(cgroupPrefix + "/" + id + "w\(worker)")
        try context.config.write(to: bundle.configPath)
      } catch let error as HarnessError { throw error.relabeled(.bench) }
      let ids = stride(from: worker, to: batch, by: workers).map { "\(id)w\(worker)k\($0)" }
      script += "w \(Self.shellQuoted(bundle.path)) \(ids.joined(separator: " ")) & p\(worker)=$!\n"
    }
    script += "s=0\n" + (0..<workers).map { "wait $p\($0) || s=1\n" }.joined() + "exit $s\n"
    isolationPause(context)
    let result = try ProcessRunner.run(
      [measurePath, usageFile(context.index), "/bin/sh", "-c", script],
      timeout: configuration.timeoutSeconds * Double(batch))
    guard result.succeeded else {
      // Leave nothing behind for the next batch: a failed run may have left its container.
      for worker in 0..<workers {
        for k in stride(from: worker, to: batch, by: workers) {
          _ = try? driver.delete(id: "\(id)w\(worker)k\(k)", force: true)
        }
      }
      return .failed(result.summary)
    }
    return .measured([try usage("batch", context)])
  }

  static func shellQuoted(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
