"""The QEMU PC kernel image, optionally with more code linked in (services placed in IC0).

    load("//platform/qemu_pc:defs.bzl", "qemu_pc_kernel")
    qemu_pc_kernel(name = "kernel", deps = [])

Linked twice: pass 1 (NAME_pass1) with an empty symbol table, then NAME with the table
ksyms_gen extracts from pass 1. .ksyms is the last section (platform/x86_64/kernel.ld), so the
code does not move between passes; //platform/qemu_pc:kernel_symbols_test proves it.
"""

load("//platform:defs.bzl", "hmk_kernel_binary")

KERNEL_DEPS = [
    Label("//platform/qemu_pc:qemu_pc"),
    Label("//core:kernel_core"),
    Label("//platform/x86_64"),
    # The invariant checker for hmk.check=invariants (the core has only a hook for it).
    Label("//proofs:kernel_check"),
]

def qemu_pc_kernel(name, deps = [], **kwargs):
    """The kernel ELF `name` (bazel-bin/<pkg>/<name>) with `deps` linked in.

    Args:
      name: the ELF's target and file name.
      deps: more kernel-mode libraries (alwayslink them if nothing references them).
      **kwargs: visibility, testonly, tags.
    """
    native.genrule(
        name = name + "_ksyms_empty",
        outs = [name + "_ksyms_empty.cc"],
        cmd = "$(location //tools/ksyms:ksyms_gen) --empty --out $@",
        tools = ["//tools/ksyms:ksyms_gen"],
        **kwargs
    )
    hmk_kernel_binary(
        name = name + "_pass1",
        srcs = [":" + name + "_ksyms_empty"],
        linker_script = "//platform/x86_64:kernel.ld",
        deps = KERNEL_DEPS + deps,
        **kwargs
    )
    native.genrule(
        name = name + "_ksyms_full",
        srcs = [":" + name + "_pass1"],
        outs = [name + "_ksyms_full.cc"],
        cmd = "$(location //tools/ksyms:ksyms_gen) --in $(location :%s_pass1) --out $@" % name,
        tools = ["//tools/ksyms:ksyms_gen"],
        **kwargs
    )
    hmk_kernel_binary(
        name = name,
        srcs = [":" + name + "_ksyms_full"],
        linker_script = "//platform/x86_64:kernel.ld",
        deps = KERNEL_DEPS + deps,
        **kwargs
    )
