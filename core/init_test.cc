// Boot-time init (core/init.cc) on the hosted port, from a hand-built initrd to power-off: the
// manifest's programs one after another and its domains beside them, what each process gets
// from its line, bad lines reported with their number and skipped, programs and domains that
// exit, fault or deadlock, the kernel line (a fake kernel domain defined here), and the summary
// and leak check at the end. The port's power_off calls a handler that longjmps back to the
// test (hosted::set_power_off_handler); the harness counts init's references to its spaces.
#include "core/init.h"

#include <catch2/catch.hpp>
#include <csetjmp>
#include <cstring>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/bootstrap.h"
#include "core/kernel_service.h"
#include "core/lib/cpio.h"
#include "core/lib/elf.h"
#include "core/quota.h"
#include "core/slab.h"
#include "platform/hosted/harness.h"
#include "platform/hosted/test_images.h"

// ---- a fake kernel domain (the weak symbol core/kernel_service.cc refers to) ----

namespace {

bool g_kernel_services = true;  // false: an image without IC0 services
hmk::Status g_start_status = hmk::Status::kOk;
int g_starts = 0;
int g_stops = 0;
hmk::PhysAddr g_kept_frame = 0;  // the frame the domain keeps for good once started

hmk::Status fake_start() {
  ++g_starts;
  if (g_start_status != hmk::Status::kOk) return g_start_status;
  if (g_kept_frame == 0) {
    hmk::Result<hmk::PhysAddr> frame = hmk::kernel_frames().allocate();
    if (!frame.ok()) return frame.status();
    g_kept_frame = *frame;
  }
  return hmk::Status::kOk;
}

int32_t fake_find(const char* name) {
  return std::strcmp(name, "echo") == 0 ? 0 : -1;
}

// echo: the reply's label is the request's plus one, its one word the request's plus 100.
void fake_call(hmk::KernelCall& call) {
  call.label += 1;
  call.words = 1;
  call.data[0] += 100;
}

uint64_t fake_frames_kept() {
  return g_kept_frame != 0 ? 1 : 0;
}

void fake_stop() {
  ++g_stops;
}

const hmk::KernelDomain kFakeDomain = {&fake_start, &fake_find, &fake_call,
                                       nullptr,     nullptr,    &fake_frames_kept,
                                       nullptr,     nullptr,    &fake_stop};

}  // namespace

extern "C" const hmk::KernelDomain* hmk_kernel_domain() {
  return g_kernel_services ? &kFakeDomain : nullptr;
}

namespace hmk::hosted {
namespace {

// ---- the initrd ----

constexpr uint32_t kRegular = kCpioRegular;
constexpr uint32_t kDirectory = kCpioDirectory;

void append_entry(std::string& out, const std::string& name, uint32_t mode,
                  const std::string& data) {
  append_newc(out, name, mode, data);
}

// A static ELF of one read+execute segment; nothing runs it (the test makes its system calls).
std::string tiny_elf() {
  return hosted::tiny_elf(sizeof(Elf64Header) + sizeof(Elf64ProgramHeader), std::string(16, '\0'));
}

// An initrd with `manifest` and the programs every test may name: /bin/a, /bin/b, /bin/c,
// /bin/server, /bin/server2 (the same tiny ELF), /bin/broken (not an ELF) and the directory /bin.
std::string initrd_with(const std::string& manifest) {
  std::string out;
  append_entry(out, "manifest", kRegular, manifest);
  append_entry(out, "bin", kDirectory, "");
  for (const char* name : {"bin/a", "bin/b", "bin/c", "bin/server", "bin/server2"})
    append_entry(out, name, kRegular, tiny_elf());
  append_entry(out, "bin/broken", kRegular, "not an ELF file");
  append_entry(out, "TRAILER!!!", 0, "");
  return out;
}

// ---- booting ----

std::jmp_buf g_power_off;
arch::PowerOffReason g_reason = arch::PowerOffReason::kPanic;

[[noreturn]] void on_power_off(arch::PowerOffReason reason) {
  g_reason = reason;
  std::longjmp(g_power_off, 1);
}

std::string console() {
  return std::string(console_text(), console_length());
}

bool said(const std::string& line) {
  return ("\n" + console()).find("\n" + line + "\n") != std::string::npos;
}

// One boot: the harness (whose check() counts init's references: every space init names, while
// it lives or is being torn down), the initrd, and init run until power-off.
class Boot {
 public:
  explicit Boot(const std::string& manifest) : bytes_(initrd_with(manifest)) {
    h.set_outside_holds([this](const Space* s) -> uint32_t {
      const std::string name(s->name().data(), s->name().size());
      const bool init_holds = init_names_.count(name) != 0 && (s->alive() || s->tearing_down());
      return (init_holds ? 1 : 0) + static_cast<uint32_t>(also_held_.count(s));
    });
    set_power_off_handler(&on_power_off);
    CpioError error;
    Result<CpioArchive> archive =
        CpioArchive::open(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size(), &error);
    REQUIRE(archive.ok());
    initrd_.emplace(*archive);
  }
  Boot(const Boot&) = delete;
  Boot& operator=(const Boot&) = delete;
  ~Boot() { set_power_off_handler(nullptr); }

