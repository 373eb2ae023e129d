// Boot-time init: runs the initrd's manifest (grammar in core/manifest.h, docs/running.md).
// `domain` lines start long-running servers and go on at once; `run` lines start a program and
// wait for its end (exit, fault or deadlock), which is reported. Every process gets its
// bootstrap capabilities and table (core/bootstrap.h). When the manifest is done, init ends the
// domains still running, checks that every frame and object came back, and powers off.
//
// The root capability of each domain's endpoint lives in a space of init's own (the holder, a
// Space with no threads), so that the endpoint outlives neither the domain nor init's interest
// in it: when a domain ends, init revokes the root, which deletes every client's capability;
// the endpoint then dies and callers still queued on it get PeerClosed instead of waiting
// forever.
#include "core/init.h"

#include "core/abi/bootinfo.h"
#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/bootstrap.h"
#include "core/console.h"
#include "core/endpoint.h"
#include "core/irq.h"
#include "core/kernel.h"
#include "core/kernel_service.h"
#include "core/kmem.h"
#include "core/lib/format.h"
#include "core/lib/placement_new.h"
#include "core/manifest.h"
#include "core/object.h"
#include "core/process.h"
#include "core/quota.h"
#include "core/space.h"

namespace hmk {
namespace {

// printf arguments for a StringView: "%.*s", VIEW(view).
#define VIEW(v) static_cast<int>((v).size()), (v).data()

// The holder's own quota: the Space object, its page-table root and one capability-table page
// (64 slots, room for kMaxDomains roots), with slack.
constexpr uint64_t kHolderQuota = 64 * 1024;

struct DomainRecord {
  Space* space = nullptr;          // init's reference while init still tracks the domain
  bool in_kernel = false;          // the kernel domain (no space: services linked into the kernel)
  Handle root = abi::kNullHandle;  // the endpoint's root capability, in the holder's table
  bool ended = false;              // the space ended and init has not dealt with it yet
};

struct InitState {
  const CpioArchive* initrd = nullptr;
  StringView rest;  // manifest text not yet read
  int line_number = 0;
  Space* current = nullptr;  // the running `run` program (init holds a reference)
  bool current_ended = false;
  int started = 0;
  int exited_ok = 0;
  int failed = 0;
  size_t free_before = 0;
  size_t objects_before = 0;
  bool boot_time_reported = false;
  uint32_t clients = 0;  // processes init has started or tried to: the next one's number - 1
  ServiceDirectory directory;
  DomainRecord domains[kMaxDomains];  // parallel to the directory's domains
  Space* holder = nullptr;
  Space* kernel_space = nullptr;  // the kernel domain's own space (init holds a reference)
  // The line being handled and its plan: too big for the kernel stack.
  ManifestLine line;
  BootstrapPlan plan;
};
constinit InitState g_init;
uint64_t g_first_user_entry = 0;

uint64_t cycles_to_us(uint64_t cycles) {
  return cycles * 1000000 / max<uint64_t>(arch::cycle_frequency_hz(), 1);
}

StringView trim(StringView s) {
  // bound: each round removes one character of s
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r'))
    s.remove_prefix(1);
  size_t n = s.size();
  // bound: --n each round, down to 0
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    --n;
  return s.substr(0, n);
}

// ", N kept by the kernel domain" for the boot line.
const char* format_kept(uint64_t kept) {
  static char text[48];
  (void)snformat(text, sizeof(text), ", %lu kept by the kernel domain", kept);
  return text;
}

[[noreturn]] void finish() {
  // The kernel domain's services give back what they hold for ended clients (their files).
  const KernelDomain* services = kernel_domain();
  if (services != nullptr && services->stop != nullptr) services->stop();
  reap_objects();
  finish_background_work();  // what ended processes and dead objects still hold, all of it
  reap_objects();
  const size_t free_after = kernel_frames().free_count();
  const size_t objects_after = live_object_count();
  // A kernel domain's heap keeps its frames (KernelDomain::frames_kept): said apart, not a leak.
  const KernelDomain* domain = kernel_domain();
  const uint64_t kept =
      domain != nullptr && domain->frames_kept != nullptr ? domain->frames_kept() : 0;
  const bool clean =
      free_after + kept == g_init.free_before && objects_after == g_init.objects_before;
  kprint("boot: %d programs run, %d exited 0, %d failed; frames free before %zu, after %zu%s%s\n",
         g_init.started, g_init.exited_ok, g_init.failed, g_init.free_before, free_after,
         kept > 0 ? format_kept(kept) : "", clean ? "" : " (LEAK)");
  if (objects_after != g_init.objects_before) {
    kprint("boot: %zu kernel objects still alive (expected %zu):\n", objects_after,
           g_init.objects_before);
    // bound: one step per live kernel object
    for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o))
      kprint("  %s with %u references\n", object_type_name(o->type()), o->refs());
  }
  // Proof that timer interrupts arrive, taken last so it does not delay the first program.
  uint64_t start = arch::timer_ticks();
  uint64_t c0 = arch::cycle_counter();
  arch::enable_interrupts();
  while (arch::timer_ticks() - start < 2)
    arch::wait_for_interrupt();
  arch::disable_interrupts();
  kprint("timer: 2 ticks took %lu us; %lu ticks so far, %lu of them in user mode\n",
         cycles_to_us(arch::cycle_counter() - c0), arch::timer_ticks(),
         arch::timer_ticks_in_user_mode());
  kprint("hmk: powering off\n");
  arch::power_off(clean ? arch::PowerOffReason::kSuccess : arch::PowerOffReason::kFailure);
}

