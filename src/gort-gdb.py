# gort-gdb.py -- gdb commands for gort's goroutines (Go's runtime-gdb.py, for gort).
#
#   info goroutines      every live goroutine: id, state, wait reason, creation site
#   goroutine <id> bt    the backtrace of a parked goroutine (any gdb command in place
#                        of bt: `goroutine 7 info frame`)
#
# Load it with `source <prefix>/share/gort/gort-gdb.py` (in ~/.gdbinit, or on gdb's
# command line: gdb -x <prefix>/share/gort/gort-gdb.py ./prog).  It reads the
# runtime's own structures through the debug information (build with -g): the list
# of all Gs (sched.gchunks, runtime2.hpp) and each parked G's saved registers, the
# SwitchFrame that gort_swap_context pushed and Gobuf.sp points at (gobuf_amd64.h,
# gobuf_arm64.h: the offsets below are those files').
#
# A parked goroutine's backtrace is taken as Go's script takes it: the selected
# thread's registers are set to the goroutine's saved ones for the command, then
# restored.  A live process only (a core file's registers cannot be written).  A
# running goroutine's frames are those of the thread running it: `info threads`,
# `thread <n>`, `bt`.
import gdb

# Saved-register frames: register -> offset from Gobuf.sp; "pc" is the return address
# into the switch's caller; the caller's sp is just above the frame.
_FRAMES = {
    "x86-64": {
        "size": 64,
        "pc": 56,
        "regs": {"rbp": 48, "rbx": 40, "r12": 32, "r13": 24, "r14": 16, "r15": 8},
    },
    "aarch64": {
        "size": 176,
        "pc": 88,
        "regs": {"x19": 0, "x20": 8, "x21": 16, "x22": 24, "x23": 32, "x24": 40, "x25": 48,
                 "x26": 56, "x27": 64, "x28": 72, "x29": 80, "x30": 88},
    },
}

# GStatus (runtime2.hpp), as dump_goroutines names them.
_IDLE, _RUNNABLE, _RUNNING, _SYSCALL, _WAITING, _DEAD = range(6)
_STATES = {_RUNNABLE: "runnable", _RUNNING: "running", _SYSCALL: "syscall", _WAITING: "waiting"}


def _arch():
    name = gdb.selected_inferior().architecture().name()
    if "x86-64" in name:
        return "x86-64"
    if "aarch64" in name:
        return "aarch64"
    raise gdb.GdbError("gort-gdb: no saved-register layout for " + name)


def _load(value, type_name):
    """The contents of a std::atomic<T> (a T at its address) as a T."""
    t = gdb.lookup_type(type_name) if type_name != "const char*" else gdb.lookup_type("char").const().pointer()
    return value.address.cast(t.pointer()).dereference()


def _string(value):
    ptr = _load(value, "const char*")
    return ptr.string() if int(ptr) != 0 else "?"


def _short_function_name(raw):
    """The short form of a recorded function name, as the runtime's reports print it
    (src/funcname.cpp): "main()::<lambda()>" -> "main::<lambda()>", "int main()" -> "main"."""
    def skip_group(i):
        depth = 0
        while i < len(raw):
            if raw[i] in "(<[":
                depth += 1
            elif raw[i] in ")>]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i
    start, i, last_space = 0, 0, -1
    while i < len(raw):  # the return type ends at the last top-level space before "("
        if raw.startswith("operator()", i):
            i += len("operator()")
            continue
        if raw[i] == "(":
            break
        if raw[i] in "<[":
            i = skip_group(i)
            continue
        if raw[i] == " ":
            last_space = i
        i += 1
    start = last_space + 1
    out, i = [], start
    while i < len(raw):
        if raw.startswith("operator()", i):
            out.append("operator()")
            i += len("operator()")
        elif raw.startswith(" [with ", i):
            break
        elif raw[i] == "<":
            j = skip_group(i)
            out.append(raw[i:j])
            i = j
        elif raw[i] == "(":
            i = skip_group(i)
            while i < len(raw) and not raw.startswith("::", i) and not raw.startswith(" [with ", i):
                i += 1
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _all_gs():
    """Every G of this run (Go's forEachG; for_each_g, runtime2.hpp)."""
    try:
        sched = gdb.parse_and_eval("gort::detail::sched")
    except gdb.error:
        raise gdb.GdbError("gort-gdb: no gort::detail::sched (not a gort program, or no debug information)")
    g_ptr = gdb.lookup_type("gort::detail::G").pointer()
    chunk = sched["gchunks"]
    while int(chunk) != 0:
        first = chunk["storage"].address.cast(g_ptr)
        for i in range(int(_load(chunk["used"], "unsigned int"))):
            yield first + i
        chunk = chunk["next"]


