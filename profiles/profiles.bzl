"""The composition profiles: where each service runs (see tools/compose/defs.bzl).

    split      every service its own process (IC2): the most isolation, an IPC per hop
    coalesced  all services in one process: calls between services are function calls
    kernel     the services in the kernel (IC0), called on the caller's thread; the console
               driver stays a user process (IC2), as drivers do in HongMeng

LINUX_SPLIT, LINUX_COALESCED and LINUX_KERNEL place ramfs, vfs, procmgr (the process
manager) and memmgr (the memory manager) the same way without the console, for the Linux shim's images (tools/exec/images).
"""

load("//tools/compose:defs.bzl", "hmk_profile")

SPLIT = hmk_profile(
    domains = [
        ("console", ["//svc/console"]),
        ("ramfs", ["//svc/ramfs"]),
        ("vfs", ["//svc/vfs"]),
    ],
)

COALESCED = hmk_profile(
    domains = [
        ("services", ["//svc/console", "//svc/ramfs", "//svc/vfs"]),
    ],
)

KERNEL = hmk_profile(
    domains = [
        ("console", ["//svc/console"]),
    ],
    kernel = ["//svc/ramfs", "//svc/vfs"],
)

# The same placements for the Linux shim's images (./hmk exec --profile=split|coalesced|kernel,
# tools/exec/images): the file services, procmgr and memmgr. No console: the shim, in its own process
# (IC2), writes a Linux program's stdout and stderr through its own ports.

LINUX_SPLIT = hmk_profile(
    domains = [
        ("ramfs", ["//svc/ramfs"]),
        ("vfs", ["//svc/vfs"]),
        ("procmgr", ["//svc/procmgr"]),
        ("memmgr", ["//svc/memmgr"]),
    ],
)

LINUX_COALESCED = hmk_profile(
    domains = [
        ("services", ["//svc/ramfs", "//svc/vfs", "//svc/procmgr", "//svc/memmgr"]),
    ],
)

LINUX_KERNEL = hmk_profile(
    domains = [],
    kernel = ["//svc/ramfs", "//svc/vfs", "//svc/procmgr", "//svc/memmgr"],
)
