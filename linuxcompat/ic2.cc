// The Linux shim as its own process (isolation class IC2): the placement's half of the shim
// (linuxcompat/shim.cc is the other, shared with the kernel placement, ic0.cc). It maps the
// initrd, runs the program named by /hmk/exec.argv (as pid 2) and serves the system calls of it
// and of the processes it makes, which the kernel turns into calls on the shim's endpoint
// (core/abi/syscall.h, "foreign system calls"). Dispatch threads receive the calls; one lock
// guards the shim's state, dropped while a call waits (a pipe, a child), and a new dispatch
// thread starts when the last receiving one is about to wait. When the program ends the shim
// prints "exit-status N" and exits, which ends every process left.
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/shim.h"
#include "linuxcompat/signals.h"
#include "svc/lib/alloc.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/mutex.h"
#include "svc/lib/print.h"
#include "svc/lib/rpc_ipc.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::lx {

// ---- the shim's side of the process's memory: pages through mirrors ----
// A page is its place in the object's mirror, which is made when the shim first reaches one of
// the object's pages: one map, then no kernel call per page. The mirror of an object that is not
// writable is read-only (W^X), and a write access to it is refused here before it could fault.
uint8_t* ShimBackend::page(MemoryObject& object, uint64_t index, PageAccess access) {
  if (index >= object.pages || (access == PageAccess::kWrite && !object.writable)) return nullptr;
  if (object.mirror == nullptr) return page_of_new_mirror(object, index);
  return object.mirror + index * kPageSize;
}

// Kept out of line, so that page()'s usual path (the mirror is there) saves no registers.
[[gnu::noinline]] uint8_t* ShimBackend::page_of_new_mirror(MemoryObject& object, uint64_t index) {
  const uint64_t size = object.pages * kPageSize;
  const uint64_t base = rt::reserve_address_space(size, kPageSize);
  if (base == 0) return nullptr;
  const uint32_t rights = abi::kRightRead | (object.writable ? abi::kRightWrite : 0);
  if (rt::map(abi::kSelfSpace, object.handle, base, 0, object.pages, rights) != Status::kOk) {
    rt::release_address_space(base, size);
    return nullptr;
  }
  object.mirror = reinterpret_cast<uint8_t*>(base);
  return object.mirror + index * kPageSize;
}

Status ShimBackend::set_writable(MemoryObject& object, bool writable) {
  if (object.mirror == nullptr) return Status::kOk;  // made later, with the rights of then
  const uint32_t rights = abi::kRightRead | (writable ? abi::kRightWrite : 0);
  return rt::protect(abi::kSelfSpace, reinterpret_cast<uint64_t>(object.mirror), object.pages,
                     rights);
}

void ShimBackend::destroy(MemoryObject& object) {
  if (object.mirror != nullptr) {
    const auto base = reinterpret_cast<uint64_t>(object.mirror);
    (void)rt::unmap(abi::kSelfSpace, base, object.pages);
    rt::release_address_space(base, object.pages * kPageSize);
  }
  (void)rt::cap_delete(object.handle);
  object = {};
}

