// The Linux shim as its own process (isolation class IC2): it runs the program named by the
// initrd's /hmk/exec.argv as a Linux process and serves that process's system calls, which
// the kernel turns into calls on the shim's endpoint (core/abi/syscall.h, "foreign system
// calls"). Standard output and error go to the serial ports the manifest gives it (stdout,
// stderr: COM2 and COM3 for ./hmk exec); standard input is empty. When the program has ended
// the shim prints "exit-status N" (the status a Linux shell would report: the exit code, or
// 128 + the signal) and exits.
#include "core/lib/cpio.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "linuxcompat/exec.h"
#include "linuxcompat/fs/filesystem.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"
#include "svc/lib/alloc.h"
#include "svc/lib/bootinfo.h"
#include "svc/lib/clock.h"
#include "svc/lib/print.h"
#include "svc/lib/syscall.h"

namespace hmk::lx {
namespace {

constexpr uint64_t kProcessQuota = 64ull << 20;  // the process's own kernel objects
constexpr int32_t kMaxTasks = 64;
constexpr uint32_t kMaxArgs = 256;

// ---- the shim's side of the process's memory: memory objects, mirrors, mappings ----
class ShimBackend final : public MemoryBackend {
 public:
  explicit ShimBackend(abi::Handle space) : space_(space) {}
  Status create(uint64_t pages, abi::Handle* memory, uint8_t** mirror) override {
    const uint64_t base = rt::reserve_address_space(pages * kPageSize, kPageSize);
    if (base == 0) return Status::kOutOfMemory;
    Result<abi::Handle> m = rt::memory_create(pages);
    if (!m.ok()) {
      rt::release_address_space(base, pages * kPageSize);
      return m.status();
    }
    if (Status s = rt::map(abi::kSelfSpace, *m, base, 0, pages, abi::kRightRead | abi::kRightWrite);
        s != Status::kOk) {
      (void)rt::cap_delete(*m);
      rt::release_address_space(base, pages * kPageSize);
      return s;
    }
    *memory = *m;
    *mirror = reinterpret_cast<uint8_t*>(base);
    return Status::kOk;
  }
  void destroy(abi::Handle memory, uint8_t* mirror, uint64_t pages) override {
    const auto base = reinterpret_cast<uint64_t>(mirror);
    (void)rt::unmap(abi::kSelfSpace, base, pages);
    rt::release_address_space(base, pages * kPageSize);
    (void)rt::cap_delete(memory);
  }
  Status set_mirror_writable(abi::Handle, uint8_t* mirror, uint64_t pages, bool writable) override {
    const uint32_t rights = abi::kRightRead | (writable ? abi::kRightWrite : 0);
    return rt::protect(abi::kSelfSpace, reinterpret_cast<uint64_t>(mirror), pages, rights);
  }
  Status map(abi::Handle memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
             uint32_t rights) override {
    return rt::map(space_, memory, vaddr, first_page, pages, rights);
  }
  Status unmap(uint64_t vaddr, uint64_t pages) override { return rt::unmap(space_, vaddr, pages); }

