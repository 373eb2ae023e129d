"""Images and boot tests: an initrd from programs plus a manifest, and QEMU boot tests.

    load("//tools/qemu:defs.bzl", "hmk_initrd", "hmk_boot_test", "hmk_damaged_file")
"""

def hmk_initrd(name, files, manifest = [], **kwargs):
    """A deterministic cpio (newc) initrd.

    Args:
      name: target name; the output is NAME.cpio.
      files: dict of path-in-archive -> label of a single file (e.g. a user program).
      manifest: lines of the boot manifest (e.g. ["run /bin/hello"]), stored as /manifest.
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    labels = []
    specs = []
    for path, label in files.items():
        labels.append(label)
        specs.append("'%s=$(location %s)'" % (path, label))
    lines = " ".join(["--manifest-line '%s'" % line for line in manifest])
    native.genrule(
        name = name,
        srcs = labels,
        outs = [name + ".cpio"],
        tools = ["//tools/initrd:mkinitrd.py"],
        cmd = "python3 $(location //tools/initrd:mkinitrd.py) --out $@ %s %s" % (
            lines,
            " ".join(specs),
        ),
        **kwargs
    )

def hmk_damaged_file(name, src, mode, **kwargs):
    """A deliberately broken copy of `src` (see tools/initrd/damage.py for the modes)."""
    native.genrule(
        name = name,
        srcs = [src],
        outs = [name + ".bin"],
        tools = ["//tools/initrd:damage.py"],
        cmd = "python3 $(location //tools/initrd:damage.py) %s $< $@" % mode,
        **kwargs
    )

def _quote(text):
    """One shell word for the `args` attribute: single-quoted, with `$` escaped for Make."""
    if "'" in text:
        fail("boot test patterns may not contain a single quote: %s" % text)
    return "'%s'" % text.replace("$", "$$")

def hmk_boot_test(
        name,
        kernel,
        initrd = None,
        append = "",
        expect = [],
        forbid = [],
        send = [],
        expect_exit = "success",
        firmware = "qboot",
        cpu = "max",
        qemu_timeout = 50,
        **kwargs):
    """Boots `kernel` (+ `initrd`) under QEMU TCG and checks the serial console.

    Fails on a timeout, a panic (unless expect_exit = "panic"), a wrong power-off status, an
    `expect` regex not found in order, or a `forbid` regex found. `expect` regexes match from the
    start of a line (a user program's lines start with "[NAME] ", so they cannot meet a kernel
    line's expectation; a leading ".*" matches inside a line); `forbid` regexes match anywhere.
    `send` is a list of "REGEX=>TEXT": TEXT is typed into the serial console once the output
    matches REGEX (from the start of a line). The console is in the test log and in
    test.outputs/serial.log. `firmware` is "qboot" (default) or "seabios".
    `cpu` is QEMU's -cpu (default "max"; e.g. "max,-smep,-smap" for a CPU without them).
    """
    args = ["--kernel", "$(location %s)" % kernel]
    data = [kernel, "//tools/qemu:run.py"]
    if initrd:
        args += ["--initrd", "$(location %s)" % initrd]
        data.append(initrd)
    if append:
        args += ["--append", _quote(append)]
    for e in expect:
        args += ["--expect", _quote(e)]
    for f in forbid:
        args += ["--forbid", _quote(f)]
    for t in send:
        args += ["--send", _quote(t)]
    args += ["--expect-exit", expect_exit, "--firmware", firmware, "--timeout", str(qemu_timeout)]
    if cpu != "max":
        args += ["--cpu", cpu]
    native.sh_test(
        name = name,
        srcs = ["//tools/qemu:boot_test.sh"],
        args = args,
        data = data,
        size = kwargs.pop("size", "small"),  # Bazel gives small tests 60 s; a boot takes ~1 s
        tags = kwargs.pop("tags", []) + ["qemu"],
        **kwargs
    )

def hmk_program_test(name, kernel, program, expect = [], expect_after = [], **kwargs):
    """Boots `kernel` with an initrd that runs the one user program `program` as /bin/NAME.

    The console must show `expect` (in order), then the program's exit with status 0, then
    `expect_after`. Other arguments as hmk_boot_test.
    """
    binary = Label(program).name
    hmk_initrd(
        name = name + "_image",
        files = {"bin/" + binary: program},
        manifest = ["run /bin/" + binary],
        testonly = True,
    )
    hmk_boot_test(
        name = name,
        kernel = kernel,
        initrd = ":" + name + "_image",
        expect = expect + ["process /bin/%s exited with status 0" % binary] + expect_after,
        **kwargs
    )