  // Runs `step`, which enters init; true if the machine powered off during it (g_reason says
  // why). Nothing between here and power_off has a destructor to run.
  bool powers_off(const std::function<void()>& step) {
    if (setjmp(g_power_off) != 0) {
      powered_off_ = true;
      // The machine is off: nothing runs any more.
      scheduler().set_current(nullptr);
      return true;
    }
    step();
    h.check();
    return false;
  }

  // init_start; true if the manifest ran to its end (and powered off) within it.
  bool start(bool* started = nullptr) {
    return powers_off([&] {
      const bool ok = init_start(*initrd_);
      if (started != nullptr) *started = ok;
    });
  }

  // The first thread of the live process named `name` (nullptr if none).
  static Thread* thread_of(const std::string& name) {
    for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
      if (o->type() != ObjectType::kThread) continue;
      auto* t = static_cast<Thread*>(o);
      if (std::string(t->space().name().data(), t->space().name().size()) == name) return t;
    }
    return nullptr;
  }
  static Space* space_of(const std::string& name) {
    Thread* t = thread_of(name);
    return t != nullptr ? &t->space() : nullptr;
  }

  // The bootstrap table of the process named `name`.
  const abi::BootInfo* table(const std::string& name) {
    Space* s = space_of(name);
    REQUIRE(s != nullptr);
    auto* t = reinterpret_cast<const abi::BootInfo*>(h.user_memory(s, abi::kBootInfoAddress));
    REQUIRE(t != nullptr);
    return t;
  }

  // The program `name` calls process_exit(code); true if the boot ended there.
  bool exits(const std::string& name, int64_t code) {
    Thread* t = thread_of(name);
    REQUIRE(t != nullptr);
    return powers_off([&] {
      h.syscall(t, Syscall::kProcessExit, {static_cast<uint64_t>(code)});
      h.drain_teardown();
      h.resume();
    });
  }

  bool powered_off() const { return powered_off_; }
  // The test holds a reference to `s` too.
  void also_held(Space* s) { also_held_.insert(s); }

  Harness h;

