// Shard: "i/n" (1-based), the i-th of n parts of a run, so a CI matrix (GitHub Actions, Kubernetes Indexed
// Jobs) spreads one conformance or bench run over n machines; `drydock report merge` puts the parts together.
//
// Items are dealt round-robin in the order of a stable key (case id, scenario name), not of the input, so
// every machine computes the same partition even if it lists the files in another order, and neighbouring
// (similar, similarly slow) items land on different shards.

import DrydockKit

/// `index` is 1-based: 1 <= index <= count. Both inits throw HarnessError(.bench, operation: "parse shard").
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  public let index: Int
  public let count: Int

  public init(index: Int, count: Int) throws {
    guard count >= 1, index >= 1, index <= count else {
      throw HarnessError(
        .bench, operation: "parse shard", message: "shard \(index)/\(count): want i/n with 1 <= i <= n")
    }
    self.index = index
    self.count = count
  }

  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
      throw HarnessError(.bench, operation: "parse shard", message: "'\(text)': want i/n, e.g. 2/4")
    }
    try self.init(index: index, count: count)
  }

  public var description: String { "\(index)/\(count)" }

  /// This shard's items, in input order.
  public func select<T>(_ items: [T], key: (T) -> String) -> [T] {
    let order = items.indices.sorted { (key(items[$0]), $0) < (key(items[$1]), $1) }
    var keep = Set<Int>()
    for (rank, position) in order.enumerated() where rank % count == index - 1 { keep.insert(position) }
    return items.indices.filter { keep.contains($0) }.map { items[$0] }
  }
}
