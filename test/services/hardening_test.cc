// The services against a hostile or careless client (issue 10): one program, booted in the
// hardening images of every profile (test/services/BUILD), each of which places the probe
// service (probe.capnp) in the domain under test so that the client can see what its calls
// leave behind there.
//
// Output: "HRD-NNNN description ... ok" or "... FAIL (details)" per check, then a summary; the
// exit status is the number of failed checks. The harness types three lines into the console:
// one when asked for it (HRD-0002), two once two readers wait (HRD-0003).
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "svc/console/console.hmk.h"
#include "svc/lib/alloc.h"
#include "svc/lib/print.h"
#include "svc/lib/rpc_ipc.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"
#include "svc/ramfs/ramfs.hmk.h"
#include "test/services/client_calls.h"
#include "test/services/probe.hmk.h"

#ifndef HMK_FILES_IN_KERNEL
#error "build with -DHMK_FILES_IN_KERNEL=0 or 1: whether ramfs and vfs run in the kernel (IC0)"
#endif

namespace {

namespace abi = hmk::abi;
namespace rt = hmk::rt;
using hmk::rpc::Status;
using hmk::svc::console::Console;
using hmk::svc::fs::FileSystem;
using hmk::svc::fs::NodeKind;
using hmk::test::probe::Probe;

int g_passed = 0;
int g_failed = 0;

void check(const char* id, const char* what, bool ok, const char* detail = "") {
  (ok ? g_passed : g_failed) += 1;
  if (ok) {
    rt::print("%s %s ... ok\n", id, what);
  } else {
    rt::print("%s %s ... FAIL %s\n", id, what, detail);
  }
}

Console::Client g_console;
FileSystem::Client g_fs;     // vfs
FileSystem::Client g_ramfs;  // ramfs itself
Probe::Client g_probe;

// The probe's domain's quota in use, or ~0 if the probe cannot say.
uint64_t domain_used() {
  Probe::UsageResponse resp;
  return g_probe.usage({}, resp) == Status::kOk ? resp.usage.quota_used : ~0ull;
}

uint64_t own_used() {
  hmk::Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace);
  return q.ok() ? q->used : ~0ull;
}

void say(const char* text) {
  hmk::test::services::say(g_console, text);
  Console::FlushResponse flushed;
  (void)g_console.flush({}, flushed);
}

Status create(const char* path, NodeKind kind, uint64_t* node) {
  return hmk::test::services::create(g_fs, path, kind, node);
}

Status remove(const char* path) {
  return hmk::test::services::remove(g_fs, path);
}

Status write_byte(uint64_t node, uint64_t offset) {
  return hmk::test::services::write_byte(g_fs, node, offset);
}

Status truncate(uint64_t node, uint64_t size) {
  FileSystem::TruncateRequest req;
  req.node = node;
  req.size = size;
  FileSystem::TruncateResponse resp;
  return g_fs.truncate(req, resp);
}

// ---- HRD-0001: capabilities a request does not take do not stay in the server ----

// Calls `method` (which takes no capability) on `channel` with four capabilities attached.
// The reply's label, or a transport failure as kTransport.
Status call_with_four(const hmk::rpc::Channel& channel, uint32_t method, const abi::Handle* caps) {
  hmk::rpc::Message msg;
  msg.label = method;
  msg.size = 0;
  msg.cap_count = 4;
  for (uint32_t i = 0; i < 4; ++i)
    msg.caps[i] = caps[i];
  const Status s = channel.call(msg);
  if (s != Status::kOk) return s;
  hmk::rpc::drop_caps(msg, hmk::rpc::kAllCaps);  // a reply should bring none; drop any
  return static_cast<Status>(msg.label);
}

void test_received_capabilities() {
  abi::Handle caps[4] = {};
  for (abi::Handle& c : caps)
    c = rt::notification_create().value_or(0);
  struct Target {
    const char* name;
    const hmk::rpc::Channel* channel;
    uint32_t method;
  };
  // In the kernel profile ramfs and vfs are kernel-served: the capabilities go to the kernel
  // domain's own space, and the probe's domain is another. There the calls themselves show it:
  // the domain's table holds at most 1023 capabilities, so had any call left one behind, a
  // call after the first few hundred would find no room for its four (kBufferTooSmall).
  const Target targets[] = {
      {"console", &g_console.channel(), static_cast<uint32_t>(Console::Method::kStats)},
      {"ramfs", &g_ramfs.channel(), static_cast<uint32_t>(FileSystem::Method::kPing)},
      {"vfs", &g_fs.channel(), static_cast<uint32_t>(FileSystem::Method::kPing)},
  };
  constexpr int kCalls = 10'000;
  for (const Target& t : targets) {
    (void)call_with_four(*t.channel, t.method, caps);  // warm-up: table pages, heap
    const uint64_t before = domain_used();
    int failures = 0;
    Status first_failure = Status::kOk;
    for (int i = 0; i < kCalls; ++i) {
      const Status s = call_with_four(*t.channel, t.method, caps);
      if (s != Status::kOk && failures++ == 0) first_failure = s;
    }
    const uint64_t after = domain_used();
    const Status still = call_with_four(*t.channel, t.method, caps);
    char detail[160];
    hmk::snformat(detail, sizeof(detail),
                  "(%d of %d calls failed, first: %s; the probe's domain used %lu bytes before, "
                  "%lu after; then: %s)",
                  failures, kCalls, hmk::rpc::status_name(first_failure), before, after,
                  hmk::rpc::status_name(still));
    char what[120];
    hmk::snformat(what, sizeof(what),
                  "10,000 calls to %s with 4 capabilities each: all answered, nothing left "
                  "behind",
                  t.name);
    check("HRD-0001", what,
          failures == 0 && still == Status::kOk && before == after && before != ~0ull, detail);
  }
  for (abi::Handle c : caps)
    (void)rt::cap_delete(c);
}

