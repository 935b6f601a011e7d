import CLinux
import Glibc

/// An open file descriptor that this value owns: it closes itself when it goes away, and it
/// cannot be copied (so it cannot be closed twice). `take()` hands the number on to a new owner
/// (a struct field, a child that keeps it, a C call that consumes it).
///
/// A clone's child must take() what it keeps before it calls a function that never returns:
/// Swift destroys the values still alive before such a call, and this one would close its fd.
public struct FileDescriptor: ~Copyable {
  public let rawValue: Int32

  /// Takes ownership of `fd` (which must be open).
  public init(owning fd: Int32) { rawValue = fd }

  /// open(2), retried on EINTR; a SystemError naming the path on failure.
  public static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0) throws(SystemError) -> FileDescriptor {
    FileDescriptor(owning: try check("open", path) { hk_open_mode(path, flags | O_CLOEXEC, mode) })
  }

  /// open(2) when it works, nil (with errno) when it does not.
  public static func openIfPossible(_ path: String, _ flags: Int32, mode: UInt32 = 0) -> FileDescriptor? {
    let fd = Files.open(path, flags, mode: mode)
    return fd >= 0 ? FileDescriptor(owning: fd) : nil
  }

  /// Gives the number up without closing it: the caller owns it now.
  public consuming func take() -> Int32 {
    let fd = rawValue
    discard self
    return fd
  }

  deinit {
    // close(2) on Linux frees the number even when it reports an error (EINTR, EIO from a
    // network file system): there is nothing to retry, and nothing hull writes through an
    // fd it closes this way is left unchecked (writes are checked where they are made).
    _ = Glibc.close(rawValue)
  }
}

extension Files {
  /// open(2) with close-on-exec, retried on EINTR; -1 + errno. For callers that keep the
  /// number themselves (see FileDescriptor for one that closes itself).
  public static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0) -> Int32 {
    var fd: Int32
    repeat { fd = hk_open_mode(path, flags | O_CLOEXEC, mode) } while fd < 0 && errno == EINTR
    return fd
  }

  /// O_NONBLOCK on an open fd (F_SETFL replaces the status flags: the others an fd hull
  /// sets this on has none of).
  public static func setNonBlocking(_ fd: Int32) throws(SystemError) {
    _ = try check("fcntl F_SETFL O_NONBLOCK") { hk_fcntl_int(fd, F_SETFL, O_NONBLOCK) }
  }
}
