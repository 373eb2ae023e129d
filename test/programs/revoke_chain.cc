// Long kernel operations in bounded steps (//test/boot:revoke_chain_test; issue 10, item 2):
// chains of 50k, 100k and 200k capabilities, each the child of the one before, are revoked from
// their root while a second thread keeps running, and the time per capability must not grow
// with the depth (a revoke that walked down to a leaf for every deletion took 3 s for 32k);
// then a process with a million pages mapped ends (its teardown, and the 64 MiB memory_create
// before it) while the second thread keeps running too.
//
// A chain crosses capability tables (one holds at most 1023): cap_derive works only in the
// caller's table, so an agent thread (rt::chain_agent, a blob) runs in each table's space,
// extends the chain there and copies its end into the next space.
//
// The second thread waits for the PIT's interrupt, reprogrammed to 1 kHz (the manifest grants
// ports 0x40-0x43 and line 0), at a higher priority than the revoker: it can only record its
// ticks during a revoke if the revoke lets interrupts and other threads in between its steps.
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "svc/lib/alloc.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/clock.h"
#include "svc/lib/layout.h"
#include "svc/lib/print.h"
#include "svc/lib/servers.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace {

using hmk::Result;
using hmk::Status;
using hmk::abi::Handle;
namespace abi = hmk::abi;
namespace rt = hmk::rt;

// The agents' address space layout (the same in every agent space).
constexpr uint64_t kCodeAddress = 0x10'0000;
constexpr uint64_t kPageAddress = 0x20'0000;
constexpr uint64_t kStackAddress = 0x30'0000;
constexpr uint64_t kStackTop = kStackAddress + rt::kPageSize;

constexpr uint64_t kOwnLinks = 600;  // the chain's first links, in this process's table (which
                                     // also holds up to kMaxSpaces space handles)
constexpr uint64_t kLinksPerSpace = 1000;  // derived by an agent in its table (+1 copied in)
constexpr uint64_t kSpaceQuota = 112 * 1024;
constexpr int kMaxSpaces = 256;
constexpr uint32_t kLinkRights = abi::kRightSend;

// PIT channel 0 as a 1 kHz interrupt source: mode 2 (rate generator), divisor 1193.
constexpr uint16_t kPitChannel0 = 0x40;
constexpr uint16_t kPitCommand = 0x43;
constexpr uint32_t kPitDivisor = 1193;
constexpr uint64_t kPitPeriodNs = 1'000'000;

// ---- the ticker: the second thread ----

constexpr uint32_t kMaxTicks = 8192;
struct Ticker {
  Handle irq = abi::kNullHandle;
  Handle notification = abi::kNullHandle;
  Handle tick = abi::kNullHandle;  // signalled every wake-up, for a thread that waits on time
  volatile bool stop = false;
  volatile uint32_t count = 0;
  uint64_t at[kMaxTicks] = {};  // rdtsc of each wake-up (about one per virtual ns)
};
Ticker g_ticker;

void tick_loop(void*) {
  while (!g_ticker.stop) {
    if (!rt::wait(g_ticker.notification).ok()) return;
    const uint32_t n = g_ticker.count;
    if (n < kMaxTicks) g_ticker.at[n] = rt::cycle_counter();
    g_ticker.count = n + 1;
    (void)rt::signal(g_ticker.tick);
    (void)rt::irq_ack(g_ticker.irq);
  }
}

// Wake-ups of the ticker within [begin, end] and the longest stretch in that window (edges
// included) without one.
struct TickStats {
  uint32_t inside = 0;
  uint64_t longest_gap = 0;
};
TickStats ticks_between(uint64_t begin, uint64_t end) {
  TickStats stats;
  uint64_t last = begin;
  const uint32_t count = g_ticker.count;
  const uint32_t n = hmk::min(count, kMaxTicks);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t t = g_ticker.at[i];
    if (t < begin || t > end) continue;
    ++stats.inside;
    stats.longest_gap = hmk::max(stats.longest_gap, t - last);
    last = t;
  }
  stats.longest_gap = hmk::max(stats.longest_gap, end - last);
  return stats;
}

uint64_t quota_used() {
  Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace);
  return q.ok() ? q->used : ~0ull;
}