// ---- HRD-0002: a stale handle in one service cannot reach another service's capability ----

void test_stale_handle() {
  // In the coalesced profile console and ramfs share one capability table. The console keeps
  // the handle of a notifier a client sent it:
  //  1. the client revokes its notification, which deletes the console's copy (slot X);
  //  2. ramfs's next extent (a file's) passes through X: the domain makes its memory object
  //     there and deletes the handle once the memory is mapped (svc/lib/domain.cc);
  //  3. the console is sent a new notifier, whose copy lands in X, the lowest free slot, and
  //     deletes its old handle: before handles carried generations that deleted the new copy;
  //  4. it is sent another, whose copy lands in X again, and deletes the handle it kept in
  //     step 3: that new copy too, so input no longer signals the client.
  // With generations the handle of step 3 is stale (an error), and nothing else is touched.
  const abi::Handle first = rt::notification_create().value_or(0);
  const abi::Handle second = rt::notification_create().value_or(0);
  const abi::Handle third = rt::notification_create().value_or(0);
  Console::NotifyOnInputRequest req;
  Console::NotifyOnInputResponse resp;
  req.notifier.handle = first;
  const Status registered = g_console.notify_on_input(req, resp);
  (void)rt::cap_revoke(first);
  uint64_t node = 0;
  const Status created = create("/hrd_alias", NodeKind::kFile, &node);
  const Status written = write_byte(node, 0);  // ramfs allocates an extent: a memory object
  req.notifier.handle = second;
  Status replaced = g_console.notify_on_input(req, resp);
  req.notifier.handle = third;
  if (replaced == Status::kOk) replaced = g_console.notify_on_input(req, resp);
  const Status removed = remove("/hrd_alias");  // ramfs frees the extent (an unmapping)
  (void)rt::poll(third);
  say("hardening test: type a line (the test expects: alias)\n");
  Console::ReadLineResponse line;
  const Status read = g_console.read_line({}, line);
  const uint64_t bits = rt::poll(third).value_or(0);
  char detail[200];
  hmk::snformat(detail, sizeof(detail),
                "(register %s, create %s, write %s, replace %s, remove %s, read %s '%.*s', "
                "notifier bits %lu)",
                hmk::rpc::status_name(registered), hmk::rpc::status_name(created),
                hmk::rpc::status_name(written), hmk::rpc::status_name(replaced),
                hmk::rpc::status_name(removed), hmk::rpc::status_name(read),
                static_cast<int>(line.line.size), line.line.data, bits);
  check("HRD-0002",
        "a handle the console kept after its capability was revoked reaches nothing of ramfs's",
        registered == Status::kOk && created == Status::kOk && written == Status::kOk &&
            replaced == Status::kOk && removed == Status::kOk && read == Status::kOk &&
            line.line.equals("alias") && bits != 0,
        detail);
  (void)rt::cap_delete(first);
  (void)rt::cap_delete(second);
  (void)rt::cap_delete(third);
}

// ---- HRD-0004 and HRD-0005: file data rounds leave nothing behind; who pays for the data ----

void test_data_rounds() {
  uint64_t node = 0;
  if (create("/hrd_rounds", NodeKind::kFile, &node) != Status::kOk) {
    check("HRD-0004", "create the file for the rounds", false);
    return;
  }
  // Warm-up round: whatever a first extent costs once (heap, table pages) is paid here.
  (void)write_byte(node, 0);
  (void)truncate(node, 0);
  const uint64_t domain_before = domain_used();
  const uint64_t own_before = own_used();
  constexpr int kRounds = 3000;  // a fresh 16 KiB extent each: 47 MiB of addresses without reuse
  int failures = 0;
  for (int i = 0; i < kRounds; ++i) {
    if (write_byte(node, 0) != Status::kOk || truncate(node, 0) != Status::kOk) ++failures;
  }
  const uint64_t domain_after = domain_used();
  const uint64_t own_after = own_used();
  char detail[200];
  hmk::snformat(detail, sizeof(detail),
                "(%d failed rounds; the probe's domain used %lu then %lu, this client %lu then "
                "%lu)",
                failures, domain_before, domain_after, own_before, own_after);
  check("HRD-0004",
        "3,000 write and truncate rounds on ramfs: quota and page tables back where they began",
        failures == 0 && domain_before == domain_after && own_before == own_after, detail);

  // One more extent, held: IC0 charges the client; a domain charges itself.
  const uint64_t own_empty = own_used();
  const Status written = write_byte(node, 0);
  const uint64_t own_holding = own_used();
  const Status removed = remove("/hrd_rounds");
  const uint64_t own_removed = own_used();
  constexpr uint64_t kExtentBytes = 16 * 1024;
  const uint64_t want = HMK_FILES_IN_KERNEL ? kExtentBytes : 0;
  hmk::snformat(detail, sizeof(detail),
                "(write %s, remove %s; this client used %lu, %lu holding the extent, %lu after)",
                hmk::rpc::status_name(written), hmk::rpc::status_name(removed), own_empty,
                own_holding, own_removed);
  check("HRD-0005",
        HMK_FILES_IN_KERNEL ? "ramfs in the kernel charges a file's data to the client's quota"
                            : "ramfs in a process charges a file's data to its own quota",
        written == Status::kOk && removed == Status::kOk && own_holding == own_empty + want &&
            own_removed == own_empty,
        detail);
}

