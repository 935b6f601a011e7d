#!/usr/bin/env python3
"""Generate the bad-input corpus from bundles/busybox/config.json.

Every case is a config.json (cases/NNN-name.json, raw bytes: some are not JSON or not UTF-8) plus an entry in
manifest.json saying why it is bad and how to run it. `drydock stress --bad-input DIR` runs each with
`RUNTIME run` and requires a refusal with a clear error and nothing created.

Placeholders the runner substitutes (bytes): @CGROUPS_PATH@ (the case's own cgroup under the run's prefix),
@ESCAPE@ (a unique name that must never appear on the host). Every case that is a JSON object with a `linux`
object keeps linux.cgroupsPath, so no runtime that accepts a case puts a cgroup under the caller's own.

Run: python3 conformance/bad-input/generate.py   (rewrites cases/ and manifest.json; deterministic)
"""
import copy, json, os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "..", "bundles", "busybox", "config.json")
HOST_DISK = (254, 0)   # /dev/vda on the project machines (see /proc/partitions); the runner reads the real one
PROBE = ["/bin/sh", "-c", "for d in /dev/hostdisk /dev/vda /dev/mem /dev/port; do [ -e $d ] || continue; "
         "if head -c 1 $d >/dev/null 2>&1; then echo DEVICE-READABLE $d; else echo DEVICE-PRESENT $d; fi; done; true"]

with open(TEMPLATE) as f:
    BASE = json.load(f)
BASE["linux"]["cgroupsPath"] = "@CGROUPS_PATH@"

cases = []

def add(name, category, why, data=None, mutate=None, raw=None, compact=False, **extra):
    """data: a JSON value to dump; mutate: a function editing a copy of the template; raw: bytes as they are.
    compact: no indentation (the huge cases), to keep the committed corpus to a few megabytes."""
    if raw is None:
        if data is None:
            data = copy.deepcopy(BASE)
            mutate(data)
        text = json.dumps(data, separators=(",", ":")) if compact else json.dumps(data, indent=1, ensure_ascii=False)
        raw = text.encode("utf-8", "surrogatepass")
    cases.append(dict(name=name, category=category, why=why, raw=raw, **extra))

def setp(path, value):
    def f(d):
        cur = d
        keys = path.split(".")
        for k in keys[:-1]:
            cur = cur[int(k)] if isinstance(cur, list) else cur.setdefault(k, {})
        last = keys[-1]
        if isinstance(cur, list): cur[int(last)] = value
        else: cur[last] = value
    return f

def delp(path):
    def f(d):
        cur = d
        keys = path.split(".")
        for k in keys[:-1]:
            cur = cur[int(k)] if isinstance(cur, list) else cur[k]
        del cur[keys[-1]]
    return f

def both(*fs):
    def f(d):
        for g in fs: g(d)
    return f

TEMPLATE_BYTES = json.dumps(BASE, indent=1).encode()

