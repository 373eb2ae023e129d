// The bootstrap capabilities and table of manifest processes (core/bootstrap.h) on the hosted
// port: what a domain, a client and a plain program get, the badges a server sees, the table's
// contents and mapping, failures that leave nothing behind, and the revocation init does when a
// domain ends (clients lose the service, callers queued on it get PeerClosed); the kernel
// line's own space and the table its domain reads.
#include "core/bootstrap.h"

#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/kernel_service.h"
#include "platform/hosted/harness.h"
#include "platform/hosted/test_images.h"

namespace hmk::hosted {
namespace {

using abi::BootCapKind;

// What init keeps the endpoints' root capabilities in: a space without threads.
Space* make_holder(Harness& h) {
  Result<Quota*> quota = Quota::create_root(64 * 1024);
  REQUIRE(quota.ok());
  Result<Space*> space = Space::create(**quota, **quota, "init");
  (*quota)->release();
  REQUIRE(space.ok());
  h.hold(*space);
  return *space;
}

// A parsed manifest line that keeps its text alive.
struct Line {
  explicit Line(const std::string& text) : text(std::make_shared<std::string>(text)) {
    ManifestError error{};
    const Status s =
        parse_manifest_line(StringView(this->text->data(), this->text->size()), &line, &error);
    INFO(error.text);
    REQUIRE(s == Status::kOk);
  }
  std::shared_ptr<std::string> text;
  ManifestLine line;
};

const abi::BootInfo* table_of(Harness& h, Space* s) {
  return reinterpret_cast<const abi::BootInfo*>(h.user_memory(s, abi::kBootInfoAddress));
}

std::string name_of(const abi::BootCap& cap) {
  return std::string(cap.name);
}

std::string console() {
  return std::string(console_text(), console_length());
}

struct Domain {
  Harness::Process process;
  Handle root;  // in the holder
  Handle endpoint;
};

// A domain "echo_d" serving echo and ping, set up as init would.
Domain start_domain(Harness& h, Space* holder, const char* text, uint32_t client_number = 1) {
  Line l(text);
  auto p = h.spawn("/bin/server");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = client_number;
  plan.holder = holder;
  Handle root = abi::kNullHandle;
  REQUIRE(install_bootstrap(*p.space, plan, &root) == Status::kOk);
  h.check();
  REQUIRE(root != abi::kNullHandle);
  const abi::BootInfo* table = table_of(h, p.space);
  REQUIRE(table != nullptr);
  REQUIRE(table->caps[0].kind == BootCapKind::kEndpoint);
  return {p, root, table->caps[0].handle};
}

TEST_CASE("a domain gets its endpoint (root in the holder), its services and its devices") {
  Harness h;
  Space* holder = make_holder(h);
  Domain d = start_domain(h, holder,
                          "domain echo_d /bin/server serves=echo,ping ioports=com1:0x3f8:8 "
                          "irqs=4");
  Space* s = d.process.space;

  const abi::BootInfo* t = table_of(h, s);
  CHECK(t->magic == abi::kBootInfoMagic);
  CHECK(t->version == abi::kBootInfoVersion);
  CHECK(t->client_number == 1);
  CHECK(std::string(t->program) == "/bin/server");
  REQUIRE(t->count == 5);
  // The table is mapped read-only, for good.
  CHECK(h.user_memory(s, abi::kBootInfoAddress, kPageWrite) == nullptr);
  CHECK(h.syscall(d.process.thread, Syscall::kProtect,
                  {abi::kSelfSpace, abi::kBootInfoAddress, 1,
                   abi::kRightRead | abi::kRightWrite}) != Status::kOk);

  // 0: the endpoint, a child of the root the holder keeps.
  CHECK(name_of(t->caps[0]) == "echo_d");
  Capability* ep = h.cap(s, t->caps[0].handle);
  REQUIRE(ep != nullptr);
  CHECK(ep->type == ObjectType::kEndpoint);
  CHECK(ep->rights == kDomainEndpointRights);
  CHECK(ep->badge == 0);
  Capability* root = h.cap(holder, d.root);
  REQUIRE(root != nullptr);
  CHECK(ep->parent == root);
  CHECK(root->object == ep->object);
  CHECK(root->rights == kDomainEndpointRights);
  CHECK(root->object->quota() == &s->own_quota());  // the domain pays for its endpoint
  // 1, 2: the services, by position in serves=; no capability of their own.
  CHECK(name_of(t->caps[1]) == "echo");
  CHECK(t->caps[1].kind == BootCapKind::kServes);
  CHECK(t->caps[1].index == 0);
  CHECK(t->caps[1].handle == abi::kNullHandle);
  CHECK(name_of(t->caps[2]) == "ping");
  CHECK(t->caps[2].kind == BootCapKind::kServes);
  CHECK(t->caps[2].index == 1);
  // 3: the port range; 4: the interrupt line.
  CHECK(name_of(t->caps[3]) == "com1");
  CHECK(t->caps[3].kind == BootCapKind::kIoPorts);
  CHECK(t->caps[3].index == 0x3f8);
  Capability* ports = h.cap(s, t->caps[3].handle);
  REQUIRE(ports != nullptr);
  CHECK(ports->type == ObjectType::kIoPorts);
  CHECK(ports->rights == (abi::kRightRead | abi::kRightWrite));
  CHECK(static_cast<IoPorts*>(ports->object)->base() == 0x3f8);
  CHECK(static_cast<IoPorts*>(ports->object)->count() == 8);
  CHECK(name_of(t->caps[4]) == "irq");
  CHECK(t->caps[4].kind == BootCapKind::kIrq);
  CHECK(t->caps[4].index == 4);
  Capability* irq = h.cap(s, t->caps[4].handle);
  REQUIRE(irq != nullptr);
  CHECK(irq->type == ObjectType::kIrq);
  CHECK(irq->rights == abi::kRightManage);
  CHECK(static_cast<Irq*>(irq->object)->line() == 4);
  // Unused entries stay zero.
  CHECK(t->caps[5].kind == BootCapKind::kNone);
  CHECK(t->caps[5].name[0] == '\0');
  h.finish();
}

TEST_CASE("a client gets badged Send|Grant capabilities; the server sees who calls for what") {
  Harness h;
  Space* holder = make_holder(h);
  Domain d = start_domain(h, holder, "domain echo_d /bin/server serves=echo,ping");
  Line l("run /bin/client uses=ping,echo");
  auto c = h.spawn("/bin/client");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 7;
  plan.uses[0] = {"ping", h.cap(holder, d.root), 1};
  plan.uses[1] = {"echo", h.cap(holder, d.root), 0};
  Handle root = 99;
  REQUIRE(install_bootstrap(*c.space, plan, &root) == Status::kOk);
  CHECK(root == abi::kNullHandle);  // a run line makes no endpoint
  h.check();

  const abi::BootInfo* t = table_of(h, c.space);
  CHECK(t->client_number == 7);
  REQUIRE(t->count == 2);
  CHECK(name_of(t->caps[0]) == "ping");
  CHECK(t->caps[0].kind == BootCapKind::kService);
  CHECK(t->caps[0].index == 1);
  CHECK(name_of(t->caps[1]) == "echo");
  CHECK(t->caps[1].index == 0);
  Capability* echo = h.cap(c.space, t->caps[1].handle);
  REQUIRE(echo != nullptr);
  CHECK(echo->rights == kServiceRights);
  CHECK(echo->badge == service_badge(7, 0));
  CHECK(echo->badge == 0x70000);
  CHECK(echo->parent == h.cap(holder, d.root));
  CHECK(h.cap(c.space, t->caps[0].handle)->badge == 0x70001);

  // The server receives; the client calls "echo", then "ping": the badges say which.
  Thread* server = d.process.thread;
  Thread* client = c.thread;
  h.ipc(server, Syscall::kRecv, d.endpoint, MessageInfo::make(0, 0));
  REQUIRE(server->state() == ThreadState::kBlockedOnReceive);
  h.ipc(client, Syscall::kCall, t->caps[1].handle, MessageInfo::make(1, 1), {42});
  REQUIRE(server->state() != ThreadState::kBlockedOnReceive);
  CHECK(server->regs()[arch::kSysHandle] == 0x70000);
  CHECK(h.message(server) == std::vector<uint64_t>{42});
  h.ipc(server, Syscall::kReplyRecv, d.endpoint, MessageInfo::make(0, 0));
  h.ipc(client, Syscall::kCall, t->caps[0].handle, MessageInfo::make(1, 0));
  CHECK(server->regs()[arch::kSysHandle] == 0x70001);
  h.ipc(server, Syscall::kReplyRecv, d.endpoint, MessageInfo::make(0, 0));
  // No Receive right: a client cannot take calls meant for the server.
  CHECK(h.ipc(client, Syscall::kRecv, t->caps[1].handle,
              MessageInfo::make(0, 0, 0, MessageInfo::kNonBlocking)) == Status::kPermissionDenied);
  h.finish();
}

TEST_CASE("a plain run line gets an empty table and nothing else") {
  Harness h;
  Line l("run /bin/plain");
  auto p = h.spawn("/bin/plain");
  const size_t slots = p.space->caps().free_slots(CapTable::kMaxSlots);
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 3;
  Handle root = abi::kNullHandle;
  REQUIRE(install_bootstrap(*p.space, plan, &root) == Status::kOk);
  const abi::BootInfo* t = table_of(h, p.space);
  REQUIRE(t != nullptr);
  CHECK(t->magic == abi::kBootInfoMagic);
  CHECK(t->count == 0);
  CHECK(t->client_number == 3);
  CHECK(std::string(t->program) == "/bin/plain");
  CHECK(p.space->caps().free_slots(CapTable::kMaxSlots) == slots);  // no capability added
  CHECK(p.space->mappings().size() == 1);
  h.finish();
}

TEST_CASE("irq_control=yes gives interrupt control (Manage only), named in the table") {
  Harness h;
  Line l("run /bin/tests irq_control=yes");
  auto p = h.spawn("/bin/tests");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 4;
  Handle root = abi::kNullHandle;
  REQUIRE(install_bootstrap(*p.space, plan, &root) == Status::kOk);
  const abi::BootInfo* t = table_of(h, p.space);
  REQUIRE(t != nullptr);
  REQUIRE(t->count == 1);
  CHECK(name_of(t->caps[0]) == "irq_control");
  CHECK(t->caps[0].kind == BootCapKind::kIrqControl);
  Capability* c = h.cap(p.space, t->caps[0].handle);
  REQUIRE(c != nullptr);
  CHECK(c->object == &irq_control());
  CHECK(c->rights == abi::kRightManage);
  CHECK(h.syscall(p.thread, Syscall::kIrqCreate, {t->caps[0].handle, 5}) == Status::kOk);
  h.finish();
}

// A newc archive of one file, bin/prog holding `data`, and the trailer, for initrd=yes.
std::string one_file_archive(const std::string& data) {
  std::string archive;
  append_newc(archive, "bin/prog", kCpioExecutable, data);
  append_newc(archive, "TRAILER!!!", 0, "");
  return archive;
}

TEST_CASE("initrd=yes gives a read-only copy of the initrd, named in the table with its size") {
  Harness h;
  Line l("run /bin/shim initrd=yes");
  // A small valid archive: one file, then the trailer, 4,200 bytes in all with padding.
  const std::string archive = one_file_archive(std::string(4000, 'x') + "END");
  Result<CpioArchive> cpio =
      CpioArchive::open(reinterpret_cast<const uint8_t*>(archive.data()), archive.size(), nullptr);
  REQUIRE(cpio.ok());
  auto p = h.spawn("/bin/shim");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 1;
  plan.initrd = &*cpio;
  Handle root = abi::kNullHandle;
  const uint64_t used = p.space->own_quota().used();
  REQUIRE(install_bootstrap(*p.space, plan, &root) == Status::kOk);
  const abi::BootInfo* t = table_of(h, p.space);
  REQUIRE(t != nullptr);
  REQUIRE(t->count == 1);
  CHECK(name_of(t->caps[0]) == "initrd");
  CHECK(t->caps[0].kind == BootCapKind::kInitrd);
  CHECK(t->caps[0].index == archive.size());
  Capability* c = h.cap(p.space, t->caps[0].handle);
  REQUIRE(c != nullptr);
  CHECK(c->rights == abi::kRightRead);
  auto* memory = static_cast<MemoryObject*>(c->object);
  REQUIRE(memory->pages() == (archive.size() + 4095) / 4096);
  CHECK(p.space->own_quota().used() > used + memory->pages() * 4096 - 1);  // charged to it
  // The copy, byte for byte, and zeros after it.
  std::string copy;
  for (uint64_t i = 0; i < memory->pages(); ++i) {
    const auto* page = static_cast<const char*>(arch::phys_to_virt(memory->frame(i)));
    copy.append(page, 4096);
  }
  CHECK(copy.substr(0, archive.size()) == archive);
  CHECK(copy.find_first_not_of('\0', archive.size()) == std::string::npos);
  // Mapping it writable is refused: the capability has Read only.
  CHECK(h.syscall(p.thread, Syscall::kMap,
                  {abi::kSelfSpace, t->caps[0].handle, 0x10000000, 0, 1,
                   abi::kRightRead | abi::kRightWrite}) == Status::kPermissionDenied);
  h.finish();
}

TEST_CASE("long program paths are cut to fit the table, NUL-terminated") {
  Harness h;
  const std::string path = "/bin/" + std::string(100, 'p');
  Line l("run " + path);
  auto p = h.spawn("long");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 1;
  Handle root = abi::kNullHandle;
  REQUIRE(install_bootstrap(*p.space, plan, &root) == Status::kOk);
  const abi::BootInfo* t = table_of(h, p.space);
  CHECK(std::string(t->program) == path.substr(0, sizeof(t->program) - 1));
  h.finish();
}

TEST_CASE("an unavailable interrupt line fails the bootstrap; the endpoint root goes too") {
  Harness h;
  Space* holder = make_holder(h);
  for (const char* text : {"domain d /bin/d serves=s irqs=5,2", "domain d /bin/d irqs=16"}) {
    INFO(text);
    Line l(text);
    auto p = h.spawn("/bin/d");
    BootstrapPlan plan;
    plan.line = &l.line;
    plan.client_number = 1;
    plan.holder = holder;
    Handle root = 77;
    clear_console();
    CHECK(install_bootstrap(*p.space, plan, &root) == Status::kOutOfRange);
    CHECK(root == abi::kNullHandle);
    CHECK_THAT(console(), Catch::Matchers::Contains("exec /bin/d: interrupt line"));
    CHECK_THAT(console(), Catch::Matchers::Contains("is not available: OutOfRange"));
    // Nothing of it is left in the holder.
    CHECK(holder->caps().free_slots(CapTable::kMaxSlots) ==
          holder->caps().page_count() * CapTable::kSlotsPerPage - 1);
    // Ending the process (as load_process does) frees the rest: finish() checks.
    p.space->terminate(-1);
    reap_objects();
    h.check();
  }
  h.finish();
}

TEST_CASE("an interrupt line already owned fails the second process") {
  Harness h;
  Line l("run /bin/driver irqs=5");
  auto first = h.spawn("/bin/driver");
  auto second = h.spawn("/bin/driver");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 1;
  Handle root = abi::kNullHandle;
  REQUIRE(install_bootstrap(*first.space, plan, &root) == Status::kOk);
  clear_console();
  plan.client_number = 2;
  CHECK(install_bootstrap(*second.space, plan, &root) == Status::kAlreadyExists);
  CHECK_THAT(console(),
             Catch::Matchers::Contains("interrupt line 5 is not available: AlreadyExists"));
  h.finish();
}

TEST_CASE("a process without quota for its table fails cleanly, the holder untouched") {
  Harness h;
  Space* holder = make_holder(h);
  Line l("domain d /bin/d serves=s");
  auto p = h.spawn("/bin/d");
  Quota& q = p.space->own_quota();
  const uint64_t rest = q.available();
  REQUIRE(q.charge(rest) == Status::kOk);
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 1;
  plan.holder = holder;
  Handle root = 5;
  clear_console();
  CHECK(install_bootstrap(*p.space, plan, &root) == Status::kQuotaExceeded);
  CHECK(root == abi::kNullHandle);
  CHECK_THAT(console(), Catch::Matchers::Contains(
                            "exec /bin/d: cannot give it its bootstrap table: QuotaExceeded"));
  CHECK(holder->caps().page_count() == 0);
  CHECK(p.space->mappings().empty());
  q.uncharge(rest);
  h.finish();
}

TEST_CASE("revoking a domain's root: clients lose the service, queued callers get PeerClosed") {
  Harness h;
  Space* holder = make_holder(h);
  Domain d = start_domain(h, holder, "domain echo_d /bin/server serves=echo");
  Line l("run /bin/client uses=echo");
  auto c = h.spawn("/bin/client");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 2;
  plan.uses[0] = {"echo", h.cap(holder, d.root), 0};
  Handle unused = abi::kNullHandle;
  REQUIRE(install_bootstrap(*c.space, plan, &unused) == Status::kOk);
  const Handle echo = table_of(h, c.space)->caps[0].handle;
  // The client calls while the server is busy elsewhere: it queues on the endpoint.
  h.ipc(c.thread, Syscall::kCall, echo, MessageInfo::make(1, 0));
  REQUIRE(c.thread->state() == ThreadState::kBlockedOnSend);
  // The domain ends by itself; init then revokes and deletes the root.
  d.process.space->terminate(3);
  reap_objects();
  REQUIRE(c.thread->state() == ThreadState::kBlockedOnSend);  // the client's cap keeps it
  Capability* root = h.cap(holder, d.root);
  static_cast<Endpoint*>(root->object)->close();  // as init's retire_domain does
  cap_revoke(root);
  cap_delete(root);
  reap_objects();
  h.check();
  CHECK(c.thread->state() == ThreadState::kReady);
  CHECK(status_of(c.thread) == Status::kPeerClosed);
  CHECK(h.cap(c.space, echo) == nullptr);  // its capability is gone
  CHECK(h.ipc(c.thread, Syscall::kCall, echo, MessageInfo::make(1, 0)) ==
        Status::kInvalidCapability);
  for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o))
    CHECK(o->type() != ObjectType::kEndpoint);
  h.finish();
}

