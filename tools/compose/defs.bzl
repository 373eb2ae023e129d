"""Composition: services, profiles and boot images.

    load("//tools/compose:defs.bzl", "hmk_service", "hmk_profile", "hmk_image")

A service is a schema plus a server library (`hmk_service`). A profile (`hmk_profile`) says
which domain each service runs in: a domain is one user process (isolation class IC2) holding
one or more services, or the kernel (IC0). `hmk_image(name, profile, ...)` turns a profile
into a bootable image:

  NAME              filegroup: NAME.kernel.elf, NAME.cpio and NAME.manifest
  NAME.cpio         the initrd: every domain's program, the image's programs, the manifest
  NAME.manifest     the boot manifest (one `domain` line per domain, then the `run` lines)
  NAME.kernel.elf   the kernel to boot with it
  NAME_DOMAIN       the program of each user domain (generated main: a table of its services
                    and svc::run_domain, the dispatch loop)
  NAME_kernel_elf   for a profile with kernel services: the kernel with them linked in (a
                    generated table NAME_kernel_table.cc and svc/kernel/domain.cc)

Services of one domain reach each other by direct calls (local channels); everything else
goes through kernel IPC. Nothing in a service changes between profiles.

A domain's quota is the default a process gets (16 MiB: its program, stacks, tables) plus the
`quota_mib` of each of its services (the memory its data may take at most), written as the
domain line's `quota=` when that adds anything. Services in the kernel charge their data to
their clients instead (svc/kernel/domain.cc), so the kernel line has none.
"""

load("//platform:defs.bzl", "hmk_kernel_library", "hmk_library", "hmk_user_program")
load("//platform/qemu_pc:defs.bzl", "qemu_pc_kernel")

# A process's quota when its manifest line gives none (abi::kDefaultProcessQuota).
DEFAULT_QUOTA_MIB = 16

HmkServiceInfo = provider(
    doc = "What the composition needs to know about a service.",
    fields = {
        "name": "manifest name, e.g. 'ramfs'",
        "header": "header declaring the service class",
        "cc_class": "fully qualified C++ class (implements svc::Service and the Server)",
        "interface": "fully qualified generated interface struct, e.g. hmk::svc::fs::FileSystem",
        "uses": "services it looks up (list of names)",
        "ioports": "I/O port grants, 'label:base:count' strings",
        "irqs": "interrupt lines (ints)",
        "blocking": "whether calls may block (Event::wait): the domain gets a thread more",
        "user_only": "whether it can only run in a user domain (e.g. a driver using port I/O)",
        "quota_mib": "MiB its data may take at most in a user domain, added to the domain's quota",
    },
)

def _hmk_service_info_impl(ctx):
    return [HmkServiceInfo(
        name = ctx.attr.service_name,
        header = ctx.attr.header,
        cc_class = ctx.attr.cc_class,
        interface = ctx.attr.interface,
        uses = ctx.attr.uses,
        ioports = ctx.attr.ioports,
        irqs = ctx.attr.irqs,
        blocking = ctx.attr.blocking,
        user_only = ctx.attr.user_only,
        quota_mib = ctx.attr.quota_mib,
    )]

_hmk_service_info = rule(
    implementation = _hmk_service_info_impl,
    attrs = {
        "service_name": attr.string(mandatory = True),
        "header": attr.string(mandatory = True),
        "cc_class": attr.string(mandatory = True),
        "interface": attr.string(mandatory = True),
        "uses": attr.string_list(),
        "ioports": attr.string_list(),
        "irqs": attr.int_list(),
        "blocking": attr.bool(),
        "user_only": attr.bool(),
        "quota_mib": attr.int(),
    },
)

def hmk_service(
        name,
        schema,
        srcs,
        hdrs,
        cc_class,
        interface,
        uses = [],
        ioports = [],
        irqs = [],
        blocking = False,
        user_only = False,
        quota_mib = 0,
        deps = [],
        visibility = None):
    """A service: its server library plus what a profile needs to place it.

    Creates NAME (the service, for profiles) and NAME_lib (its library).

    Args:
      name: the service's manifest name (also the target name).
      schema: the hmk_capnp_library of the interface it serves.
      srcs, hdrs: the server library; hdrs[0] declares `cc_class`.
      cc_class: the C++ class implementing svc::Service and the interface's Server.
      interface: the generated interface struct (e.g. "hmk::svc::fs::FileSystem").
      uses: names of services it looks up through svc::Env::lookup.
      ioports: I/O port ranges it needs, as "label:base:count".
      irqs: interrupt lines it needs.
      blocking: its calls may block (svc::Event): its domain gets another dispatch thread.
      user_only: it cannot run in the kernel (e.g. it uses the user runtime directly).
      quota_mib: MiB of memory its data may take at most (extents, heap) when it runs in a user
        domain: the domain's quota grows by that much over the default.
      deps: further libraries.
    """
    hmk_library(
        name = name + "_lib",
        srcs = srcs,
        hdrs = hdrs,
        deps = [schema, "//svc/lib:service"] + deps,
        visibility = visibility,
    )
    _hmk_service_info(
        name = name,
        service_name = name,
        header = "%s/%s" % (native.package_name(), hdrs[0]),
        cc_class = cc_class,
        interface = interface,
        uses = uses,
        ioports = ioports,
        irqs = irqs,
        blocking = blocking,
        user_only = user_only,
        quota_mib = quota_mib,
        visibility = visibility,
    )