// ---- domains ----

const char* domain_name(uint32_t index) {
  return g_init.directory.domain(index).name;
}

// Forgets domain `index`: revokes its endpoint's root (every client's capability goes, and
// with the last one the endpoint, waking its queue with PeerClosed) and drops init's reference.
void retire_domain(uint32_t index) {
  DomainRecord& d = g_init.domains[index];
  if (Capability* root = g_init.holder->caps().lookup(d.root)) {
    static_cast<Endpoint*>(root->object)->close();  // callers learn the service is gone
    cap_revoke(root);
    cap_delete(root);
  }
  d.root = abi::kNullHandle;
  if (d.space != nullptr) d.space->release();
  d.space = nullptr;
  d.in_kernel = false;
  d.ended = false;
  reap_objects();
}

// A domain ended by itself (exit, last thread, fault): that is a failure, reported when seen.
void report_domain_end(uint32_t index) {
  const Space* space = g_init.domains[index].space;
  if (space->faulted()) {
    kprint("domain %s killed by exception %lu (address 0x%lx); its clients lose it\n",
           domain_name(index), space->fault_vector(), space->fault_address());
  } else {
    kprint("domain %s exited with status %ld; its clients lose it\n", domain_name(index),
           space->exit_code());
  }
  ++g_init.failed;
}

void retire_ended_domains() {
  for (uint32_t i = 0; i < g_init.directory.domain_count(); ++i) {
    if (g_init.domains[i].space == nullptr || !g_init.domains[i].ended) continue;
    report_domain_end(i);
    retire_domain(i);
  }
}

// The manifest is done: end the domains still running (init's own doing, so not a failure),
// then the holder, and check for leaks.
[[noreturn]] void end_manifest() {
  retire_ended_domains();
  // bound: i < domain_count(), ++i; the directory does not change
  for (uint32_t i = 0; i < g_init.directory.domain_count(); ++i) {
    DomainRecord& d = g_init.domains[i];
    if (d.in_kernel) {
      retire_domain(i);  // the services stay in the kernel; nobody can call them any more
      continue;
    }
    if (d.space == nullptr) continue;
    d.space->terminate(0);
    kprint("domain %s ended\n", domain_name(i));
    ++g_init.exited_ok;
    retire_domain(i);
  }
  if (g_init.kernel_space != nullptr) {
    end_kernel_domain_space();
    g_init.kernel_space->release();
    g_init.kernel_space = nullptr;
  }
  if (g_init.holder != nullptr) {
    g_init.holder->terminate(0);
    g_init.holder->release();
    g_init.holder = nullptr;
  }
  finish();
}