TEST_CASE("the kernel line's own space: its endpoint, what it serves, its ports; readable") {
  Harness h;
  Space* holder = make_holder(h);
  Handle root = abi::kNullHandle;
  REQUIRE(create_kernel_endpoint(*holder, &root) == Status::kOk);
  Line l("kernel serves=linux,other ioports=out:0x2f8:8 quota=1M");
  Result<Quota*> quota = Quota::create_root(l.line.quota);
  REQUIRE(quota.ok());
  Result<Space*> space = Space::create(**quota, **quota, "kernel");
  (*quota)->release();
  REQUIRE(space.ok());
  h.hold(*space);
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.holder = holder;
  plan.kernel_endpoint = holder->caps().lookup(root);
  Handle unused = abi::kNullHandle;
  REQUIRE(install_bootstrap(**space, plan, &unused) == Status::kOk);
  CHECK(unused == abi::kNullHandle);  // no endpoint made: the kernel-served one is given
  h.check();
  const abi::BootInfo* table = table_of(h, *space);
  REQUIRE(table != nullptr);
  REQUIRE(table->count == l.line.boot_cap_count());
  REQUIRE(table->count == 4);
  CHECK(table->caps[0].kind == BootCapKind::kEndpoint);
  CHECK(name_of(table->caps[0]) == "kernel");
  Capability* mine = h.cap(*space, table->caps[0].handle);
  REQUIRE(mine != nullptr);
  CHECK(mine->object == plan.kernel_endpoint->object);
  CHECK(static_cast<Endpoint*>(mine->object)->kernel_served());
  CHECK(mine->rights == kServiceRights);
  CHECK(mine->badge == 0);
  CHECK(mine->parent == plan.kernel_endpoint);
  CHECK(table->caps[1].kind == BootCapKind::kServes);
  CHECK(name_of(table->caps[2]) == "other");
  CHECK(table->caps[2].index == 1);
  CHECK(table->caps[3].kind == BootCapKind::kIoPorts);
  CHECK(table->caps[3].index == 0x2f8);
  // The domain reads it once the space is its own.
  CHECK(kernel_domain_boot_info() == nullptr);
  REQUIRE(set_kernel_domain_space(**space) == Status::kOk);
  const abi::BootInfo* seen = kernel_domain_boot_info();
  REQUIRE(seen != nullptr);
  CHECK(seen->count == 4);
  CHECK(seen->caps[3].handle == table->caps[3].handle);
  end_kernel_domain_space();
  CHECK(kernel_domain_boot_info() == nullptr);
  h.finish();
}

