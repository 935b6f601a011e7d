import Glibc
import OCISpec

/// The state JSON that hooks read on stdin and `hull state` prints.
enum StateJSON {
  static func render(plan: LaunchPlan, status: ContainerStatus, pid: Int32) -> String {
    ContainerState(
      ociVersion: plan.ociVersion, id: plan.id, status: status, pid: pid, bundle: plan.bundle,
      annotations: plan.annotations
    ).json()
  }

  static func render(record: ContainerRecord, status: ContainerStatus) -> String {
    state(record: record, status: status).json()
  }

  static func state(record: ContainerRecord, status: ContainerStatus) -> ContainerState {
    ContainerState(
      ociVersion: record.ociVersion, id: record.id, status: status,
      pid: status == .stopped ? 0 : record.pid, bundle: record.bundle, annotations: record.annotations,
      rootfs: record.rootfs, created: record.created, owner: record.owner)
  }
}