def hmk_profile(domains, kernel = []):
    """A composition profile.

    Args:
      domains: list of (domain name, [service labels]) pairs: each domain is one user process
        (IC2) serving those services; a service appears in exactly one domain.
      kernel: service labels linked into the kernel (IC0).
    """
    seen = {}
    for domain, services in domains:
        if domain == "kernel":
            fail("hmk_profile: 'kernel' names the IC0 domain; use the `kernel` argument")
        for s in services:
            if s in seen:
                fail("hmk_profile: %s is in domains %s and %s" % (s, seen[s], domain))
            seen[s] = domain
    for s in kernel:
        if s in seen:
            fail("hmk_profile: %s is in domain %s and in the kernel" % (s, seen[s]))
    return struct(domains = domains, kernel = kernel)

# ---- generated sources ------------------------------------------------------------------------

def _slot_table(services):
    """C++ lines: the includes, one object per service and the ServiceSlot table kSlots."""
    includes = sorted({s.header: True for s in services}.keys())
    lines = ['#include "%s"' % h for h in includes] + ["", "namespace {", ""]
    for i, s in enumerate(services):
        lines.append("%s g_service%d;" % (s.cc_class, i))
    lines += ["", "const hmk::svc::ServiceSlot kSlots[] = {"]
    for i, s in enumerate(services):
        lines.append(
            '    {"%s", &g_service%d, static_cast<%s::Server*>(&g_service%d), %s::kInterfaceId,' % (
                s.name,
                i,
                s.interface,
                i,
                s.interface,
            ),
        )
        lines.append("     &%s::dispatch_erased}," % s.interface)
    return lines + ["};", "", "}  // namespace", ""]

def _domain_main_impl(ctx):
    services = [s[HmkServiceInfo] for s in ctx.attr.services]
    lines = [
        "// Generated by hmk_image (tools/compose/defs.bzl): domain \"%s\" of image \"%s\"." % (
            ctx.attr.domain,
            ctx.attr.image,
        ),
        "// Do not edit.",
        '#include "svc/lib/service.h"',
    ] + _slot_table(services)
    threads = 1 + len([s for s in services if s.blocking])
    lines += [
        "int main() {",
        "  return hmk::svc::run_domain(kSlots, %d, %d);" % (len(services), threads),
        "}",
        "",
    ]
    ctx.actions.write(ctx.outputs.out, "\n".join(lines))

_domain_main = rule(
    implementation = _domain_main_impl,
    attrs = {
        "services": attr.label_list(providers = [HmkServiceInfo], mandatory = True),
        "domain": attr.string(mandatory = True),
        "image": attr.string(mandatory = True),
        "out": attr.output(mandatory = True),
    },
)

def _kernel_table_impl(ctx):
    services = [s[HmkServiceInfo] for s in ctx.attr.services]
    for s in services:
        if s.user_only:
            fail("image %s: service %s cannot run in the kernel (user_only: it needs the user " % (
                ctx.attr.image,
                s.name,
            ) + "runtime, e.g. a driver's port I/O and interrupt thread)")
        if s.blocking:
            fail("image %s: service %s blocks, which a kernel service may not" % (
                ctx.attr.image,
                s.name,
            ))
    lines = [
        "// Generated by hmk_image (tools/compose/defs.bzl): the kernel domain (IC0) of image",
        "// \"%s\". Do not edit." % ctx.attr.image,
        '#include "svc/kernel/domain.h"',
    ] + _slot_table(services) + [
        'extern "C" const hmk::KernelDomain* hmk_kernel_domain() {',
        "  return hmk::svc::kernel_domain_of(kSlots, %d);" % len(services),
        "}",
        "",
    ]
    ctx.actions.write(ctx.outputs.out, "\n".join(lines))

_kernel_table = rule(
    implementation = _kernel_table_impl,
    attrs = {
        "services": attr.label_list(providers = [HmkServiceInfo], mandatory = True),
        "image": attr.string(mandatory = True),
        "out": attr.output(mandatory = True),
    },
)

