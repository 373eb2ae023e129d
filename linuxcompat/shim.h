// The shim's own state (linuxcompat/shim.cc, process.cc, syscalls_proc.cc): the process and
// task tables, the endpoint Linux threads call. It runs in one of two placements: its own
// process (IC2, ic2.cc), where one lock guards all of this (a dispatch thread holds it while it
// handles a call and drops it while the call waits: ShimServices::block), or the kernel (IC0,
// ic0.cc), where calls run one at a time on the kernel's CPU and need no lock.
#pragma once

#include <stdint.h>

#include "core/lib/cpio.h"
#include "linuxcompat/address_space.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"
#include "svc/lib/rpc.h"
#include "svc/memmgr/memmgr.hmk.h"
#include "svc/procmgr/procmgr.hmk.h"

namespace hmk::lx {

// Process and thread ids share one space, 1 .. kMaxIds - 1, handed out by procmgr
// (svc/procmgr: as many ids as its table has) in increasing order.
inline constexpr int32_t kMaxIds = 1024;
// A task's handler capability is badged kTaskBadge | serial << 32 | tid << 16: the low 16 bits
// stay 0 (the index of the shim's service when the kernel serves the endpoint, IC0), and the top
// bit tells it from a native client's badge (the kernel's are below 2^48).
inline constexpr uint64_t kTaskBadge = uint64_t{1} << 63;

// The shim's side of a process's memory (rt:: calls): memory objects, the process's mappings,
// and the way to the objects' pages: in the shim's own process (ic2.cc) each object's mirror in
// the shim, in the kernel (backend_ic0.cc) the direct map, a page at a time.
class ShimBackend final : public MemoryBackend {
 public:
  explicit ShimBackend(abi::Handle space) : space_(space) {}
  Status create(uint64_t pages, bool populate, MemoryObject* object) override;
  Status clone(const MemoryObject& source, MemoryObject* copy) override;
  uint8_t* page(MemoryObject& object, uint64_t index, PageAccess access) override;
  Status set_writable(MemoryObject& object, bool writable) override;
  void destroy(MemoryObject& object) override;
  Status map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
             uint32_t rights) override;
  Status unmap(uint64_t vaddr, uint64_t pages) override;
  abi::Handle space() const override { return space_; }

 private:
  // page() for an object without a mirror yet (IC2 only): makes it (all of the object mapped into
  // the shim, contiguously, readable, and writable if the object is: MemoryObject::mirror), then
  // answers as page() does.
  static uint8_t* page_of_new_mirror(MemoryObject& object, uint64_t index);

  abi::Handle space_;
};

// A process with the backend its address space works through.
struct ShimProcess {
  ShimProcess(int32_t pid, int32_t ppid, abi::Handle space)
      : backend(space), process(pid, ppid, space, backend) {}
  ShimBackend backend;
  Process process;
};

struct Shim {
  abi::Handle endpoint = abi::kNullHandle;
  CpioArchive* initrd = nullptr;
  abi::Handle stdout_ports = abi::kNullHandle;
  abi::Handle stderr_ports = abi::kNullHandle;
  Task* tasks[kMaxIds] = {};             // by tid
  ShimProcess* processes[kMaxIds] = {};  // by pid, zombies included
  uint64_t badges[kMaxIds] = {};         // the badge of each task's handler capability
  // The process manager (svc/procmgr): ids, the tree of processes, exit statuses and whom
  // wait collects. The shim mirrors what it decides in each Process (ppid, pgid, sid, zombie)
  // for its own calls; it is procmgr's only client.
  svc::procmgr::ProcessManager::Client procmgr;
  // The memory manager (svc/memmgr): each process's regions and page budget, where mmap puts
  // a mapping, what a user-level pager's fault may resolve. Each AddressSpace asks it and tells
  // it every change; the shim is its only client.
  svc::memmgr::MemoryManager::Client memmgr;
  int32_t main_pid = 0;  // the program ./hmk exec runs: the shim ends with it
  uint64_t serial = 0;   // makes badges unique over time (a stale call never names a new task)
  bool reported[kSyscallCount] = {};
  bool reported_interpreter = false;  // a dynamically linked program was refused (once)
  uint64_t quota_at_start = 0;        // the shim's quota use before the first program
  // pager=user in /hmk/exec.config: the processes' page faults come to the shim, which
  // resolves them with space_resolve_fault (a user-level pager), instead of kernel paging.
  bool user_pager = false;
  // test=panic-in-call in /hmk/exec.config (shim_boot_test): the shim in the kernel panics in
  // the first call it runs on a fiber, so that a test sees the backtrace cross into the fiber.
  bool test_panic_in_call = false;
  uint64_t pager_faults = 0;  // page faults it resolved as that pager
};
extern Shim g_shim;

// ---- process.cc ----
Process* find_process(int32_t pid);  // a live or zombie process, or nullptr
// Makes pid 1, an init without a program that adopts and reaps orphans, unless it exists: 0 or
// -errno.
int64_t make_init_process();
// Makes pid 1 (make_init_process) and starts `argv[0]` from the initrd as its child (pid 2).
// 0 or -errno.
int64_t start_first_program(const char* const* argv, uint32_t argc, const char* const* envp,
                            uint32_t envc);