bool start_ticker() {
  const abi::BootCap* ports = rt::find_boot_cap("pit", abi::BootCapKind::kIoPorts);
  const abi::BootCap* line = rt::find_boot_cap("irq", abi::BootCapKind::kIrq);
  if (ports == nullptr || line == nullptr) {
    rt::print("revoke_chain: FAIL: the manifest must grant ioports=pit:0x40:4 irqs=0\n");
    return false;
  }
  g_ticker.irq = line->handle;
  Result<Handle> n = rt::notification_create();
  if (!n.ok() || rt::irq_bind(g_ticker.irq, *n) != Status::kOk) return false;
  g_ticker.notification = *n;
  Result<Handle> tick = rt::notification_create();
  if (!tick.ok()) return false;
  g_ticker.tick = *tick;
  if (rt::io_port_out(ports->handle, kPitCommand, 1, 0x34) != Status::kOk ||
      rt::io_port_out(ports->handle, kPitChannel0, 1, kPitDivisor & 0xff) != Status::kOk ||
      rt::io_port_out(ports->handle, kPitChannel0, 1, kPitDivisor >> 8) != Status::kOk) {
    return false;
  }
  // The ticker outranks the revoker, which drops below it.
  if (!rt::spawn_thread(tick_loop, nullptr, abi::kDefaultPriority, rt::IpcBufferMode::kNone).ok()) {
    return false;
  }
  return rt::thread_set_priority(abi::kSelfThread, abi::kDefaultPriority - 10) == Status::kOk;
}

// ---- building a chain ----

struct AgentMemory {
  Handle park = abi::kNullHandle;   // a notification nobody signals: finished agents wait there
  Handle code = abi::kNullHandle;   // the blob; mapped R+X in agent spaces only
  Handle page = abi::kNullHandle;   // the job page, mapped here and in every agent space
  Handle stack = abi::kNullHandle;  // one page, shared: agents run one after another
  volatile rt::ChainAgentPage* job = nullptr;
};
AgentMemory g_agent;

bool make_agent_memory() {
  const rt::ServerBlob blob = rt::chain_agent();
  Result<rt::Pages> code = rt::alloc_pages(1);
  if (!code.ok() || blob.size() > rt::kPageSize) return false;
  hmk::mem_copy(code->base, blob.begin, blob.size());
  // Writable here and executable there would be one object W and X at once: drop this side.
  if (rt::unmap(abi::kSelfSpace, reinterpret_cast<uint64_t>(code->base), 1) != Status::kOk) {
    return false;
  }
  g_agent.code = code->memory;
  Result<rt::Pages> page = rt::alloc_pages(1);
  Result<Handle> stack = rt::memory_create(1);
  if (!page.ok() || !stack.ok()) return false;
  g_agent.page = page->memory;
  g_agent.job = static_cast<volatile rt::ChainAgentPage*>(page->base);
  g_agent.stack = *stack;
  Result<Handle> park = rt::notification_create();
  if (!park.ok()) return false;
  g_agent.park = *park;
  return true;
}

Result<Handle> make_agent_space() {
  const Handle space = TRY(rt::space_create(kSpaceQuota));
  const uint32_t rw = abi::kRightRead | abi::kRightWrite;
  Status s = rt::map(space, g_agent.code, kCodeAddress, 0, 1, abi::kRightRead | abi::kRightExecute);
  if (s == Status::kOk) s = rt::map(space, g_agent.page, kPageAddress, 0, 1, rw);
  if (s == Status::kOk) s = rt::map(space, g_agent.stack, kStackAddress, 0, 1, rw);
  if (s != Status::kOk) {
    (void)rt::cap_delete(space);
    return s;
  }
  return space;
}

// Runs the agent in `space` on the job already in the page; waits for it to finish. The agent
// then waits for good, keeping its space alive until the chain is freed.
Status run_agent(Handle space) {
  g_agent.job->done = 0;
  g_agent.job->park = TRY(rt::cap_copy_to(space, g_agent.park, abi::kRightReceive));
  const Handle thread = TRY(rt::thread_create(space, kCodeAddress, kStackTop, kPageAddress));
  Status s = rt::thread_start(thread);
  while (s == Status::kOk && g_agent.job->done == 0)
    (void)rt::yield();           // the agent runs at this thread's priority
  (void)rt::cap_delete(thread);  // it lives on, parked, until its space is deleted
  if (s != Status::kOk) return s;
  return static_cast<Status>(static_cast<int32_t>(g_agent.job->status));
}

