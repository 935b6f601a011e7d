import OCISpec

/// What this build of hull really implements, for `hull features`. Kept next to the
/// code that implements it, so a claim cannot drift from the runtime.
public enum HullFeatures {
  public static var current: Features {
    Features(
      ociVersionMin: supportedOCIVersionMin, ociVersionMax: supportedOCIVersionMax, hooks: Hooks.names,
      mountOptions: knownMountOptions,
      linux: LinuxFeatures(
        namespaces: NamespaceKind.allCases.map(\.rawValue), capabilities: knownCapabilities,
        cgroup: CgroupFeatures(v1: true, v2: true, systemd: true, systemdUser: true, rdma: true),
        seccomp: SeccompFeatures(
          enabled: true, actions: Seccomp.actions, operators: Seccomp.operators,
          archs: Seccomp.architectureNames, knownFlags: Seccomp.knownFlags,
          supportedFlags: Seccomp.knownFlags),
        apparmorEnabled: LiveHost().apparmorEnabled, selinuxEnabled: false, intelRdt: nil, idmapMountsEnabled: true,
        netDevicesEnabled: false, memoryPolicy: MemoryPolicyFeatures(modes: memoryPolicyModes, flags: memoryPolicyFlags)
      ),
      annotations: [
        ("org.drydock.hull.checkpoint", Checkpoint.criuProblem().map { "unavailable: " + $0 } ?? "available (criu)"),
        // CVE-2019-5736: see SelfExe (self_exe.c).
        (
          "org.drydock.hull.selfExeProtection",
          "re-exec from a detached read-only bind (sealed memfd when unprivileged)"
        ),
        (
          "org.drydock.hull.sysctl",
          "only keys of the container's own ipc, net, uts (kernel.domainname) or user namespace; others refused at create"
        ),
        (
          "org.drydock.hull.devicePolicy",
          "runc's: deny all, linux.resources.devices, then mknod of anything and rwm on null, zero, full, random, urandom, tty, ptmx, ptys, tun"
        ),
        (
          "org.drydock.hull.rootless",
          "the caller's own uid/gid mapped (no newuidmap); cgroups skipped when not writable and unset"
        ),
      ])
  }

}

/// State JSON for `list --format json`.
public enum StateJSONPublic {
  public static func state(_ record: ContainerRecord, _ status: ContainerStatus) -> ContainerState {
    StateJSON.state(record: record, status: status)
  }
}