// ---- HRD-0003: calls that wait do not stall the domain ----

struct Reader {
  Status status = Status::kTransport;
  Console::ReadLineResponse line;
  volatile bool started = false;
};

void read_one_line(void* arg) {
  auto* r = static_cast<Reader*>(arg);
  r->started = true;
  r->status = g_console.read_line({}, r->line);
}

void test_waiting_readers() {
  Reader readers[2];
  rt::Thread threads[2];
  bool spawned = true;
  for (int i = 0; i < 2; ++i) {
    hmk::Result<rt::Thread> t = rt::spawn_thread(read_one_line, &readers[i], abi::kDefaultPriority);
    spawned = spawned && t.ok();
    if (t.ok()) threads[i] = *t;
  }
  // Let both reach their blocked read_line before the file operations start.
  for (int i = 0; i < 200; ++i)
    (void)rt::yield();
  int done = 0;
  Status first_failure = Status::kOk;
  for (int i = 0; i < 250; ++i) {  // four operations a round: 1,000
    uint64_t node = 0;
    Status s = create("/hrd_busy", NodeKind::kFile, &node);
    if (s == Status::kOk) s = write_byte(node, 100);
    FileSystem::StatRequest req;
    req.node = node;
    FileSystem::StatResponse resp;
    if (s == Status::kOk) s = g_fs.stat(req, resp);
    if (s == Status::kOk) s = remove("/hrd_busy");
    if (s == Status::kOk) {
      done += 4;
    } else if (first_failure == Status::kOk) {
      first_failure = s;
    }
  }
  const bool both_waiting = readers[0].started && readers[1].started &&
                            readers[0].status == Status::kTransport &&
                            readers[1].status == Status::kTransport;
  rt::print("hardening test: %d file operations while two readers wait\n", done);
  for (int i = 0; spawned && i < 2; ++i)
    (void)threads[i].join();
  char detail[200];
  hmk::snformat(detail, sizeof(detail),
                "(%d operations, first failure %s; readers waited: %s; read %s '%.*s' and %s "
                "'%.*s')",
                done, hmk::rpc::status_name(first_failure), both_waiting ? "yes" : "no",
                hmk::rpc::status_name(readers[0].status),
                static_cast<int>(readers[0].line.line.size), readers[0].line.line.data,
                hmk::rpc::status_name(readers[1].status),
                static_cast<int>(readers[1].line.line.size), readers[1].line.line.data);
  // Each reader got one of the two lines typed, and not the same one.
  const bool lines = readers[0].status == Status::kOk && readers[1].status == Status::kOk &&
                     ((readers[0].line.line.equals("one") && readers[1].line.line.equals("two")) ||
                      (readers[0].line.line.equals("two") && readers[1].line.line.equals("one")));
  check("HRD-0003", "two readers wait on the console while 1,000 file operations go through",
        spawned && done == 1000 && both_waiting && lines, detail);
}

}  // namespace

int main() {
  rt::print("hardening test: start\n");
  g_console = Console::Client(rt::connect("console", Console::kInterfaceId));
  g_fs = FileSystem::Client(rt::connect("vfs", FileSystem::kInterfaceId));
  g_ramfs = FileSystem::Client(rt::connect("ramfs", FileSystem::kInterfaceId));
  g_probe = Probe::Client(rt::connect("probe", Probe::kInterfaceId));
  const bool granted = g_console.channel().kind() != hmk::rpc::Channel::Kind::kNone &&
                       g_fs.channel().kind() != hmk::rpc::Channel::Kind::kNone &&
                       g_ramfs.channel().kind() != hmk::rpc::Channel::Kind::kNone &&
                       g_probe.channel().kind() != hmk::rpc::Channel::Kind::kNone;
  check("HRD-0000", "the manifest granted console, vfs, ramfs and the probe", granted);
  if (!granted) return 1;
  test_received_capabilities();
  test_stale_handle();
  test_data_rounds();
  test_waiting_readers();
  rt::print("hardening test: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed;
}
