// The Linux shim as its own process (isolation class IC2): it runs the program named by the
// initrd's /hmk/exec.argv (as pid 2) and serves the system calls of it and of the processes it
// makes, which the kernel turns into calls on the shim's endpoint (core/abi/syscall.h,
// "foreign system calls"). Dispatch threads receive the calls; one lock guards the shim's
// state, dropped while a call waits (a pipe, a child), and a new dispatch thread starts when
// the last receiving one is about to wait. Standard output and error of the program go to the
// serial ports the manifest gives the shim (COM2 and COM3 for ./hmk exec); standard input is
// /dev/null. The program is pid 2, the child of an init (pid 1) the shim keeps; when it ends
// the shim prints "exit-status N" (the exit code, or 128 + the signal) and exits, which ends
// every process left.
#include "linuxcompat/shim.h"

#include "linuxcompat/signals.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/operations.h"
#include "svc/lib/alloc.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/clock.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace hmk::lx {

Shim g_shim;

// ---- the shim's side of the process's memory ----
// Lazy unless populated: the kernel gives each page its zeroed frame when the process or the
// shim (through the mirror) first touches it.
Status ShimBackend::create(uint64_t pages, bool populate, MemoryObject* object) {
  const abi::Handle memory = TRY(rt::memory_create(pages, populate ? 0 : abi::kMemoryLazy));
  *object = {memory, pages};
  return Status::kOk;
}

Status ShimBackend::clone(const MemoryObject& source, MemoryObject* copy) {
  const abi::Handle memory = TRY(rt::memory_clone(source.handle));
  *copy = {memory, source.pages};
  return Status::kOk;
}

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

Status ShimBackend::map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                        uint32_t rights) {
  return rt::map(space_, memory, vaddr, first_page, pages, rights);
}

Status ShimBackend::unmap(uint64_t vaddr, uint64_t pages) {
  return rt::unmap(space_, vaddr, pages);
}

namespace {

// Regular files' memory objects (MAP_SHARED) are the shim's own: made, reached (through their
// mirrors) and deleted through this backend, never mapped in a process by it.
ShimBackend g_file_memory(abi::kNullHandle);

// ---- files: the serial ports, and an empty input if /dev/null cannot be opened ----
class SerialFile final : public File {
 public:
  SerialFile(abi::Handle ports, uint16_t base) : ports_(ports), base_(base) {}
  int64_t read(uint8_t*, uint64_t) override { return -kEBADF; }
  int64_t write(const uint8_t* data, uint64_t length) override {
    for (uint64_t i = 0; i < length; ++i) {
      if (rt::io_port_out(ports_, base_, 1, data[i]) != Status::kOk) {
        return i > 0 ? static_cast<int64_t>(i) : -kEIO;
      }
    }
    return static_cast<int64_t>(length);
  }
  bool readable() const override { return false; }
  bool writable() const override { return true; }

