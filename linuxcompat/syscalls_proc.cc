// Processes: fork, vfork, clone (processes, not threads yet), execve, wait4, kill and the
// process-group calls. Part of the shim program (they create and end kernel objects through
// shim.h).
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/shim.h"
#include "linuxcompat/signals.h"
#include "svc/lib/print.h"

namespace hmk::lx {
namespace {

constexpr uint64_t kCsignal = 0xff;
constexpr uint64_t kCloneVm = 0x100;
constexpr uint64_t kCloneVfork = 0x4000;
constexpr uint64_t kCloneThread = 0x10000;
constexpr uint64_t kCloneSettls = 0x80000;
constexpr uint64_t kCloneParentSettid = 0x100000;
constexpr uint64_t kCloneChildCleartid = 0x200000;
constexpr uint64_t kCloneChildSettid = 0x1000000;
constexpr uint64_t kCloneForkFlags =
    kCsignal | kCloneSettls | kCloneParentSettid | kCloneChildCleartid | kCloneChildSettid;

constexpr uint32_t kWnohang = 1;
constexpr uint32_t kWuntraced = 2;
constexpr uint32_t kWcontinued = 8;
constexpr uint32_t kWnothread = 0x20000000;
constexpr uint32_t kWall = 0x40000000;
constexpr uint32_t kWclone = 0x80000000;

// The vfork parent waits until its child has exec'd or ended.
int64_t wait_for_vfork(Task& parent, int32_t child_pid) {
  for (;;) {
    Process* child = find_process(child_pid);
    if (child == nullptr || !child->vfork_pending) return 0;
    if (int64_t e = shim_services().block(parent, parent.process.child_events); e != 0) return e;
  }
}

int64_t clone_thread(Task& task, uint64_t flags, uint64_t stack, uint64_t parent_tid,
                     uint64_t child_tid, uint64_t tls);

int64_t do_clone(Task& task, uint64_t flags, uint64_t stack, uint64_t parent_tid,
                 uint64_t child_tid, uint64_t tls) {
  if ((flags & kCloneThread) != 0)
    return clone_thread(task, flags, stack, parent_tid, child_tid, tls);
  const bool vfork = (flags & (kCloneVm | kCloneVfork)) == (kCloneVm | kCloneVfork);
  const uint64_t extra = flags & ~(kCloneForkFlags | (vfork ? kCloneVm | kCloneVfork : 0));
  if (extra != 0) {
    rt::print("clone: flags 0x%lx not supported yet (threads, shared memory, namespaces)\n", flags);
    return -kEINVAL;
  }
  const int64_t pid = fork_process(task, stack, (flags & kCloneSettls) != 0, tls, vfork);
  if (pid < 0) return pid;
  Process& child = *find_process(static_cast<int32_t>(pid));
  const auto id = static_cast<int32_t>(pid);
  if ((flags & kCloneParentSettid) != 0) (void)task.process.mm.copy_out(parent_tid, &id, 4);
  if ((flags & kCloneChildSettid) != 0) (void)child.mm.copy_out(child_tid, &id, 4);
  if ((flags & kCloneChildCleartid) != 0) g_shim.tasks[id]->clear_child_tid = child_tid;
  if (vfork) {
    child.vfork_pending = true;
    if (int64_t e = wait_for_vfork(task, id); e != 0) return e;
  }
  return pid;
}

// A thread: CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM (Linux's rules); the rest
// of what pthread_create passes is what threads here share anyway.
int64_t clone_thread(Task& task, uint64_t flags, uint64_t stack, uint64_t parent_tid,
                     uint64_t child_tid, uint64_t tls) {
  constexpr uint64_t kCloneFs = 0x200;
  constexpr uint64_t kCloneFiles = 0x400;
  constexpr uint64_t kCloneSighand = 0x800;
  constexpr uint64_t kCloneSysvsem = 0x40000;
  constexpr uint64_t kCloneDetached = 0x400000;
  constexpr uint64_t kThreadFlags =
      kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread | kCloneSysvsem |
      kCloneSettls | kCloneParentSettid | kCloneChildCleartid | kCloneDetached | kCloneChildSettid;
  if ((flags & (kCloneSighand | kCloneVm)) != (kCloneSighand | kCloneVm)) return -kEINVAL;
  if ((flags & ~(kThreadFlags | kCsignal)) != 0 || (flags & kCsignal) != 0) {
    rt::print("clone: thread flags 0x%lx not supported yet\n", flags);
    return -kEINVAL;
  }
  if (stack == 0) return -kEINVAL;  // a thread needs its own stack
  const int64_t tid = spawn_thread(task, stack, (flags & kCloneSettls) != 0, tls);
  if (tid < 0) return tid;
  const auto id = static_cast<int32_t>(tid);
  AddressSpace& mm = task.process.mm;
  if ((flags & kCloneParentSettid) != 0) (void)mm.copy_out(parent_tid, &id, sizeof(id));
  if ((flags & kCloneChildSettid) != 0) (void)mm.copy_out(child_tid, &id, sizeof(id));
  if ((flags & kCloneChildCleartid) != 0) g_shim.tasks[id]->clear_child_tid = child_tid;
  return tid;
}

using Pm = svc::procmgr::ProcessManager;

// wait4's and waitid's search, which procmgr makes: -ECHILD if `waiter` has no child that `pid`
// (wait4's notation) selects, 0 if none of them has ended, else 1 and in *found the one that
// has (the lowest pid), which procmgr has collected unless `keep` (the caller reaps it).
int64_t ended_child(const Process& waiter, int32_t pid, bool keep, Process** found) {
  Pm::WaitRequest req;
  req.parent = waiter.pid;
  req.select = pid;
  req.keep = keep;
  Pm::WaitResponse resp;
  const rpc::Status s = g_shim.procmgr.wait(req, resp);
  if (s == rpc::Status::kWouldBlock) return 0;
  if (s == rpc::Status::kNotFound) return -kECHILD;
  *found = s == rpc::Status::kOk ? find_process(resp.pid) : nullptr;
  if (*found == nullptr || !(*found)->zombie) {
    rt::print("procmgr: wait by pid %d: %s, pid %d\n", waiter.pid, rpc::status_name(s), resp.pid);
    // Collected by procmgr and nothing of the shim's under the id: it goes back.
    if (s == rpc::Status::kOk && !keep && resp.pid > 0 && resp.pid < kMaxIds &&
        g_shim.processes[resp.pid] == nullptr && g_shim.tasks[resp.pid] == nullptr) {
      Pm::ReleaseRequest release;
      release.id = resp.pid;
      Pm::ReleaseResponse released;
      (void)g_shim.procmgr.release(release, released);
    }
    *found = nullptr;
    return -kECHILD;
  }
  return 1;
}

// Strings of an argv or envp array, copied into `arena`; their number, or -errno.
int64_t copy_strings(Task& task, uint64_t array, char* arena, uint64_t arena_size, uint64_t* used,
                     const char** out, uint32_t max) {
  uint32_t n = 0;
  for (; array != 0; ++n) {
    uint64_t pointer = 0;
    if (!task.process.mm.copy_in(&pointer, array + n * 8, 8)) return -kEFAULT;
    if (pointer == 0) break;
    if (n == max) return -kE2BIG;
    const int64_t len = task.process.mm.copy_string(arena + *used, pointer, arena_size - *used);
    if (len == -kENAMETOOLONG) return -kE2BIG;
    if (len < 0) return len;
    out[n] = arena + *used;
    *used += static_cast<uint64_t>(len) + 1;
  }
  return n;
}

constexpr uint32_t kMaxExecStrings = 4096;
constexpr uint64_t kExecArena = 256 * 1024;  // what argv and envp may take together

}  // namespace

int64_t sys_fork(Task& task) {
  return do_clone(task, kSigchld, 0, 0, 0, 0);
}

int64_t sys_vfork(Task& task) {
  return do_clone(task, kCloneVm | kCloneVfork | kSigchld, 0, 0, 0, 0);
}

int64_t sys_clone(Task& task, uint64_t flags, uint64_t stack, uint64_t parent_tid,
                  uint64_t child_tid, uint64_t tls) {
  return do_clone(task, flags, stack, parent_tid, child_tid, tls);
}

int64_t sys_execve(Task& task, uint64_t pathname, uint64_t argv, uint64_t envp) {
  char path[4096];
  if (int64_t len = task.process.mm.copy_string(path, pathname, sizeof(path)); len < 0) return len;
  char* arena = new (kFallible) char[kExecArena];
  const char** args = new (kFallible) const char*[2 * kMaxExecStrings];
  if (arena == nullptr || args == nullptr) {
    delete[] arena;
    delete[] args;
    return -kENOMEM;
  }
  uint64_t used = 0;
  int64_t result = 0;
  const int64_t argc = copy_strings(task, argv, arena, kExecArena, &used, args, kMaxExecStrings);
  const int64_t envc = argc < 0 ? argc
                                : copy_strings(task, envp, arena, kExecArena, &used,
                                               args + kMaxExecStrings, kMaxExecStrings);
  if (argc < 0) {
    result = argc;
  } else if (envc < 0) {
    result = envc;
  } else {
    result = exec_program(task, path, args, static_cast<uint32_t>(argc), args + kMaxExecStrings,
                          static_cast<uint32_t>(envc));
  }
  delete[] arena;
  delete[] args;
  return result;
}

int64_t sys_wait4(Task& task, int32_t pid, uint64_t wstatus, uint32_t options, uint64_t rusage) {
  if ((options & ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWall | kWclone)) != 0) {
    return -kEINVAL;
  }
  if (pid == INT32_MIN) return -kESRCH;  // as kernel_wait4: no group -INT32_MIN
  Process& me = task.process;
  for (;;) {
    Process* found = nullptr;
    if (const int64_t e = ended_child(me, pid, /*keep=*/false, &found); e < 0) return e;
    if (found != nullptr) {
      // Reaped whether or not the answer can be stored, as Linux's kernel_wait4 does.
      const int32_t status = found->wait_status;
      const int32_t id = found->pid;
      reap(*found);
      if (wstatus != 0 && !me.mm.copy_out(wstatus, &status, sizeof(status))) return -kEFAULT;
      if (rusage != 0) {
        const uint8_t zeros[144] = {};  // struct rusage: no accounting yet
        if (!me.mm.copy_out(rusage, zeros, sizeof(zeros))) return -kEFAULT;
      }
      return id;
    }
    if ((options & kWnohang) != 0) return 0;
    if (int64_t e = shim_services().block(task, me.child_events); e != 0) return e;
  }
}