namespace {

// Regular files' memory objects (MAP_SHARED) are the shim's own: made, reached (through their
// mirrors) and deleted through this backend, never mapped in a process by it.
ShimBackend g_file_memory(abi::kNullHandle);

// One lock guards the shim's state; a dispatch thread holds it while it handles a call and
// drops it while the call waits (block).
rt::Mutex g_lock;
abi::Handle g_current_token = abi::kNullHandle;  // the lock holder's notification
uint32_t g_receiving = 0;                        // dispatch threads waiting in recv
uint32_t g_dispatch_threads = 0;
abi::Handle g_timer_token = abi::kNullHandle;  // the interval-timer thread's notification
constexpr uint32_t kMaxDispatchThreads = 64;

void start_dispatch_thread();

int64_t block(Task& task, WaitQueue& queue) {
  if (task.interrupted()) return -kEINTR;
  const abi::Handle token = g_current_token;
  Waiter self = {queue.first, token};
  queue.first = &self;
  task.waiting_on = &queue;
  // Somebody must take the calls that will wake us.
  if (g_receiving == 0) start_dispatch_thread();
  g_lock.unlock();
  (void)rt::wait(token);
  g_lock.lock();
  g_current_token = token;
  task.waiting_on = nullptr;
  unlink_waiter(queue, &self);
  return task.interrupted() ? -kEINTR : 0;
}

void wake_all(WaitQueue& queue) {
  for (Waiter* w = queue.first; w != nullptr; w = w->next)
    (void)rt::signal(w->token);
}
// Waits in every queue of `queues` at once (each gets a waiter with this thread's token).
int64_t block_many(Task& task, WaitQueue* const* queues, uint32_t count, uint64_t deadline) {
  if (task.interrupted()) return -kEINTR;
  const abi::Handle token = g_current_token;
  constexpr uint32_t kMax = 256;
  Waiter* waiters = new (kFallible) Waiter[count < kMax ? count : kMax];
  if (waiters == nullptr) return -kENOMEM;
  const uint32_t n = count < kMax ? count : kMax;
  for (uint32_t i = 0; i < n; ++i) {
    waiters[i] = {queues[i]->first, token};
    queues[i]->first = &waiters[i];
  }
  if (deadline != 0) (void)rt::set_timer(token, deadline);
  // What a signal or the process's end wakes: any one of the queues reaches this thread.
  task.waiting_on = queues[0];
  if (g_receiving == 0) start_dispatch_thread();
  g_lock.unlock();
  (void)rt::wait(token);
  g_lock.lock();
  g_current_token = token;
  task.waiting_on = nullptr;
  if (deadline != 0) (void)rt::set_timer(token, 0);
  for (uint32_t i = 0; i < n; ++i)
    unlink_waiter(*queues[i], &waiters[i]);
  delete[] waiters;
  if (task.interrupted()) return -kEINTR;
  return deadline != 0 && now() >= deadline ? -kETIMEDOUT : 0;
}

int64_t block_until(Task& task, WaitQueue& queue, uint64_t deadline) {
  const abi::Handle token = g_current_token;
  if (rt::set_timer(token, deadline) != Status::kOk) return -kEINTR;
  const int64_t r = block(task, queue);
  (void)rt::set_timer(token, 0);
  if (r != 0) return r;
  return now() >= deadline ? -kETIMEDOUT : 0;
}

constexpr ShimServices kServices = {
    &fill_random, &set_tls,   &block, &wake_all,    &read_registers, &write_registers,
    &read_fpu,    &write_fpu, &now,   &block_until, &block_many,     &process_from};

void dispatch_loop(void*) {
  Result<abi::Handle> token = rt::notification_create();
  if (!token.ok()) {
    rt::print("a dispatch thread has no notification: %s\n", status_name(token.status()));
    return;
  }
  abi::IpcRegisters regs = {};
  g_lock.lock();
  ++g_receiving;
  g_lock.unlock();
  Status s = rt::recv(g_shim.endpoint, regs);
  for (;;) {
    g_lock.lock();
    --g_receiving;
    g_current_token = *token;
    Answer answer = Answer::kResumeAtOnce;
    if (s == Status::kOk) {
      answer = handle(regs);
    } else {
      rt::print("receiving failed: %s\n", status_name(s));
      regs.tag = abi::MessageInfo::make(0, 0);
    }
    ++g_receiving;
    g_lock.unlock();
    if (answer == Answer::kQueueBehind) {
      (void)rt::reply(regs);  // a caller gone meanwhile has nobody to resume
      s = rt::recv(g_shim.endpoint, regs);
    } else {
      s = rt::reply_recv(g_shim.endpoint, regs);
    }
  }
}

void start_dispatch_thread() {
  if (g_dispatch_threads == kMaxDispatchThreads) {
    rt::print("all %u dispatch threads wait; calls queue until one is free\n", kMaxDispatchThreads);
    return;
  }
  Result<rt::Thread> t = rt::spawn_thread(&dispatch_loop, nullptr, abi::kDefaultPriority);
  if (t.ok()) {
    ++g_dispatch_threads;
  } else {
    rt::print("cannot start a dispatch thread: %s\n", status_name(t.status()));
  }
}

// The interval-timer thread: sends SIGALRM when a process's ITIMER_REAL is due, then sleeps on
// a notification timer until the next deadline or a change (alarms_changed).
void timer_loop(void*) {
  for (;;) {
    g_lock.lock();
    const uint64_t at = now();
    uint64_t next = 0;
    for (int32_t pid = 1; pid < kMaxIds; ++pid) {
      Process* p = find_process(pid);
      if (p == nullptr || p->zombie || p->alarm_deadline == 0) continue;
      if (p->alarm_deadline <= at) {
        if (p->alarm_interval == 0) {
          p->alarm_deadline = 0;
        } else {
          while (p->alarm_deadline <= at)
            p->alarm_deadline += p->alarm_interval;
        }
        (void)send_signal(*p, kSigalrm, 0);  // may end it; its fields stay readable (zombie)
      }
      if (p->alarm_deadline != 0 && (next == 0 || p->alarm_deadline < next)) {
        next = p->alarm_deadline;
      }
    }
    const abi::Handle token = g_timer_token;
    g_lock.unlock();
    (void)rt::set_timer(token, next);
    (void)rt::wait(token);
  }
}

// The initrd (mapped here), the serial ports and the endpoint; false (after saying why) if
// something is missing.
bool set_up() {
  const abi::BootCap* initrd = rt::find_boot_cap("initrd", abi::BootCapKind::kInitrd);
  const abi::BootCap* out = rt::find_boot_cap("stdout", abi::BootCapKind::kIoPorts);
  const abi::BootCap* err = rt::find_boot_cap("stderr", abi::BootCapKind::kIoPorts);
  if (initrd == nullptr || out == nullptr || err == nullptr) {
    rt::print("needs initrd=yes, ioports=stdout:... and ioports=stderr:... in its manifest line\n");
    return false;
  }
  const uint64_t pages = align_up<uint64_t>(initrd->index, kPageSize) / kPageSize;
  const uint64_t base = rt::reserve_address_space(pages * kPageSize, kPageSize);
  if (base == 0 ||
      rt::map(abi::kSelfSpace, initrd->handle, base, 0, pages, abi::kRightRead) != Status::kOk) {
    rt::print("cannot map the initrd\n");
    return false;
  }
  Result<abi::Handle> endpoint = rt::endpoint_create();
  if (!endpoint.ok() || g_lock.init() != Status::kOk) {
    rt::print("no endpoint or lock\n");
    return false;
  }
  g_shim.endpoint = *endpoint;
  // The vfs service, if the manifest line grants it (uses=vfs): the root is its.
  const rpc::Channel vfs = rt::connect("vfs", svc::fs::FileSystem::kInterfaceId);
  // procmgr, if granted (uses=procmgr); else the shim runs its own beside it.
  const rpc::Channel procmgr = rt::connect("procmgr", svc::procmgr::ProcessManager::kInterfaceId);
  // memmgr, the same way (uses=memmgr).
  const rpc::Channel memmgr = rt::connect("memmgr", svc::memmgr::MemoryManager::kInterfaceId);
  return set_up_shim(reinterpret_cast<const uint8_t*>(base), initrd->index, out->handle,
                     err->handle, vfs, procmgr, memmgr);
}

int run() {
  if (!set_up()) return 125;
  if (Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace); q.ok()) {
    g_shim.quota_at_start = q->used;
  }
  g_lock.lock();
  if (const int32_t failed = start_program(); failed != 0) end_placement(failed);
  g_lock.unlock();
  ++g_dispatch_threads;
  dispatch_loop(nullptr);  // this thread serves too; the shim ends in finish()
  return 125;
}

}  // namespace