 private:
  abi::Handle ports_;
  uint16_t base_;
};

class EmptyInput final : public File {
 public:
  int64_t read(uint8_t*, uint64_t) override { return 0; }
  int64_t write(const uint8_t*, uint64_t) override { return -kEBADF; }
  bool readable() const override { return true; }
  bool writable() const override { return false; }
};

constexpr uint16_t kStdoutPort = 0x2f8;  // COM2
constexpr uint16_t kStderrPort = 0x3e8;  // COM3

// A 16550 UART at `base`, set up as the kernel sets up COM1: 115200 8N1, polled.
void init_uart(abi::Handle ports, uint16_t base) {
  const uint8_t setup[][2] = {{1, 0x00}, {3, 0x80}, {0, 0x01}, {1, 0x00},
                              {3, 0x03}, {2, 0xc7}, {4, 0x03}};
  for (const auto& reg : setup)
    (void)rt::io_port_out(ports, static_cast<uint16_t>(base + reg[0]), 1, reg[1]);
}

// ---- shim services for the handlers ----
uint64_t g_random_state = 0;

void fill_random(uint8_t* buffer, size_t length) {
  if (g_random_state == 0) g_random_state = rt::cycle_counter() | 1;
  for (size_t i = 0; i < length; ++i) {
    // xorshift64*: fast, not cryptographic (docs/linux-syscalls.md says so for getrandom)
    g_random_state ^= g_random_state >> 12;
    g_random_state ^= g_random_state << 25;
    g_random_state ^= g_random_state >> 27;
    buffer[i] = static_cast<uint8_t>((g_random_state * 0x2545f4914f6cdd1dull) >> 56);
  }
}

Status set_tls(Task& task, uint64_t fs_base, uint64_t gs_base) {
  return rt::thread_set_tls(task.thread, fs_base, gs_base);
}

void start_dispatch_thread();

int64_t block(Task& task, WaitQueue& queue) {
  if (task.interrupted()) return -kEINTR;
  const abi::Handle token = g_shim.current_token;
  Waiter self = {queue.first, token};
  queue.first = &self;
  task.waiting_on = &queue;
  // Somebody must take the calls that will wake us.
  if (g_shim.receiving == 0) start_dispatch_thread();
  g_shim.lock.unlock();
  (void)rt::wait(token);
  g_shim.lock.lock();
  g_shim.current_token = token;
  task.waiting_on = nullptr;
  for (Waiter** w = &queue.first; *w != nullptr; w = &(*w)->next) {
    if (*w == &self) {
      *w = self.next;
      break;
    }
  }
  return task.interrupted() ? -kEINTR : 0;
}

void wake_all(WaitQueue& queue) {
  for (Waiter* w = queue.first; w != nullptr; w = w->next)
    (void)rt::signal(w->token);
}

Status read_registers(Task& task, abi::UserRegisters* out) {
  return rt::thread_read_registers(task.thread, reinterpret_cast<uint64_t>(out));
}

Status write_registers(Task& task, const abi::UserRegisters& in) {
  return rt::thread_write_registers(task.thread, reinterpret_cast<uint64_t>(&in));
}

Status read_fpu(Task& task, abi::FpuState* out) {
  return rt::thread_read_fpu(task.thread, reinterpret_cast<uint64_t>(out));
}

Status write_fpu(Task& task, const abi::FpuState& in) {
  return rt::thread_write_fpu(task.thread, reinterpret_cast<uint64_t>(&in));
}

// /proc's view of the process table: the live process with the lowest pid >= `pid`.
Process* process_from(int32_t pid) {
  for (int32_t p = max(pid, 1); p < kMaxIds; ++p) {
    if (g_shim.processes[p] != nullptr && !g_shim.processes[p]->process.zombie) {
      return &g_shim.processes[p]->process;
    }
  }
  return nullptr;
}

uint64_t now() {
  Result<uint64_t> ns = rt::clock_read();
  return ns.ok() ? *ns : 0;
}

// Waits in every queue of `queues` at once (each gets a waiter with this thread's token).
int64_t block_many(Task& task, WaitQueue* const* queues, uint32_t count, uint64_t deadline) {
  if (task.interrupted()) return -kEINTR;
  const abi::Handle token = g_shim.current_token;
  constexpr uint32_t kMax = 256;
  Waiter* waiters = new Waiter[count < kMax ? count : kMax];
  if (waiters == nullptr) return -kENOMEM;
  const uint32_t n = count < kMax ? count : kMax;
  for (uint32_t i = 0; i < n; ++i) {
    waiters[i] = {queues[i]->first, token};
    queues[i]->first = &waiters[i];
  }
  if (deadline != 0) (void)rt::set_timer(token, deadline);
  // What a signal or the process's end wakes: any one of the queues reaches this thread.
  task.waiting_on = queues[0];
  if (g_shim.receiving == 0) start_dispatch_thread();
  g_shim.lock.unlock();
  (void)rt::wait(token);
  g_shim.lock.lock();
  g_shim.current_token = token;
  task.waiting_on = nullptr;
  if (deadline != 0) (void)rt::set_timer(token, 0);
  for (uint32_t i = 0; i < n; ++i) {
    for (Waiter** w = &queues[i]->first; *w != nullptr; w = &(*w)->next) {
      if (*w == &waiters[i]) {
        *w = waiters[i].next;
        break;
      }
    }
  }
  delete[] waiters;
  if (task.interrupted()) return -kEINTR;
  return deadline != 0 && now() >= deadline ? -kETIMEDOUT : 0;
}

int64_t block_until(Task& task, WaitQueue& queue, uint64_t deadline) {
  const abi::Handle token = g_shim.current_token;
  if (rt::set_timer(token, deadline) != Status::kOk) return -kEINTR;
  const int64_t r = block(task, queue);
  (void)rt::set_timer(token, 0);
  if (r != 0) return r;
  return now() >= deadline ? -kETIMEDOUT : 0;
}

constexpr ShimServices kServices = {
    &fill_random, &set_tls,   &block, &wake_all,    &read_registers, &write_registers,
    &read_fpu,    &write_fpu, &now,   &block_until, &block_many,     &process_from};

// ---- serving ----
int64_t dispatch(Task& task, const abi::IpcRegisters& regs) {
  const uint64_t nr = regs.words[0];
  const SyscallArgs args = {
      nr,
      {regs.words[1], regs.words[2], regs.words[3], regs.words[4], regs.words[5], regs.words[6]},
      regs.words[7],
      regs.words[8]};
  if (nr < kSyscallCount && kSyscalls[nr].call != nullptr) return kSyscalls[nr].call(task, args);
  const bool known = nr < kSyscallCount && kSyscalls[nr].name != nullptr;
  if (nr >= kSyscallCount || !g_shim.reported[nr]) {
    if (nr < kSyscallCount) g_shim.reported[nr] = true;
    rt::print("unimplemented syscall %s (%lu) -> ENOSYS, first from pid %d\n",
              known ? kSyscalls[nr].name : "(no such call)", nr, task.process.pid);
  }
  return -kENOSYS;
}

// The signal a CPU exception raises (arch/x86/kernel/traps.c).
int signal_for_vector(uint64_t vector) {
  switch (vector) {
    case 0:
      return kSigfpe;  // #DE
    case 1:
    case 3:
      return kSigtrap;
    case 6:
      return kSigill;  // #UD
    case 16:
    case 19:
      return kSigfpe;
    case 17:
      return kSigbus;  // #AC
    default:
      return kSigsegv;  // #PF, #GP, #SS, ...
  }
}

// A fault: the signal's handler runs if there is one and the signal is not blocked, else the
// process is killed (as Linux's force_sig does).
void fault(Task& task, const abi::IpcRegisters& regs) {
  const int sig = signal_for_vector(regs.words[0]);
  const uint64_t bit = uint64_t{1} << (sig - 1);
  const uint64_t handler = task.process.actions[sig - 1].handler;
  if (handler != kSigDfl && handler != kSigIgn && (task.signal_mask & bit) == 0) {
    task.pending |= bit;
    // SEGV_ACCERR (2) where something is mapped, SEGV_MAPERR (1) where nothing is.
    const int32_t code = sig != kSigsegv ? 0x80 : task.process.mm.contains(regs.words[1]) ? 2 : 1;
    const SignalSource source = {code, 0, regs.words[1]};
    (void)deliver_pending(task, 0, sig, source);
    return;
  }
  rt::print("pid %d (%s) killed by signal %d: exception %lu at pc 0x%lx, address 0x%lx\n",
            task.process.pid, task.process.exe, sig, regs.words[0], regs.words[2], regs.words[1]);
  task.exiting = true;
  task.wait_status = sig;
}

// What a shell reports for a wait status: the exit code, or 128 + the signal.
int32_t shell_status(int32_t wait_status) {
  return (wait_status & 0x7f) != 0 ? 128 + (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
}

// How a dispatch thread answers: reply_recv, whose direct switch resumes the caller before any
// other ready thread, or a plain reply, which queues it behind them (sched_yield), then recv.
enum class Answer : uint8_t { kResumeAtOnce, kQueueBehind };

// Handles one call (the lock held) and leaves the reply in `regs`.
Answer handle(abi::IpcRegisters& regs) {
  const uint64_t badge = regs.handle_or_badge;
  const auto tid = static_cast<int32_t>(badge & 0xffff);
  Task* task = tid > 0 && tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (task == nullptr || g_shim.badges[tid] != badge) {
    regs.tag = abi::MessageInfo::make(0, 0);  // a call from a task that has ended
    return Answer::kResumeAtOnce;
  }
  // A user-level pager's fault (pager=user): resolved as kernel paging would, and retried. So
  // is, under kernel paging, a fault on a page mapped again while the fault waited for the lock
  // (a file's memory object moved to a bigger one: RegularInode::move_to_memory).
  constexpr uint64_t kPageFaultVector = 14;
  if (regs.tag.label() == abi::kForeignFaultLabel && regs.words[0] == kPageFaultVector &&
      rt::space_resolve_fault(task->process.space, regs.words[1],
                              static_cast<uint32_t>(regs.words[4])) == Status::kOk) {
    if (g_shim.user_pager) ++g_shim.pager_faults;
    regs.tag = abi::MessageInfo::make(abi::kForeignResume, 1);
    regs.words[0] = 0;
    return Answer::kResumeAtOnce;
  }
  task->in_call = true;
  int64_t result = 0;
  if (task->ended_by_exec) {
    // Another task's execve ends this one: nothing of the call is done (a fault of a thread
    // that ran on after the memory went is no fault of the program).
  } else if (regs.tag.label() == abi::kForeignSyscallLabel) {
    result = deliver_pending(*task, dispatch(*task, regs), 0, SignalSource{0, 0, 0}, regs.words[0]);
  } else {
    fault(*task, regs);
  }
  task->in_call = false;
  Process& process = task->process;
  if (process.zombie) {  // its process ended while the call waited: nobody resumes
    delete_task(task);
    regs.tag = abi::MessageInfo::make(abi::kForeignExit, 1);
    regs.words[0] = 0;
    return Answer::kResumeAtOnce;
  }
  if (task->ended_by_exec) {  // gone; the execve waiting for it goes on once all are
    delete_task(task);
    wake_all(process.task_exits);
    regs.tag = abi::MessageInfo::make(abi::kForeignThreadExit, 1);
    regs.words[0] = 0;
    return Answer::kResumeAtOnce;
  }
  if (task->exiting && task->thread_exit && !task->killed && process.task_count > 1) {
    end_thread(*task);  // exit of one thread of several
    regs.tag = abi::MessageInfo::make(abi::kForeignThreadExit, 1);
    regs.words[0] = 0;
    return Answer::kResumeAtOnce;
  }
  if (task->killed || task->exiting) {
    const int32_t status = task->wait_status;
    end_process(process, status);  // the task is gone now
    regs.tag = abi::MessageInfo::make(abi::kForeignExit, 1);
    regs.words[0] = static_cast<uint64_t>(shell_status(status));
    return Answer::kResumeAtOnce;
  }
  if (task->thread_replaced) {  // execve moved it to a new kernel thread: that one runs now
    task->thread_replaced = false;
    if (rt::thread_start(task->thread) != Status::kOk) end_process(process, kSigkill);
    regs.tag = abi::MessageInfo::make(abi::kForeignThreadExit, 1);  // the old one ends
    regs.words[0] = 0;
    return Answer::kResumeAtOnce;
  }
  regs.tag = abi::MessageInfo::make(abi::kForeignResume, 1);
  regs.words[0] = static_cast<uint64_t>(result);
  const bool yielding = task->yielding;
  task->yielding = false;
  return yielding ? Answer::kQueueBehind : Answer::kResumeAtOnce;
}

void dispatch_loop(void*) {
  Result<abi::Handle> token = rt::notification_create();
  if (!token.ok()) {
    rt::print("a dispatch thread has no notification: %s\n", status_name(token.status()));
    return;
  }
  abi::IpcRegisters regs = {};
  g_shim.lock.lock();
  ++g_shim.receiving;
  g_shim.lock.unlock();
  Status s = rt::recv(g_shim.endpoint, regs);
  for (;;) {
    g_shim.lock.lock();
    --g_shim.receiving;
    g_shim.current_token = *token;
    Answer answer = Answer::kResumeAtOnce;
    if (s == Status::kOk) {
      answer = handle(regs);
    } else {
      rt::print("receiving failed: %s\n", status_name(s));
      regs.tag = abi::MessageInfo::make(0, 0);
    }
    ++g_shim.receiving;
    g_shim.lock.unlock();
    if (answer == Answer::kQueueBehind) {
      (void)rt::reply(regs);  // a caller gone meanwhile has nobody to resume
      s = rt::recv(g_shim.endpoint, regs);
    } else {
      s = rt::reply_recv(g_shim.endpoint, regs);
    }
  }
}

void start_dispatch_thread() {
  if (g_shim.dispatch_threads == kMaxDispatchThreads) {
    rt::print("all %u dispatch threads wait; calls queue until one is free\n", kMaxDispatchThreads);
    return;
  }
  Result<rt::Thread> t = rt::spawn_thread(&dispatch_loop, nullptr, abi::kDefaultPriority);
  if (t.ok()) {
    ++g_shim.dispatch_threads;
  } else {
    rt::print("cannot start a dispatch thread: %s\n", status_name(t.status()));
  }
}

// The interval-timer thread: sends SIGALRM when a process's ITIMER_REAL is due, then sleeps on
// a notification timer until the next deadline or a change (alarms_changed).
void timer_loop(void*) {
  for (;;) {
    g_shim.lock.lock();
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
    const abi::Handle token = g_shim.timer_token;
    g_shim.lock.unlock();
    (void)rt::set_timer(token, next);
    (void)rt::wait(token);
  }
}

// The NUL-separated strings of an initrd file, as pointers into it.
uint32_t split_strings(const CpioEntry& file, const char** out, uint32_t max) {
  uint32_t n = 0;
  const char* text = reinterpret_cast<const char*>(file.data);
  size_t start = 0;
  for (size_t i = 0; i < file.size && n < max; ++i) {
    if (text[i] != 0) continue;
    out[n++] = text + start;
    start = i + 1;
  }
  return n;
}

constexpr uint32_t kMaxArgs = 256;

// The initrd, the serial ports and the endpoint; false (after saying why) if something is
// missing.
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
  Result<CpioArchive> archive =
      CpioArchive::open(reinterpret_cast<const uint8_t*>(base), initrd->index, nullptr);
  Result<abi::Handle> endpoint = rt::endpoint_create();
  if (!archive.ok() || !endpoint.ok() || g_shim.lock.init() != Status::kOk) {
    rt::print("bad initrd, or no endpoint or lock\n");
    return false;
  }
  g_shim.initrd = new CpioArchive(*archive);
  fs::set_memory_backend(&g_file_memory);
  (void)fs::init_from_initrd(*g_shim.initrd);
  g_shim.endpoint = *endpoint;
  g_shim.stdout_ports = out->handle;
  g_shim.stderr_ports = err->handle;
  init_uart(out->handle, kStdoutPort);
  init_uart(err->handle, kStderrPort);
  return true;
}

// /hmk/exec.config (./hmk exec's profile): NAME=VALUE lines. False (after saying why) for
// anything unknown.
bool read_config() {
  Result<CpioEntry> file = g_shim.initrd->find("hmk/exec.config");
  if (!file.ok()) return true;  // the defaults
  const auto* text = reinterpret_cast<const char*>(file->data);
  size_t start = 0;
  for (size_t i = 0; i <= file->size; ++i) {
    if (i < file->size && text[i] != '\n') continue;
    const StringView line(text + start, i - start);
    start = i + 1;
    if (line.empty()) continue;
    if (line == StringView("pager=user")) {
      g_shim.user_pager = true;
    } else if (line == StringView("pager=kernel")) {
      g_shim.user_pager = false;
    } else {
      rt::print("/hmk/exec.config: unknown setting '%.*s' (known: pager=kernel, pager=user)\n",
                static_cast<int>(line.size()), line.data());
      return false;
    }
  }
  return true;
}

int run() {
  if (!set_up() || !read_config()) return 125;
  Result<CpioEntry> argv_file = g_shim.initrd->find("hmk/exec.argv");
  Result<CpioEntry> env_file = g_shim.initrd->find("hmk/exec.env");
  const char* argv[kMaxArgs];
  const char* envp[kMaxArgs];
  const uint32_t argc = argv_file.ok() ? split_strings(*argv_file, argv, kMaxArgs) : 0;
  const uint32_t envc = env_file.ok() ? split_strings(*env_file, envp, kMaxArgs) : 0;
  if (argc == 0) {
    rt::print("no program: /hmk/exec.argv is missing or empty\n");
    return 125;
  }
  if (Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace); q.ok()) {
    g_shim.quota_at_start = q->used;
  }
  g_shim.lock.lock();
  const int64_t e = start_first_program(argv, argc, envp, envc);
  if (e != 0) {
    rt::print("exec %s: error %ld\n", argv[0], -e);
    finish((e == -kENOENT ? 127 : 126) << 8);
  }
  g_shim.lock.unlock();
  ++g_shim.dispatch_threads;
  dispatch_loop(nullptr);  // this thread serves too; the shim ends in finish()
  return 125;
}

}  // namespace