def _live_gs():
    for g in _all_gs():
        status = int(_load(g["status"], "unsigned char"))
        if status != _IDLE and status != _DEAD:
            yield g, status


def _find(goid):
    for g, status in _live_gs():
        if int(g["goid"]) == goid:
            return g, status
    raise gdb.GdbError("gort-gdb: no goroutine %d" % goid)


def _reason_names():
    """wait_reason_string's table (traceback.cpp), read from the program: its texts
    are written once, there."""
    fn = gdb.lookup_global_symbol("gort::detail::wait_reason_string(gort::detail::WaitReason)")
    if fn is None:
        fn = gdb.lookup_symbol("gort::detail::wait_reason_string")[0]
    if fn is None:
        return None
    block = gdb.block_for_pc(int(fn.value().address))
    while block is not None and block.function is not None:
        for sym in block:
            if sym.name == "names":
                return sym.value()
        block = block.superblock
    return None


def _set_registers(values):
    """Writes the registers of the innermost frame.  Frame 0 is selected again before
    each write: a new pc rebuilds gdb's frames and may leave an outer frame selected
    (on AArch64 it does when frame 0 is an inlined call), and a register written in
    an outer frame is its save slot in memory, or not writable at all."""
    for reg, v in values.items():
        gdb.execute("select-frame 0", to_string=True)
        gdb.execute("set $%s = %d" % (reg, v), to_string=True)
    gdb.execute("select-frame 0", to_string=True)


class InfoGoroutines(gdb.Command):
    """Lists gort's live goroutines: id, state, wait reason, where each was created."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        names = _reason_names()
        for g, status in _live_gs():
            state = _STATES.get(status, str(status))
            if status == _WAITING:
                reason = int(_load(g["waitreason"], "unsigned char"))
                state += " " + (names[reason].string() if names is not None else "reason " + str(reason))
            where = ""
            if int(g["goid"]) != 1:  # main: no creation site, as in dump_goroutines
                where = "  created by %s at %s:%d" % (_short_function_name(_string(g["created_function"])), _string(g["created_file"]),
                                                      int(_load(g["created_line"], "unsigned int")))
            gdb.write("%5d %s%s\n" % (int(g["goid"]), state, where))


class Goroutine(gdb.Command):
    """goroutine <id> <command>: runs <command> (bt, info frame...) on a parked goroutine."""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        goid_text, _, cmd = arg.strip().partition(" ")
        if not goid_text.isdigit() or not cmd:
            raise gdb.GdbError("usage: goroutine <id> <command>, e.g. goroutine 7 bt")
        g, status = _find(int(goid_text))
        if status == _RUNNING or status == _SYSCALL:
            raise gdb.GdbError("gort-gdb: goroutine %s is running on a thread: select that thread (info threads) and use bt" % goid_text)
        frame = _FRAMES[_arch()]
        sp = int(g["sched"]["sp"])
        if sp == 0 or int(g["stack_lo"]) == 0:
            raise gdb.GdbError("gort-gdb: goroutine %s has not run yet: no frames" % goid_text)
        u64 = gdb.lookup_type("unsigned long").pointer()

        def word(off):
            return int(gdb.Value(sp + off).cast(u64).dereference())

        wanted = {"pc": word(frame["pc"]), "sp": sp + frame["size"]}
        for reg, off in frame["regs"].items():
            wanted[reg] = word(off)
        gdb.execute("select-frame 0", to_string=True)
        saved = {reg: int(gdb.parse_and_eval("$" + reg)) for reg in wanted}
        try:
            _set_registers(wanted)
            gdb.execute(cmd, from_tty)
        finally:
            _set_registers(saved)


InfoGoroutines()
Goroutine()
