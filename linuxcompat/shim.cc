// The Linux shim's calls, whichever placement serves them: as its own process (IC2, ic2.cc) or
// inside the kernel (IC0, ic0.cc). Each placement receives the calls its own way and hands each
// to handle() here, which runs the system call or the fault and says how to answer. Standard
// output and error of the program go to the serial ports the manifest gives the shim (COM2 and
// COM3 for ./hmk exec); standard input is /dev/null. The program is pid 2, the child of an init
// (pid 1) the shim keeps; when it ends the placement reports "exit-status N" (the exit code, or
// 128 + the signal) and every process left ends.
#include "linuxcompat/shim.h"

#include "linuxcompat/signals.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/fs/operations.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/clock.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"
#include "svc/memmgr/memmgr_service.h"
#include "svc/procmgr/procmgr_service.h"

namespace hmk::lx {

Shim g_shim;

// ---- a process's memory: objects and mappings (the pages: ic2.cc, backend_ic0.cc) ----
// Lazy unless populated: the kernel gives each page its zeroed frame when the process or the
// shim first touches it.
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

Status ShimBackend::map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
                        uint32_t rights) {
  return rt::map(space_, memory, vaddr, first_page, pages, rights);
}

Status ShimBackend::unmap(uint64_t vaddr, uint64_t pages) {
  return rt::unmap(space_, vaddr, pages);
}

namespace {

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

}  // namespace

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

// ---- serving ----
namespace {

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

}  // namespace

namespace {

// Whether a page fault that reached the shim is resolved now. Under the user-level pager the
// fault goes to memmgr (pageIn), which resolves it in the process's address space if its region
// allows the access. Under kernel paging the shim resolves it itself, as the kernel would have:
// a fault retried after a file's memory object moved.
bool page_in(const Task& task, const abi::IpcRegisters& regs) {
  if (!g_shim.user_pager) {
    return rt::space_resolve_fault(task.process.space, regs.words[1],
                                   static_cast<uint32_t>(regs.words[4])) == Status::kOk;
  }
  using Mm = svc::memmgr::MemoryManager;
  Mm::PageInRequest req;
  req.space = task.process.mm.memmgr_space();
  req.address = regs.words[1];
  req.access = regs.words[4] == abi::kRightWrite     ? svc::memmgr::Access::kWrite
               : regs.words[4] == abi::kRightExecute ? svc::memmgr::Access::kExecute
                                                     : svc::memmgr::Access::kRead;
  Mm::PageInResponse resp;
  return g_shim.memmgr.page_in(req, resp) == rpc::Status::kOk &&
         resp.result == svc::memmgr::FaultResult::kResolve && resp.kernel == 0;
}

}  // namespace