# ---- truncated: every runtime must notice the document ends early ----
for frac in (0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
    n = int(len(TEMPLATE_BYTES) * frac)
    add(f"truncated-{int(frac*100):02d}pct", "truncated", f"config.json cut after {n} of {len(TEMPLATE_BYTES)} bytes",
        raw=TEMPLATE_BYTES[:n])
add("truncated-last-brace", "truncated", "the closing brace is missing", raw=TEMPLATE_BYTES.rstrip()[:-1])
i = TEMPLATE_BYTES.index(b'"hostname"')
add("truncated-in-string", "truncated", "cut inside a string", raw=TEMPLATE_BYTES[:i + 5])
i = TEMPLATE_BYTES.index(b'"uid"')
add("truncated-in-number", "truncated", "cut after a key's colon", raw=TEMPLATE_BYTES[:i + 6])

# ---- not JSON, or not one JSON object ----
add("syntax-trailing-comma", "syntax", "trailing comma after the last member",
    raw=TEMPLATE_BYTES.rstrip()[:-1] + b',}')
add("syntax-comment", "syntax", "a // comment", raw=b"// config\n" + TEMPLATE_BYTES)
add("syntax-single-quotes", "syntax", "single-quoted strings", raw=TEMPLATE_BYTES.replace(b'"ociVersion"', b"'ociVersion'"))
add("syntax-nan", "syntax", "NaN as a number", raw=TEMPLATE_BYTES.replace(b'"uid": 0', b'"uid": NaN'))
add("syntax-trailing-garbage", "syntax", "a second value after the object", raw=TEMPLATE_BYTES + b' {"x": 1}')
add("syntax-top-level-array", "syntax", "the document is an array", raw=b"[" + TEMPLATE_BYTES + b"]")
add("syntax-null-document", "syntax", "the document is null", raw=b"null")
add("syntax-empty-object", "syntax", "an empty object: no ociVersion, no root, no process", raw=b"{}")
# Not here on purpose: a byte order mark (RFC 8259 lets a parser ignore it) and duplicate member names (RFC 8259
# leaves them to the implementation; hull, like Go's encoding/json for runc, keeps the last one).
add("syntax-unterminated-escape", "syntax", "a string ending in a lone backslash",
    raw=TEMPLATE_BYTES.replace(b'"busybox"', b'"busybox\\', 1))
add("syntax-bad-unicode-escape", "syntax", "a \\u escape with non-hex digits",
    raw=TEMPLATE_BYTES.replace(b'"busybox"', b'"\\uZZZZ"', 1))
add("syntax-raw-control-char", "syntax", "an unescaped newline inside a string",
    raw=TEMPLATE_BYTES.replace(b'"busybox"', b'"busy\nbox"', 1))

# ---- wrong types and invalid values ----
wrong = [
    ("ociVersion-number", setp("ociVersion", 1), "ociVersion is a number"),
    ("ociVersion-garbage", setp("ociVersion", "banana"), "ociVersion is not a version"),
    ("ociVersion-future", setp("ociVersion", "9.0.0"), "ociVersion 9.0.0 is a major version no runtime knows"),
    ("ociVersion-missing", delp("ociVersion"), "ociVersion is required"),
    ("process-string", setp("process", "sh"), "process is a string"),
    ("args-string", setp("process.args", "/bin/sh"), "process.args is a string"),
    ("args-numbers", setp("process.args", [1, 2]), "process.args holds numbers"),
    ("args-empty", setp("process.args", []), "process.args is empty: nothing to execute"),
    ("args-null", setp("process.args", None), "process.args is null"),
    ("env-object", setp("process.env", {"PATH": "/bin"}), "process.env is an object"),
    ("env-number-entry", setp("process.env", ["PATH=/bin", 42]), "process.env holds a number"),
    ("uid-string", setp("process.user.uid", "0"), "process.user.uid is a string"),
    ("uid-negative", setp("process.user.uid", -1), "process.user.uid is negative"),
    ("uid-fraction", setp("process.user.uid", 1.5), "process.user.uid is not an integer"),
    ("uid-too-big", setp("process.user.uid", 2**40), "process.user.uid does not fit in 32 bits"),
    ("gid-too-big", setp("process.user.gid", 2**64), "process.user.gid does not fit in 64 bits"),
    ("cwd-number", setp("process.cwd", 5), "process.cwd is a number"),
    ("cwd-relative", setp("process.cwd", "tmp"), "process.cwd must be absolute"),
    ("terminal-string", setp("process.terminal", "yes"), "process.terminal is a string"),
    ("root-array", setp("root", []), "root is an array"),
    ("root-path-number", setp("root.path", 7), "root.path is a number"),
    ("root-path-missing", setp("root", {"readonly": True}), "root.path is required"),
    ("root-path-absent-dir", setp("root.path", "no-such-rootfs"), "root.path does not exist"),
    ("root-readonly-string", setp("root.readonly", "true"), "root.readonly is a string"),
    ("hostname-array", setp("hostname", ["a"]), "hostname is an array"),
    ("mounts-object", setp("mounts", {"destination": "/x"}), "mounts is an object"),
    ("mount-destination-number", setp("mounts.0.destination", 1), "a mount destination is a number"),
    ("mount-destination-missing", delp("mounts.0.destination"), "a mount without a destination"),
    ("mount-destination-relative", setp("mounts.1.destination", "dev"), "a mount destination must be absolute"),
    ("mount-options-string", setp("mounts.1.options", "nosuid"), "mount options is a string"),
    ("mount-type-bogus", both(setp("mounts.1.type", "no-such-fs"), setp("mounts.1.source", "none")),
     "a mount of a file system type the kernel does not have"),
    ("linux-string", setp("linux", "x"), "linux is a string"),
    ("namespaces-object", setp("linux.namespaces", {"type": "pid"}), "linux.namespaces is an object"),
    ("namespace-bogus", setp("linux.namespaces.0.type", "bogus"), "a namespace type that does not exist"),
    ("namespace-number", setp("linux.namespaces.0.type", 7), "a namespace type is a number"),
    ("namespace-duplicate", lambda d: d["linux"]["namespaces"].append({"type": "pid"}), "the pid namespace listed twice"),
    ("namespace-path-missing", setp("linux.namespaces.1", {"type": "network", "path": "/no/such/netns"}),
     "joining a network namespace that does not exist"),
    ("memory-limit-string", setp("linux.resources.memory", {"limit": "1G"}), "memory.limit is a string"),
    ("pids-limit-string", setp("linux.resources.pids", {"limit": "many"}), "pids.limit is a string"),
    ("cpu-shares-negative", setp("linux.resources.cpu", {"shares": -5}), "cpu.shares is negative"),
    ("rlimit-bogus-type", setp("process.rlimits.0.type", "RLIMIT_BOGUS"), "an rlimit type that does not exist"),
    ("rlimit-negative", setp("process.rlimits.0.hard", -5), "an rlimit hard value is negative"),
    ("rlimit-soft-above-hard", setp("process.rlimits.0", {"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}),
     "soft rlimit above the hard one"),
    ("capabilities-string", setp("process.capabilities.bounding", "CAP_KILL"), "capabilities.bounding is a string"),
    ("capability-bogus", setp("process.capabilities.bounding", ["CAP_BOGUS"]), "a capability that does not exist"),
    ("noNewPrivileges-number", setp("process.noNewPrivileges", 1), "noNewPrivileges is a number"),
    ("maskedPaths-string", setp("linux.maskedPaths", "/proc/kcore"), "maskedPaths is a string"),
    ("maskedPath-relative", setp("linux.maskedPaths", ["proc/kcore"]), "a masked path must be absolute"),
    ("sysctl-number", setp("linux.sysctl", {"net.ipv4.ip_forward": 1}), "a sysctl value is a number"),
    ("sysctl-escape", setp("linux.sysctl", {"../../../proc/sysrq-trigger": "b"}), "a sysctl key escaping /proc/sys"),
    ("annotations-number", setp("annotations", {"a": 1}), "an annotation value is a number"),
    ("hooks-string", setp("hooks", "x"), "hooks is a string"),
    ("hook-relative-path", setp("hooks", {"createRuntime": [{"path": "bin/true"}]}), "a hook path must be absolute"),
    ("hook-missing-binary", setp("hooks", {"createRuntime": [{"path": "/no/such/hook"}]}), "a hook binary that does not exist"),
    ("hook-timeout-zero", setp("hooks", {"createRuntime": [{"path": "/bin/true", "timeout": 0}]}), "a hook timeout must be positive"),
    ("uidMappings-without-userns", setp("linux.uidMappings", [{"containerID": 0, "hostID": 100000, "size": 65536}]),
     "uid mappings without a user namespace"),
    ("devices-type-bogus", setp("linux.devices", [{"path": "/dev/x", "type": "z", "major": 1, "minor": 3}]),
     "a device of type z"),
    ("device-path-relative", setp("linux.devices", [{"path": "dev/null2", "type": "c", "major": 1, "minor": 3}]),
     "a device path must be absolute"),
    ("process-user-additionalGids-string", setp("process.user.additionalGids", "1"), "additionalGids is a string"),
]
for name, mutate, why in wrong:
    add(f"type-{name}", "wrong-type", why, mutate=mutate)

# ---- huge arrays (compact; each file under ~1.2 MB) ----
add("huge-args", "huge", "300000 arguments: beyond ARG_MAX", compact=True,
    mutate=setp("process.args", ["/bin/true"] + ["x"] * 300000))
add("huge-env", "huge", "60000 environment entries, none with '='", compact=True,
    mutate=setp("process.env", ["N%d" % i for i in range(60000)]))
add("huge-namespaces", "huge", "20000 pid namespace entries", compact=True,
    mutate=setp("linux.namespaces", [{"type": "pid"}] * 20000))
add("huge-mounts", "huge", "10000 mounts with relative destinations", compact=True,
    mutate=setp("mounts", [{"destination": "rel%d" % i, "type": "tmpfs", "source": "tmpfs"} for i in range(10000)]))
add("huge-rlimits", "huge", "10000 entries of the same rlimit", compact=True,
    mutate=setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}] * 10000))
