#if canImport(Glibc)
import Glibc
#endif

/// A config that sets every field hull models, with values chosen so that a field
/// read from the wrong key would show.
let fullConfig = #"""
  {
    "ociVersion": "1.3.0",
    "unknownTopLevel": {"ignored": [1, 2, 3]},
    "process": {
      "terminal": true,
      "consoleSize": {"height": 40, "width": 120},
      "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6, 2147483647], "username": "win"},
      "args": ["/bin/app", "--flag", "é😀"],
      "commandLine": "app.exe --flag",
      "env": ["PATH=/usr/bin", "HOME=/root"],
      "cwd": "/work",
      "capabilities": {
        "bounding": ["CAP_CHOWN", "CAP_KILL"],
        "effective": ["CAP_KILL"],
        "inheritable": ["CAP_NET_RAW"],
        "permitted": ["CAP_KILL", "CAP_SYS_ADMIN"],
        "ambient": ["CAP_BPF"]
      },
      "rlimits": [
        {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
        {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 18446744073709551615}
      ],
      "noNewPrivileges": true,
      "apparmorProfile": "docker-default",
      "oomScoreAdj": -500,
      "selinuxLabel": "system_u:system_r:container_t:s0",
      "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
      "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 7, "flags": ["SCHED_FLAG_RESET_ON_FORK"],
                    "runtime": 1000000, "deadline": 2000000, "period": 3000000},
      "execCPUAffinity": {"initial": "0-1", "final": "2-3,7"}
    },
    "root": {"path": "/var/lib/rootfs", "readonly": true},
    "hostname": "box",
    "domainname": "example.org",
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "idmap"],
       "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
       "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]}
    ],
    "hooks": {
      "prestart": [{"path": "/usr/bin/pre", "args": ["pre", "a"], "env": ["X=1"], "timeout": 5}],
      "createRuntime": [{"path": "/usr/bin/cr"}],
      "createContainer": [{"path": "/usr/bin/cc"}],
      "startContainer": [{"path": "/usr/bin/sc"}],
      "poststart": [{"path": "/usr/bin/ps1"}, {"path": "/usr/bin/ps2"}],
      "poststop": [{"path": "/usr/bin/stop", "timeout": 30}]
    },
    "annotations": {"z.last": "1", "a.first": "2", "org.example/key": "v"},
    "linux": {
      "namespaces": [
        {"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"}, {"type": "mount"}, {"type": "ipc"},
        {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
      ],
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}, {"containerID": 1000, "hostID": 1000, "size": 1}],
      "timeOffsets": {"monotonic": {"secs": -3600, "nanosecs": 500}, "boottime": {"secs": 86400}},
      "devices": [
        {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
        {"type": "p", "path": "/dev/myfifo"}
      ],
      "netDevices": {"eth1": {"name": "net0"}, "ib0": {}},
      "cgroupsPath": "/hull/box",
      "resources": {
        "devices": [
          {"allow": false, "access": "rwm"},
          {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}
        ],
        "memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": 0, "kernelTCP": 1048576,
                   "swappiness": 60, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
        "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000, "realtimeRuntime": 950000,
                "realtimePeriod": 1000000, "cpus": "0-3", "mems": "0", "idle": 0},
        "pids": {"limit": 64},
        "blockIO": {
          "weight": 500, "leafWeight": 300,
          "weightDevice": [{"major": 8, "minor": 0, "weight": 700, "leafWeight": 100}],
          "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
          "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2097152}],
          "throttleReadIOPSDevice": [{"major": 8, "minor": 32, "rate": 100}],
          "throttleWriteIOPSDevice": [{"major": 8, "minor": 48, "rate": 200}]
        },
        "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
        "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaHandles": 2}},
        "unified": {"memory.high": "max", "io.weight": "default 100"}
      },
      "rootfsPropagation": "rslave",
      "seccomp": {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 38,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG"],
        "listenerPath": "/run/seccomp.sock",
        "listenerMetadata": "meta",
        "syscalls": [
          {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
           "args": [{"index": 0, "value": 4294967295, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
          {"names": ["ioctl"], "action": "SCMP_ACT_NOTIFY", "errnoRet": 1,
           "args": [{"index": 1, "value": 18446744073709551615, "valueTwo": 255, "op": "SCMP_CMP_MASKED_EQ"}]}
        ]
      },
      "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"},
      "maskedPaths": ["/proc/kcore"],
      "readonlyPaths": ["/proc/sys"],
      "mountLabel": "system_u:object_r:container_file_t:s0",
      "intelRdt": {"closID": "guaranteed", "schemata": "L3:0=ff", "l3CacheSchema": "L3:0=f", "memBwSchema": "MB:0=50",
                   "enableCMT": true, "enableMBM": false, "enableMonitoring": true},
      "personality": {"domain": "LINUX32", "flags": []},
      "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-1", "flags": ["MPOL_F_STATIC_NODES"]},
      "futureField": {"anything": true}
    },
    "windows": {"layerFolders": ["C:\\layers"]},
    "vm": {"hypervisor": {"path": "/usr/bin/qemu"}}
  }
  """#

/// The bytes of a file in the repository (tests may do I/O; the module may not).
func repoFile(_ relative: String, from file: String = #filePath) -> [UInt8]? {
  // Tests/OCISpecTests/Fixtures.swift → repository root.
  var resolved = file
  if let r = realpath(file, nil) {  // the test directory may be reached through a symlink
    resolved = String(cString: r)
    free(r)
  }
  var parts = resolved.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  let path = parts.joined(separator: "/") + "/" + relative
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var out: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n <= 0 { break }
    out.append(contentsOf: chunk[0..<n])
  }
  return out
}
