"""Builds the Linux conformance programs (test/linux/README.md) with musl-gcc.

    load("//test/linux:defs.bzl", "linux_program")

These are x86-64 Linux executables, not HMK programs: a plain genrule runs musl-gcc (Debian's
musl-tools, found on the action PATH) and needs no C toolchain, so the file is the same in every
configuration, the host's included, and HMK images can carry it as a plain file. The flags are
the ones tools/bench/linux_baseline.py uses for bench/linux/, plus -D_GNU_SOURCE.
"""

LINUX_PROGRAM_TAG = "linux_program"

_MUSL = "/usr/lib/x86_64-linux-musl"

def musl_command(src, out, static_pie = False, flags = ""):
    """The musl-gcc command line that builds `src` into `out` (genrule $(location) strings).

    static_pie: a static-PIE (ET_DYN without PT_INTERP, which relocates itself at start-up:
    musl's rcrt1.o). musl-gcc's specs start every program with Scrt1.o and name the dynamic
    linker, so `-static-pie` alone makes a dynamically linked PIE (PT_INTERP
    /lib/ld-musl-x86_64.so.1); the start files are given here instead and the link is static
    without an interpreter, as gcc's own -static-pie links (-static -pie --no-dynamic-linker
    -z text).
    """
    if not static_pie:
        return "musl-gcc -static %s -o %s %s" % (flags, out, src)
    return " ".join([
        "musl-gcc -static-pie -fPIE -nostartfiles -Wl,-static,--no-dynamic-linker,-z,text",
        flags,
        "-o %s" % out,
        "%s/rcrt1.o %s/crti.o $$(musl-gcc -print-file-name=crtbeginS.o)" % (_MUSL, _MUSL),
        src,
        "$$(musl-gcc -print-file-name=crtendS.o) %s/crtn.o" % _MUSL,
    ])

def linux_program(name, src = None, static_pie = False, **kwargs):
    """A static musl program: NAME.c (with check.h) -> bazel-bin/<package>/bin/NAME.

    `bazel run //test/linux:NAME` runs it on the host. Every such target carries the tag
    LINUX_PROGRAM_TAG ("linux_program"), so `bazel query 'attr(tags, linux_program, //...)'` finds
    them all.

    Args:
      name: the program's name; the target and the output file's base name.
      src: the C source, by default NAME.c.
      static_pie: build a static-PIE (ET_DYN, no interpreter) instead of an ET_EXEC program.
      **kwargs: further genrule attributes (visibility, testonly, ...).
    """
    src = src or name + ".c"
    native.genrule(
        name = name,
        srcs = [src, Label("//test/linux:check.h")],
        outs = ["bin/" + name],
        cmd = musl_command(
            "$(location %s)" % src,
            "$@",
            static_pie = static_pie,
            flags = "-O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror",
        ),
        executable = True,
        tags = kwargs.pop("tags", []) + [LINUX_PROGRAM_TAG],
        **kwargs
    )