struct Chain {
  Handle root = abi::kNullHandle;  // an endpoint; the chain hangs below it
  Handle spaces[kMaxSpaces] = {};
  int space_count = 0;
  uint64_t links = 0;
};

void free_chain(Chain& chain) {
  for (int i = chain.space_count - 1; i >= 0; --i)
    (void)rt::cap_delete(chain.spaces[i]);
  chain.space_count = 0;
  if (chain.root != abi::kNullHandle) (void)rt::cap_delete(chain.root);
  chain.root = abi::kNullHandle;
}

// A chain of `links` capabilities below a new endpoint.
Status build_chain(uint64_t links, Chain& chain) {
  chain = Chain{};
  chain.root = TRY(rt::endpoint_create());
  Handle last = chain.root;
  const uint64_t own = hmk::min(links, kOwnLinks);
  for (uint64_t i = 0; i < own; ++i)
    last = TRY(rt::cap_derive(last, kLinkRights));
  uint64_t left = links - own;
  if (left == 0) return Status::kOk;
  // Into the first agent space by a copy from here; from then on each agent copies its end on.
  Handle space = TRY(make_agent_space());
  chain.spaces[chain.space_count++] = space;
  Handle end_there = TRY(rt::cap_copy_to(space, last, kLinkRights));
  --left;
  while (left > 0) {
    const uint64_t derive = hmk::min(left, kLinksPerSpace);
    left -= derive;
    Handle next = abi::kNullHandle;
    Handle next_there = abi::kNullHandle;
    if (left > 0) {
      if (chain.space_count == kMaxSpaces) return Status::kOutOfRange;
      next = TRY(make_agent_space());
      chain.spaces[chain.space_count++] = next;
      next_there = TRY(rt::cap_copy_to(space, next, abi::kRightManage));
      --left;  // the agent's copy into `next` is a link too
    }
    g_agent.job->start = end_there;
    g_agent.job->count = derive;
    g_agent.job->target = next_there;
    g_agent.job->rights = kLinkRights;
    TRY(run_agent(space));
    end_there = static_cast<Handle>(g_agent.job->last);
    space = next;
  }
  chain.links = links;
  return Status::kOk;
}

struct Measurement {
  uint64_t links;
  uint64_t ns;
  TickStats ticks;
};

bool measure(uint64_t links, Measurement* out) {
  Chain chain;
  const Status built = build_chain(links, chain);
  if (built != Status::kOk) {
    rt::print("revoke_chain: FAIL: building a chain of %lu: %s\n", links, hmk::status_name(built));
    free_chain(chain);
    return false;
  }
  const uint64_t begin = rt::cycle_counter();
  const Status revoked = rt::cap_revoke(chain.root);
  const uint64_t end = rt::cycle_counter();
  // Every link is gone: the root has no descendants left, so deriving and revoking again is
  // quick, and the spaces' tables hold only what the agents needed.
  Chain empty = chain;
  free_chain(empty);
  if (revoked != Status::kOk) {
    rt::print("revoke_chain: FAIL: revoking %lu: %s\n", links, hmk::status_name(revoked));
    return false;
  }
  *out = {links, end - begin, ticks_between(begin, end)};
  rt::print(
      "revoke_chain: %lu capabilities revoked in %lu ns (%lu ns each); the other thread ran "
      "%u times meanwhile, never more than %lu ns apart\n",
      links, out->ns, out->ns / links, out->ticks.inside, out->ticks.longest_gap);
  return true;
}

// ---- ending a big process ----

constexpr uint64_t kObjectPages = abi::kMaxMemoryPages;  // 64 MiB
constexpr uint64_t kMappings = 64;                       // a million pages in all
constexpr uint64_t kBigChildQuota = 12ull << 20;         // its page tables: about 8 MiB
constexpr uint64_t kMappingBase = 0x100'0000'0000;