// ---- failing part-way: every grant, out of quota or out of table room ----

// A newc archive of one 4,000-byte file and the trailer, for initrd=yes.
std::string small_archive() {
  return one_file_archive(std::string(4000, 'x'));
}

// What a failed bootstrap reported, as the stage that failed: the index in `stages` of the
// first one the console names, -1 if it names none.
int stage_reported(const std::vector<std::string>& stages) {
  for (size_t i = 0; i < stages.size(); ++i) {
    if (console().find(stages[i]) != std::string::npos) return static_cast<int>(i);
  }
  return -1;
}

// The space of the attempt under way, which the test holds a reference to (the harness counts
// it: count_attempt_space).
Space* g_attempt_space = nullptr;

void count_attempt_space(Harness& h) {
  h.set_outside_holds([](const Space* s) -> uint32_t { return s == g_attempt_space ? 1 : 0; });
}

// A space as load_process makes it (no thread: the bootstrap runs before the first one
// starts), with an account of `limit` bytes, whose table has `room` free slots (0: no table
// page yet).
Space* space_with_room(uint64_t limit, size_t room) {
  Result<Quota*> quota = Quota::create_root(limit);
  REQUIRE(quota.ok());
  Result<Space*> made = Space::create(**quota, **quota, "/bin/d");
  (*quota)->release();
  REQUIRE(made.ok());
  Space* s = *made;
  g_attempt_space = s;
  if (room != 0) {
    REQUIRE(s->caps().ensure_free(1, s->own_quota()) == Status::kOk);
    // bound: a table page's slots
    while (s->caps().free_slots(CapTable::kMaxSlots) > room)
      s->caps().install_root(&irq_control(), abi::kRightManage);
  }
  return s;
}

