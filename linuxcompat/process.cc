// Processes as the shim makes and ends them: the first program, fork, exec, the end of a
// process (zombie, reparenting, waking the parent) and default signal actions. Runs with the
// shim's lock held.
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/inode.h"
#include "linuxcompat/robust_list.h"
#include "linuxcompat/shim.h"
#include "linuxcompat/signals.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

namespace hmk::lx {
namespace {

// What each Linux process's own kernel objects (page tables, capability table) may use; its
// memory is the shim's.
constexpr uint64_t kProcessQuota = 2ull << 20;
constexpr int32_t kInitPid = 1;

// A robust lock's word was marked OWNER_DIED: one of its waiters runs and takes it over.
void wake_one(Task& task, uint64_t address) {
  (void)futex_wake(task.process, address, 1, 0xffffffff);
}

using Pm = svc::procmgr::ProcessManager;

void release_id(int32_t id);
void forget_pid(int32_t pid);

// Whether procmgr's answer `s` to `what` ("spawn", "addThread") gave an id the shim can take:
// inside its tables and naming nothing there. If not, the failure is said on the console
// (procmgr is wrong; running out of ids, noSpace, is not) and the caller answers -EAGAIN, as
// Linux's fork does at pid_max.
bool usable_id(rpc::Status s, int32_t id, const char* what) {
  if (s == rpc::Status::kOk && id > 0 && id < kMaxIds && g_shim.tasks[id] == nullptr &&
      g_shim.processes[id] == nullptr) {
    return true;
  }
  if (s == rpc::Status::kOk) {
    rt::print("procmgr: %s gave id %d, which the shim cannot take\n", what, id);
  } else if (s != rpc::Status::kNoSpace) {
    rt::print("procmgr: %s failed: %s\n", what, rpc::status_name(s));
  }
  return false;
}

// A new process's pid from procmgr, a child of `parent` (0: pid 1, the reaper), or -EAGAIN.
int32_t new_pid(int32_t parent) {
  Pm::SpawnRequest req;
  req.parent = parent;
  Pm::SpawnResponse resp;
  const rpc::Status s = g_shim.procmgr.spawn(req, resp);
  if (usable_id(s, resp.pid, "spawn")) return resp.pid;
  if (s == rpc::Status::kOk) forget_pid(resp.pid);  // back to procmgr, which made it
  return static_cast<int32_t>(-kEAGAIN);
}

// A new task's tid in the process `pid`, or -EAGAIN.
int32_t new_tid(int32_t pid) {
  Pm::AddThreadRequest req;
  req.pid = pid;
  Pm::AddThreadResponse resp;
  const rpc::Status s = g_shim.procmgr.add_thread(req, resp);
  if (usable_id(s, resp.tid, "addThread")) return resp.tid;
  if (s == rpc::Status::kOk) release_id(resp.tid);
  return static_cast<int32_t>(-kEAGAIN);
}

// procmgr may hand `id` out again: nothing of the shim's is under it any more.
void release_id(int32_t id) {
  Pm::ReleaseRequest req;
  req.id = id;
  Pm::ReleaseResponse resp;
  if (const rpc::Status s = g_shim.procmgr.release(req, resp); s != rpc::Status::kOk) {
    rt::print("procmgr: release of %d failed: %s\n", id, rpc::status_name(s));
  }
}

// Tells procmgr that the process `pid` ended with `wait_status`; `discard`: its parent does not
// collect it.
void report_exit(int32_t pid, int32_t wait_status, bool discard) {
  Pm::ExitRequest req;
  req.pid = pid;
  req.status = wait_status;
  req.discard = discard;
  Pm::ExitResponse resp;
  if (const rpc::Status s = g_shim.procmgr.exit(req, resp); s != rpc::Status::kOk) {
    rt::print("procmgr: exit of pid %d failed: %s\n", pid, rpc::status_name(s));
  }
}

// A pid procmgr gave for a process that never ran: gone again.
void forget_pid(int32_t pid) {
  report_exit(pid, 0, /*discard=*/true);
  release_id(pid);
}

void set_default_limits(Process& p) {
  for (Rlimit& r : p.limits)
    r = {kRlimInfinity, kRlimInfinity};
  p.limits[kRlimitStack] = {kStackPages * kPageSize, kStackPages * kPageSize};
  p.limits[kRlimitNofile] = {FdTable::kMaxFds, FdTable::kMaxFds};
}

uint64_t cpuid_edx(uint32_t leaf) {
  uint32_t a = leaf, b = 0, c = 0, d = 0;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  return d;
}

// A new process with its own space; nullptr when out of ids or memory.
ShimProcess* create_process(int32_t pid, int32_t ppid) {
  Result<abi::Handle> space = rt::space_create(kProcessQuota);
  if (!space.ok()) return nullptr;
  if (g_shim.user_pager && rt::space_set_pager(*space, abi::kPagerHandler) != Status::kOk) {
    (void)rt::cap_delete(*space);
    return nullptr;
  }
  auto* owner = new (kFallible) ShimProcess(pid, ppid, *space);
  if (owner == nullptr) {
    (void)rt::cap_delete(*space);
    return nullptr;
  }
  owner->process.start_ns = shim_services().now();
  return owner;
}

// Gives up a process that never ran, and its pid.
void discard(ShimProcess* owner, abi::Handle thread) {
  if (thread != abi::kNullHandle) (void)rt::cap_delete(thread);
  const abi::Handle space = owner->process.space;
  const int32_t pid = owner->process.pid;
  delete owner;
  (void)rt::cap_delete(space);
  forget_pid(pid);
}

// A new thread's FPU and SSE registers are its creator's, as Linux's fpu_clone copies them for
// fork and threads alike: MXCSR and the x87 control word (rounding, exception masks) are
// callee-saved in the SysV ABI, so a fork's child must return with its parent's. `to` has not
// started; `from` is in its foreign call.
bool copy_fpu(abi::Handle from, abi::Handle to) {
  abi::FpuState fpu;
  return rt::thread_read_fpu(from, reinterpret_cast<uint64_t>(&fpu)) == Status::kOk &&
         rt::thread_write_fpu(to, reinterpret_cast<uint64_t>(&fpu)) == Status::kOk;
}

// The executable at `path`, resolved from `process`'s working directory (the file system's
// rules: symbolic links, /proc/self/exe...) and one the loader can load (check_elf): its bytes,
// or -errno. A dynamically linked program is -ENOENT, as on Linux when its interpreter is
// missing; the first one is reported on the console, since nothing else would say why.
// With `file`, also a reference to it (fs::resolve_executable).
int64_t find_executable(Process& process, const char* path, fs::ContiguousBytes* bytes,
                        fs::InodeRef* file_ref = nullptr) {
  Task probe(process, 0, abi::kNullHandle);  // resolution only reads the task's process
  if (int64_t e = fs::resolve_executable(probe, StringView(path), bytes, file_ref); e != 0) {
    return e;
  }
  ExecFile file;
  const int64_t e = check_elf(bytes->data(), bytes->size(), &file);
  if (e == -kENOENT && !g_shim.reported_interpreter) {
    g_shim.reported_interpreter = true;
    rt::print(
        "pid %d: %s is dynamically linked (interpreter %s), the shim runs static programs "
        "only: execve -> ENOENT (reported once)\n",
        process.pid, path, file.interpreter);
  }
  return e;
}

// Loads the program into the process's (empty) memory and gives `thread` its first registers.
int64_t load_program(Process& p, abi::Handle thread, const uint8_t* data, size_t size,
                     const char* path, const char* const* argv, uint32_t argc,
                     const char* const* envp, uint32_t envc) {
  ExecImage image;
  if (int64_t e = load_elf(p.mm, data, size, &image); e != 0) return e;
  StackInfo info = {path, {}, cpuid_edx(1), 0, 0};
  shim_services().random(info.random, sizeof(info.random));
  uint64_t sp = 0;
  if (int64_t e = build_stack(p.mm, argv, argc, envp, envc, image, info, &sp); e != 0) return e;
  abi::UserRegisters regs = {};
  regs.rip = image.entry;
  regs.rsp = sp;
  regs.rflags = 0x202;
  // The FPU's reset state too (MXCSR 0x1f80, control word 0x37f), as Linux's exec resets it:
  // the thread that execs keeps the old program's otherwise.
  const abi::FpuState fpu = fpu_reset_state();
  if (rt::thread_write_registers(thread, reinterpret_cast<uint64_t>(&regs)) != Status::kOk ||
      rt::thread_write_fpu(thread, reinterpret_cast<uint64_t>(&fpu)) != Status::kOk) {
    return -kENOMEM;
  }
  p.brk_base = p.brk = image.brk;
  (void)snformat(p.exe, sizeof(p.exe), "%s", path);
  p.cmdline_length = 0;
  for (uint32_t i = 0; i < argc && p.cmdline_length < Process::kCmdlineMax; ++i) {
    const size_t n =
        min<size_t>(StringView(argv[i]).size() + 1, Process::kCmdlineMax - p.cmdline_length);
    mem_copy(p.cmdline + p.cmdline_length, argv[i], n);
    p.cmdline_length += static_cast<uint32_t>(n);
  }
  return 0;
}

// The task a process-directed signal goes to: its main task while there is one, and never one
// that another task's execve is ending.
Task* main_task(const Process& p) {
  Task* task = any_task(p);
  if (task == nullptr || !task->ended_by_exec) return task;
  for (int32_t tid = 1; tid < kMaxIds; ++tid) {
    Task* t = g_shim.tasks[tid];
    if (t != nullptr && &t->process == &p && !t->ended_by_exec) return t;
  }
  return nullptr;
}

// CLONE_CHILD_CLEARTID, set_tid_address: the word pthread_join waits on, cleared and woken as
// the task ends.
void clear_child_tid(Task& task) {
  if (task.clear_child_tid == 0) return;
  const uint32_t zero = 0;
  if (task.process.mm.copy_out(task.clear_child_tid, &zero, sizeof(zero))) {
    (void)futex_wake(task.process, task.clear_child_tid, 1, 0xffffffff);
  }
  task.clear_child_tid = 0;
}

// Whether `task`'s process has another task.
bool has_other_tasks(const Task& task) {
  for (int32_t tid = 1; tid < kMaxIds; ++tid) {
    const Task* t = g_shim.tasks[tid];
    if (t != nullptr && t != &task && &t->process == &task.process) return true;
  }
  return false;
}

// execve's first step in a process with several tasks, Linux's de_thread: every other task ends.
// 1. Each ends as a task ends, while the memory is still there: its robust list walked, its
//    clear_child_tid word cleared and woken (waiters in other processes may see both).
// 2. It is marked: a call it is in gives up and ends it, and so does the next call it makes
//    (handle()); it is no longer chosen for process-directed signals.
// 3. The memory goes (the caller clears it), so that a task running without calls faults at
//    once, which is a call; the caller then waits until all are gone (wait_for_other_tasks).
void end_other_tasks(Task& task) {
  for (int32_t tid = 1; tid < kMaxIds; ++tid) {
    Task* t = g_shim.tasks[tid];
    if (t == nullptr || t == &task || &t->process != &task.process) continue;
    release_robust_list(*t, &wake_one);
    clear_child_tid(*t);
    t->ended_by_exec = true;
    t->killed = true;
    t->pending = 0;
    if (t->waiting_on != nullptr) shim_services().wake_all(*t->waiting_on);
  }
}

// Waits (the shim's lock released) until `task`'s process has no other task: 0, or -EINTR if the
// process was killed meanwhile. Only that interrupts it, as Linux's de_thread waits killable:
// other signals stay pending (all are blocked meanwhile) for the new program.
int64_t wait_for_other_tasks(Task& task) {
  const uint64_t mask = task.signal_mask;
  task.signal_mask = ~uint64_t{0};
  int64_t e = 0;
  while (e == 0 && has_other_tasks(task))
    e = shim_services().block(task, task.process.task_exits);
  task.signal_mask = mask;
  return e;
}

// execve of a task other than the main one: it takes the pid as its tid (the main task has
// ended), on a new kernel thread, since its thread's handler badge names the old tid.
bool take_main_tid(Task& task) {
  Process& p = task.process;
  Result<abi::Handle> thread = rt::thread_create(p.space, kLowestAddress, 0, 0);
  if (!thread.ok()) return false;
  const int32_t old_tid = task.tid;
  if (!move_task(task, p.pid, *thread)) {
    (void)rt::cap_delete(*thread);
    return false;
  }
  release_id(old_tid);
  return true;
}

// Marks `sig` from `sender` (a pid, 0 for the shim itself) pending for `task` and interrupts a
// call it waits in.
void make_pending(Task& task, int sig, int32_t sender) {
  task.pending |= uint64_t{1} << (sig - 1);
  task.senders[sig - 1] = sender;
  if (task.waiting_on != nullptr && task.interrupted()) {
    shim_services().wake_all(*task.waiting_on);
  }
}

void wake_parent(const Process& p) {
  if (Process* parent = find_process(p.ppid); parent != nullptr && !parent->zombie) {
    shim_services().wake_all(parent->child_events);
  }
}

// Whether the parent of `child` (which is ending) does not collect it: it ignores SIGCHLD, or
// asked for SA_NOCLDWAIT (procmgr collects it at once: exit's `discard`; so it does when the
// parent is init, its reaper).
bool discarded(const Process& child) {
  const Process* parent = find_process(child.ppid);
  if (parent == nullptr || parent->zombie) return false;
  const KernelSigaction& action = parent->actions[kSigchld - 1];
  return action.handler == kSigIgn || (action.flags & kSaNocldwait) != 0;
}

// A child ended: SIGCHLD for its parent, which reaps it at once if it ignores SIGCHLD (init
// always does); procmgr has collected it then (report_exit).
void notify_parent(Process& child) {
  Process* parent = find_process(child.ppid);
  if (parent == nullptr || parent->zombie) return;
  if (parent->pid == kInitPid) {
    reap(child);
    return;
  }
  const KernelSigaction& action = parent->actions[kSigchld - 1];
  Task* task = main_task(*parent);
  if (action.handler != kSigDfl && action.handler != kSigIgn && task != nullptr) {
    make_pending(*task, kSigchld, child.pid);
  }
  shim_services().wake_all(parent->child_events);
  if (action.handler == kSigIgn || (action.flags & kSaNocldwait) != 0) reap(child);
}

}  // namespace

Process* find_process(int32_t pid) {
  if (pid <= 0 || pid >= kMaxIds || g_shim.processes[pid] == nullptr) return nullptr;
  Process* p = &g_shim.processes[pid]->process;
  return p->reaped ? nullptr : p;
}

int64_t make_init_process() {
  if (g_shim.processes[kInitPid] != nullptr) return 0;
  // pid 1: no space and no task, so nothing can signal or trace it; it reaps what it adopts
  // (procmgr's reaper). Made before procmgr is asked, which makes the reaper once only.
  auto* init = new (kFallible) ShimProcess(kInitPid, 0, abi::kNullHandle);
  if (init == nullptr) return -kENOMEM;
  if (new_pid(0) != kInitPid) {
    delete init;
    return -kEAGAIN;
  }
  g_shim.processes[kInitPid] = init;
  return 0;
}

int64_t start_first_program(const char* const* argv, uint32_t argc, const char* const* envp,
                            uint32_t envc) {
  if (const int64_t e = make_init_process(); e != 0) return e;
  const int32_t pid = new_pid(kInitPid);
  if (pid < 0) return pid;
  g_shim.main_pid = pid;
  ShimProcess* owner = create_process(pid, kInitPid);
  if (owner == nullptr) {
    forget_pid(pid);
    return -kENOMEM;
  }
  Process& p = owner->process;
  set_default_limits(p);
  fs::ContiguousBytes program;
  // Its record in memmgr, with RLIMIT_AS as its budget (a fork's child copies its parent's).
  int64_t e = p.mm.open(&g_shim.memmgr, p.limits[kRlimitAs].cur / kPageSize);
  if (e == 0) e = give_standard_files(p) ? find_executable(p, argv[0], &program) : -kENOMEM;
  Result<abi::Handle> thread = e == 0 ? rt::thread_create(p.space, kLowestAddress, 0, 0)
                                      : Result<abi::Handle>(Status::kInvalidArgument);
  if (e == 0 && !thread.ok()) e = -kENOMEM;
  if (e == 0) {
    e = load_program(p, *thread, program.data(), program.size(), argv[0], argv, argc, envp, envc);
  }
  Task* task = e == 0 ? add_task(p, pid, *thread) : nullptr;
  if (e == 0 && task == nullptr) e = -kENOMEM;
  if (e != 0) {
    discard(owner, thread.ok() ? *thread : abi::kNullHandle);
    return e;
  }
  g_shim.processes[pid] = owner;
  if (rt::thread_start(*thread) != Status::kOk) {
    end_process(p, kSigkill);
    return -kENOMEM;
  }
  return 0;
}

int64_t fork_process(Task& parent, uint64_t stack, bool set_tls, uint64_t tls, bool share_memory) {
  Process& from = parent.process;
  const int32_t pid = new_pid(from.pid);
  if (pid < 0) return pid;
  ShimProcess* owner = create_process(pid, from.pid);
  if (owner == nullptr) {
    forget_pid(pid);
    return -kENOMEM;
  }
  Process& p = owner->process;
  p.pgid = from.pgid;
  p.sid = from.sid;
  p.umask = from.umask;
  p.brk_base = from.brk_base;
  p.brk = from.brk;
  mem_copy(p.actions, from.actions, sizeof(p.actions));
  mem_copy(p.limits, from.limits, sizeof(p.limits));
  mem_copy(p.exe, from.exe, sizeof(p.exe));
  mem_copy(p.cmdline, from.cmdline, from.cmdline_length);
  p.cmdline_length = from.cmdline_length;
  p.cwd = from.cwd;
  p.root = from.root;
  int64_t e = share_memory ? p.mm.share_from(from.mm) : p.mm.copy_from(from.mm);
  abi::UserRegisters regs = {};
  Result<abi::Handle> thread = e == 0 ? rt::thread_create(p.space, kLowestAddress, 0, 0)
                                      : Result<abi::Handle>(Status::kInvalidArgument);
  if (e == 0 && !thread.ok()) e = -kENOMEM;
  if (e == 0 &&
      rt::thread_read_registers(parent.thread, reinterpret_cast<uint64_t>(&regs)) != Status::kOk) {
    e = -kENOMEM;
  }
  regs.rax = 0;  // fork returns 0 in the child
  if (stack != 0) regs.rsp = stack;
  if (set_tls) regs.fs_base = tls;
  if (e == 0 &&
      rt::thread_write_registers(*thread, reinterpret_cast<uint64_t>(&regs)) != Status::kOk) {
    e = -kEINVAL;  // a stack or TLS address outside user space
  }
  if (e == 0 && !copy_fpu(parent.thread, *thread)) e = -kENOMEM;
  Task* task = e == 0 ? add_task(p, pid, *thread) : nullptr;
  if (e == 0 && task == nullptr) e = -kENOMEM;
  if (e != 0) {
    discard(owner, thread.ok() ? *thread : abi::kNullHandle);
    return e;
  }
  p.fds.copy_from(from.fds);
  task->fs_base = regs.fs_base;
  task->gs_base = regs.gs_base;
  // The rest of the forking thread's own state, as Linux's copy_process copies it: its signal
  // mask, its alternate signal stack (a thread's starts without one) and its name (comm).
  task->signal_mask = parent.signal_mask;
  task->altstack_sp = parent.altstack_sp;
  task->altstack_size = parent.altstack_size;
  mem_copy(task->name, parent.name, sizeof(task->name));
  g_shim.processes[pid] = owner;
  if (rt::thread_start(*thread) != Status::kOk) {
    end_process(p, kSigkill);
    return -kENOMEM;
  }
  return pid;
}

int64_t spawn_thread(Task& parent, uint64_t stack, bool set_tls, uint64_t tls) {
  Process& p = parent.process;
  const int32_t tid = new_tid(p.pid);
  if (tid < 0) return tid;
  Result<abi::Handle> thread = rt::thread_create(p.space, kLowestAddress, 0, 0);
  if (!thread.ok()) {
    release_id(tid);
    return -kEAGAIN;
  }
  abi::UserRegisters regs = {};
  int64_t e = 0;
  if (rt::thread_read_registers(parent.thread, reinterpret_cast<uint64_t>(&regs)) != Status::kOk) {
    e = -kEAGAIN;
  }
  regs.rax = 0;
  regs.rsp = stack;
  if (set_tls) regs.fs_base = tls;
  if (e == 0 &&
      rt::thread_write_registers(*thread, reinterpret_cast<uint64_t>(&regs)) != Status::kOk) {
    e = -kEINVAL;  // a stack or TLS address outside user space
  }
  if (e == 0 && !copy_fpu(parent.thread, *thread)) e = -kEAGAIN;
  Task* task = e == 0 ? add_task(p, tid, *thread) : nullptr;
  if (task == nullptr) {
    (void)rt::cap_delete(*thread);
    release_id(tid);
    return e != 0 ? e : -kEAGAIN;
  }
  task->fs_base = regs.fs_base;
  task->gs_base = regs.gs_base;
  task->signal_mask = parent.signal_mask;
  mem_copy(task->name, parent.name, sizeof(task->name));  // as Linux copies comm
  if (rt::thread_start(*thread) != Status::kOk) {
    delete_task(task);
    return -kEAGAIN;
  }
  return tid;
}

int64_t exec_program(Task& task, const char* path, const char* const* argv, uint32_t argc,
                     const char* const* envp, uint32_t envc) {
  Process& p = task.process;
  fs::ContiguousBytes program;
  fs::InodeRef file;  // keeps the program while the other tasks end (the lock released)
  // Refused before anything changes: missing, or not a static x86-64 executable.
  if (int64_t e = find_executable(p, path, &program, &file); e != 0) return e;
  char name[sizeof(p.exe)];
  (void)snformat(
      name, sizeof(name), "%s",
      StringView(path) == StringView("/proc/self/exe") ? p.exe : path);  // busybox re-runs itself
  // POINT OF NO RETURN: the old program is gone; a failure from here ends the process.
  end_other_tasks(task);
  release_robust_list(task, &wake_one);  // as Linux does at exec
  p.mm.clear(true);
  if (wait_for_other_tasks(task) != 0) return -kEINTR;  // killed: the process is ending
  // The file may have been written meanwhile: its bytes as they are now (load_elf checks them
  // again; a failure ends the process, where Linux would have refused the write, ETXTBSY).
  if ((task.tid != p.pid && !take_main_tid(task)) || program.take(*file) != 0 ||
      load_program(p, task.thread, program.data(), program.size(), name, argv, argc, envp, envc) !=
          0) {
    task.exiting = true;
    task.wait_status = kSigsegv;
    return 0;
  }
  set_task_name(task);
  task.fs_base = 0;
  task.gs_base = 0;
  task.clear_child_tid = 0;
  task.robust_list = 0;
  task.altstack_sp = 0;  // the old program's alternate signal stack is gone with its memory
  task.altstack_size = 0;
  p.fds.close_marked();
  Pm::ExecutedRequest executed;  // its parent may no longer move it to another group
  executed.pid = p.pid;
  Pm::ExecutedResponse resp;
  (void)g_shim.procmgr.executed(executed, resp);
  for (KernelSigaction& a : p.actions) {  // caught signals go back to their default
    if (a.handler != kSigIgn) a = {};
  }
  if (p.vfork_pending) {
    p.vfork_pending = false;
    wake_parent(p);
  }
  return 0;
}

void delete_task(Task* task) {
  Process& p = task->process;
  // Locks it held that other tasks (or processes) may wait for: FUTEX_OWNER_DIED, one waiter
  // woken, as Linux does at a task's end. Its memory must still be there.
  if (!p.zombie) release_robust_list(*task, &wake_one);
  g_shim.tasks[task->tid] = nullptr;
  g_shim.badges[task->tid] = 0;
  if (task->tid != p.pid) release_id(task->tid);  // a thread's own id (the pid stays the process's)
  (void)rt::cap_delete(task->thread);
  delete task;
  if (--p.task_count == 0 && p.reaped) {  // waited for while a call of its was still handled
    const int32_t pid = p.pid;
    ShimProcess* owner = g_shim.processes[pid];
    g_shim.processes[pid] = nullptr;
    delete owner;
    release_id(pid);
  }
}

Task* any_task(const Process& p) {
  Task* main = g_shim.tasks[p.pid];
  if (main != nullptr && &main->process == &p) return main;
  for (int32_t tid = 1; tid < kMaxIds; ++tid) {
    Task* t = g_shim.tasks[tid];
    if (t != nullptr && &t->process == &p) return t;
  }
  return nullptr;
}

void end_thread(Task& task) {
  clear_child_tid(task);
  delete_task(&task);
}

void end_process(Process& p, int32_t wait_status) {
  if (p.zombie) return;
  for (int32_t tid = 1; tid < kMaxIds; ++tid) {  // robust locks first, while memory is there
    Task* t = g_shim.tasks[tid];
    if (t != nullptr && &t->process == &p) release_robust_list(*t, &wake_one);
  }
  for (int32_t tid = 1; tid < kMaxIds; ++tid) {
    Task* t = g_shim.tasks[tid];
    if (t == nullptr || &t->process != &p) continue;
    if (t->in_call) {
      // Another shim thread handles a call of it: that call gives up, and its shim thread
      // deletes the task when it returns.
      t->killed = true;
      if (t->waiting_on != nullptr) shim_services().wake_all(*t->waiting_on);
      continue;
    }
    delete_task(t);
  }
  p.fds.close_all();
  p.mm.clear(false);
  p.mm.close();
  if (p.space != abi::kNullHandle) {
    (void)rt::process_terminate(p.space, wait_status);  // PeerClosed if it ended already
    (void)rt::cap_delete(p.space);
    p.space = abi::kNullHandle;
  }
  p.zombie = true;
  p.wait_status = wait_status;
  report_exit(p.pid, wait_status, discarded(p));
  if (p.pid == g_shim.main_pid) finish(wait_status);
  if (p.vfork_pending) {
    p.vfork_pending = false;
    wake_parent(p);
  }
  for (int32_t pid = 1; pid < kMaxIds; ++pid) {  // orphans go to init, which reaps them
    Process* child = find_process(pid);
    if (child == nullptr || child->ppid != p.pid) continue;
    child->ppid = kInitPid;
    if (child->zombie) reap(*child);
  }
  notify_parent(p);  // may reap it: p is not used after this
}

void reap(Process& zombie) {
  if (zombie.task_count > 0) {  // deleted with its last task (delete_task)
    zombie.reaped = true;
    return;
  }
  const int32_t pid = zombie.pid;
  ShimProcess* owner = g_shim.processes[pid];
  g_shim.processes[pid] = nullptr;
  delete owner;
  release_id(pid);
}

int64_t send_signal(Process& target, int sig, int32_t sender) {
  if (target.zombie) return 0;
  Task* task = main_task(target);
  return task != nullptr ? send_signal_to_task(*task, sig, sender) : 0;
}

int64_t send_signal_to_task(Task& to, int sig, int32_t sender) {
  Process& target = to.process;
  if (target.zombie || sig == 0 || signal_ignored(target, sig)) return 0;
  Task* task = &to;
  const uint64_t bit = uint64_t{1} << (sig - 1);
  const bool ends =
      signal_terminates(target, sig) && (sig == kSigkill || (task->signal_mask & bit) == 0);
  if (!ends) {
    make_pending(*task, sig, sender);  // a handler's, or blocked for now
    return 0;
  }
  if (task->in_call) {
    // Its call ends it when it returns (the shim thread handling it holds the task).
    task->killed = true;
    task->wait_status = sig;
    if (task->waiting_on != nullptr) shim_services().wake_all(*task->waiting_on);
    return 0;
  }
  end_process(target, sig);
  return 0;
}

}  // namespace hmk::lx
