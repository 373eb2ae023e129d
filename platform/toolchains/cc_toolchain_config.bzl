"""C/C++ toolchain configurations for HMK (host, kernel, user).

One rule, `hmk_cc_toolchain_config(name, mode)`, with `mode` one of:

  * "host":   clang++/libstdc++ for the build machine (x86_64 Linux):
              -std=c++20 / -std=c11, -Wall -Wextra, -g, and the feature
              `sanitizers` (ASan + UBSan, enabled by default; disable with
              `--features=-sanitizers`).
  * "kernel": freestanding x86_64 ELF for ring 0: -mcmodel=kernel, no red
              zone, general registers only, no PIC/PIE, -Werror, ld.lld.
  * "user":   freestanding x86_64 static ELF for ring 3 programs:
              -mcmodel=small, red zone and SSE allowed, image base 0x400000.

Tool paths come from `@hmk_clang//:paths.bzl` (see clang_configure.bzl).
Features defined here (all enabled by default unless noted):
  hmk_compile_flags, hmk_link_flags, hmk_reproducible,
  dbg / opt (by --compilation_mode), sanitizers (host only).
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "action_config",
    "feature",
    "flag_group",
    "flag_set",
    "tool",
    "tool_path",
)
load("@hmk_clang//:paths.bzl", "HMK_CLANG")

_C_COMPILE = [ACTION_NAMES.c_compile]

_CXX_COMPILE = [
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.linkstamp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.clif_match,
]

_ASM = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
]

_ALL_COMPILE = _C_COMPILE + _CXX_COMPILE + _ASM

_LINK = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _flags(actions, flags):
    return flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])

# Flags shared by the freestanding (kernel and user) modes.
_FREESTANDING_COMMON = [
    "--target=x86_64-unknown-none-elf",
    "-ffreestanding",
    "-nostdinc",
    "-isystem",
    HMK_CLANG.resource_dir + "/include",
    "-fno-pic",
    "-fno-pie",
    "-fno-stack-protector",
    "-fno-omit-frame-pointer",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-O2",
    "-g",
    "-Wall",
    "-Wextra",
    "-Werror",
]

_FREESTANDING_CXX = ["-std=c++20", "-fno-exceptions", "-fno-rtti"]

# The link uses the Linux target triple on purpose: for an OS-less triple clang 14's driver
# hands linking to `gcc`, which then calls ld.lld through collect2 (and needs gcc installed).
# With -nostdlib -static nothing of Linux ends up in the image; only the driver differs.
_FREESTANDING_LINK_COMMON = [
    "--target=x86_64-linux-gnu",
    "-fuse-ld=lld",
    "-nostdlib",
    "-static",
    "-Wl,--build-id=none",
    "-Wl,-z,max-page-size=4096",
    "-Wl,--no-dynamic-linker",
]

_MODES = {
    "kernel": struct(
        compile = _FREESTANDING_COMMON + [
            "-mcmodel=kernel",
            "-mno-red-zone",
            "-mgeneral-regs-only",
        ],
        link = _FREESTANDING_LINK_COMMON,
    ),
    "user": struct(
        compile = _FREESTANDING_COMMON + ["-mcmodel=small"],
        link = _FREESTANDING_LINK_COMMON + ["-Wl,--image-base=0x400000"],
    ),
}

_SANITIZE = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]

def _host_features():
    return [
        feature(
            name = "hmk_compile_flags",
            enabled = True,
            flag_sets = [
                _flags(_ALL_COMPILE, ["-Wall", "-Wextra", "-g", "-fcolor-diagnostics"]),
                _flags(_C_COMPILE, ["-std=c11"]),
                _flags(_CXX_COMPILE, ["-std=c++20"]),
            ],
        ),
        feature(
            name = "hmk_link_flags",
            enabled = True,
            flag_sets = [_flags(_LINK, ["-fuse-ld=lld"])],
        ),
        feature(
            name = "sanitizers",
            enabled = True,
            flag_sets = [_flags(_ALL_COMPILE + _LINK, _SANITIZE)],
        ),
        # Clang's source-based coverage, off unless asked for (--features=hmk_coverage):
        # ./hmk verify --coverage (tools/coverage) builds the hosted tests with it.
        feature(
            name = "hmk_coverage",
            flag_sets = [_flags(
                _ALL_COMPILE + _LINK,
                ["-fprofile-instr-generate", "-fcoverage-mapping"],
            )],
        ),
        feature(
            name = "dbg",
            flag_sets = [_flags(_ALL_COMPILE, ["-O0"])],
        ),
        feature(
            name = "opt",
            flag_sets = [_flags(_ALL_COMPILE, ["-O2", "-DNDEBUG"])],
        ),
    ]

def _freestanding_features(mode):
    m = _MODES[mode]
    return [
        feature(
            name = "hmk_compile_flags",
            enabled = True,
            flag_sets = [
                _flags(_ALL_COMPILE, m.compile),
                _flags(_C_COMPILE, ["-std=c11"]),
                _flags(_CXX_COMPILE, _FREESTANDING_CXX),
            ],
        ),
        feature(
            name = "hmk_link_flags",
            enabled = True,
            flag_sets = [_flags(_LINK, m.link)],
        ),
        # Freestanding builds are always -O2 -g; these exist so that
        # --compilation_mode does not complain and could add flags later.
        feature(name = "dbg"),
        feature(name = "opt"),
    ]

def _common_features():
    return [
        # Reproducible output: no timestamps, no absolute paths of the sandbox.
        feature(
            name = "hmk_reproducible",
            enabled = True,
            flag_sets = [_flags(_ALL_COMPILE, [
                "-Wno-builtin-macro-redefined",
                "-D__DATE__=\"redacted\"",
                "-D__TIMESTAMP__=\"redacted\"",
                "-D__TIME__=\"redacted\"",
            ])],
        ),
    ]

def _impl(ctx):
    mode = ctx.attr.mode
    if mode == "host":
        features = _host_features()
        include_dirs = HMK_CLANG.host_include_dirs
        target_system = "x86_64-unknown-linux-gnu"
        libc = "glibc"
    else:
        features = _freestanding_features(mode)
        include_dirs = [HMK_CLANG.resource_dir + "/include"]
        target_system = "x86_64-unknown-none-elf"
        libc = "none"
    features = features + _common_features()

    tool_paths = [
        # "gcc" is the compiler driver for compiling (C++/asm) and linking.
        tool_path(name = "gcc", path = HMK_CLANG.clangxx),
        tool_path(name = "cpp", path = HMK_CLANG.clang),
        tool_path(name = "ld", path = HMK_CLANG.ld_lld),
        tool_path(name = "ar", path = HMK_CLANG.llvm_ar),
        tool_path(name = "nm", path = HMK_CLANG.llvm_nm),
        tool_path(name = "objcopy", path = HMK_CLANG.llvm_objcopy),
        tool_path(name = "objdump", path = HMK_CLANG.llvm_objdump),
        tool_path(name = "strip", path = HMK_CLANG.llvm_strip),
        tool_path(name = "gcov", path = "/bin/false"),
        tool_path(name = "dwp", path = "/bin/false"),
    ]

    # C sources must be compiled by the C driver (clang++ would treat them as
    # C++). The implied features are the ones Bazel's legacy c-compile action
    # config implies, so the usual -c/-o/-I/-D/copts flags are still emitted.
    action_configs = [
        action_config(
            action_name = ACTION_NAMES.c_compile,
            enabled = True,
            tools = [tool(path = HMK_CLANG.clang)],
            implies = [
                "legacy_compile_flags",
                "user_compile_flags",
                "sysroot",
                "unfiltered_compile_flags",
                "compiler_input_flags",
                "compiler_output_flags",
            ],
        ),
    ]

    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "hmk_clang_" + mode,
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = target_system,
        target_cpu = "k8" if mode == "host" else "hmk_" + mode,
        target_libc = libc,
        compiler = "clang",
        abi_version = "clang",
        abi_libc_version = libc,
        tool_paths = tool_paths,
        action_configs = action_configs,
        features = features,
        cxx_builtin_include_directories = include_dirs,
    )

hmk_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "mode": attr.string(mandatory = True, values = ["host", "kernel", "user"]),
    },
    provides = [CcToolchainConfigInfo],
    doc = "CcToolchainConfigInfo for one HMK compilation mode (host/kernel/user).",
)