// The space for the endpoints' root capabilities, made with the first domain.
Status ensure_holder() {
  if (g_init.holder != nullptr) return Status::kOk;
  Quota* quota = TRY(Quota::create_root(kHolderQuota));
  Result<Space*> space = Space::create(*quota, *quota, "init");
  quota->release();  // the space holds it (or it failed and the account dies)
  if (!space.ok()) return space.status();
  g_init.holder = *space;
  return Status::kOk;
}

// ---- starting a line's process ----

void manifest_error(const ManifestError& error) {
  kprint("manifest:%d: %s\n", g_init.line_number, error.text);
}

// The checks that need no kernel object: a new domain's names, and that every used service was
// declared by an earlier domain that still runs. Fills g_init.plan.uses. Reports and returns
// false if the line cannot be started.
bool resolve(const ManifestLine& line) {
  ManifestError error;
  if (line.directive == Directive::kDomain &&
      g_init.directory.check_domain(line, &error) != Status::kOk) {
    manifest_error(error);
    return false;
  }
  const ServiceDirectory::Service* used[kMaxServices];
  if (g_init.directory.resolve_uses(line, used, &error) != Status::kOk) {
    manifest_error(error);
    return false;
  }
  for (uint32_t i = 0; i < line.use_count; ++i) {
    const DomainRecord& d = g_init.domains[used[i]->domain];
    if (d.space == nullptr && !d.in_kernel) {
      kprint("manifest:%d: service '%s' is gone: domain %s has ended\n", g_init.line_number,
             used[i]->name, domain_name(used[i]->domain));
      return false;
    }
    g_init.plan.uses[i] = {used[i]->name, g_init.holder->caps().lookup(d.root), used[i]->index};
  }
  return true;
}

// The kernel domain's own space: the line's grants (core/bootstrap.h), and the proxy its
// kernel calls run on (core/kernel_service.h).
Status make_kernel_space(const ManifestLine& line, Handle root) {
  Result<Quota*> quota = Quota::create_root(line.quota);
  if (!quota.ok()) {
    const Status s = quota.status();
    kprint("exec kernel: no memory for its account: %s\n", status_name(s));
    return s;
  }
  Result<Space*> space = Space::create(**quota, **quota, "kernel");
  (*quota)->release();  // the space holds it (or it failed and the account dies)
  if (!space.ok()) {
    const Status s = space.status();
    kprint("exec kernel: no memory for an address space: %s\n", status_name(s));
    return s;
  }
  g_init.plan = BootstrapPlan{};
  g_init.plan.line = &line;
  g_init.plan.holder = g_init.holder;
  g_init.plan.initrd = g_init.initrd;
  g_init.plan.kernel_endpoint = g_init.holder->caps().lookup(root);
  Handle unused = abi::kNullHandle;
  Status s = install_bootstrap(**space, g_init.plan, &unused);
  if (s == Status::kOk) s = set_kernel_domain_space(**space);
  if (s != Status::kOk) {
    (*space)->terminate(0);
    (*space)->release();
    return s;
  }
  g_init.kernel_space = *space;
  return Status::kOk;
}

Status bootstrap_hook(Space& space, void* context) {
  return install_bootstrap(space, g_init.plan, static_cast<Handle*>(context));
}