// What a shell reports for a wait status: the exit code, or 128 + the signal.
int32_t shell_status(int32_t wait_status) {
  return (wait_status & 0x7f) != 0 ? 128 + (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
}

Answer handle(abi::IpcRegisters& regs) {
  const uint64_t badge = regs.handle_or_badge;
  const auto tid = static_cast<int32_t>((badge >> 16) & 0xffff);
  Task* task = tid > 0 && tid < kMaxIds ? g_shim.tasks[tid] : nullptr;
  if (task == nullptr || g_shim.badges[tid] != badge) {
    regs.tag = abi::MessageInfo::make(0, 0);  // a call from a task that has ended
    return Answer::kResumeAtOnce;
  }
  // A user-level pager's fault (pager=user): memmgr decides and resolves it, and the thread
  // retries. So is, under kernel paging, a fault on a page mapped again while the fault waited
  // for the lock (a file's memory object moved to a bigger one: RegularInode::move_to_memory),
  // which the shim resolves.
  constexpr uint64_t kPageFaultVector = 14;
  if (regs.tag.label() == abi::kForeignFaultLabel && regs.words[0] == kPageFaultVector &&
      page_in(*task, regs)) {
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
    shim_services().wake_all(process.task_exits);
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

namespace {

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
    } else if (line == StringView("test=panic-in-call")) {
      g_shim.test_panic_in_call = true;
    } else {
      rt::print("/hmk/exec.config: unknown setting '%.*s' (known: pager=kernel, pager=user)\n",
                static_cast<int>(line.size()), line.data());
      return false;
    }
  }
  return true;
}

// procmgr and memmgr beside the shim (reached by direct calls, a local channel) where no
// profile placed them elsewhere: the ic0, ic2 and userpager profiles.
svc::procmgr::ProcmgrService g_local_procmgr;
svc::memmgr::MemmgrService g_local_memmgr;

// A service's client: the granted service, else the one beside the shim. False (after saying
// why) if it does not answer.
template <typename Interface>
bool set_up_service(const char* name, const rpc::Channel& granted, svc::Service& local,
                    typename Interface::Server& local_server, typename Interface::Client* client) {
  rpc::Channel channel = granted;
  if (channel.kind() == rpc::Channel::Kind::kNone) {
    svc::Env env;
    if (const rpc::Status s = local.start(env); s != rpc::Status::kOk) {
      rt::print("%s failed to start: %s\n", name, rpc::status_name(s));
      return false;
    }
    channel = Interface::local_channel(&local_server);
  }
  *client = typename Interface::Client(channel);
  typename Interface::PingResponse pong;
  if (const rpc::Status s = client->ping(typename Interface::PingRequest{}, pong);
      s != rpc::Status::kOk) {
    rt::print("the %s service does not answer: %s\n", name, rpc::status_name(s));
    return false;
  }
  return true;
}

// An initrd entry the vfs service could not take (init_on_service): said on the console, so a
// file missing from the root is not a mystery.
void report_skipped(StringView name, int64_t error) {
  rt::print("[lxshim] initrd: /%.*s left out of the root: error %ld\n",
            static_cast<int>(name.size()), name.data(), -error);
}

}  // namespace

bool set_up_shim(const uint8_t* initrd, uint64_t initrd_size, abi::Handle stdout_ports,
                 abi::Handle stderr_ports, const rpc::Channel& vfs, const rpc::Channel& procmgr,
                 const rpc::Channel& memmgr) {
  if (!set_up_service<svc::procmgr::ProcessManager>("procmgr", procmgr, g_local_procmgr,
                                                    g_local_procmgr, &g_shim.procmgr) ||
      !set_up_service<svc::memmgr::MemoryManager>("memmgr", memmgr, g_local_memmgr, g_local_memmgr,
                                                  &g_shim.memmgr)) {
    return false;
  }
  Result<CpioArchive> archive = CpioArchive::open(initrd, initrd_size, nullptr);
  if (!archive.ok()) {
    rt::print("bad initrd: %s\n", status_name(archive.status()));
    return false;
  }
  g_shim.initrd = new (kFallible) CpioArchive(*archive);
  fs::set_memory_backend(&file_memory());
  if (g_shim.initrd == nullptr) {
    rt::print("no memory for the file system\n");
    return false;
  }
  // The root is the vfs service's where the profile gives the shim one, else the shim's own.
  if (vfs.kind() != rpc::Channel::Kind::kNone) {
    if (const int64_t e = fs::init_on_service(*g_shim.initrd, vfs, report_skipped); e != 0) {
      rt::print("cannot make the root on the vfs service: error %ld\n", -e);
      return false;
    }
  } else if (fs::init_from_initrd(*g_shim.initrd) != 0) {
    rt::print("no memory for the file system\n");
    return false;
  }
  g_shim.stdout_ports = stdout_ports;
  g_shim.stderr_ports = stderr_ports;
  init_uart(stdout_ports, kStdoutPort);
  init_uart(stderr_ports, kStderrPort);
  return read_config();
}

int32_t start_program() {
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
  const int64_t e = start_first_program(argv, argc, envp, envc);
  if (e == 0) return 0;
  rt::print("exec %s: error %ld\n", argv[0], -e);
  return e == -kENOENT ? 127 : 126;
}