void give_standard_files(Process& process) {
  // Standard input is /dev/null (a file of the shim's file system, as `< /dev/null` gives).
  File* input = nullptr;
  if (fs::root() == nullptr ||
      fs::open(process, fs::root(), StringView("/dev/null"), 0, 0, &input) != 0) {
    input = new EmptyInput();
  }
  process.fds.install(0, input);
  process.fds.install(1, new SerialFile(g_shim.stdout_ports, kStdoutPort));
  process.fds.install(2, new SerialFile(g_shim.stderr_ports, kStderrPort));
}

namespace {

// Makes the shim `thread`'s syscall handler, with a new badge naming `tid`: the badge, or 0.
uint64_t set_handler(abi::Handle thread, int32_t tid) {
  const uint64_t badge = (++g_shim.serial << 16) | static_cast<uint64_t>(tid);
  Result<abi::Handle> handler = rt::cap_derive(g_shim.endpoint, abi::kRightSend, badge);
  if (!handler.ok()) return 0;
  const Status s = rt::thread_set_syscall_handler(thread, *handler);
  (void)rt::cap_delete(*handler);  // the process's table keeps its copy
  return s == Status::kOk ? badge : 0;
}

}  // namespace

Task* add_task(Process& process, int32_t tid, abi::Handle thread) {
  const uint64_t badge = set_handler(thread, tid);
  if (badge == 0) return nullptr;
  auto* task = new Task(process, tid, thread);
  ++process.task_count;
  set_task_name(*task);
  g_shim.tasks[tid] = task;
  g_shim.badges[tid] = badge;
  return task;
}

