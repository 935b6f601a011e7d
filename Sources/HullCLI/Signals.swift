import Glibc

/// Signal names as runc accepts them: "KILL", "SIGKILL", "9"; "0" checks that the process exists.
enum Signals {
  static let table: [String: Int32] = [
    "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT, "IOT": SIGABRT,
    "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2,
    "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT, "CHLD": SIGCHLD, "CONT": SIGCONT,
    "STOP": SIGSTOP, "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU,
    "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "POLL": SIGIO,
    "PWR": SIGPWR, "SYS": SIGSYS,
  ]

  static func parse(_ text: String) -> Int32? {
    if let n = Int32(text) { return n >= 0 && n < 65 ? n : nil }
    var name = text.uppercased()
    if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
    if let n = table[name] { return n }
    if name.hasPrefix("RTMIN+"), let k = Int32(name.dropFirst(6)), (0...30).contains(k) { return 34 + k }  // up to 64
    return nil
  }
}