 private:
  std::string bytes_;
  std::optional<CpioArchive> initrd_;
  std::set<std::string> init_names_ = {"init",   "kernel",      "/bin/a",      "/bin/b",
                                       "/bin/c", "/bin/server", "/bin/server2"};
  std::multiset<const Space*> also_held_;
  bool powered_off_ = false;
};

// init's summary line: the counts, and the free frames it counted before the manifest and at
// its end (`after`: the same, unless the kernel domain keeps some; `rest` says so).
std::string summary(int run, int ok, int failed, size_t before, size_t after,
                    const std::string& rest = "") {
  return "boot: " + std::to_string(run) + " programs run, " + std::to_string(ok) + " exited 0, " +
         std::to_string(failed) + " failed; frames free before " + std::to_string(before) +
         ", after " + std::to_string(after) + rest;
}

TEST_CASE("init runs the manifest: domains beside run programs, each process as its line says") {
  Boot b(
      "# a comment, then a blank line\n"
      "\n"
      "domain echo_d /bin/server serves=echo,ping\n"
      "  run /bin/a uses=ping\t\r\n"
      "run /bin/b quota=2097152\n");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE_FALSE(b.start());
  CHECK(said("init: domain echo_d started (/bin/server, client 1)"));
  // The domain's table: its endpoint (Receive) and the services it serves.
  const abi::BootInfo* server = b.table("/bin/server");
  CHECK(server->client_number == 1);
  REQUIRE(server->count == 3);
  CHECK(server->caps[0].kind == abi::BootCapKind::kEndpoint);
  CHECK(server->caps[1].kind == abi::BootCapKind::kServes);
  CHECK(std::string(server->caps[2].name) == "ping");
  // The first run program runs; the second waits for it.
  Thread* a = Boot::thread_of("/bin/a");
  REQUIRE(a != nullptr);
  CHECK(a->state() == ThreadState::kReady);
  CHECK(Boot::thread_of("/bin/b") == nullptr);
  const abi::BootInfo* client = b.table("/bin/a");
  CHECK(client->client_number == 2);
  REQUIRE(client->count == 1);
  CHECK(client->caps[0].kind == abi::BootCapKind::kService);
  CHECK(std::string(client->caps[0].name) == "ping");
  CHECK(b.h.cap(&a->space(), client->caps[0].handle)->badge == service_badge(2, 1));

  // The client calls the service through what init gave it; the server sees its badge.
  Thread* srv = Boot::thread_of("/bin/server");
  b.h.ipc(srv, Syscall::kRecv, server->caps[0].handle, MessageInfo::make(0, 0));
  REQUIRE(srv->state() == ThreadState::kBlockedOnReceive);
  b.h.ipc(a, Syscall::kCall, client->caps[0].handle, MessageInfo::make(5, 1), {42});
  CHECK(srv->regs()[arch::kSysHandle] == service_badge(2, 1));
  CHECK(b.h.message(srv) == std::vector<uint64_t>{42});
  b.h.ipc(srv, Syscall::kReplyRecv, server->caps[0].handle, MessageInfo::make(6, 0));
  CHECK(a->state() == ThreadState::kRunning);

  // Its end starts the next line's program, with the quota the line gave it.
  REQUIRE_FALSE(b.exits("/bin/a", 0));
  CHECK(said("process /bin/a exited with status 0"));
  Space* next = Boot::space_of("/bin/b");
  REQUIRE(next != nullptr);
  CHECK(next->own_quota().limit() == 2097152);
  CHECK(b.table("/bin/b")->count == 0);
  CHECK(b.table("/bin/b")->client_number == 3);

  // The last program's end ends the manifest: init ends the domain and checks for leaks.
  REQUIRE(b.exits("/bin/b", 3));
  CHECK(said("process /bin/b exited with status 3"));
  CHECK(said("domain echo_d ended"));
  CHECK(said(summary(3, 2, 1, frames, frames)));
  CHECK(console().find("\ntimer: 2 ticks took ") != std::string::npos);
  CHECK(console().find("\nhmk: powering off\n") != std::string::npos);
  CHECK(g_reason == arch::PowerOffReason::kSuccess);
  b.h.finish();
}

TEST_CASE("bad manifest lines are reported with their number and skipped") {
  g_kernel_services = false;
  Boot b(
      "run\n"
      "frobnicate /bin/a\n"
      "run /bin/missing\n"
      "run /bin\n"
      "run /bin/broken\n"
      "run /bin/a uses=nope\n"
      "domain d /bin/server serves=x\n"
      "domain d /bin/server2 serves=y\n"
      "kernel serves=echo\n"
      "run /bin/a uses=x");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE_FALSE(b.start());
  g_kernel_services = true;
  const std::string text = console();
  CHECK(text.find("manifest:1: ") != std::string::npos);
  CHECK(text.find("manifest:2: ") != std::string::npos);
  CHECK(said("exec /bin/missing: no such file in the initrd"));
  CHECK(said("exec /bin: no such file in the initrd"));  // a directory
  CHECK(text.find("bad ELF") != std::string::npos);
  CHECK(text.find("manifest:6: ") != std::string::npos);
  CHECK(text.find("manifest:8: ") != std::string::npos);
  CHECK(said("manifest:9: this kernel has no services of its own (its profile put none in IC0)"));
  for (int line : {3, 4, 5, 7, 10})
    CHECK(text.find("manifest:" + std::to_string(line) + ":") == std::string::npos);
  CHECK(Boot::space_of("/bin/server2") == nullptr);
  // The one good run line runs, with the first domain's service.
  REQUIRE(Boot::thread_of("/bin/a") != nullptr);
  CHECK(b.table("/bin/a")->count == 1);
  REQUIRE(b.exits("/bin/a", 0));
  // Started: missing, /bin, broken, d and a; the first three failed.
  CHECK(said(summary(5, 2, 3, frames, frames)));
  CHECK(g_reason == arch::PowerOffReason::kSuccess);
  b.h.finish();
}

TEST_CASE(
    "programs and domains that fault, exit early or deadlock are reported; the boot goes on") {
  Boot b(
      "domain d1 /bin/server serves=s1\n"
      "domain d2 /bin/server2 serves=s2\n"
      "run /bin/a uses=s1\n"
      "run /bin/b uses=s1\n"
      "run /bin/c\n");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE_FALSE(b.start());
  const Handle s1 = b.table("/bin/a")->caps[0].handle;
  Thread* a = Boot::thread_of("/bin/a");
  // d1 exits by itself: a failure; its clients lose the service.
  REQUIRE_FALSE(b.exits("/bin/server", 7));
  CHECK(said("domain d1 exited with status 7; its clients lose it"));
  CHECK(b.h.cap(&a->space(), s1) == nullptr);
  // d2 faults.
  REQUIRE_FALSE(b.powers_off([&] { b.h.fault(Boot::thread_of("/bin/server2"), 14, 0xdead); }));
  CHECK(said("domain d2 killed by exception 14 (address 0xdead); its clients lose it"));
  // a faults: reported, and the next line finds s1 gone.
  REQUIRE_FALSE(b.powers_off([&] {
    b.h.fault(a, 13, 0x1234);
    b.h.drain_teardown();
    b.h.resume();
  }));
  CHECK(said("process /bin/a killed by exception 13 (address 0x1234); kernel continues"));
  CHECK(said("manifest:4: service 's1' is gone: domain d1 has ended"));
  CHECK(Boot::thread_of("/bin/b") == nullptr);
  // c waits for a signal nobody can send: with nothing else to run, init names the blocked
  // thread and ends c; that was the last line.
  Thread* c = Boot::thread_of("/bin/c");
  REQUIRE(c != nullptr);
  REQUIRE(b.h.syscall(c, Syscall::kNotificationCreate) == Status::kOk);
  const uint64_t n = c->regs()[arch::kSysHandle];
  b.h.syscall(c, Syscall::kWait, {n});
  REQUIRE(c->state() == ThreadState::kBlockedOnNotification);
  REQUIRE(scheduler().ready_count() == 0);
  REQUIRE(b.powers_off([&] { idle_entry(); }));
  CHECK(said("init: nothing can run and no interrupt can change that; blocked threads:"));
  CHECK(said("  thread in /bin/c: blocked-on-notification"));
  CHECK(said("init: ending /bin/c (deadlocked)"));
  CHECK(said("process /bin/c exited with status -1"));
  CHECK(said(summary(4, 0, 4, frames, frames)));
  CHECK(g_reason == arch::PowerOffReason::kSuccess);
  b.h.finish();
}

TEST_CASE("the kernel line: its services answer clients in the kernel; what it keeps is no leak") {
  g_starts = g_stops = 0;
  Boot b(
      "kernel serves=echo quota=1048576\n"
      "run /bin/a uses=echo\n");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE_FALSE(b.start());
  CHECK(g_starts == 1);
  CHECK(
      said("init: domain kernel started (1 services in the kernel, IC0; its own space: quota "
           "1048576)"));
  REQUIRE(kernel_domain_space() != nullptr);
  CHECK(kernel_domain_boot_info()->caps[0].kind == abi::BootCapKind::kEndpoint);
  Thread* a = Boot::thread_of("/bin/a");
  const abi::BootInfo* table = b.table("/bin/a");
  REQUIRE(table->count == 1);
  CHECK(b.h.cap(&a->space(), table->caps[0].handle)->badge == service_badge(1, 0));
  REQUIRE(b.h.ipc(a, Syscall::kCall, table->caps[0].handle, MessageInfo::make(5, 1), {7}) ==
          Status::kOk);
  CHECK(MessageInfo{a->regs()[arch::kRsi]}.label() == 6);
  CHECK(b.h.message(a) == std::vector<uint64_t>{107});
  REQUIRE(b.exits("/bin/a", 0));
  CHECK(g_stops == 1);
  CHECK(kernel_domain_space() == nullptr);
  CHECK(said(summary(1, 1, 0, frames, frames - 1, ", 1 kept by the kernel domain")));
  CHECK(g_reason == arch::PowerOffReason::kSuccess);
  REQUIRE(kernel_frames().free(g_kept_frame) == Status::kOk);
  g_kept_frame = 0;
  b.h.finish();
}

TEST_CASE("kernel lines the kernel cannot serve are refused and leave nothing behind") {
  g_start_status = Status::kOutOfMemory;
  Boot b(
      "kernel serves=nope\n"
      "kernel serves=echo\n"
      "run /bin/a uses=echo\n");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE(b.start());
  g_start_status = Status::kOk;
  CHECK(said("manifest:1: the kernel has no service 'nope' linked in"));
  CHECK(said("manifest:2: cannot start the kernel's services: OutOfMemory"));
  CHECK(kernel_domain_space() == nullptr);
  CHECK(console().find("manifest:3: ") != std::string::npos);  // no such service
  CHECK(said(summary(0, 0, 0, frames, frames)));
  b.h.finish();
}

TEST_CASE("a kernel line whose own space cannot take its grants is refused, nothing left") {
  g_starts = 0;
  // An initrd bigger than the kernel line's quota (comment lines make the manifest long): its
  // copy cannot be charged to the domain's space.
  std::string manifest =
      "kernel serves=echo quota=64K initrd=yes\n"
      "run /bin/a uses=echo\n";
  for (int i = 0; i < 1200; ++i)
    manifest += "# " + std::string(70, '-') + "\n";
  Boot b(manifest);
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE(b.start());
  CHECK(said("exec kernel: cannot give it the initrd: QuotaExceeded"));
  CHECK(said("manifest:1: cannot start the kernel's services: QuotaExceeded"));
  CHECK(g_starts == 0);
  CHECK(kernel_domain_space() == nullptr);
  CHECK(console().find("manifest:2: ") != std::string::npos);  // echo is nobody's
  CHECK(said(summary(0, 0, 0, frames, frames)));
  b.h.finish();
}

// Boots "kernel serves=echo" with `budget` frames free (and, if `fill`, the Quota slab's page
// filled so that init's own account takes its last block): true if init said `what`. Every
// boot, whatever it said, must end clean: nothing leaked, the invariants held.
bool kernel_line_says(size_t budget, bool fill, const std::string& what) {
  Boot b("kernel serves=echo\n");
  // Accounts held the ordinary way, each by a space the test holds (the invariant checker
  // accounts for every reference), until one more account would need a fresh slab frame.
  std::vector<Space*> fillers;
  if (fill) {
    const SlabCache probe("probe", Quota::bookkeeping_bytes(), alignof(Quota));
    auto live = [] {
      size_t n = 0;
      for (Quota* q = live_quotas().front(); q != nullptr; q = live_quotas().next(q))
        ++n;
      return n;
    };
    // init's holder takes the page's last block; the kernel line's account is the next one.
    while ((live() + 1) % probe.blocks_per_page() != 0) {
      Result<Quota*> quota = Quota::create_root(1 << 16);
      REQUIRE(quota.ok());
      Result<Space*> space = Space::create(**quota, **quota, "filler");
      (*quota)->release();
      REQUIRE(space.ok());
      b.also_held(*space);
      fillers.push_back(*space);
    }
  }
  std::vector<PhysAddr> held;
  for (Result<PhysAddr> f = kernel_frames().allocate(); f.ok(); f = kernel_frames().allocate())
    held.push_back(*f);
  for (size_t i = 0; i < budget && !held.empty(); ++i) {
    REQUIRE(kernel_frames().free(held.back()) == Status::kOk);
    held.pop_back();
  }
  clear_console();
  REQUIRE(b.start());
  const bool found = said(what);
  if (found) {
    CHECK(said("manifest:1: cannot start the kernel's services: OutOfMemory"));
    CHECK(kernel_domain_space() == nullptr);
  }
  for (PhysAddr f : held)
    REQUIRE(kernel_frames().free(f) == Status::kOk);
  for (Space* s : fillers) {
    s->terminate(0);
    b.h.drain_teardown();
    s->release();
    b.h.drain_teardown();
  }
  if (g_kept_frame != 0) {
    REQUIRE(kernel_frames().free(g_kept_frame) == Status::kOk);
    g_kept_frame = 0;
  }
  b.h.finish();
  return found;
}

TEST_CASE("a kernel line init cannot make an account or a space for is refused, nothing left") {
  g_starts = 0;
  // With more and more frames free, the first allocation to fail moves through the line's
  // steps (init's holder, the kernel endpoint, the line's account, its space, its grants) until
  // the line starts. Its account fails only when it needs a new slab frame: hence the fill.
  bool account = false;
  for (size_t budget = 0; budget < 64 && !account; ++budget)
    account = kernel_line_says(budget, true, "exec kernel: no memory for its account: OutOfMemory");
  CHECK(account);
  bool space = false;
  for (size_t budget = 0; budget < 64 && !space; ++budget)
    space =
        kernel_line_says(budget, false, "exec kernel: no memory for an address space: OutOfMemory");
  CHECK(space);
  CHECK(g_starts == 0);
}

TEST_CASE("a second kernel line is refused like a second domain of the same name") {
  Boot b(
      "kernel serves=echo\n"
      "kernel serves=echo\n");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE(b.start());
  CHECK(console().find("manifest:2: ") != std::string::npos);
  CHECK(said(summary(0, 0, 0, frames, frames - 1, ", 1 kept by the kernel domain")));
  REQUIRE(kernel_frames().free(g_kept_frame) == Status::kOk);
  g_kept_frame = 0;
  b.h.finish();
}

TEST_CASE("the end-of-boot check names leaked frames and objects and powers off with failure") {
  Boot b("run /bin/a\n");
  clear_console();
  const size_t frames = kernel_frames().free_count();
  REQUIRE_FALSE(b.start());
  // Something the kernel took during the boot and never gave back: a frame and a space.
  Result<PhysAddr> frame = kernel_frames().allocate();
  REQUIRE(frame.ok());
  Result<Quota*> quota = Quota::create_root(1 << 16);
  REQUIRE(quota.ok());
  Result<Space*> leaked = Space::create(**quota, **quota, "leaked");
  (*quota)->release();
  REQUIRE(leaked.ok());
  b.also_held(*leaked);
  REQUIRE(b.exits("/bin/a", 0));
  CHECK(g_reason == arch::PowerOffReason::kFailure);
  CHECK(console().find("boot: 1 programs run, 1 exited 0, 0 failed; frames free before " +
                       std::to_string(frames) + ", after ") != std::string::npos);
  CHECK(console().find(" (LEAK)\n") != std::string::npos);
  CHECK(console().find(" kernel objects still alive (expected ") != std::string::npos);
  CHECK(said("  Space with 1 references"));
  (*leaked)->terminate(0);
  b.h.drain_teardown();
  (*leaked)->release();
  b.h.drain_teardown();
  REQUIRE(kernel_frames().free(*frame) == Status::kOk);
  b.h.finish();
}

TEST_CASE("with no frame left, init reports what it cannot make and still ends the boot clean") {
  g_starts = 0;
  Boot b(
      "domain d /bin/server serves=x\n"
      "kernel serves=echo\n"
      "run /bin/a\n");
  std::vector<PhysAddr> held;
  for (Result<PhysAddr> f = kernel_frames().allocate(); f.ok(); f = kernel_frames().allocate())
    held.push_back(*f);
  clear_console();
  REQUIRE(b.start());
  CHECK(said("manifest:1: no memory for init's endpoint holder: OutOfMemory"));
  CHECK(said("manifest:2: cannot start the kernel's services: OutOfMemory"));
  CHECK(g_starts == 0);
  CHECK(Boot::space_of("/bin/a") == nullptr);
  CHECK(said(summary(1, 0, 1, 0, 0)));
  CHECK(g_reason == arch::PowerOffReason::kSuccess);
  for (PhysAddr f : held)
    REQUIRE(kernel_frames().free(f) == Status::kOk);
  b.h.finish();
}

TEST_CASE("an initrd without a manifest runs nothing") {
  Harness h;
  std::string bytes;
  append_entry(bytes, "bin/a", kRegular, tiny_elf());
  append_entry(bytes, "TRAILER!!!", 0, "");
  Result<CpioArchive> archive =
      CpioArchive::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), nullptr);
  REQUIRE(archive.ok());
  clear_console();
  CHECK_FALSE(init_start(*archive));
  CHECK(console() == "initrd: no manifest; nothing to run\n");
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
