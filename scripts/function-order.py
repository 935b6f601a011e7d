#!/usr/bin/env python3
"""Lists, in first-call order, every function of hull that its common commands execute.

Usage: function-order.py HULL_WITH_SYMBOLS OUT -- COMMAND... [--- COMMAND...]
Each COMMAND is run under ptrace with a one-shot breakpoint (int3) on the first byte of every
function in HULL_WITH_SYMBOLS' symbol table (FUNC symbols of non-zero size). A hit records the
function, puts the byte back in that process and resumes it. Forks and clones are followed (a
child inherits its parent's memory, breakpoints included); a process that executes another
program is let go, unless that program is hull again (the CVE-2019-5736 guard re-executes it
from a read-only view of the same file): its new image is armed again.

The list feeds the linker's --symbol-ordering-file (see scripts/function-order): the code a start
runs is laid out together, so page-cache fault-around maps less of the 7 MB of text. What a
container init runs after it dropped hull's pages to wait for `start` comes first, on its own.
"""
import ctypes
import os
import signal
import subprocess
import sys

# A container init calls this before it waits for `start` (InitStage.waitForStart): hull's pages are
# dropped, and what runs after faults back in (see order()). Dropped pages lose the breakpoints too,
# so the first init to get there is single-stepped from there on (STEP_LIMIT instructions at most).
RELEASE_MARKER = "hk_release_image_pages"
STEP_LIMIT = 3_000_000

PTRACE_TRACEME, PTRACE_CONT, PTRACE_SINGLESTEP, PTRACE_GETREGS, PTRACE_SETREGS = 0, 7, 9, 12, 13
PTRACE_DETACH, PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG = 17, 0x4200, 0x4201
O_TRACEFORK, O_TRACEVFORK, O_TRACECLONE, O_TRACEEXEC, O_EXITKILL = 2, 4, 8, 0x10, 0x100000
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC = 1, 2, 3, 4

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


class Regs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in (
        "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss "
        "fs_base gs_base ds es fs gs").split()]


def functions(binary):
    """{address: name} of the FUNC symbols with a size."""
    out = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[3] == "FUNC" and fields[6] != "UND" and int(fields[2], 0) > 0:
            found.setdefault(int(fields[1], 16), fields[7])
    return found


def arm(pid, table, originals):
    """An int3 on the first byte of every function of the image in process pid."""
    with open("/proc/%d/mem" % pid, "r+b", buffering=0) as mem:
        for address in table:
            mem.seek(address)
            byte = mem.read(1)
            originals.setdefault(address, byte)
            mem.seek(address)
            mem.write(b"\xcc")


def ptrace(request, pid, addr=0, data=0):
    if libc.ptrace(request, pid, ctypes.c_void_p(addr), ctypes.c_void_p(data)) < 0:
        raise OSError(ctypes.get_errno(), "ptrace %d on %d" % (request, pid))