void end_space(Harness& h, Space* s) {
  s->terminate(-1);
  s->release();
  g_attempt_space = nullptr;
  h.drain_teardown();
  h.check();
}

// What one bootstrap may use: free slots in the table's last page (0: no page yet), bytes left
// in the account and free frames left in the machine when it starts.
struct Limits {
  size_t room = 0;
  uint64_t quota = 1 << 20;
  size_t frames = SIZE_MAX;
};

struct Attempt {
  Status status;
  int stage;  // what the console named (stage_reported), -1 on success
  uint32_t entries;
};

// One bootstrap of `plan` for a fresh space within `limits`. A failure must leave the holder as
// it was, and nothing behind once the space is ended (as load_process ends it): the harness
// checks the invariants after each step and finish() that nothing leaked.
Attempt bootstrap_once(Harness& h, const BootstrapPlan& plan,
                       const std::vector<std::string>& stages, const Limits& limits) {
  // What the space and its table take before the bootstrap, measured on one made the same way.
  Space* probe = space_with_room(1 << 20, limits.room);
  const uint64_t before = probe->own_quota().used();
  end_space(h, probe);
  Space* s = space_with_room(before + limits.quota, limits.room);
  REQUIRE(s->own_quota().available() == limits.quota);
  std::vector<PhysAddr> held;  // the rest of RAM, held by the test
  // bound: the free frames of the fake RAM
  while (kernel_frames().free_count() > limits.frames)
    held.push_back(*kernel_frames().allocate());
  const size_t holder_free = plan.holder->caps().free_slots(CapTable::kMaxSlots);
  const uint64_t holder_used = plan.holder->own_quota().used();
  clear_console();
  Handle root = 77;
  Attempt a{install_bootstrap(*s, plan, &root), -1, 0};
  h.check();
  for (PhysAddr f : held)
    REQUIRE(kernel_frames().free(f) == Status::kOk);
  if (a.status == Status::kOk) {
    const abi::BootInfo* t = table_of(h, s);
    REQUIRE(t != nullptr);
    a.entries = t->count;
  } else {
    a.stage = stage_reported(stages);
    CHECK(root == abi::kNullHandle);
    CHECK(plan.holder->caps().free_slots(CapTable::kMaxSlots) == holder_free);
    CHECK(plan.holder->own_quota().used() == holder_used);
  }
  end_space(h, s);
  return a;
}