// The kernel line: the services the image linked into the kernel (IC0), started now and
// reachable from here on through a kernel-served endpoint. False if refused (reported).
bool start_kernel_domain(const ManifestLine& line) {
  const KernelDomain* domain = kernel_domain();
  if (domain == nullptr) {
    kprint("manifest:%d: this kernel has no services of its own (its profile put none in IC0)\n",
           g_init.line_number);
    return false;
  }
  ManifestError error;
  if (g_init.directory.check_domain(line, &error) != Status::kOk) {
    manifest_error(error);
    return false;
  }
  int32_t slots[kMaxServices] = {};
  for (uint32_t i = 0; i < line.serve_count; ++i) {
    char name[kManifestNameMax + 1] = {};
    mem_copy(name, line.serves[i].data(), min(line.serves[i].size(), kManifestNameMax));
    slots[i] = domain->find(name);
    if (slots[i] < 0) {
      kprint("manifest:%d: the kernel has no service '%s' linked in\n", g_init.line_number, name);
      return false;
    }
  }
  Handle root = abi::kNullHandle;
  Status s = ensure_holder();
  if (s == Status::kOk) s = create_kernel_endpoint(*g_init.holder, &root);
  if (s == Status::kOk) s = make_kernel_space(line, root);
  if (s == Status::kOk) s = domain->start();
  if (s != Status::kOk) {
    kprint("manifest:%d: cannot start the kernel's services: %s\n", g_init.line_number,
           status_name(s));
    if (g_init.kernel_space != nullptr) {
      end_kernel_domain_space();
      g_init.kernel_space->release();
      g_init.kernel_space = nullptr;
    }
    if (Capability* cap = g_init.holder != nullptr ? g_init.holder->caps().lookup(root) : nullptr) {
      cap_revoke(cap);
      cap_delete(cap);
    }
    reap_objects();
    return false;
  }
  for (uint32_t i = 0; i < line.serve_count; ++i)
    bind_kernel_service(static_cast<uint16_t>(i), static_cast<uint32_t>(slots[i]));
  const uint32_t index = g_init.directory.add_domain(line);
  g_init.domains[index] = {nullptr, true, root, false};
  kprint("init: domain kernel started (%u services in the kernel, IC0; its own space: quota %lu)\n",
         line.serve_count, line.quota);
  return true;
}

// Starts the process of a run or domain line; false if it was not started (already reported).
bool start_line(const ManifestLine& line) {
  if (line.directive == Directive::kKernel) return start_kernel_domain(line);
  if (!resolve(line)) return false;
  if (line.directive == Directive::kDomain) {
    if (Status s = ensure_holder(); s != Status::kOk) {
      kprint("manifest:%d: no memory for init's endpoint holder: %s\n", g_init.line_number,
             status_name(s));
      return false;
    }
  }
  ++g_init.started;
  Result<CpioEntry> file = g_init.initrd->find(line.path);
  if (!file.ok() || !is_regular_file(*file)) {
    kprint("exec %.*s: no such file in the initrd\n", VIEW(line.path));
    ++g_init.failed;
    return false;
  }
  g_init.plan.line = &line;
  g_init.plan.client_number = ++g_init.clients;
  g_init.plan.holder = g_init.holder;
  g_init.plan.initrd = g_init.initrd;
  Handle root = abi::kNullHandle;
  ProcessSetup setup;
  setup.first_argument = abi::kBootInfoAddress;
  setup.quota_bytes = line.quota;
  setup.hook = &bootstrap_hook;
  setup.context = &root;
  Result<Space*> space = load_process(line.path, file->data, file->size, setup);
  if (!space.ok()) {
    ++g_init.failed;
    reap_objects();
    return false;
  }
  if (line.directive == Directive::kDomain) {
    const uint32_t index = g_init.directory.add_domain(line);
    g_init.domains[index] = {*space, false, root, false};
    kprint("init: domain %s started (%.*s, client %u)\n", domain_name(index), VIEW(line.path),
           g_init.plan.client_number);
  } else {
    g_init.current = *space;
    g_init.current_ended = false;
  }
  return true;
}

