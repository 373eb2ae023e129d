"""Builds the Linux conformance programs (test/linux/README.md) with musl-gcc.

    load("//test/linux:defs.bzl", "linux_program")

These are x86-64 Linux executables, not HMK programs: a plain genrule runs musl-gcc (Debian's
musl-tools, found on the action PATH) and needs no C toolchain, so the file is the same in every
configuration, the host's included, and HMK images can carry it as a plain file. The flags are
the ones tools/bench/linux_baseline.py uses for bench/linux/, plus -D_GNU_SOURCE.
"""

LINUX_PROGRAM_TAG = "linux_program"

def linux_program(name, src = None, **kwargs):
    """A static musl program: NAME.c (with check.h) -> bazel-bin/<package>/bin/NAME.

    `bazel run //test/linux:NAME` runs it on the host. Every such target carries the tag
    LINUX_PROGRAM_TAG ("linux_program"), so `bazel query 'attr(tags, linux_program, //...)'` finds
    them all.

    Args:
      name: the program's name; the target and the output file's base name.
      src: the C source, by default NAME.c.
      **kwargs: further genrule attributes (visibility, testonly, ...).
    """
    src = src or name + ".c"
    native.genrule(
        name = name,
        srcs = [src, Label("//test/linux:check.h")],
        outs = ["bin/" + name],
        cmd = " ".join([
            "musl-gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror",
            "-o $@ $(location %s)" % src,
        ]),
        executable = True,
        tags = kwargs.pop("tags", []) + [LINUX_PROGRAM_TAG],
        **kwargs
    )
