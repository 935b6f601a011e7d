import Glibc
public enum HullMain { public static func exit() -> Never { Glibc.exit(0) } }