// A copy of `parent`'s process (fork): a new process, memory, files and one task whose
// registers are the parent task's with the result register 0. Returns the child's pid or
// -errno. `stack` (if non-zero) and `tls` (with `set_tls`) replace the child's stack pointer
// and FS base; `share_memory` (vfork) maps the parent's memory instead of copying it.
int64_t fork_process(Task& parent, uint64_t stack, bool set_tls, uint64_t tls, bool share_memory);
// A new task in `parent`'s process (clone with CLONE_THREAD): the parent task's registers with
// the result register 0, the stack pointer `stack` and (with `set_tls`) the FS base `tls`.
// Returns its tid or -errno.
int64_t spawn_thread(Task& parent, uint64_t stack, bool set_tls, uint64_t tls);
// Replaces the task's program (execve); the caller has copied path, argv and envp into the
// shim. The process's other tasks end first (the lock is released while they do), and the task
// takes the pid as its tid. 0, or -errno with the old program intact; -EINTR if the process was
// killed while they ended (it is ending: nothing resumes).
int64_t exec_program(Task& task, const char* path, const char* const* argv, uint32_t argc,
                     const char* const* envp, uint32_t envc);
// The process has ended with `wait_status`: its tasks, memory, files and kernel objects go,
// it stays a zombie for its parent, its children go to pid 1. Ends the shim when pid 1 ends.
void end_process(Process& process, int32_t wait_status);
// Removes a zombie (waited for).
void reap(Process& zombie);
// A task's Task object goes (its kernel thread has ended or is about to).
void delete_task(Task* task);
// One task of the process (the main one if it lives), or nullptr.
Task* any_task(const Process& process);
// exit of one task of several: its thread-id word cleared and woken (pthread_join), the task
// deleted.
void end_thread(Task& task);
// Sends `sig` (1..64) to a process; 0 or -errno.
int64_t send_signal(Process& target, int sig, int32_t sender);
// The same for one task (tgkill): a handler runs on it; a default action ends its process.
int64_t send_signal_to_task(Task& to, int sig, int32_t sender);

// ---- shim.cc: what both placements share ----
// Sets the shim up from the initrd's bytes (`initrd`, `initrd_size`: readable as one range) and
// the two serial ports' capabilities: the file system, the ports, /hmk/exec.config. With a
// `vfs` channel (the manifest granted the vfs service, or ic0's beside the shim), the root is
// that service's, filled from the initrd (fs::init_on_service); without, the shim's own tmpfs.
// With a `procmgr` channel (the manifest granted procmgr), that
// service hands out ids and keeps the tree of processes; with a `memmgr` channel, that service
// keeps the processes' regions and budgets. Without one, the shim runs its own procmgr or
// memmgr beside it (a direct call). False (after saying why) for a bad initrd or
// configuration, a vfs that cannot be mounted, or a procmgr or memmgr that does not answer.
bool set_up_shim(const uint8_t* initrd, uint64_t initrd_size, abi::Handle stdout_ports,
                 abi::Handle stderr_ports, const rpc::Channel& vfs = rpc::Channel(),
                 const rpc::Channel& procmgr = rpc::Channel(),
                 const rpc::Channel& memmgr = rpc::Channel());
// Starts /hmk/exec.argv's program with /hmk/exec.env (start_first_program): 0, or (after saying
// why) the status to report instead: 125 without a program, 127 if it is not found, else 126.
int32_t start_program();
// How the placement answers a call: at once (reply_recv's direct switch resumes the caller
// before any other ready thread), or queueing the caller behind the other ready threads
// (sched_yield; a plain reply, where the placement can give one).
enum class Answer : uint8_t { kResumeAtOnce, kQueueBehind };
// Handles one call of a Linux thread, a system call or a fault, as it came (the badge in
// regs.handle_or_badge) and leaves the reply in `regs`.
Answer handle(abi::IpcRegisters& regs);
// The ShimServices both placements give alike.
void fill_random(uint8_t* buffer, size_t length);
Status set_tls(Task& task, uint64_t fs_base, uint64_t gs_base);
Status read_registers(Task& task, abi::UserRegisters* out);
Status write_registers(Task& task, const abi::UserRegisters& in);
Status read_fpu(Task& task, abi::FpuState* out);
Status write_fpu(Task& task, const abi::FpuState& in);
Process* process_from(int32_t pid);
uint64_t now();
// What a shell reports for a wait status: the exit code, or 128 + the signal.
int32_t shell_status(int32_t wait_status);
// The processes of the program still alive (pid 1, init, not counted).
uint32_t live_programs();
// Prints how many ids procmgr has out and how many the shim holds (a process slot or a task's
// own id), and how many address spaces memmgr has open and how many the shim's processes hold:
// each pair equal unless one side lost track of something.
void report_ids();
// The serial-port and empty-input files the first process starts with; false (none given) when
// out of memory.
bool give_standard_files(Process& process);
// A new task's handler capability and registration; the task is not started. nullptr (nothing
// made) when out of memory or the handler cannot be set.
Task* add_task(Process& process, int32_t tid, abi::Handle thread);
// execve of a task other than the main one: the task takes `tid` (its process's pid, which no
// task has now) and the kernel thread `thread` (new, not started, in the same space), with a
// handler of its own; the old thread, which made the call, ends with the reply and the new one
// starts then (Task::thread_replaced). false (nothing changed) if the handler cannot be set.
bool move_task(Task& task, int32_t tid, abi::Handle thread);
// prctl's name: the last component of the process's exe.
void set_task_name(Task& task);
// The program (pid 2) has ended with `wait_status`: the placement reports it and every process
// left ends (end_placement).
void finish(int32_t wait_status);

// ---- the placement's part (ic2.cc, ic0.cc) ----
// An ITIMER_REAL changed: the placement looks at the processes' deadlines again.
void alarms_changed();
// Reports "exit-status N" (`shell_status`) and ends every process left: the shim process exits
// (IC2, never returns), or the kernel domain answers the call waiting for the program (IC0).
void end_placement(int32_t shell_status);
// The memory objects of regular files (MAP_SHARED): made and reached through this backend.
MemoryBackend& file_memory();

}  // namespace hmk::lx
