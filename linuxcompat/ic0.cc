// The Linux shim inside the kernel (isolation class IC0), as HongMeng places it: the
// placement's half of the shim (linuxcompat/shim.cc is the other, shared with the shim as its
// own process, ic2.cc). The image links it into the kernel as its kernel domain, and the
// manifest's kernel line names it:
//
//   kernel serves=linux initrd=yes ioports=stdout:0x2f8:8 ioports=stderr:0x3e8:8 quota=256M
//   run /bin/lxwait uses=linux
//
// A Linux thread's system call or fault is a call on the kernel-served endpoint (its handler
// capability, badged kTaskBadge | serial | tid), which the kernel hands to call() below on the
// caller's own kernel entry: no IPC, no context switch. A system call that can never wait
// (getpid, a read of /dev/zero: linuxcompat/quick.h) is offered first to quick_syscall, which runs
// its handler right there on the kernel's stack, with no fiber and no message: the kernel saves no
// frame for it either. The shim's handlers are ordinary blocking code (a read of an empty pipe
// waits in the middle of the handler), and the kernel has one stack, so each call runs on a fiber
// (platform/fiber) of its own. A call that must wait saves its reply (core/kernel_service.h) and
// switches back to the kernel stack; the kernel returns to user mode with the caller blocked. When
// another call wakes it (wake_all), the fiber is run again after that call, finishes the handler,
// and its reply goes out with kernel_service_resume. Deadlines (nanosleep, poll's timeout) are the
// saved reply's.
//
// /bin/lxwait, a native program, starts the Linux program with a call (kStartLabel) and waits
// for its exit status: that call's reply is saved until the program ends. Its saved reply also
// carries the interval timers' deadline (ITIMER_REAL, alarm), the one deadline the shim keeps
// that belongs to no call.
//
// The kernel runs one entry at a time on one CPU and a fiber runs only while the kernel has
// switched to it, so the shim's state needs no lock here.
#include "core/console.h"
#include "core/kernel_service.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/service_fs.h"
#include "linuxcompat/quick.h"
#include "linuxcompat/shim.h"
#include "linuxcompat/signals.h"
#include "platform/fiber/fiber.h"
#include "svc/kernel/rt.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

