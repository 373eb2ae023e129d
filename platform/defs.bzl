"""Build rules for HMK code: kernel binaries, user programs, HMK libraries.

Load with:
    load("//platform:defs.bzl", "hmk_kernel_binary", "hmk_user_program",
         "hmk_kernel_library", "hmk_user_library", "hmk_library",
         "hmk_platform_files")

Three kinds of configuration exist (see //platform:BUILD and
//platform/toolchains):

  * host      default platform. clang++ + libstdc++, ASan+UBSan. Unit tests
              (cc_test + @catch2//:catch2_main) and build tools.
  * kernel    //platform:hmk_kernel. Freestanding ring-0 code.
  * user      //platform:hmk_user. Freestanding ring-3 static programs.

`bazel build //...` and `bazel test //...` run in the host configuration.
Targets restricted to kernel/user mode (via `target_compatible_with`) are
skipped there, and the binaries are reached through a platform transition
instead, so one command builds everything with no flags.

Naming scheme of hmk_kernel_binary / hmk_user_program `NAME`:
  NAME        the ELF file, built for the HMK platform (transitioned);
              `bazel build //pkg:NAME` -> bazel-bin/pkg/NAME. Use this label
              in genrules (`$(location :NAME)`), test `data`, filegroups, ...
  NAME_bin    the raw cc_binary, only buildable with
              --platforms=//platform:hmk_kernel (or hmk_user); skipped by
              `bazel build //...` on the host. Rarely needed directly.

Library choice:
  cc_library           portable code (no OS, no libc, only clang builtin
                       headers such as <stdint.h>): usable from host tests,
                       the kernel and user programs alike.
  hmk_library          HMK-only code, any privilege mode (not host).
  hmk_kernel_library   kernel-only code (e.g. uses privileged instructions).
  hmk_user_library     user-mode-only code (e.g. the syscall stubs, crt0).
"""

KERNEL_PLATFORM = Label("//platform:hmk_kernel")
USER_PLATFORM = Label("//platform:hmk_user")

# `target_compatible_with` values, usable directly in BUILD files too.
HMK_COMPATIBLE = [Label("//platform:os_hmk")]
KERNEL_COMPATIBLE = [Label("//platform:os_hmk"), Label("//platform:kernel_mode")]
USER_COMPATIBLE = [Label("//platform:os_hmk"), Label("//platform:user_mode")]

# --- Platform transition ----------------------------------------------------------

def _platform_transition_impl(settings, attr):
    # `settings` is unused: the new value depends only on the attribute.
    return {"//command_line_option:platforms": str(attr.platform)}