 private:
  abi::Handle space_;
};

// A process with the backend its address space works through.
struct ShimProcess {
  ShimProcess(int32_t pid, abi::Handle space) : backend(space), process(pid, 0, space, backend) {}
  ShimBackend backend;
  Process process;
};

// ---- files: the serial ports and an empty standard input ----
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

Process* process_from(int32_t pid);

constexpr ShimServices kServices = {&fill_random, &set_tls, &process_from};

uint64_t cpuid_edx(uint32_t leaf) {
  uint32_t a = leaf, b = 0, c = 0, d = 0;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  return d;
}

// ---- the shim's state ----
struct Shim {
  abi::Handle endpoint = abi::kNullHandle;
  CpioArchive* initrd = nullptr;
  abi::Handle stdout_ports = abi::kNullHandle;
  abi::Handle stderr_ports = abi::kNullHandle;
  Task* tasks[kMaxTasks] = {};             // by tid (the badge of its handler capability)
  ShimProcess* processes[kMaxTasks] = {};  // by pid
  int32_t next_pid = 1;
  uint32_t live = 0;
  int32_t first_status = -1;  // the first program's wait status
  bool reported[kSyscallCount] = {};
};
Shim g_shim;

// /proc's view of the process table (ShimServices::process_from).
Process* process_from(int32_t pid) {
  for (int32_t p = max(pid, 1); p < kMaxTasks; ++p) {
    if (g_shim.processes[p] != nullptr) return &g_shim.processes[p]->process;
  }
  return nullptr;
}

void copy_text(char* dst, size_t capacity, const char* src) {
  size_t i = 0;
  for (; src[i] != 0 && i + 1 < capacity; ++i)
    dst[i] = src[i];
  dst[i] = 0;
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

void release_task(Task* task) {
  g_shim.tasks[task->tid] = nullptr;
  const int32_t pid = task->process.pid;
  (void)rt::cap_delete(task->thread);
  delete task;
  ShimProcess* owner = g_shim.processes[pid];
  g_shim.processes[pid] = nullptr;
  const abi::Handle space = owner->process.space;
  delete owner;  // its memory objects go with its AddressSpace
  (void)rt::cap_delete(space);
  --g_shim.live;
}

void give_standard_files(Process& p) {
  p.fds.install(0, new EmptyInput());
  p.fds.install(1, new SerialFile(g_shim.stdout_ports, 0x2f8));
  p.fds.install(2, new SerialFile(g_shim.stderr_ports, 0x3e8));
}

void set_default_limits(Process& p) {
  for (Rlimit& r : p.limits)
    r = {kRlimInfinity, kRlimInfinity};
  p.limits[kRlimitStack] = {kStackPages * kPageSize, kStackPages * kPageSize};
  p.limits[kRlimitNofile] = {FdTable::kMaxFds, FdTable::kMaxFds};
}

// Starts `argv[0]` from the initrd as a new process. Returns 0 or -errno.
int64_t spawn(const char* const* argv, uint32_t argc, const char* const* envp, uint32_t envc) {
  Result<CpioEntry> file = g_shim.initrd->find(StringView(argv[0]));
  if (!file.ok()) return -kENOENT;
  const int32_t pid = g_shim.next_pid;
  if (pid >= kMaxTasks) return -kEAGAIN;
  Result<abi::Handle> space = rt::space_create(kProcessQuota);
  if (!space.ok()) return -kENOMEM;
  auto* owner = new ShimProcess(pid, *space);
  Process* process = &owner->process;
  set_default_limits(*process);
  give_standard_files(*process);
  copy_text(process->exe, sizeof(process->exe), argv[0]);
  ExecImage image;
  int64_t e = load_elf(process->mm, file->data, file->size, &image);
  StackInfo info = {argv[0], {}, cpuid_edx(1), 0, 0};
  fill_random(info.random, sizeof(info.random));
  uint64_t sp = 0;
  if (e == 0) e = build_stack(process->mm, argv, argc, envp, envc, image, info, &sp);
  Result<abi::Handle> thread = e == 0 ? rt::thread_create(*space, image.entry, sp, 0)
                                      : Result<abi::Handle>(Status::kInvalidArgument);
  if (e == 0 && !thread.ok()) e = -kENOMEM;
  Result<abi::Handle> handler =
      e == 0 ? rt::cap_derive(g_shim.endpoint, abi::kRightSend, static_cast<uint64_t>(pid))
             : Result<abi::Handle>(Status::kInvalidArgument);
  if (e == 0 && (!handler.ok() || rt::thread_set_syscall_handler(*thread, *handler) != Status::kOk))
    e = -kENOMEM;
  if (handler.ok()) (void)rt::cap_delete(*handler);  // the process's table keeps its copy
  if (e != 0) {
    if (thread.ok()) (void)rt::cap_delete(*thread);
    delete owner;
    (void)rt::cap_delete(*space);
    return e;
  }
  process->brk_base = process->brk = image.brk;
  auto* task = new Task(*process, pid, *thread);
  g_shim.tasks[pid] = task;
  g_shim.processes[pid] = owner;
  ++g_shim.next_pid;
  ++g_shim.live;
  if (rt::thread_start(*thread) != Status::kOk) {
    release_task(task);
    return -kENOMEM;
  }
  return 0;
}

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

// A fault: no handlers yet, so the signal's default action (the process is killed).
void fault(Task& task, const abi::IpcRegisters& regs) {
  const int sig = signal_for_vector(regs.words[0]);
  rt::print("pid %d (%s) killed by signal %d: exception %lu at pc 0x%lx, address 0x%lx\n",
            task.process.pid, task.process.exe, sig, regs.words[0], regs.words[2], regs.words[1]);
  task.exiting = true;
  task.wait_status = sig;
}

// What a shell reports for a wait status: the exit code, or 128 + the signal.
int32_t shell_status(int32_t wait_status) {
  return (wait_status & 0x7f) != 0 ? 128 + (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
}

void serve() {
  abi::IpcRegisters regs = {};
  Status s = rt::recv(g_shim.endpoint, regs);
  while (s == Status::kOk && g_shim.live > 0) {
    const uint64_t badge = regs.handle_or_badge;
    const uint32_t label = regs.tag.label();
    Task* task = badge < kMaxTasks ? g_shim.tasks[badge] : nullptr;
    if (task == nullptr) {  // nothing sends here but the shim's processes
      regs.tag = abi::MessageInfo::make(0, 0);
      s = rt::reply_recv(g_shim.endpoint, regs);
      continue;
    }
    int64_t result = 0;
    if (label == abi::kForeignSyscallLabel) {
      result = dispatch(*task, regs);
    } else {
      fault(*task, regs);
    }
    if (!task->exiting) {
      regs.tag = abi::MessageInfo::make(abi::kForeignResume, 1);
      regs.words[0] = static_cast<uint64_t>(result);
      s = rt::reply_recv(g_shim.endpoint, regs);
      continue;
    }
    regs.tag = abi::MessageInfo::make(abi::kForeignExit, 1);
    regs.words[0] = static_cast<uint64_t>(shell_status(task->wait_status));
    (void)rt::reply(regs);
    if (task->process.pid == 1) g_shim.first_status = task->wait_status;
    release_task(task);
    if (g_shim.live == 0) break;
    s = rt::recv(g_shim.endpoint, regs);
  }
  if (s != Status::kOk) rt::print("serving stopped: %s\n", status_name(s));
}

int run() {
  const abi::BootCap* initrd = rt::find_boot_cap("initrd", abi::BootCapKind::kInitrd);
  const abi::BootCap* out = rt::find_boot_cap("stdout", abi::BootCapKind::kIoPorts);
  const abi::BootCap* err = rt::find_boot_cap("stderr", abi::BootCapKind::kIoPorts);
  if (initrd == nullptr || out == nullptr || err == nullptr) {
    rt::print("needs initrd=yes, ioports=stdout:... and ioports=stderr:... in its manifest line\n");
    return 125;
  }
  const uint64_t pages = align_up<uint64_t>(initrd->index, kPageSize) / kPageSize;
  const uint64_t base = rt::reserve_address_space(pages * kPageSize, kPageSize);
  if (base == 0 ||
      rt::map(abi::kSelfSpace, initrd->handle, base, 0, pages, abi::kRightRead) != Status::kOk) {
    rt::print("cannot map the initrd\n");
    return 125;
  }
  Result<CpioArchive> archive =
      CpioArchive::open(reinterpret_cast<const uint8_t*>(base), initrd->index, nullptr);
  Result<abi::Handle> endpoint = rt::endpoint_create();
  if (!archive.ok() || !endpoint.ok()) {
    rt::print("bad initrd or no endpoint\n");
    return 125;
  }
  g_shim.initrd = new CpioArchive(*archive);
  (void)fs::init_from_initrd(*g_shim.initrd);
  g_shim.endpoint = *endpoint;
  g_shim.stdout_ports = out->handle;
  g_shim.stderr_ports = err->handle;
  init_uart(out->handle, 0x2f8);
  init_uart(err->handle, 0x3e8);

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
  if (int64_t e = spawn(argv, argc, envp, envc); e != 0) {
    rt::print("exec %s: error %ld\n", argv[0], -e);
    rt::print("exit-status %d\n", e == -kENOENT ? 127 : 126);
    return 0;
  }
  serve();
  rt::print("exit-status %d\n", shell_status(g_shim.first_status));
  return 0;
}

}  // namespace

const ShimServices& shim_services() {
  return kServices;
}

}  // namespace hmk::lx

int main() {
  return hmk::lx::run();
}