// Bootstraps with ever more of one resource (`vary` sets it in the limits) from nothing up,
// until one is enough; returns that amount. Every failure is `expected`, reported, at a grant
// no earlier than the last one's, and its stage goes into `failed`. Steps of `coarse`, and of
// `fine` across a coarse step where the failing stage changed: between two attempts that
// failed at the same grant no other can fail, as the grants come in order and each takes
// some of the resource for good (the worst case of page tables a mapping charges comes back
// at once, which is why later grants cannot run out of quota before the initrd's).
template <typename Vary>
uint64_t sweep(Harness& h, const BootstrapPlan& plan, const std::vector<std::string>& stages,
               Vary vary, Status expected, uint64_t coarse, uint64_t fine, std::set<int>* failed) {
  int last = -1;
  auto attempt = [&](uint64_t amount) {
    INFO("amount " << amount);
    Limits limits;
    vary(limits, amount);
    const Attempt a = bootstrap_once(h, plan, stages, limits);
    if (a.status != Status::kOk) {
      CHECK(a.status == expected);
      CHECK(a.stage != -1);
      CHECK(a.stage >= last);
      last = a.stage;
      failed->insert(a.stage);
    }
    return a;
  };
  uint64_t low = 0;
  Attempt at_low = attempt(low);
  // bound: the resource the whole bootstrap needs, in coarse steps
  while (at_low.status != Status::kOk) {
    REQUIRE(low < (1 << 20));
    const uint64_t high = low + coarse;
    const Attempt at_high = attempt(high);
    if (at_high.status == Status::kOk || at_high.stage != at_low.stage) {
      last = at_low.stage;
      // bound: coarse / fine steps
      for (uint64_t amount = low + fine; amount < high; amount += fine) {
        if (attempt(amount).status == Status::kOk) return amount;
      }
      if (at_high.status == Status::kOk) return high;
    }
    low = high;
    at_low = at_high;
  }
  return low;
}