int64_t sys_waitid(Task& task, int32_t idtype, int32_t id, uint64_t infop, uint32_t options,
                   uint64_t rusage) {
  constexpr int32_t kPAll = 0;
  constexpr int32_t kPPid = 1;
  constexpr int32_t kPPgid = 2;
  constexpr uint32_t kWexited = 4;
  constexpr uint32_t kWstopped = 2;
  constexpr uint32_t kWnowait = 0x01000000;
  const uint32_t allowed =
      kWnohang | kWstopped | kWexited | kWcontinued | kWnowait | kWnothread | kWall | kWclone;
  if ((options & ~allowed) != 0 || (options & (kWexited | kWstopped | kWcontinued)) == 0) {
    return -kEINVAL;
  }
  int32_t pid = -1;  // wait4's notation
  if (idtype == kPPid) {
    if (id <= 0) return -kEINVAL;
    pid = id;
  } else if (idtype == kPPgid) {
    if (id < 0) return -kEINVAL;
    pid = id == 0 ? 0 : -id;
  } else if (idtype != kPAll) {
    return -kEINVAL;  // P_PIDFD: no pidfds yet
  }
  Process& me = task.process;
  // siginfo_t for SIGCHLD: signo, errno, code, then pid, uid, status.
  int32_t info[32] = {};
  for (;;) {
    Process* found = nullptr;
    // Without WEXITED nothing is collected (no stopped or continued children yet): only whether
    // there are children to wait for.
    const bool keep = (options & kWnowait) != 0 || (options & kWexited) == 0;
    if (const int64_t e = ended_child(me, pid, keep, &found); e < 0) return e;
    if ((options & kWexited) == 0) found = nullptr;
    if (found != nullptr) {
      const int32_t status = found->wait_status;
      const bool killed = (status & 0x7f) != 0;
      info[0] = kSigchld;
      info[2] = killed ? ((status & 0x80) != 0 ? 3 : 2) : 1;  // CLD_DUMPED, _KILLED, _EXITED
      info[4] = found->pid;
      info[6] = killed ? (status & 0x7f) : (status >> 8) & 0xff;
      if (!keep) reap(*found);  // whether or not the answer can be stored, as in Linux
      if (infop != 0 && !me.mm.copy_out(infop, info, sizeof(info))) return -kEFAULT;
      if (rusage != 0) {
        const uint8_t zeros[144] = {};
        if (!me.mm.copy_out(rusage, zeros, sizeof(zeros))) return -kEFAULT;
      }
      return 0;
    }
    if ((options & kWnohang) != 0) {
      // Linux clears si_pid (and si_signo) when nothing has changed.
      return infop == 0 || me.mm.copy_out(infop, info, sizeof(info)) ? 0 : -kEFAULT;
    }
    if (int64_t e = shim_services().block(task, me.child_events); e != 0) return e;
  }
}