// Reads manifest lines until a `run` program starts; ends the manifest after the last line.
void start_next() {
  // bound: each round takes one line (at least one character) off the manifest
  while (!g_init.rest.empty()) {
    ++g_init.line_number;
    size_t newline = g_init.rest.find('\n');
    StringView text = g_init.rest.substr(0, newline);
    g_init.rest.remove_prefix(newline == StringView::kNpos ? g_init.rest.size() : newline + 1);
    ManifestError error;
    if (parse_manifest_line(trim(text), &g_init.line, &error) != Status::kOk) {
      manifest_error(error);
      continue;
    }
    if (g_init.line.directive == Directive::kNone) continue;
    if (start_line(g_init.line) && g_init.line.directive == Directive::kRun) return;
  }
  end_manifest();
}

void report_end(Space* space) {
  const int len = static_cast<int>(space->name().size());
  if (space->faulted()) {
    kprint("process %.*s killed by exception %lu (address 0x%lx); kernel continues\n", len,
           space->name().data(), space->fault_vector(), space->fault_address());
    ++g_init.failed;
  } else {
    kprint("process %.*s exited with status %ld\n", len, space->name().data(), space->exit_code());
    if (space->exit_code() == 0) {
      ++g_init.exited_ok;
    } else {
      ++g_init.failed;
    }
  }
  if (!g_init.boot_time_reported && g_first_user_entry != 0) {
    g_init.boot_time_reported = true;
    uint64_t entry = arch::boot_entry_cycles();
    kprint(
        "boot: kernel entered at %lu us, first user instruction at %lu us "
        "(kernel boot %lu us; virtual time under -icount)\n",
        cycles_to_us(entry), cycles_to_us(g_first_user_entry),
        cycles_to_us(g_first_user_entry - entry));
  }
}

}  // namespace

void note_user_entry(uint64_t cycles) {
  if (g_first_user_entry == 0) g_first_user_entry = cycles;
}

bool init_start(const CpioArchive& initrd) {
  Result<CpioEntry> manifest = initrd.find("manifest");
  if (!manifest.ok()) {
    kprint("initrd: no manifest; nothing to run\n");
    return false;
  }
  // A fresh state, built in place (too big for the kernel stack): a kernel boots once, but a
  // host test (core/init_test.cc) boots again in the same process.
  new (&g_init) InitState();
  g_init_pending = false;
  g_init.initrd = &initrd;
  g_init.rest = StringView(reinterpret_cast<const char*>(manifest->data), manifest->size);
  irq_control();  // the one object that lives forever; created before the count
  g_init.free_before = kernel_frames().free_count();
  g_init.objects_before = live_object_count();
  start_next();
  return true;
}

bool g_init_pending = false;

void init_space_ended(Space* space) {
  if (space == g_init.current) {
    g_init.current_ended = true;
    g_init_pending = true;
    return;
  }
  for (uint32_t i = 0; i < g_init.directory.domain_count(); ++i) {
    if (g_init.domains[i].space == space) {
      g_init.domains[i].ended = true;
      g_init_pending = true;
    }
  }
}

void init_run_pending() {
  g_init_pending = false;
  retire_ended_domains();
  if (g_init.current == nullptr || !g_init.current_ended) return;
  Space* ended = g_init.current;
  g_init.current = nullptr;
  report_end(ended);
  ended->release();
  reap_objects();
  start_next();
}

void init_deadlock() {
  kprint("init: nothing can run and no interrupt can change that; blocked threads:\n");
  // bound: one step per live kernel object
  for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
    if (o->type() != ObjectType::kThread) continue;
    auto* t = static_cast<Thread*>(o);
    if (!t->blocked()) continue;
    kprint("  thread in %.*s: %s\n", static_cast<int>(t->space().name().size()),
           t->space().name().data(), thread_state_name(t->state()));
  }
  if (g_init.current == nullptr) end_manifest();
  Space* stuck = g_init.current;
  kprint("init: ending %.*s (deadlocked)\n", static_cast<int>(stuck->name().size()),
         stuck->name().data());
  stuck->terminate(-1);
}

}  // namespace hmk