void vary_quota(Limits& limits, uint64_t bytes) {
  limits.quota = bytes;
}

TEST_CASE("a bootstrap that fails at any grant reports it and leaves nothing behind") {
  Harness h;
  count_attempt_space(h);
  Space* holder = make_holder(h);
  Domain echo = start_domain(h, holder, "domain echo_d /bin/server serves=echo");
  const std::string bytes = small_archive();
  Result<CpioArchive> initrd =
      CpioArchive::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nullptr);
  REQUIRE(initrd.ok());
  // Every kind of grant, one each, in the table's order.
  Line l(
      "domain d /bin/d serves=s uses=echo ioports=com1:0x3f8:8 irqs=4 irq_control=yes "
      "initrd=yes");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 2;
  plan.holder = holder;
  plan.initrd = &*initrd;
  plan.uses[0] = {"echo", h.cap(holder, echo.root), 0};
  enum Stage { kTable, kEndpoint, kService, kPorts, kLineSlot, kLine, kControl, kInitrd };
  const std::vector<std::string> stages = {
      "exec /bin/d: cannot give it its bootstrap table: ",
      "exec /bin/d: cannot give it its endpoint: ",
      "exec /bin/d: cannot give it a service capability: ",
      "exec /bin/d: cannot give it its I/O ports: ",
      "exec /bin/d: cannot give it its interrupt line: ",
      "exec /bin/d: interrupt line 4 is not available: ",
      "exec /bin/d: cannot give it interrupt control: ",
      "exec /bin/d: cannot give it the initrd: ",
  };

  // Out of quota (in steps of 8 bytes: every charge is a multiple of 8): the table, then the
  // initrd.
  std::set<int> failed;
  const uint64_t enough =
      sweep(h, plan, stages, vary_quota, Status::kQuotaExceeded, 512, 8, &failed);
  CHECK(failed == std::set<int>{kTable, kInitrd});
  CHECK(bootstrap_once(h, plan, stages, {0, enough}).entries == 7);
  CHECK(bootstrap_once(h, plan, stages, {0, enough - 8}).status == Status::kQuotaExceeded);

  // Out of frames, with `room` free slots in the table's page: the grant that needs a new table
  // page (slot room + 1) fails, after the table.
  const std::pair<size_t, Stage> by_room[] = {{0, kEndpoint}, {1, kService}, {2, kPorts},
                                              {3, kLineSlot}, {4, kControl}, {5, kInitrd}};
  for (const auto& [room, stage] : by_room) {
    INFO("room " << room);
    failed.clear();
    const size_t frames = sweep(
        h, plan, stages,
        [room = room](Limits& limits, uint64_t n) {
          limits.room = room;
          limits.frames = n;
        },
        Status::kOutOfMemory, 1, 1, &failed);
    CHECK(failed.count(kTable) == 1);
    CHECK(failed.count(stage) == 1);
    CHECK(bootstrap_once(h, plan, stages, {room, 1 << 20, frames}).entries == 7);
  }

  // Out of frames when the endpoints' slab has no free block left: the endpoint itself, which
  // the quota cannot make fail (the table's worst case of page tables comes back first).
  auto filler = h.spawn("filler");
  REQUIRE(filler.space->caps().ensure_free(4 * CapTable::kSlotsPerPage,
                                           filler.space->own_quota()) == Status::kOk);
  std::vector<PhysAddr> held;  // the rest of RAM, held by the test
  for (Result<PhysAddr> f = kernel_frames().allocate(); f.ok(); f = kernel_frames().allocate())
    held.push_back(*f);
  // bound: the blocks left in the slab's pages (fewer than the table room above)
  for (;;) {
    Result<Endpoint*> ep = Endpoint::create(filler.space->own_quota());
    if (!ep.ok()) {
      REQUIRE(ep.status() == Status::kOutOfMemory);
      break;
    }
    h.give(filler.space, *ep, abi::kRightSend);
    (*ep)->release();
  }
  for (PhysAddr f : held)
    REQUIRE(kernel_frames().free(f) == Status::kOk);
  h.check();
  failed.clear();
  const size_t frames = sweep(
      h, plan, stages,
      [](Limits& limits, uint64_t n) {
        limits.room = 8;
        limits.frames = n;
      },
      Status::kOutOfMemory, 1, 1, &failed);
  CHECK(failed.count(kTable) == 1);
  CHECK(failed.count(kEndpoint) == 1);
  CHECK(bootstrap_once(h, plan, stages, {8, 1 << 20, frames}).entries == 7);
  h.finish();
}