// Makes a child process with one 64 MiB memory object mapped kMappings times, deletes the only
// capability to it (which ends it) and waits until its quota came back; the ticker must have
// run all along.
bool measure_teardown(Measurement* made, Measurement* ended) {
  const uint64_t used = quota_used();  // everything below comes back when the child has ended
  uint64_t begin = rt::cycle_counter();
  Result<Handle> memory = rt::memory_create(kObjectPages);  // zeroed in restarted steps
  uint64_t end = rt::cycle_counter();
  if (!memory.ok()) return false;
  *made = {kObjectPages, end - begin, ticks_between(begin, end)};
  rt::print(
      "revoke_chain: a 64 MiB memory object made in %lu ns; the other thread ran %u times "
      "meanwhile, never more than %lu ns apart\n",
      made->ns, made->ticks.inside, made->ticks.longest_gap);
  Result<Handle> child = rt::space_create(kBigChildQuota);
  if (!child.ok()) return false;
  for (uint64_t i = 0; i < kMappings; ++i) {
    const uint64_t at = kMappingBase + i * kObjectPages * rt::kPageSize;
    if (rt::map(*child, *memory, at, 0, kObjectPages, abi::kRightRead) != Status::kOk) return false;
  }
  (void)rt::cap_delete(*memory);  // the mappings hold it now
  begin = rt::cycle_counter();
  (void)rt::cap_delete(*child);  // its last capability: the process ends
  // The teardown is background work (a step per timer tick, and steps whenever the CPU would
  // idle): wait for it blocked, checking once a millisecond.
  while (quota_used() != used)
    (void)rt::wait(g_ticker.tick);
  end = rt::cycle_counter();
  *ended = {kMappings * kObjectPages, end - begin, ticks_between(begin, end)};
  rt::print(
      "revoke_chain: a process with %lu pages mapped ended in %lu ns; the other thread ran "
      "%u times meanwhile, never more than %lu ns apart\n",
      ended->links, ended->ns, ended->ticks.inside, ended->ticks.longest_gap);
  return true;
}

}  // namespace

int main() {
  if (!start_ticker() || !make_agent_memory()) {
    rt::print("revoke_chain: FAIL: setting up\n");
    return 1;
  }
  const uint64_t sizes[] = {50'000, 100'000, 200'000};
  Measurement m[3];
  for (int i = 0; i < 3; ++i) {
    if (!measure(sizes[i], &m[i])) return 1;
  }
  Measurement made;
  Measurement ended;
  if (!measure_teardown(&made, &ended)) {
    rt::print("revoke_chain: FAIL: setting up the big process\n");
    return 1;
  }
  g_ticker.stop = true;
  int failures = 0;
  // Preemptible as well: making a big memory object and ending a big process.
  const Measurement* big[] = {&made, &ended};
  for (const Measurement* r : big) {
    if (r->ns < 3 * kPitPeriodNs || r->ticks.inside + 3 < r->ns / kPitPeriodNs ||
        r->ticks.longest_gap > 4 * kPitPeriodNs) {
      rt::print(
          "revoke_chain: FAIL: %lu pages: the other thread ran %u times in %lu ns, once "
          "not for %lu ns\n",
          r->links, r->ticks.inside, r->ns, r->ticks.longest_gap);
      ++failures;
    }
  }
  // Linear: the cost per capability of the deepest chain within 25% of the shallowest's (a
  // walk to a leaf per deletion makes it 4 times as much).
  const uint64_t per_first = m[0].ns / m[0].links;
  const uint64_t per_last = m[2].ns / m[2].links;
  if (per_last * 4 > per_first * 5) {
    rt::print("revoke_chain: FAIL: %lu ns per capability at 200k vs %lu at 50k: not linear\n",
              per_last, per_first);
    ++failures;
  }
  // Each revoke really deleted its chain: at least 20 ns a capability (one that found nothing
  // to delete returns in a few hundred ns), so several timer periods long.
  for (const Measurement& r : m) {
    if (r.ns < 20 * r.links || r.ns < 3 * kPitPeriodNs) {
      rt::print("revoke_chain: FAIL: %lu capabilities revoked in only %lu ns\n", r.links, r.ns);
      ++failures;
    }
  }
  // Preemptible: the ticker woke every period, never waiting more than a few of them.
  for (const Measurement& r : m) {
    if (r.ticks.inside + 3 < r.ns / kPitPeriodNs || r.ticks.longest_gap > 4 * kPitPeriodNs) {
      rt::print(
          "revoke_chain: FAIL: during the %lu revoke the other thread ran %u times in %lu "
          "ns, once not for %lu ns\n",
          r.links, r.ticks.inside, r.ns, r.ticks.longest_gap);
      ++failures;
    }
  }
  if (failures == 0) {
    rt::print("revoke_chain: linear (%lu vs %lu ns each) and preemptible: ok\n", per_last,
              per_first);
  }
  return failures;
}