add("huge-additional-gids", "huge", "70000 supplementary groups: beyond NGROUPS_MAX (65536)", compact=True,
    mutate=setp("process.user.additionalGids", list(range(1, 70001))))
add("huge-capabilities", "huge", "30000 unknown capabilities", compact=True,
    mutate=setp("process.capabilities.bounding", ["CAP_BOGUS_%d" % i for i in range(30000)]))
add("huge-masked-paths", "huge", "50000 relative masked paths", compact=True,
    mutate=setp("linux.maskedPaths", ["rel/%d" % i for i in range(50000)]))
add("huge-string", "huge", "a 1 MiB hostname (the kernel allows 64 bytes)", compact=True,
    mutate=setp("hostname", "h" * (1 << 20)))

# ---- deep nesting ----
def nested(depth, leaf="x", kind="array"):
    if kind == "array":
        return b"[" * depth + json.dumps(leaf).encode() + b"]" * depth
    return b'{"a":' * depth + json.dumps(leaf).encode() + b"}" * depth

def splice(key, value_bytes):
    """The template with `"key": <value_bytes>` added as the first member."""
    return b'{"' + key.encode() + b'": ' + value_bytes + b"," + TEMPLATE_BYTES.lstrip()[1:]

add("deep-args-100k", "deep", "process.args nested 100000 arrays deep", raw=TEMPLATE_BYTES.replace(
    b'"args": [', b'"args": [' + b"[" * 100000 + b"1" + b"]" * 100000 + b",", 1))