TEST_CASE("the kernel line's bootstrap out of quota fails at each grant, named 'kernel'") {
  Harness h;
  count_attempt_space(h);
  Space* holder = make_holder(h);
  Handle root = abi::kNullHandle;
  REQUIRE(create_kernel_endpoint(*holder, &root) == Status::kOk);
  Line l("kernel serves=linux ioports=out:0x2f8:8 quota=1M");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.holder = holder;
  plan.kernel_endpoint = holder->caps().lookup(root);
  const std::vector<std::string> stages = {
      "exec kernel: cannot give it its bootstrap table: ",
      "exec kernel: cannot give it its endpoint: ",
      "exec kernel: cannot give it its I/O ports: ",
  };
  std::set<int> failed;
  const uint64_t frames = sweep(
      h, plan, stages, [](Limits& limits, uint64_t n) { limits.frames = n; }, Status::kOutOfMemory,
      1, 1, &failed);
  // The table, then the endpoint's table page; the port range too if its slab needs a page.
  CHECK(failed.count(0) == 1);
  CHECK(failed.count(1) == 1);
  CHECK(failed.count(-1) == 0);
  const Attempt a = bootstrap_once(h, plan, stages, {0, 1 << 20, frames});
  CHECK(a.status == Status::kOk);
  CHECK(a.entries == 3);
  h.finish();
}

