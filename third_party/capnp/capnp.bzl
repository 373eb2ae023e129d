"""capnp_cc_library: C++ code generated from Cap'n Proto schemas (host builds).

    load("//third_party/capnp:capnp.bzl", "capnp_cc_library")

    capnp_cc_library(
        name = "foo_capnp",
        srcs = ["foo.capnp"],          # schemas in this package
        deps = [],                     # other capnp_cc_library targets
    )

Generates foo.capnp.h / foo.capnp.c++ with the system `capnp compile -oc++`
(@capnp//:capnp_tool) and wraps them in a cc_library depending on
@capnp//:capnp. Include as `#include "<pkg>/foo.capnp.h"`. Standard imports
such as `/capnp/c++.capnp` resolve from the system schema dir.
Other extra `**kwargs` go to the cc_library.
"""

def capnp_cc_library(name, srcs, deps = [], visibility = None, **kwargs):
    """Compiles `srcs` (.capnp files of this package) to a C++ cc_library."""
    hdrs = [s + ".h" for s in srcs]
    cpps = [s + ".c++" for s in srcs]
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_schemas" for d in deps],
        outs = hdrs + cpps,
        tools = ["@capnp//:capnp_tool"],
        # Outputs mirror the source path below --src-prefix=<package dir>.
        cmd = ("$(execpath @capnp//:capnp_tool) compile -I. " +
               "--src-prefix=%s -oc++:$(RULEDIR) %s") % (
            native.package_name() or ".",
            " ".join(["$(execpath %s)" % s for s in srcs]),
        ),
        visibility = ["//visibility:private"],
    )
    native.filegroup(
        name = name + "_schemas",
        srcs = srcs,
        visibility = visibility,
    )
    native.cc_library(
        name = name,
        srcs = cpps,
        hdrs = hdrs,
        deps = deps + ["@capnp//:capnp"],
        visibility = visibility,
        **kwargs
    )