add("deep-annotations-20k", "deep", "annotations nested 20000 objects deep",
    raw=splice("annotations", nested(20000, kind="object")))
add("deep-unknown-key-20k", "deep", "an unknown key holding 20000 nested arrays", raw=splice("x-deep", nested(20000)))
add("deep-unclosed-100k", "deep", "100000 '[' never closed", raw=splice("x-deep", b"[" * 100000))
add("deep-mixed-20k", "deep", "20000 levels of alternating objects and arrays in linux",
    raw=TEMPLATE_BYTES.replace(b'"linux": {', b'"linux": {"x-deep": ' + b'[{"a":' * 10000 + b"1" + b"}]" * 10000 + b",", 1))

# ---- invalid UTF-8 and hostile characters ----
def bytes_case(name, why, old, new):
    raw = TEMPLATE_BYTES.replace(old, new, 1)
    assert raw != TEMPLATE_BYTES, name
    add(name, "utf8", why, raw=raw)

bytes_case("utf8-hostname-ff", "hostname holds byte 0xff", b'"busybox"', b'"busy\xffbox"')
bytes_case("utf8-env-truncated-sequence", "an env entry holds a cut 2-byte sequence", b'"TERM=xterm"', b'"TERM=\xc3"')
bytes_case("utf8-args-overlong-slash", "args hold an overlong encoding of '/'", b'"/bin/sh"', b'"\xc0\xafbin\xc0\xafsh"')
bytes_case("utf8-cwd-encoded-surrogate", "cwd holds a UTF-8-encoded surrogate", b'"cwd": "/"', b'"cwd": "/\xed\xa0\x80"')
bytes_case("utf8-mount-destination-fe", "a mount destination holds byte 0xfe", b'"/dev/shm"', b'"/dev/\xfeshm"')
bytes_case("utf8-key", "a member name holds byte 0xff", b'"hostname"', b'"host\xffname"')
bytes_case("utf8-lone-surrogate-escape", "hostname is a lone surrogate escape", b'"busybox"', b'"\\ud800"')
bytes_case("nul-in-args", "an argument holds NUL: C would see a different string", b'"/bin/sh"', b'"/bin/sh\\u0000-i"')
bytes_case("nul-in-hostname", "hostname holds NUL", b'"busybox"', b'"busy\\u0000box"')
bytes_case("nul-in-mount-destination", "a mount destination holds NUL", b'"/dev/shm"', b'"/tmp\\u0000/../../etc"')
bytes_case("utf8-latin1-cgroups-path", "linux.cgroupsPath holds Latin-1 bytes", b'@CGROUPS_PATH@"', b'@CGROUPS_PATH@-\xe9t\xe9"')