// A holder (a space without threads, as init's) whose account has `left` bytes available and
// whose table has no page yet.
Space* holder_with_left(Harness& h, uint64_t left) {
  Space* probe = space_with_room(1 << 20, 0);
  const uint64_t used = probe->own_quota().used();
  end_space(h, probe);
  Space* holder = space_with_room(used + left, 0);
  g_attempt_space = nullptr;
  h.hold(holder);
  return holder;
}

TEST_CASE("a holder without room for the endpoint's root: the domain or kernel line fails") {
  Harness h;
  count_attempt_space(h);
  // No quota for the holder's first table page.
  Space* poor = holder_with_left(h, 0);
  Line l("domain d /bin/d serves=s");
  BootstrapPlan plan;
  plan.line = &l.line;
  plan.client_number = 1;
  plan.holder = poor;
  const std::vector<std::string> stages = {"exec /bin/d: cannot give it its endpoint: "};
  const Attempt a = bootstrap_once(h, plan, stages, {});
  CHECK(a.status == Status::kQuotaExceeded);
  CHECK(a.stage == 0);
  Handle root = 5;
  CHECK(create_kernel_endpoint(*poor, &root) == Status::kQuotaExceeded);
  CHECK(poor->caps().page_count() == 0);
  // A table page's worth: the page, but not the kernel endpoint itself.
  Space* page_only = holder_with_left(h, kPageSize);
  CHECK(create_kernel_endpoint(*page_only, &root) == Status::kQuotaExceeded);
  CHECK(page_only->caps().page_count() == 1);
  CHECK(page_only->caps().free_slots(CapTable::kMaxSlots) == CapTable::kSlotsPerPage - 1);
  h.check();
  h.finish();
}

TEST_CASE("what a line asks for and the plan lacks, or an initrd too big to copy, fails") {
  Harness h;
  count_attempt_space(h);
  Space* holder = make_holder(h);
  BootstrapPlan plan;
  plan.client_number = 1;
  plan.holder = holder;
  // A kernel line without the kernel-served endpoint to give it.
  Line kernel("kernel serves=linux quota=1M");
  plan.line = &kernel.line;
  Attempt a =
      bootstrap_once(h, plan, {"exec kernel: cannot give it its endpoint: InvalidArgument"}, {});
  CHECK(a.status == Status::kInvalidArgument);
  CHECK(a.stage == 0);
  // initrd=yes without an initrd.
  Line wants("run /bin/shim initrd=yes");
  plan.line = &wants.line;
  a = bootstrap_once(h, plan, {"exec /bin/shim: cannot give it the initrd: NotFound"}, {});
  CHECK(a.status == Status::kNotFound);
  CHECK(a.stage == 0);
  // An initrd bigger than a memory object can be (64 MiB): refused before anything is taken.
  std::string big;
  append_newc(big, "bin/big", kCpioRegular, std::string(abi::kMaxMemoryPages * kPageSize, 'x'));
  append_newc(big, "TRAILER!!!", 0, "");
  Result<CpioArchive> initrd =
      CpioArchive::open(reinterpret_cast<const uint8_t*>(big.data()), big.size(), nullptr);
  REQUIRE(initrd.ok());
  plan.initrd = &*initrd;
  const size_t frames = kernel_frames().free_count();
  a = bootstrap_once(h, plan, {"exec /bin/shim: cannot give it the initrd: OutOfRange"}, {});
  CHECK(a.status == Status::kOutOfRange);
  CHECK(a.stage == 0);
  CHECK(kernel_frames().free_count() == frames);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