void alarms_changed() {
  if (g_timer_token == abi::kNullHandle) {
    Result<abi::Handle> token = rt::notification_create();
    if (!token.ok()) return;
    g_timer_token = *token;
    if (!rt::spawn_thread(&timer_loop, nullptr, abi::kDefaultPriority).ok()) {
      rt::print("cannot start the interval-timer thread\n");
    }
  }
  (void)rt::signal(g_timer_token);
}

// The shim's quota use, once the kernel has torn down what ended (in background steps).
uint64_t settled_quota_use(uint64_t expected) {
  uint64_t used = 0;
  for (int i = 0; i < 1000; ++i) {
    Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace);
    used = q.ok() ? q->used : 0;
    if (used <= expected) break;
    (void)rt::yield();
  }
  return used;
}

void end_placement(int32_t shell_status) {
  const uint64_t used = settled_quota_use(g_shim.quota_at_start);
  if (live_programs() == 0) {
    rt::print("quota: %lu bytes in use before the program, %lu after\n", g_shim.quota_at_start,
              used);
    report_ids();
  }
  if (g_shim.user_pager) rt::print("user pager: %lu page faults resolved\n", g_shim.pager_faults);
  rt::print("exit-status %d\n", shell_status);
  rt::process_exit(0);
}

const ShimServices& shim_services() {
  return kServices;
}

MemoryBackend& file_memory() {
  return g_file_memory;
}

}  // namespace hmk::lx

int main() {
  return hmk::lx::run();
}