_platform_transition = transition(
    implementation = _platform_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _hmk_platform_files_impl(ctx):
    target = ctx.attr.target

    # Bazel 4 hands attributes with a Starlark transition over as a list.
    if type(target) == type([]):
        target = target[0]
    info = target[DefaultInfo]
    files = info.files

    if ctx.attr.out:
        srcs = files.to_list()
        if len(srcs) != 1:
            fail("%s: `out` needs exactly one file from %s, got %d" % (
                ctx.label,
                ctx.attr.target,
                len(srcs),
            ))
        out = ctx.actions.declare_file(ctx.attr.out)
        ctx.actions.symlink(output = out, target_file = srcs[0])
        files = depset([out])

    runfiles = ctx.runfiles(transitive_files = files)
    runfiles = runfiles.merge(info.default_runfiles)
    return [DefaultInfo(files = files, runfiles = runfiles)]

hmk_platform_files = rule(
    implementation = _hmk_platform_files_impl,
    doc = """Builds `target` for `platform` and forwards its files.

    Lets host-configured rules (genrules, tests' `data`, filegroups,
    `bazel build //...`) consume outputs built for an HMK platform.

    Example:
        hmk_platform_files(
            name = "init_elf",
            target = ":init_bin",
            platform = "//platform:hmk_user",
            out = "init.elf",   # optional: one file, re-exposed under this name
        )
    """,
    attrs = {
        "target": attr.label(
            mandatory = True,
            cfg = _platform_transition,
            doc = "Target to build in the `platform` configuration.",
        ),
        "platform": attr.label(
            mandatory = True,
            doc = "platform() to build `target` for, e.g. //platform:hmk_kernel.",
        ),
        "out": attr.string(
            doc = "If set, `target` must produce exactly one file; it is " +
                  "exposed (symlinked) as this file in the current package.",
        ),
        # Required by Bazel 4 for rules with Starlark transitions.
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

# --- Helpers ----------------------------------------------------------------

def _merge_compat(kwargs, compat):
    return compat + kwargs.pop("target_compatible_with", [])

def _common_kwargs(kwargs):
    """Attributes the transitioned wrapper shares with the raw target."""
    return {
        k: kwargs[k]
        for k in ["visibility", "tags", "testonly"]
        if k in kwargs
    }

def _hmk_binary(name, platform, compat, srcs, deps, linker_script, copts, linkopts, kwargs):
    additional = list(kwargs.pop("additional_linker_inputs", []))
    linkopts = list(linkopts)
    if linker_script:
        additional.append(linker_script)
        linkopts.append("-Wl,-T,$(location %s)" % linker_script)
    shared = _common_kwargs(kwargs)
    native.cc_binary(
        name = name + "_bin",
        srcs = srcs,
        deps = deps,
        copts = copts,
        linkopts = linkopts,
        additional_linker_inputs = additional,
        target_compatible_with = _merge_compat(kwargs, compat),
        **kwargs
    )
    hmk_platform_files(
        name = name,
        target = ":" + name + "_bin",
        platform = platform,
        out = name,
        **shared
    )

# --- Public macros ----------------------------------------------------------------

def hmk_kernel_binary(name, srcs = [], deps = [], linker_script = None, copts = [], linkopts = [], **kwargs):
    """A ring-0 kernel ELF, built with the hmk_kernel toolchain.

    Creates `name + "_bin"` (cc_binary, target_compatible_with the kernel
    platform, so host builds of //... skip it) and `name`, the same binary
    built for //platform:hmk_kernel, exposed as the file `bazel-bin/<pkg>/<name>`.

    Args:
      name: target name; also the name of the produced ELF file.
      srcs: C (.c), C++ (.cc) and assembly (.S, preprocessed) sources.
      deps: cc_library / hmk_library / hmk_kernel_library targets.
      linker_script: label of the linker script (required), passed as
        `-Wl,-T,<script>`; it must define the entry point and addresses.
      copts: extra compiler flags.
      linkopts: extra linker flags.
      **kwargs: any other cc_binary attribute (visibility, tags, defines,
        additional_linker_inputs, ...). visibility/tags/testonly also apply
        to the ELF target.

    Example:
        hmk_kernel_binary(name = "kernel", srcs = ["entry.S", "main.cc"],
                          linker_script = "kernel.ld", deps = [":core"])
    """
    if not linker_script:
        fail("hmk_kernel_binary(%s): linker_script is required" % name)
    _hmk_binary(name, KERNEL_PLATFORM, KERNEL_COMPATIBLE, srcs, deps, linker_script, copts, linkopts, kwargs)

def hmk_user_program(name, srcs = [], deps = [], linker_script = None, copts = [], linkopts = [], **kwargs):
    """A ring-3 static, non-PIE ELF program, built with the hmk_user toolchain.

    Same naming scheme as hmk_kernel_binary: `name + "_bin"` is the raw
    cc_binary (user platform only), `name` is the ELF file built for
    //platform:hmk_user. Without a linker script the image starts at
    0x400000 and the entry point is `_start` (the program, or a library it
    depends on, must define it: there is no libc/crt0).

    Args:
      name: target name; also the name of the produced ELF file.
      srcs: C, C++ and .S sources.
      deps: cc_library / hmk_library / hmk_user_library targets.
      linker_script: optional linker script label.
      copts: extra compiler flags.
      linkopts: extra linker flags.
      **kwargs: any other cc_binary attribute.

    Example:
        hmk_user_program(name = "init", srcs = ["init.cc"], deps = ["//user/rt"])
    """
    _hmk_binary(name, USER_PLATFORM, USER_COMPATIBLE, srcs, deps, linker_script, copts, linkopts, kwargs)

def hmk_kernel_library(name, **kwargs):
    """cc_library usable only by kernel-mode targets (//platform:hmk_kernel).

    Accepts every cc_library attribute; extra `target_compatible_with`
    values are appended. Skipped (not an error) in host builds of //...
    """
    native.cc_library(name = name, target_compatible_with = _merge_compat(kwargs, KERNEL_COMPATIBLE), **kwargs)

def hmk_user_library(name, **kwargs):
    """cc_library usable only by user-mode targets (//platform:hmk_user).

    Accepts every cc_library attribute. Skipped in host builds of //...
    """
    native.cc_library(name = name, target_compatible_with = _merge_compat(kwargs, USER_COMPATIBLE), **kwargs)

def hmk_library(name, **kwargs):
    """cc_library for HMK code of any privilege mode (kernel or user), not host.

    Use plain cc_library instead for portable code that host unit tests
    should also compile. Skipped in host builds of //...
    """
    native.cc_library(name = name, target_compatible_with = _merge_compat(kwargs, HMK_COMPATIBLE), **kwargs)
