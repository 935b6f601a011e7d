// GuestKernel: the kernel image a VM boots and the release whose modules the initramfs carries.
import DrydockKit
import Foundation

public struct GuestKernel: Sendable, Equatable {
  public var image: String
  public var release: String

  /// The kernel at `path`, or the newest /boot/vmlinuz-* whose /lib/modules/<release> exists.
  public static func find(_ path: String? = nil) throws -> GuestKernel {
    if let path {
      let name = URL(fileURLWithPath: path).lastPathComponent
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw HarnessError(
          .kit, operation: "find guest kernel", path: path, errno: ENOENT, message: "no readable kernel image there")
      }
      guard name.hasPrefix("vmlinuz-") else {
        throw HarnessError(
          .kit, operation: "find guest kernel", path: path, errno: EINVAL,
          message: "the image must be named vmlinuz-<release> so that its modules can be found")
      }
      return try checked(GuestKernel(image: path, release: String(name.dropFirst("vmlinuz-".count))))
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
    let candidates = names.filter { $0.hasPrefix("vmlinuz-") }.map { String($0.dropFirst("vmlinuz-".count)) }
      .filter { FileManager.default.fileExists(atPath: "/lib/modules/\($0)/kernel") }
      .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
    guard let newest = candidates.last else {
      throw HarnessError(
        .kit, operation: "find guest kernel", path: "/boot", errno: ENOENT,
        message: "no /boot/vmlinuz-* with modules in /lib/modules (install the Debian package linux-image-amd64)")
    }
    return GuestKernel(image: "/boot/vmlinuz-" + newest, release: newest)
  }

  static func checked(_ kernel: GuestKernel) throws -> GuestKernel {
    guard FileManager.default.fileExists(atPath: "/lib/modules/\(kernel.release)/kernel") else {
      throw HarnessError(
        .kit, operation: "find guest kernel modules", path: "/lib/modules/\(kernel.release)", errno: ENOENT,
        message: "the initramfs needs this kernel's 9p, virtio and overlay modules")
    }
    return kernel
  }
}