class Session:
    """Every traced process of every command: a container's init made by `create` is still
    traced (and its breakpoints serviced) while `start` runs."""

    def __init__(self, table):
        self.table, self.originals = table, {}
        self.restored = {}  # per process: the breakpoints it no longer has
        self.hits, self.seen = [], set()
        self.stepping, self.steps = None, 0  # the init single-stepped past RELEASE_MARKER
        self.after, self.seen_after = [], set()

    def order(self):
        """What a waiting container init runs again once it dropped hull's pages, together and first
        (so that it faults back as few blocks as possible), then the rest in first-call order."""
        return self.after + [name for name in self.hits if name not in self.seen_after]

    def run(self, argv):
        """Runs argv to its exit, servicing every traced process meanwhile; it must exit 0."""
        main = os.fork()
        if main == 0:
            quiet = os.open("/dev/null", os.O_WRONLY)
            os.dup2(quiet, 1)  # `list` and `ps` print tables; errors still reach stderr
            libc.ptrace(PTRACE_TRACEME, 0, None, None)
            os.execv(argv[0], argv)
        os.waitpid(main, 0)  # stopped at its execve
        ptrace(PTRACE_SETOPTIONS, main, 0, O_TRACEFORK | O_TRACEVFORK | O_TRACECLONE | O_TRACEEXEC | O_EXITKILL)
        self.identity = os.stat(argv[0])
        arm(main, self.table, self.originals)
        self.restored[main] = set()
        ptrace(PTRACE_CONT, main)
        while True:
            stopped, status = os.waitpid(-1, 0x40000000)  # __WALL
            if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                self.restored.pop(stopped, None)
                if stopped == main:
                    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                        raise SystemExit("function-order: %s failed under the tracer (status %#x)" % (" ".join(argv), status))
                    return
                continue
            if os.WIFSTOPPED(status):
                self.stopped(stopped, os.WSTOPSIG(status), status >> 16)

    def record_after(self, name):
        if name not in self.seen_after:
            self.seen_after.add(name)
            self.after.append(name)

    def step(self, pid):
        """One instruction of the init past RELEASE_MARKER: a function entered is recorded (an int3
        still armed there is put back first); past STEP_LIMIT the init just runs."""
        regs = Regs()
        ptrace(PTRACE_GETREGS, pid, 0, ctypes.addressof(regs))
        armed = regs.rip - 1
        if armed in self.originals and armed not in self.restored[pid]:
            with open("/proc/%d/mem" % pid, "r+b", buffering=0) as mem:
                mem.seek(armed)
                if mem.read(1) == b"\xcc":
                    mem.seek(armed)
                    mem.write(self.originals[armed])
                    self.restored[pid].add(armed)
                    regs.rip = armed
                    ptrace(PTRACE_SETREGS, pid, 0, ctypes.addressof(regs))
        if regs.rip in self.table:
            self.record_after(self.table[regs.rip])
        self.steps += 1
        if self.steps >= STEP_LIMIT:
            self.stepping = -1
            ptrace(PTRACE_CONT, pid)
        else:
            ptrace(PTRACE_SINGLESTEP, pid)

    def stopped(self, pid, sig, event):
        restored = self.restored.setdefault(pid, set())  # a new child's first stop may come before its parent's event
        if sig == signal.SIGTRAP and event in (EVENT_FORK, EVENT_VFORK, EVENT_CLONE):
            message = ctypes.c_ulong()
            ptrace(PTRACE_GETEVENTMSG, pid, 0, ctypes.addressof(message))
            self.restored[message.value] = set(restored)  # its memory is a copy of its parent's
            ptrace(PTRACE_CONT, pid)
            return
        if sig == signal.SIGTRAP and event == EVENT_EXEC:
            exe = os.stat("/proc/%d/exe" % pid)
            if (exe.st_dev, exe.st_ino) == (self.identity.st_dev, self.identity.st_ino):
                arm(pid, self.table, self.originals)  # hull again (the guard's re-execution): a fresh image
                self.restored[pid] = set()
                ptrace(PTRACE_CONT, pid)
            else:
                ptrace(PTRACE_DETACH, pid)  # another program now (the container's process)
                self.restored.pop(pid, None)
            return
        if sig == signal.SIGTRAP and pid == self.stepping:
            self.step(pid)
            return
        if sig == signal.SIGTRAP:
            regs = Regs()
            ptrace(PTRACE_GETREGS, pid, 0, ctypes.addressof(regs))
            address = regs.rip - 1
            if address in self.originals and address not in restored:
                with open("/proc/%d/mem" % pid, "r+b", buffering=0) as mem:
                    mem.seek(address)
                    mem.write(self.originals[address])
                restored.add(address)
                regs.rip = address
                ptrace(PTRACE_SETREGS, pid, 0, ctypes.addressof(regs))
                name = self.table[address]
                if name not in self.seen:
                    self.seen.add(name)
                    self.hits.append(name)
                if name == RELEASE_MARKER and self.stepping is None:
                    self.stepping = pid
                    self.record_after(name)
                    ptrace(PTRACE_SINGLESTEP, pid)
                    return
                ptrace(PTRACE_CONT, pid)
                return
        ptrace(PTRACE_CONT, pid, 0, 0 if sig in (signal.SIGTRAP, signal.SIGSTOP) else sig)


def main():
    binary, out = sys.argv[1], sys.argv[2]
    rest = sys.argv[sys.argv.index("--") + 1:]
    commands, current = [], []
    for word in rest + ["---"]:
        if word == "---":
            if current:
                commands.append(current)
            current = []
        else:
            current.append(word)
    table = functions(binary)
    session = Session(table)
    for argv in commands:
        session.run(argv)
    if not session.after:
        raise SystemExit("function-order: no container init reached %s: is the name still right?" % RELEASE_MARKER)
    order = session.order()
    with open(out, "w") as f:
        f.write("\n".join(order) + "\n")
    print("function-order: %d of %d functions executed by %d commands (%d after %s)" % (
        len(order), len(table), len(commands), len(session.after), RELEASE_MARKER))


if __name__ == "__main__":
    main()
