"""The composition profiles: where each service runs (see tools/compose/defs.bzl).

    split      every service its own process (IC2): the most isolation, an IPC per hop
    coalesced  all services in one process: calls between services are function calls
    kernel     the services in the kernel (IC0), called on the caller's thread; the console
               driver stays a user process (IC2), as drivers do in HongMeng
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
