"""Pieces of a system call interface, generated from its table: syscall_source for the native
table (gen.py), linux_syscall_source for the Linux shim's (linux_gen.py)."""

def _generate(name, generator, helpers, table, piece, out, **kwargs):
    native.genrule(
        name = name,
        srcs = [table],
        outs = [out],
        tools = [generator, Label("//tools/syscalls:table.py")] + helpers,
        cmd = "python3 $(location %s) $(location %s) %s $@" % (generator, table, piece),
        **kwargs
    )

def syscall_source(name, table, piece, out, visibility = None):
    """Runs tools/syscalls/gen.py over `table` for `piece` (see gen.py) into `out`."""
    _generate(name, Label("//tools/syscalls:gen.py"), [], table, piece, out, visibility = visibility)

def linux_syscall_source(name, table, piece, out, visibility = None, testonly = None):
    """Runs tools/syscalls/linux_gen.py over `table` for `piece` (see linux_gen.py) into `out`."""
    _generate(
        name,
        Label("//tools/syscalls:linux_gen.py"),
        [Label("//tools/syscalls:linux_table.py")],
        table,
        piece,
        out,
        visibility = visibility,
        testonly = testonly,
    )