def _manifest_impl(ctx):
    # attr.label_list cannot carry the grouping; `domain_of` gives each service's domain.
    by_domain = {}
    where = {}
    for target, domain in zip(ctx.attr.services, ctx.attr.domain_of):
        info = target[HmkServiceInfo]
        by_domain.setdefault(domain, []).append(info)
        where[info.name] = domain
    lines = ["# Generated by hmk_image for image \"%s\". Do not edit." % ctx.attr.image]
    if "kernel" in by_domain:
        lines.append("kernel serves=" + ",".join([i.name for i in by_domain["kernel"]]))
    for domain in ctx.attr.domains:
        infos = by_domain[domain]
        uses = []
        ioports = []
        irqs = []
        quota_mib = DEFAULT_QUOTA_MIB
        for info in infos:
            quota_mib += info.quota_mib
            for u in info.uses:
                if u not in where:
                    fail("image %s: service %s uses %s, which the profile does not place" % (
                        ctx.attr.image,
                        info.name,
                        u,
                    ))
                if where[u] != domain and u not in uses:
                    uses.append(u)
            ioports += [p for p in info.ioports if p not in ioports]
            irqs += [str(i) for i in info.irqs if str(i) not in irqs]
        words = ["domain", domain, "/bin/" + domain, "serves=" + ",".join([i.name for i in infos])]
        if uses:
            words.append("uses=" + ",".join(uses))
        words += ["ioports=" + p for p in ioports]
        if irqs:
            words.append("irqs=" + ",".join(irqs))
        if quota_mib != DEFAULT_QUOTA_MIB:
            words.append("quota=%dM" % quota_mib)
        lines.append(" ".join(words))
    for line in ctx.attr.run:
        lines.append("run " + line)
    ctx.actions.write(ctx.outputs.out, "\n".join(lines) + "\n")

_manifest = rule(
    implementation = _manifest_impl,
    attrs = {
        "services": attr.label_list(providers = [HmkServiceInfo]),
        "domain_of": attr.string_list(),
        "domains": attr.string_list(),
        "run": attr.string_list(),
        "image": attr.string(mandatory = True),
        "out": attr.output(mandatory = True),
    },
)

def _lib_of(label):
    """The library of the service `label` ("//svc/x" means "//svc/x:x")."""
    if ":" not in label:
        label = label + ":" + label.rsplit("/", 1)[-1]
    return label + "_lib"

# ---- the image --------------------------------------------------------------------------------

def hmk_image(name, profile, programs = {}, run = [], kernel = None, **kwargs):
    """A bootable image of `profile` (see the file comment for the outputs).

    Args:
      name: image name.
      profile: an hmk_profile().
      programs: dict of path in the initrd -> program label (e.g. {"bin/test": ":test"}).
      run: manifest `run` lines without the word `run`, e.g. ["/bin/test uses=vfs,console"].
      kernel: the kernel to boot (default: //platform/qemu_pc:kernel, or for a profile with
        kernel services that kernel with them linked in).
      **kwargs: testonly, visibility, tags for every target.
    """
    files = {}
    services = []
    domain_of = []
    if profile.kernel:
        if kernel:
            fail("hmk_image(%s): a profile with kernel services builds its own kernel" % name)
        _kernel_table(
            name = name + "_kernel_table",
            services = profile.kernel,
            image = name,
            out = name + "_kernel_table.cc",
            **kwargs
        )
        hmk_kernel_library(
            name = name + "_kernel_domain",
            srcs = [":%s_kernel_table.cc" % name],
            deps = [_lib_of(l) for l in profile.kernel] + ["//svc/kernel:domain"],
            alwayslink = True,  # only a weak reference from the core points at it
            **kwargs
        )
        qemu_pc_kernel(
            name = name + "_kernel_elf",
            deps = [":%s_kernel_domain" % name],
            **kwargs
        )
        kernel = ":%s_kernel_elf" % name
        services += profile.kernel
        domain_of += ["kernel"] * len(profile.kernel)
    kernel = kernel or "//platform/qemu_pc:kernel"
    for domain, labels in profile.domains:
        _domain_main(
            name = "%s_%s_main" % (name, domain),
            services = labels,
            domain = domain,
            image = name,
            out = "%s_%s_main.cc" % (name, domain),
            **kwargs
        )
        hmk_user_program(
            name = "%s_%s" % (name, domain),
            srcs = [":%s_%s_main.cc" % (name, domain)],
            deps = [_lib_of(l) for l in labels] + ["//svc/lib:rt", "//svc/lib:domain"],
            **kwargs
        )
        files["bin/" + domain] = ":%s_%s" % (name, domain)
        services += labels
        domain_of += [domain] * len(labels)
    _manifest(
        name = name + "_manifest",
        services = services,
        domain_of = domain_of,
        # The profile's order, which must list a domain after those whose services it uses.
        domains = [domain for domain, _ in profile.domains],
        run = run,
        image = name,
        out = name + ".manifest",
        **kwargs
    )
    files.update(programs)
    files["manifest"] = ":" + name + "_manifest"
    labels = []
    specs = []
    for path, label in files.items():
        labels.append(label)
        specs.append("'%s=$(location %s)'" % (path, label))
    native.genrule(
        name = name + "_initrd",
        srcs = labels,
        outs = [name + ".cpio"],
        tools = ["//tools/initrd:mkinitrd.py"],
        cmd = "python3 $(location //tools/initrd:mkinitrd.py) --out $@ " + " ".join(specs),
        **kwargs
    )
    native.genrule(
        name = name + "_kernel",
        srcs = [kernel],
        outs = [name + ".kernel.elf"],
        cmd = "cp $< $@",
        **kwargs
    )
    native.filegroup(
        name = name,
        srcs = [":" + name + "_kernel", ":" + name + "_initrd", ":" + name + "_manifest"],
        **kwargs
    )