bool move_task(Task& task, int32_t tid, abi::Handle thread) {
  if (g_shim.tasks[tid] != nullptr) return false;
  const uint64_t badge = set_handler(thread, tid);
  if (badge == 0) return false;
  g_shim.tasks[task.tid] = nullptr;
  g_shim.badges[task.tid] = 0;
  // The old thread keeps running until the reply to its call ends it (a started thread holds
  // a reference on itself), so its capability can go now.
  (void)rt::cap_delete(task.thread);
  task.tid = tid;
  task.thread = thread;
  task.thread_replaced = true;
  g_shim.tasks[tid] = &task;
  g_shim.badges[tid] = badge;
  return true;
}

void alarms_changed() {
  if (g_shim.timer_token == abi::kNullHandle) {
    Result<abi::Handle> token = rt::notification_create();
    if (!token.ok()) return;
    g_shim.timer_token = *token;
    if (!rt::spawn_thread(&timer_loop, nullptr, abi::kDefaultPriority).ok()) {
      rt::print("cannot start the interval-timer thread\n");
    }
  }
  (void)rt::signal(g_shim.timer_token);
}

void set_task_name(Task& task) {
  const char* base = task.process.exe;
  for (const char* p = task.process.exe; *p != 0; ++p)
    if (*p == '/') base = p + 1;
  (void)snformat(task.name, sizeof(task.name), "%s", base);  // truncated to 15, as Linux's comm
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

void finish(int32_t wait_status) {
  uint32_t live = 0;
  for (int32_t pid = 2; pid < kMaxIds; ++pid)
    live += g_shim.processes[pid] != nullptr && !g_shim.processes[pid]->process.zombie;
  // Everything the program's processes used comes back when they are gone: a leak shows here.
  if (live == 0) {
    rt::print("quota: %lu bytes in use before the program, %lu after\n", g_shim.quota_at_start,
              settled_quota_use(g_shim.quota_at_start));
  }
  if (g_shim.user_pager) rt::print("user pager: %lu page faults resolved\n", g_shim.pager_faults);
  rt::print("exit-status %d\n", shell_status(wait_status));
  rt::process_exit(0);
}

const ShimServices& shim_services() {
  return kServices;
}

}  // namespace hmk::lx

int main() {
  return hmk::lx::run();
}
