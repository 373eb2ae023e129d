// Processes: fork, vfork, clone (processes, not threads yet), execve, wait4, kill and the
// process-group calls; and pipes. Part of the shim program (they create and end kernel
// objects through shim.h).
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/pipe.h"
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

constexpr uint32_t kOCloexec = 02000000;
constexpr uint32_t kONonblock = 04000;
constexpr uint32_t kODirect = 040000;

// The vfork parent waits until its child has exec'd or ended.
int64_t wait_for_vfork(Task& parent, int32_t child_pid) {
  for (;;) {
    Process* child = find_process(child_pid);
    if (child == nullptr || !child->vfork_pending) return 0;
    if (int64_t e = shim_services().block(parent, parent.process.child_events); e != 0) return e;
  }
}

int64_t do_clone(Task& task, uint64_t flags, uint64_t stack, uint64_t parent_tid,
                 uint64_t child_tid, uint64_t tls) {
  const bool vfork = (flags & (kCloneVm | kCloneVfork)) == (kCloneVm | kCloneVfork);
  const uint64_t extra = flags & ~(kCloneForkFlags | (vfork ? kCloneVm | kCloneVfork : 0));
  if ((flags & kCloneThread) != 0 || extra != 0) {
    rt::print("clone: flags 0x%lx not supported yet (threads, shared memory, namespaces)\n", flags);
    return -kEINVAL;
  }
  const int64_t pid = fork_process(task, stack, (flags & kCloneSettls) != 0, tls);
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

bool matches(const Process& waiter, const Process& child, int32_t pid) {
  if (child.ppid != waiter.pid) return false;
  if (pid > 0) return child.pid == pid;
  if (pid == -1) return true;
  if (pid == 0) return child.pgid == waiter.pgid;
  return child.pgid == -pid;
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
  char* arena = new char[kExecArena];
  const char** args = new const char*[2 * kMaxExecStrings];
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
  Process& me = task.process;
  for (;;) {
    bool any = false;
    Process* found = nullptr;
    for (int32_t id = 1; id < kMaxIds && found == nullptr; ++id) {
      Process* child = find_process(id);
      if (child == nullptr || !matches(me, *child, pid)) continue;
      any = true;
      if (child->zombie) found = child;
    }
    if (!any) return -kECHILD;
    if (found != nullptr) {
      const int32_t status = found->wait_status;
      if (wstatus != 0 && !me.mm.copy_out(wstatus, &status, sizeof(status))) return -kEFAULT;
      if (rusage != 0) {
        const uint8_t zeros[144] = {};  // struct rusage: no accounting yet
        if (!me.mm.copy_out(rusage, zeros, sizeof(zeros))) return -kEFAULT;
      }
      const int32_t id = found->pid;
      reap(*found);
      return id;
    }
    if ((options & kWnohang) != 0) return 0;
    if (int64_t e = shim_services().block(task, me.child_events); e != 0) return e;
  }
}

int64_t sys_kill(Task& task, int32_t pid, int32_t sig) {
  if (sig < 0 || sig > static_cast<int32_t>(kSignalCount)) return -kEINVAL;
  if (pid > 0) {
    Process* target = find_process(pid);
    return target != nullptr ? send_signal(*target, sig) : -kESRCH;
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
    (void)send_signal(*target, sig);
  }
  return found ? 0 : -kESRCH;
}

int64_t sys_tgkill(Task&, int32_t tgid, int32_t tid, int32_t sig) {
  if (tgid <= 0 || tid <= 0 || sig < 0 || sig > static_cast<int32_t>(kSignalCount)) {
    return -kEINVAL;
  }
  Task* target = tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (target == nullptr || target->process.pid != tgid) return -kESRCH;
  return send_signal(target->process, sig);
}

int64_t sys_tkill(Task&, int32_t tid, int32_t sig) {
  if (tid <= 0 || sig < 0 || sig > static_cast<int32_t>(kSignalCount)) return -kEINVAL;
  Task* target = tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (target == nullptr) return -kESRCH;
  return send_signal(target->process, sig);
}

int64_t sys_getpgid(Task& task, int32_t pid) {
  const Process* p = pid == 0 ? &task.process : find_process(pid);
  return p != nullptr ? p->pgid : -kESRCH;
}

int64_t sys_getpgrp(Task& task) {
  return task.process.pgid;
}

int64_t sys_setpgid(Task& task, int32_t pid, int32_t pgid) {
  if (pgid < 0) return -kEINVAL;
  Process* p = pid == 0 ? &task.process : find_process(pid);
  if (p == nullptr || p->zombie) return -kESRCH;
  if (p != &task.process && p->ppid != task.process.pid) return -kESRCH;
  if (p->sid != task.process.sid) return -kEPERM;
  if (p->pid == p->sid) return -kEPERM;  // a session leader keeps its group
  p->pgid = pgid == 0 ? p->pid : pgid;
  return 0;
}

int64_t sys_getsid(Task& task, int32_t pid) {
  const Process* p = pid == 0 ? &task.process : find_process(pid);
  return p != nullptr ? p->sid : -kESRCH;
}

int64_t sys_setsid(Task& task) {
  Process& p = task.process;
  for (int32_t id = 1; id < kMaxIds; ++id) {  // no group may have this id already
    const Process* q = find_process(id);
    if (q != nullptr && !q->zombie && q->pgid == p.pid) return -kEPERM;
  }
  p.sid = p.pid;
  p.pgid = p.pid;
  return p.sid;
}

int64_t sys_pipe2(Task& task, uint64_t pipefd, uint32_t flags) {
  if ((flags & ~(kOCloexec | kONonblock | kODirect)) != 0) return -kEINVAL;
  FdTable& fds = task.process.fds;
  const int32_t r = fds.lowest_free();
  if (r < 0) return r;
  File* read_end = nullptr;
  File* write_end = nullptr;
  if (!make_pipe((flags & kONonblock) != 0, &read_end, &write_end)) return -kENOMEM;
  fds.install(r, read_end);
  const int32_t w = fds.lowest_free();
  if (w < 0) {
    fds.install(r, nullptr);
    write_end->release();
    return w;
  }
  fds.install(w, write_end);
  const int32_t pair[2] = {r, w};
  if (!task.process.mm.copy_out(pipefd, pair, sizeof(pair))) {
    fds.install(r, nullptr);
    fds.install(w, nullptr);
    return -kEFAULT;
  }
  return 0;
}

int64_t sys_pipe(Task& task, uint64_t pipefd) {
  return sys_pipe2(task, pipefd, 0);
}

int64_t sys_close(Task& task, int32_t fd) {
  if (task.process.fds.get(fd) == nullptr) return -kEBADF;
  task.process.fds.install(fd, nullptr);
  return 0;
}

int64_t sys_dup2(Task& task, int32_t oldfd, int32_t newfd) {
  File* file = task.process.fds.get(oldfd);
  if (file == nullptr) return -kEBADF;
  if (newfd < 0 || newfd >= FdTable::kMaxFds) return -kEBADF;
  if (newfd == oldfd) return newfd;
  file->acquire();
  task.process.fds.install(newfd, file);
  return newfd;
}

}  // namespace hmk::lx