int64_t sys_kill(Task& task, int32_t pid, int32_t sig) {
  if (sig < 0 || sig > static_cast<int32_t>(kSignalCount)) return -kEINVAL;
  if (pid > 0) {
    Process* target = find_process(pid);
    return target != nullptr ? send_signal(*target, sig, task.process.pid) : -kESRCH;
  }
  // A group (0: the caller's; < -1: -pid) or everyone but pid 1 and the caller (-1).
  const int32_t group = pid == 0 ? task.process.pgid : -pid;
  bool found = false;
  for (int32_t id = 1; id < kMaxIds; ++id) {
    Process* target = find_process(id);
    if (target == nullptr || target->zombie) continue;
    const bool chosen = pid == -1 ? id != 1 && target != &task.process : target->pgid == group;
    if (!chosen) continue;
    found = true;
    (void)send_signal(*target, sig, task.process.pid);
  }
  return found ? 0 : -kESRCH;
}

int64_t sys_tgkill(Task& task, int32_t tgid, int32_t tid, int32_t sig) {
  if (tgid <= 0 || tid <= 0 || sig < 0 || sig > static_cast<int32_t>(kSignalCount)) {
    return -kEINVAL;
  }
  Task* target = tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (target == nullptr || target->process.pid != tgid) return -kESRCH;
  return send_signal_to_task(*target, sig, task.process.pid);
}

