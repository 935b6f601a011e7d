import HullCLI

/// Marks this executable as hull for the early CVE-2019-5736 check in CLinux (a weak symbol there).
@_cdecl("hk_hull_executable") public func hullExecutableMarker() {}

HullMain.exit()