bool give_standard_files(Process& process) {
  // Standard input is /dev/null (a file of the shim's file system, as `< /dev/null` gives).
  File* input = nullptr;
  if (fs::root() == nullptr ||
      fs::open(process, fs::root(), StringView("/dev/null"), 0, 0, &input) != 0) {
    input = new (kFallible) EmptyInput();
  }
  File* output = new (kFallible) SerialFile(g_shim.stdout_ports, kStdoutPort);
  File* error = new (kFallible) SerialFile(g_shim.stderr_ports, kStderrPort);
  if (input == nullptr || output == nullptr || error == nullptr) {
    File* const made[] = {input, output, error};
    for (File* f : made)
      if (f != nullptr) f->release();
    return false;
  }
  process.fds.install(0, input);
  process.fds.install(1, output);
  process.fds.install(2, error);
  return true;
}

namespace {

// Makes the shim `thread`'s syscall handler, with a new badge naming `tid`: the badge, or 0.
uint64_t set_handler(abi::Handle thread, int32_t tid) {
  const uint64_t badge =
      kTaskBadge | (++g_shim.serial & 0x7fff'ffff) << 32 | static_cast<uint64_t>(tid) << 16;
  Result<abi::Handle> handler = rt::cap_derive(g_shim.endpoint, abi::kRightSend, badge);
  if (!handler.ok()) return 0;
  const Status s = rt::thread_set_syscall_handler(thread, *handler);
  (void)rt::cap_delete(*handler);  // the process's table keeps its copy
  return s == Status::kOk ? badge : 0;
}

}  // namespace

Task* add_task(Process& process, int32_t tid, abi::Handle thread) {
  auto* task = new (kFallible) Task(process, tid, thread);
  if (task == nullptr) return nullptr;
  const uint64_t badge = set_handler(thread, tid);
  if (badge == 0) {
    delete task;
    return nullptr;
  }
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

void set_task_name(Task& task) {
  const char* base = task.process.exe;
  for (const char* p = task.process.exe; *p != 0; ++p)
    if (*p == '/') base = p + 1;
  (void)snformat(task.name, sizeof(task.name), "%s", base);  // truncated to 15, as Linux's comm
}

void report_ids() {
  using Pm = svc::procmgr::ProcessManager;
  Pm::UsageResponse usage;
  if (const rpc::Status s = g_shim.procmgr.usage(Pm::UsageRequest{}, usage);
      s != rpc::Status::kOk) {
    rt::print("procmgr: no usage: %s\n", rpc::status_name(s));
    return;
  }
  uint32_t held = 0;
  for (int32_t id = 1; id < kMaxIds; ++id) {
    if (g_shim.processes[id] != nullptr || g_shim.tasks[id] != nullptr) ++held;
  }
  rt::print("procmgr: %u ids in use, %u held by the shim\n", usage.usage.ids, held);
  using Mm = svc::memmgr::MemoryManager;
  Mm::UsageResponse spaces;
  if (const rpc::Status s = g_shim.memmgr.usage(Mm::UsageRequest{}, spaces);
      s != rpc::Status::kOk) {
    rt::print("memmgr: no usage: %s\n", rpc::status_name(s));
    return;
  }
  uint32_t records = 0;
  for (int32_t pid = 1; pid < kMaxIds; ++pid) {
    records +=
        g_shim.processes[pid] != nullptr && g_shim.processes[pid]->process.mm.memmgr_space() != 0;
  }
  rt::print("memmgr: %u address spaces open, %u held by the shim (%lu pages in %u regions)\n",
            spaces.usage.spaces, records, spaces.usage.pages, spaces.usage.regions);
}

uint32_t live_programs() {
  uint32_t live = 0;
  for (int32_t pid = 2; pid < kMaxIds; ++pid)
    live += g_shim.processes[pid] != nullptr && !g_shim.processes[pid]->process.zombie;
  return live;
}

void finish(int32_t wait_status) {
  end_placement(shell_status(wait_status));
}

}  // namespace hmk::lx
