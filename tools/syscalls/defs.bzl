"""syscall_source: one piece of a system call interface, generated from its table (gen.py)."""

def syscall_source(name, table, piece, out, visibility = None):
    """Runs tools/syscalls/gen.py over `table` for `piece` (see gen.py) into `out`."""
    native.genrule(
        name = name,
        srcs = [table],
        outs = [out],
        tools = [
            Label("//tools/syscalls:gen.py"),
            Label("//tools/syscalls:table.py"),
        ],
        cmd = "python3 $(location %s) $(location %s) %s $@" % (
            Label("//tools/syscalls:gen.py"),
            table,
            piece,
        ),
        visibility = visibility,
    )
