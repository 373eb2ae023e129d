"""hmk_capnp_library: freestanding C++ service stubs generated from a Cap'n Proto schema.

    load("//tools/capnpc-hmk:defs.bzl", "hmk_capnp_library")

    hmk_capnp_library(
        name = "ramfs_capnp",
        src = "ramfs.capnp",            # a schema in this package (or a subdirectory of it)
        deps = ["//svc/x:x_capnp"],     # hmk_capnp_library targets of the schemas it imports
    )

Runs `capnp compile` with the capnpc-hmk plugin (//tools/capnpc-hmk:capnpc-hmk) on `src` and
produces `<stem>.hmk.h` next to it in bazel-bin, so `#include "svc/ramfs/ramfs.hmk.h"` works.
`name` is a portable cc_library (host tests, kernel and user programs alike) holding that header;
it depends on //svc/lib:rpc and on the `deps`' libraries.

Schemas import the annotations as `using Hmk = import "/tools/capnpc-hmk/hmk.capnp";` and each
other as `import "/svc/x/x.capnp"`: the compiler's import root is the workspace root. Every
schema an import reaches must come from `deps` (their schemas are inputs of the action, through
`<dep>_schemas`). A schema the generator cannot carry fails the build with one line per problem,
naming the file, interface, method and field (see docs/services.md).
"""

_PLUGIN = "//tools/capnpc-hmk:capnpc-hmk"
_ANNOTATIONS = "//tools/capnpc-hmk:hmk.capnp"
_RPC = "//svc/lib:rpc"

def _schemas_of(dep):
    """The `<name>_schemas` filegroup of the hmk_capnp_library `dep`."""
    if ":" in dep:
        return dep + "_schemas"
    return dep + ":" + dep.rsplit("/", 1)[-1] + "_schemas"  # "//svc/x" means "//svc/x:x"

def hmk_capnp_library(name, src, deps = [], visibility = None, **kwargs):
    """Generates `<stem>.hmk.h` from `src` and wraps it in the cc_library `name`.

    Args:
      name: the cc_library; `name + "_gen"` is the generating rule and `name + "_schemas"` the
        schema files (this one and the deps', for the compiler's imports).
      src: the .capnp file, a path in this package.
      deps: hmk_capnp_library targets of the schemas `src` imports.
      visibility: of the library and of its schemas.
      **kwargs: further cc_library attributes (tags, testonly, ...).
    """
    if not src.endswith(".capnp"):
        fail("hmk_capnp_library(%s): src must be a .capnp file, got %s" % (name, src))
    out = src[:-len(".capnp")] + ".hmk.h"
    dep_schemas = [_schemas_of(d) for d in deps]
    testonly = kwargs.get("testonly", False)

    native.filegroup(
        name = name + "_schemas",
        srcs = [src] + dep_schemas,
        visibility = visibility,
        testonly = testonly,
    )
    native.genrule(
        name = name + "_gen",
        srcs = [src, _ANNOTATIONS] + dep_schemas,
        outs = [out],
        tools = ["@capnp//:capnp_tool", _PLUGIN],
        # capnp runs the plugin in the output directory, so its path must be absolute. The plugin
        # writes <schema path>.hmk.h below $(GENDIR), which is where Bazel expects `out`.
        cmd = ("$(execpath @capnp//:capnp_tool) compile -I. " +
               "-o\"$$PWD/$(execpath %s)\":$(GENDIR) $(execpath %s)") % (_PLUGIN, src),
        message = "Generating service stubs from %s" % src,
        visibility = ["//visibility:private"],
        testonly = testonly,
    )
    native.cc_library(
        name = name,
        hdrs = [out],
        deps = [_RPC] + deps,
        visibility = visibility,
        **kwargs
    )