int64_t sys_tkill(Task& task, int32_t tid, int32_t sig) {
  if (tid <= 0 || sig < 0 || sig > static_cast<int32_t>(kSignalCount)) return -kEINVAL;
  Task* target = tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (target == nullptr) return -kESRCH;
  return send_signal_to_task(*target, sig, task.process.pid);
}

int64_t sys_getpgid(Task& task, int32_t pid) {
  const Process* p = pid == 0 ? &task.process : find_process(pid);
  return p != nullptr ? p->pgid : -kESRCH;
}

int64_t sys_getpgrp(Task& task) {
  return task.process.pgid;
}

// procmgr's answer to setGroup or newSession as Linux's errno.
int64_t group_error(svc::procmgr::GroupResult result) {
  using R = svc::procmgr::GroupResult;
  switch (result) {
    case R::kOk:
      return 0;
    case R::kNoProcess:
      return -kESRCH;
    case R::kNotPermitted:
      return -kEPERM;
    case R::kInvalid:
      return -kEINVAL;
    case R::kExecuted:
      return -kEACCES;
  }
  return -kEPERM;
}

// procmgr decides (the target is the caller or a child of it that has not exec'd, the group is
// the target's own or one of the caller's session, a session leader stays); the shim mirrors it.
int64_t sys_setpgid(Task& task, int32_t pid, int32_t pgid) {
  Pm::SetGroupRequest req;
  req.caller = task.process.pid;
  req.pid = pid;
  req.group = pgid;
  Pm::SetGroupResponse resp;
  if (g_shim.procmgr.set_group(req, resp) != rpc::Status::kOk) return -kEPERM;
  if (const int64_t e = group_error(resp.result); e != 0) return e;
  Process* p = pid == 0 ? &task.process : find_process(pid);
  if (p != nullptr) p->pgid = pgid == 0 ? p->pid : pgid;
  return 0;
}

int64_t sys_getsid(Task& task, int32_t pid) {
  const Process* p = pid == 0 ? &task.process : find_process(pid);
  return p != nullptr ? p->sid : -kESRCH;
}

int64_t sys_setsid(Task& task) {
  Process& p = task.process;
  Pm::NewSessionRequest req;  // refused if a group has this id already (procmgr)
  req.pid = p.pid;
  Pm::NewSessionResponse resp;
  if (g_shim.procmgr.new_session(req, resp) != rpc::Status::kOk) return -kEPERM;
  if (const int64_t e = group_error(resp.result); e != 0) return e;
  p.sid = p.pid;
  p.pgid = p.pid;
  return p.sid;
}