namespace hmk::lx {

// ramfs and vfs beside the shim (ic0_services.cc): started, and a local channel to vfs, which
// set_up_shim makes the root on; a channel of kind kNone if they do not start (said on the console:
// the shim then does not start either, as the IC2 shim does not when its vfs does not answer).
rpc::Channel start_file_services();

namespace {

// lxwait's call: start the program; the reply's word 0 is its shell status (0..255).
constexpr uint32_t kStartLabel = 1;
// Labels of the replies to lxwait: kOk, or why not.
constexpr uint32_t kStartedTwice = 2;
constexpr uint32_t kNotForeign = 3;

// Each call's stack: as large as the IC2 shim's dispatch threads' (svc/lib/layout.h). Its
// lowest kGuardZone bytes are a guard zone filled with kCanary, which no call should reach;
// after every switch back one word in every kGuardStride of it is checked, and a changed one
// panics (a direct-map stack has no unmapped guard page below it: a frame that steps over
// the zone without writing those words goes unseen).
constexpr size_t kFiberStack = 64 * 1024;
constexpr size_t kGuardZone = 4096;
constexpr size_t kGuardStride = 512;
constexpr uint64_t kCanary = 0x6c78'7368'696d'5f30;

// One piece of work on a fiber: a Linux thread's call, lxwait's start, or the interval timers.
struct Call {
  fiber::Context context;
  uint8_t* stack = nullptr;
  void (*work)(Call&) = nullptr;
  abi::IpcRegisters regs = {};  // the request, then the reply
  uint64_t token = 0;           // its saved reply (0: answered at once, or none)
  bool done = false;            // the work has returned
  bool ready = false;           // in the ready list
  bool cancelled = false;       // its caller is gone: the reply goes nowhere
  bool deadline_passed = false;
  Call* next = nullptr;  // in the free list or the ready list
};

fiber::Context g_kernel;  // the kernel stack while a fiber runs
Call* g_running = nullptr;
Call* g_free = nullptr;
// A fiber kept for the one call that must run when no other can be had: ending the process of
// a task whose call found no memory for a fiber (out_of_memory_call), so that the shim's own
// tables see the end (its parent's wait, lxwait's answer) as for any other kill.
Call* g_reserve = nullptr;
Call* g_ready_first = nullptr;
Call* g_ready_last = nullptr;
// The calls whose reply is saved, by the token's slot: so cancel and expire find them.
Call* g_waiting[kMaxSavedReplies] = {};

uint64_t g_fiber_bytes = 0;  // the heap's bytes in the fibers made so far (kept for reuse)
// The heap's bytes in use just before the program started, and whether the comparison with
// them after its end was printed (the leak check of the shim's own objects).
uint64_t g_heap_before = 0;
bool g_heap_reported = false;
uint32_t g_waiting_calls = 0;  // calls whose reply is saved (g_waiting's entries)
uint64_t g_start_token = 0;    // lxwait's saved call (0: none)
bool g_started = false;
bool g_finished = false;
int32_t g_exit_status = 0;

// The kernel line's grants, checked when the kernel starts the domain; the shim is set up from
// them on lxwait's call (on a fiber: the file system is built from the initrd then).
const abi::BootCap* g_initrd = nullptr;
const abi::BootCap* g_stdout = nullptr;
const abi::BootCap* g_stderr = nullptr;

void fiber_main(void* arg) {
  Call& c = *static_cast<Call*>(arg);
  for (;;) {  // bound: one round per call the fiber serves; never returns
    c.work(c);
    c.done = true;
    fiber::switch_to(c.context, g_kernel);
  }
}

// A fiber for `work` (a finished one reused), or nullptr when out of memory.
Call* new_call(void (*work)(Call&)) {
  Call* c = g_free;
  if (c != nullptr) {
    g_free = c->next;
  } else {
    const uint64_t before = rt::heap_bytes_in_use();
    c = new (kFallible) Call();
    if (c == nullptr) return nullptr;
    c->stack = new (kFallible) uint8_t[kFiberStack];
    if (c->stack == nullptr) {
      delete c;
      return nullptr;
    }
    auto* guard = reinterpret_cast<uint64_t*>(c->stack);
    for (size_t i = 0; i < kGuardZone / sizeof(uint64_t); ++i)
      guard[i] = kCanary;
    fiber::init(c->context, c->stack, kFiberStack, &fiber_main, c);
    g_fiber_bytes += rt::heap_bytes_in_use() - before;
  }
  c->work = work;
  c->token = 0;
  c->done = c->ready = c->cancelled = c->deadline_passed = false;
  c->next = nullptr;
  return c;
}

void forget_token(const Call& c) {
  Call*& w = g_waiting[saved_reply_slot(c.token)];
  if (w == &c) {
    w = nullptr;
    --g_waiting_calls;
  }
}

Call* find_token(uint64_t token) {
  Call* w = g_waiting[saved_reply_slot(token)];
  return w != nullptr && w->token == token ? w : nullptr;
}

// Switches to `c` until it waits or its work is done.
void run(Call& c) {
  g_running = &c;
  fiber::switch_to(g_kernel, c.context);
  g_running = nullptr;
  for (size_t off = 0; off < kGuardZone; off += kGuardStride) {
    if (*reinterpret_cast<const uint64_t*>(c.stack + off) != kCanary) {
      panic(
          "lxshim: a call reached the guard zone of its %zu-byte fiber stack (%zu bytes above "
          "its bottom)",
          kFiberStack, off);
    }
  }
}

void to_kernel_call(const abi::IpcRegisters& regs, KernelCall* out) {
  out->label = regs.tag.label();
  out->words = min<uint32_t>(regs.tag.words(), abi::kRegisterWords);
  for (uint32_t i = 0; i < out->words; ++i)
    out->data[i] = regs.words[i];
}

// A finished call whose reply was saved: answered now (unless its caller is gone), and its
// fiber goes back to the free list.
void retire(Call& c) {
  if (c.token != 0) {
    forget_token(c);
    if (!c.cancelled) {
      KernelCall reply = {};
      to_kernel_call(c.regs, &reply);
      (void)kernel_service_resume(c.token, reply);
    }
  }
  c.next = g_free;
  g_free = &c;
}

// Runs every fiber woken meanwhile, in the order they were woken, until none is left. This
// runs inside another task's call (or a deadline's expire), where the kernel still names that
// call's caller: a woken fiber must not charge it (kernel_service_charge; the shim never does)
// or save a reply (a woken fiber always holds its token already: it saved before it waited).
void run_ready() {
  // bound: each round retires a call or leaves it waiting again; a call is woken only by
  // another's progress
  while (g_ready_first != nullptr) {
    Call* c = g_ready_first;
    g_ready_first = c->next;
    if (g_ready_first == nullptr) g_ready_last = nullptr;
    c->next = nullptr;
    c->ready = false;
    run(*c);
    if (c->done) retire(*c);
  }
}

void make_ready(Call& c) {
  if (c.ready || c.done) return;
  c.ready = true;
  c.next = nullptr;
  if (g_ready_last != nullptr) {
    g_ready_last->next = &c;
  } else {
    g_ready_first = &c;
  }
  g_ready_last = &c;
}

// ---- waiting ----

// Saves the running call's reply, if it is not saved yet: false if it cannot be (out of slots).
bool save_reply(Call& c) {
  if (c.token != 0) return true;
  Result<uint64_t> token = kernel_service_save_reply();
  if (!token.ok()) {
    rt::print("cannot wait: %s\n", status_name(token.status()));
    return false;
  }
  c.token = *token;
  g_waiting[saved_reply_slot(c.token)] = &c;
  ++g_waiting_calls;
  return true;
}

// Leaves the running call's fiber until make_ready runs it again.
void suspend(Call& c) {
  fiber::switch_to(c.context, g_kernel);
}

int64_t block_many(Task& task, WaitQueue* const* queues, uint32_t count, uint64_t deadline) {
  Call* c = g_running;
  if (c == nullptr) {
    // Only the quick way runs outside a fiber, and it takes no call that can wait (quick.h).
    rt::print("pid %d: a call answered the quick way tried to wait (a shim bug): EINTR\n",
              task.process.pid);
    return -kEINTR;
  }
  if (task.interrupted()) return -kEINTR;
  constexpr uint32_t kMax = 256;
  const uint32_t n = min(count, kMax);
  Waiter* waiters = new (kFallible) Waiter[n];
  if (waiters == nullptr) return -kENOMEM;
  if (!save_reply(*c)) {
    delete[] waiters;
    return -kENOMEM;
  }
  for (uint32_t i = 0; i < n; ++i) {
    waiters[i] = {queues[i]->first, reinterpret_cast<uint64_t>(c)};
    queues[i]->first = &waiters[i];
  }
  c->deadline_passed = false;
  if (deadline != 0) (void)kernel_service_set_deadline(c->token, deadline);
  // What a signal or the process's end wakes: any one of the queues reaches this call.
  task.waiting_on = queues[0];
  suspend(*c);
  task.waiting_on = nullptr;
  if (deadline != 0) (void)kernel_service_set_deadline(c->token, 0);
  for (uint32_t i = 0; i < n; ++i)
    unlink_waiter(*queues[i], &waiters[i]);
  delete[] waiters;
  if (task.interrupted()) return -kEINTR;
  return deadline != 0 && (c->deadline_passed || now() >= deadline) ? -kETIMEDOUT : 0;
}

int64_t block(Task& task, WaitQueue& queue) {
  WaitQueue* queues[1] = {&queue};
  return block_many(task, queues, 1, 0);
}

int64_t block_until(Task& task, WaitQueue& queue, uint64_t deadline) {
  WaitQueue* queues[1] = {&queue};
  return block_many(task, queues, 1, deadline);
}

void wake_all(WaitQueue& queue) {
  for (Waiter* w = queue.first; w != nullptr; w = w->next)
    make_ready(*reinterpret_cast<Call*>(w->token));
}

constexpr ShimServices kServices = {
    &fill_random, &set_tls,   &block, &wake_all,    &read_registers, &write_registers,
    &read_fpu,    &write_fpu, &now,   &block_until, &block_many,     &process_from};

// ---- the work on fibers ----

// The task's call could not have a fiber: its process ends (SIGKILL), as the shim ends one.
void out_of_memory_call(Call& c) {
  const auto tid = static_cast<int32_t>((c.regs.handle_or_badge >> 16) & 0xffff);
  Task* task = tid > 0 && tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (task != nullptr && g_shim.badges[tid] == c.regs.handle_or_badge && !task->in_call) {
    rt::print("pid %d (%s): no memory for a call's fiber: killed\n", task->process.pid,
              task->process.exe);
    end_process(task->process, kSigkill);
  }
  c.regs.tag = abi::MessageInfo::make(abi::kForeignExit, 1);
  c.regs.words[0] = 128 + kSigkill;
}

void linux_call(Call& c) {
  if (g_shim.test_panic_in_call)
    panic("lxshim: test: a panic on a call's fiber (test=panic-in-call)");
  // sched_yield: the caller goes behind the other ready threads once answered.
  if (handle(c.regs) == Answer::kQueueBehind) (void)kernel_service_yield_caller();
}

void start_call(Call& c) {
  Result<uint8_t*> initrd = kernel_domain_memory_page(g_initrd->handle, 0, false);
  const rpc::Channel vfs = start_file_services();
  if (!initrd.ok() || vfs.kind() == rpc::Channel::Kind::kNone ||
      !set_up_shim(*initrd, g_initrd->index, g_stdout->handle, g_stderr->handle, vfs)) {
    end_placement(125);
    c.regs.tag = abi::MessageInfo::make(0, 1);
    c.regs.words[0] = 125;
    return;
  }
  if (Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace); q.ok()) {
    g_shim.quota_at_start = q->used;
  }
  (void)make_init_process();  // before the count: init stays when the program has ended
  g_heap_before = rt::heap_bytes_in_use() - g_fiber_bytes;
  const int32_t failed = start_program();
  if (failed != 0) end_placement(failed);
  c.regs.tag = abi::MessageInfo::make(0, 1);
  c.regs.words[0] = static_cast<uint64_t>(g_exit_status);
  if (g_finished) return;  // answered now: the program could not start
  if (!save_reply(c)) {
    c.regs.words[0] = 125;
    return;
  }
  // The reply stays saved until end_placement answers it.
  forget_token(c);
  g_start_token = c.token;
  c.token = 0;
}

// The earliest interval-timer deadline of any live process (0: none).
uint64_t next_alarm() {
  uint64_t next = 0;
  for (int32_t pid = 1; pid < kMaxIds; ++pid) {
    Process* p = find_process(pid);
    if (p == nullptr || p->zombie || p->alarm_deadline == 0) continue;
    if (next == 0 || p->alarm_deadline < next) next = p->alarm_deadline;
  }
  return next;
}

// The interval timers: SIGALRM to each process whose ITIMER_REAL is due.
void timer_call(Call&) {
  const uint64_t at = now();
  for (int32_t pid = 1; pid < kMaxIds; ++pid) {
    Process* p = find_process(pid);
    if (p == nullptr || p->zombie || p->alarm_deadline == 0 || p->alarm_deadline > at) continue;
    if (p->alarm_interval == 0) {
      p->alarm_deadline = 0;
    } else {
      while (p->alarm_deadline <= at)  // bound: (at - deadline) / interval rounds
        p->alarm_deadline += p->alarm_interval;
    }
    (void)send_signal(*p, kSigalrm, 0);  // may end it; its fields stay readable (zombie)
  }
  alarms_changed();
}

// Runs `work` on a fiber now with the request `kc` (its first kRegisterWords words); returns
// the call if it finished (its reply in regs), else nullptr (it waits, or there was no fiber
// for it: `*no_fiber`).
Call* run_new(void (*work)(Call&), const KernelCall& kc, bool* no_fiber) {
  Call* c = new_call(work);
  *no_fiber = c == nullptr;
  if (c == nullptr) return nullptr;
  c->regs.handle_or_badge = kc.badge;
  c->regs.tag = abi::MessageInfo::make(kc.label, min<uint32_t>(kc.words, abi::kRegisterWords));
  // All of the registers' words, whatever the count (what lies past it is not read).
  static_assert(sizeof(c->regs.words) == abi::kRegisterWords * sizeof(uint64_t));
  mem_copy(c->regs.words, kc.data, sizeof(c->regs.words));
  run(*c);
  return c->done ? c : nullptr;
}

// The program has ended and no call waits any more: everything the program's processes took
// from the heap is back, but for the fibers kept for reuse (a leak shows in the difference).
// The copies of programs the root's files keep for execve go first: the program is done.
void report_heap() {
  g_heap_reported = true;
  fs::drop_program_images();
  report_ids();
  rt::print(
      "heap: %lu bytes in use before the program, %lu after, %lu of them fibers kept for "
      "reuse\n",
      g_heap_before, rt::heap_bytes_in_use(), g_fiber_bytes);
}

// ---- the kernel domain ----

Status start() {
  rt::set_print_name("lxshim");
  const abi::BootCap* initrd = rt::find_boot_cap("initrd", abi::BootCapKind::kInitrd);
  const abi::BootCap* out = rt::find_boot_cap("stdout", abi::BootCapKind::kIoPorts);
  const abi::BootCap* err = rt::find_boot_cap("stderr", abi::BootCapKind::kIoPorts);
  // The domain's own capability to the endpoint the kernel serves: the tasks' handler
  // capabilities are derived from it, badged (add_task).
  const abi::BootCap* endpoint = rt::find_boot_cap(nullptr, abi::BootCapKind::kEndpoint);
  if (initrd == nullptr || out == nullptr || err == nullptr || endpoint == nullptr) {
    rt::print("needs initrd=yes, ioports=stdout:... and ioports=stderr:... on the kernel line\n");
    return Status::kInvalidArgument;
  }
  g_shim.endpoint = endpoint->handle;
  // The initrd's frames are the boot loader's, one physical range: read through the direct
  // map as they lie (checked page by page).
  const uint64_t pages = align_up<uint64_t>(initrd->index, kPageSize) / kPageSize;
  Result<uint8_t*> first = kernel_domain_memory_page(initrd->handle, 0, false);
  if (!first.ok()) return first.status();
  for (uint64_t i = 1; i < pages; ++i) {
    Result<uint8_t*> page = kernel_domain_memory_page(initrd->handle, i, false);
    if (!page.ok() || *page != *first + i * kPageSize) {
      rt::print("the initrd is not one range of the direct map (page %lu)\n", i);
      return Status::kUnsupported;
    }
  }
  g_initrd = initrd;
  g_stdout = out;
  g_stderr = err;
  g_reserve = new_call(&out_of_memory_call);
  if (g_reserve == nullptr) return Status::kOutOfMemory;
  g_reserve->done = true;  // idle: free for its one use
  return Status::kOk;
}

int32_t find(const char* name) {
  return StringView(name) == StringView("linux") ? 0 : -1;
}

void call(KernelCall& kc) {
  // The shim takes no capabilities: any a call brings (children in the domain's space,
  // core/kernel_service.h) are deleted at once, so none piles up there.
  for (uint32_t i = 0; i < kc.caps && i < abi::kMaxMessageCaps; ++i)
    (void)rt::cap_delete(kc.cap_handles[i]);
  void (*work)(Call&) = nullptr;
  if ((kc.badge & kTaskBadge) != 0) {
    if (kc.label == abi::kForeignSyscallLabel || kc.label == abi::kForeignFaultLabel) {
      work = &linux_call;
    }
  } else if (kc.label == kStartLabel && !g_started) {
    g_started = true;
    work = &start_call;
  }
  if (work == nullptr) {
    kc.label = (kc.badge & kTaskBadge) != 0 ? kNotForeign : kStartedTwice;
    kc.words = 0;
    return;
  }
  bool no_fiber = false;
  Call* c = run_new(work, kc, &no_fiber);
  if (c != nullptr && c->token != 0) {
    retire(*c);  // it saved its reply and then gave up waiting: answered now all the same
  } else if (c != nullptr) {
    to_kernel_call(c->regs, &kc);
    c->next = g_free;
    g_free = c;
  } else if (no_fiber) {
    // The reserve fiber ends the caller's process through the shim (it never waits, so it
    // is free again when it returns); without one, the kernel ends it behind the shim's back.
    kc.label = abi::kForeignExit;
    kc.words = 1;
    kc.data[0] = 128 + kSigkill;
    if (work == &linux_call && g_reserve != nullptr && g_reserve->done) {
      Call& r = *g_reserve;
      r.work = &out_of_memory_call;
      r.done = false;
      r.regs.handle_or_badge = kc.badge;
      run(r);
    } else {
      rt::print("out of memory for a call's fiber\n");
    }
  }
  if (g_ready_first != nullptr) run_ready();
  if (g_finished && !g_heap_reported && g_waiting_calls == 0) report_heap();
}

// The caller of a saved reply is gone (killed, or its process ended): its fiber finishes, when
// woken, with nobody to answer. lxwait's own end leaves the program running unobserved.
void cancel(uint64_t token) {
  if (token == g_start_token) {
    g_start_token = 0;
    return;
  }
  if (Call* c = find_token(token); c != nullptr) c->cancelled = true;
}

void expire(uint64_t token) {
  if (token == g_start_token) {
    bool no_fiber = false;
    Call* c = run_new(&timer_call, KernelCall{}, &no_fiber);
    if (c != nullptr) {
      c->next = g_free;
      g_free = c;
    } else if (no_fiber) {  // the timers' turn comes again in 10 ms
      (void)kernel_service_set_deadline(g_start_token, now() + 10'000'000);
    }
  } else if (Call* c = find_token(token); c != nullptr) {
    c->deadline_passed = true;
    make_ready(*c);
  }
  run_ready();
}

// The quick way (linuxcompat/quick.h) needs no fiber: it is offered only on a thread's own
// kernel entry from user mode, never while a fiber runs. What it wakes (a pipe's reader) runs
// before the caller goes back, as after any call.
bool quick_syscall(uint32_t, uint64_t badge, const uint64_t* call, uint64_t* result) {
  if (!quick::handle_quick(badge, call, result)) return false;
  if (g_ready_first != nullptr) run_ready();
  return true;
}

static_assert(sizeof(quick::kQuickNumbers.words) == kQuickBitmapWords * sizeof(uint64_t));
constexpr KernelDomain kDomain = {
    &start,  &find,           &call,          &cancel,
    &expire, &rt::heap_pages, &quick_syscall, quick::kQuickNumbers.words,
    nullptr};

}  // namespace

void alarms_changed() {
  if (g_start_token != 0) (void)kernel_service_set_deadline(g_start_token, next_alarm());
}

// The program has ended: report it, end what is left, and answer lxwait.
void end_placement(int32_t shell_status) {
  if (g_finished) return;
  g_finished = true;
  g_exit_status = shell_status;
  if (g_shim.user_pager) rt::print("user pager: %lu page faults resolved\n", g_shim.pager_faults);
  rt::print("exit-status %d\n", shell_status);
  // Every process left but init (pid 1, which has nothing to end and reaps the others).
  for (int32_t pid = 2; pid < kMaxIds; ++pid) {
    Process* p = find_process(pid);
    if (p != nullptr && !p->zombie) end_process(*p, kSigkill);
  }
  if (g_start_token != 0) {
    KernelCall reply = {};
    reply.label = 0;
    reply.words = 1;
    reply.data[0] = static_cast<uint64_t>(shell_status);
    (void)kernel_service_resume(g_start_token, reply);
    g_start_token = 0;
  }
}

const ShimServices& shim_services() {
  return kServices;
}

}  // namespace hmk::lx

extern "C" const hmk::KernelDomain* hmk_kernel_domain() {
  return &hmk::lx::kDomain;
}