# ---- paths that leave the rootfs ----
ESC = "/tmp/@ESCAPE@"   # the runner checks this host path stays absent
def mount_at(dest, **m):
    entry = {"destination": dest, "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}
    entry.update(m)
    return lambda d: d["mounts"].append(entry)

add("escape-mount-dotdot", "escape", "a mount destination climbing out of the rootfs with ..",
    mutate=mount_at("/../../../../../../../.." + ESC), writable=True, escape=ESC)
add("escape-mount-dotdot-middle", "escape", "a mount destination with .. in the middle",
    mutate=mount_at("/tmp/../../../../../../../.." + ESC), writable=True, escape=ESC)
add("escape-mount-relative-dotdot", "escape", "a relative mount destination climbing out",
    mutate=mount_at("../../../../../../../.." + ESC), writable=True, escape=ESC)
add("escape-symlink-absolute", "escape", "a mount under a rootfs symlink to / (host / if resolved outside)",
    mutate=mount_at("/evil-abs/tmp/@ESCAPE@"), writable=True, escape=ESC, expect="contain", symlinks={"evil-abs": "/"})
add("escape-symlink-relative", "escape", "a mount under a rootfs symlink climbing with ..",
    mutate=mount_at("/evil-rel/@ESCAPE@"), writable=True, escape=ESC,
    expect="contain", symlinks={"evil-rel": "../../../../../../../../tmp"})
add("escape-symlink-chain", "escape", "a mount under a chain of rootfs symlinks ending outside",
    mutate=mount_at("/chain-a/@ESCAPE@"), writable=True, escape=ESC,
    expect="contain", symlinks={"chain-a": "chain-b", "chain-b": "../../../../../../../../tmp"})
add("escape-symlink-bind-file", "escape", "a file bind mount onto a rootfs symlink pointing at a host file path",
    mutate=mount_at("/evil-file", type="bind", source="/etc/hostname", options=["bind", "ro"]), writable=True,
    escape=ESC, expect="contain", symlinks={"evil-file": "../../../../../../../../tmp/@ESCAPE@"})
add("escape-device-dotdot", "escape", "a device node path climbing out of the rootfs",
    mutate=setp("linux.devices", [{"path": "/dev/../../../../../../../.." + ESC, "type": "c", "major": 1, "minor": 3}]),
    writable=True, escape=ESC)
add("escape-device-symlink", "escape", "a device node under a rootfs symlink to /",
    mutate=setp("linux.devices", [{"path": "/evil-dev/tmp/@ESCAPE@", "type": "c", "major": 1, "minor": 3}]),
    writable=True, escape=ESC, expect="contain", symlinks={"evil-dev": "/"})
add("escape-masked-path-dotdot", "escape", "a masked path climbing with ..",
    mutate=setp("linux.maskedPaths", ["/../../../../../../../.." + ESC]), writable=True, escape=ESC)
add("escape-readonly-path-dotdot", "escape", "a read-only path climbing with ..",
    mutate=setp("linux.readonlyPaths", ["/../../../../../../../.." + ESC]), writable=True, escape=ESC)
add("escape-cwd-dotdot", "escape", "process.cwd climbing out of the rootfs",
    mutate=setp("process.cwd", "/../../../../../../../.." + ESC), writable=True, escape=ESC)

# ---- device nodes of the host's disk and memory ----
major, minor = HOST_DISK
def device(path, kind, ma, mi, allow, probe=True, **more):
    def f(d):
        dev = {"path": path, "type": kind, "major": ma, "minor": mi, "fileMode": 0o660, "uid": 0, "gid": 0}
        dev.update(more)
        d["linux"]["devices"] = [dev]
        if allow:
            d["linux"]["resources"]["devices"].append({"allow": True, "type": kind, "major": ma, "minor": mi, "access": "rwm"})
        if probe:
            d["process"]["args"] = PROBE
    return f

# A node without a rule is the image's business: it may exist, but must stay unusable.
add("device-host-disk-no-rule", "device", "a node of the host disk without a cgroup rule (created, no access)",
    mutate=device("/dev/hostdisk", "b", major, minor, False), hostDisk=True, expect="contain")
# Nodes *granted* by a rule (the host disk, /dev/mem, /dev/port, allow-all) are what `docker run --device` and
# --privileged ask for: honoured by runc, crun and hull, and covered by conformance/cases/devices, not refused here.
add("device-host-disk-setuid-mode", "device", "a host-disk node with a setuid, world-writable mode",
    mutate=device("/dev/hostdisk", "b", major, minor, True, fileMode=0o4777), hostDisk=True)

# ---- hostile container ids (the config itself is the template) ----
hostile = [
    ("dotdot-escape", "../../../escaped-id", "climbs out of --root"),
    ("slash", "a/b", "a path, not a name"),
    ("absolute", "/tmp/@ESCAPE@", "an absolute path"),
    ("dot", ".", "the state root itself"),
    ("dotdot", "..", "the state root's parent"),
    ("empty", "", "empty"),
    ("space", "has space", "a space"),
    ("newline", "line\nbreak", "a newline (forges list output)"),
    ("tab", "tab\there", "a tab"),
    ("shell", "$(touch /tmp/@ESCAPE@)", "shell metacharacters"),
    ("too-long", "x" * 1024, "1024 characters: longer than NAME_MAX"),
    ("unicode", "c\u00f8ntainer\u202e", "non-ASCII with a right-to-left override"),
    ("dash", "-rf", "looks like an option"),
    ("backslash", "a\\..\\b", "backslashes and dots"),
]
for name, cid, why in hostile:
    add(f"id-{name}", "hostile-id", f"container id {why}", data=BASE, id=cid, escape=ESC if "@ESCAPE@" in cid else None)

# ---- ids out of range, programs and cwd through /proc/self/fd (issue 14; appended to keep earlier numbers) ----
# setresuid/setresgid read 4294967295 (-1) as "unchanged": such a process would stay root. runc refuses ids
# above 2^31-1; so must every runtime.
for name, path, value in [("uid", "process.user.uid", 4294967295), ("gid", "process.user.gid", 4294967295),
                          ("additional-gid", "process.user.additionalGids", [4294967295]),
                          ("uid-above-int32", "process.user.uid", 2**31)]:
    add(f"range-{name}", "range", f"{path} = {value}: outside 0 to 2^31-1 (-1 would leave the process root)",
        mutate=setp(path, value))
# A directory fd the runtime holds at execve (the unified cgroup for clone3, a caller's fd) leads to the host:
# the program's path must be resolved with no such fd open and inside the container's root (CVE-2024-21626's
# class). No fd of the runtime may be reachable as a program or a cwd.
for n in range(3, 11):
    add(f"escape-args0-proc-fd-{n}", "escape",
        f"process.args[0] walks out of /proc/self/fd/{n} to the host's /bin/busybox (static with busybox-static)",
        mutate=setp("process.args", ["/proc/self/fd/%d%s/bin/busybox" % (n, "/.." * 16), "true"]))
for n in range(3, 11):
    add(f"escape-cwd-proc-fd-{n}", "escape", f"process.cwd is /proc/self/fd/{n}: a host directory if the runtime holds one",
        mutate=setp("process.cwd", "/proc/self/fd/%d" % n))

# ---- write ----
cases_dir = os.path.join(HERE, "cases")
shutil.rmtree(cases_dir, ignore_errors=True)
os.makedirs(cases_dir)
manifest = []
for n, case in enumerate(cases, 1):
    file = "%03d-%s.json" % (n, case["name"])
    with open(os.path.join(cases_dir, file), "wb") as f:
        f.write(case["raw"])
    entry = {"file": file, "category": case["category"], "why": case["why"]}
    for key in ("id", "writable", "escape", "symlinks", "hostDisk", "expect"):
        if case.get(key) is not None:
            entry[key] = case[key]
    manifest.append(entry)
with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump({"template": "bundles/busybox/config.json", "hostDisk": {"major": major, "minor": minor},
               "cases": manifest}, f, indent=1, ensure_ascii=True)
    f.write("\n")
print(f"{len(manifest)} cases in {cases_dir}", file=sys.stderr)