int64_t sys_sched_getaffinity(Task& task, int32_t pid, uint32_t cpusetsize, uint64_t mask) {
  if (pid != 0 && find_process(pid) == nullptr &&
      (pid >= kMaxIds || g_shim.tasks[pid] == nullptr)) {
    return -kESRCH;
  }
  if (cpusetsize < sizeof(uint64_t) || (cpusetsize % sizeof(uint64_t)) != 0) return -kEINVAL;
  const uint64_t cpus = 1;  // one CPU
  if (!task.process.mm.copy_out(mask, &cpus, sizeof(cpus))) return -kEFAULT;
  return sizeof(cpus);
}

int64_t sys_sched_setaffinity(Task& task, int32_t pid, uint32_t cpusetsize, uint64_t mask) {
  if (pid != 0 && find_process(pid) == nullptr &&
      (pid >= kMaxIds || g_shim.tasks[pid] == nullptr)) {
    return -kESRCH;
  }
  uint64_t cpus = 0;
  const uint64_t n = min<uint64_t>(cpusetsize, sizeof(cpus));
  if (n == 0 || !task.process.mm.copy_in(&cpus, mask, n)) return n == 0 ? -kEINVAL : -kEFAULT;
  return (cpus & 1) != 0 ? 0 : -kEINVAL;  // CPU 0 must be in it
}

namespace {

constexpr int32_t kItimerReal = 0;
constexpr int32_t kItimerProf = 2;
constexpr uint64_t kNsPerUs = 1000;

struct Itimerval {
  int64_t interval_sec, interval_usec, value_sec, value_usec;
};

void to_timeval(uint64_t ns, int64_t* sec, int64_t* usec) {
  *sec = static_cast<int64_t>(ns / 1'000'000'000);
  *usec = static_cast<int64_t>(ns % 1'000'000'000 / kNsPerUs);
}

Itimerval current(const Process& p) {
  Itimerval v = {};
  const uint64_t at = shim_services().now();
  const uint64_t left = p.alarm_deadline > at ? p.alarm_deadline - at : (p.alarm_deadline ? 1 : 0);
  to_timeval(p.alarm_interval, &v.interval_sec, &v.interval_usec);
  to_timeval(left, &v.value_sec, &v.value_usec);
  return v;
}

}  // namespace

int64_t sys_getitimer(Task& task, int32_t which, uint64_t curr_value) {
  if (which < kItimerReal || which > kItimerProf) return -kEINVAL;
  const Itimerval v = which == kItimerReal ? current(task.process) : Itimerval{};
  return task.process.mm.copy_out(curr_value, &v, sizeof(v)) ? 0 : -kEFAULT;
}

int64_t sys_setitimer(Task& task, int32_t which, uint64_t new_value, uint64_t old_value) {
  if (which < kItimerReal || which > kItimerProf) return -kEINVAL;
  Itimerval wanted = {};
  if (new_value != 0 && !task.process.mm.copy_in(&wanted, new_value, sizeof(wanted))) {
    return -kEFAULT;
  }
  if (wanted.interval_sec < 0 || wanted.interval_usec < 0 || wanted.interval_usec >= 1'000'000 ||
      wanted.value_sec < 0 || wanted.value_usec < 0 || wanted.value_usec >= 1'000'000) {
    return -kEINVAL;
  }
  if (old_value != 0) {
    const Itimerval old = which == kItimerReal ? current(task.process) : Itimerval{};
    if (!task.process.mm.copy_out(old_value, &old, sizeof(old))) return -kEFAULT;
  }
  if (which != kItimerReal) return 0;  // the CPU-time timers are recorded nowhere: no accounting
  Process& p = task.process;
  const uint64_t value = static_cast<uint64_t>(wanted.value_sec) * 1'000'000'000 +
                         static_cast<uint64_t>(wanted.value_usec) * kNsPerUs;
  p.alarm_interval = static_cast<uint64_t>(wanted.interval_sec) * 1'000'000'000 +
                     static_cast<uint64_t>(wanted.interval_usec) * kNsPerUs;
  p.alarm_deadline = value == 0 ? 0 : shim_services().now() + value;
  alarms_changed();
  return 0;
}

int64_t sys_alarm(Task& task, uint32_t seconds) {
  Process& p = task.process;
  const uint64_t at = shim_services().now();
  const uint64_t left = p.alarm_deadline > at ? p.alarm_deadline - at : 0;
  p.alarm_interval = 0;
  p.alarm_deadline = seconds == 0 ? 0 : at + uint64_t{seconds} * 1'000'000'000;
  alarms_changed();
  return static_cast<int64_t>((left + 999'999'999) / 1'000'000'000);  // rounded up, as Linux
}

}  // namespace hmk::lx
