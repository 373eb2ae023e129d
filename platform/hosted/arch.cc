// The arch contract (core/arch.h) on the build machine, for host unit tests: fake physical
// memory in one buffer, user page tables with the x86-64 layout built from its frames, a
// captured console, recorded interrupt-line state. Entering user mode, idling and powering
// off abort: a test that gets there has lost control of the kernel (but for a boot test that
// set a power-off handler: set_power_off_handler).
//
// No C or C++ library headers here (`./hmk lint` checks this file with the kernel's flags);
// the two libc functions the port needs are declared below.
#include "core/arch.h"
#include "core/abi/syscall.h"
#include "core/frame_allocator.h"
#include "core/lib/string.h"
#include "core/lib/util.h"
#include "platform/hosted/hosted.h"
#include "platform/x86_64/page_table_prune.h"

extern "C" long write(int fd, const void* buffer, unsigned long count);
extern "C" [[noreturn]] void abort() noexcept;
// Provided by the sanitizer runtime when the host build has sanitizers (the default).
extern "C" void __sanitizer_print_stack_trace() __attribute__((weak));

namespace hmk::hosted {
namespace {

alignas(4096) uint8_t g_ram[kRamBytes];
uint64_t g_bitmap[kRamFrames / 64];

constexpr size_t kConsoleBytes = 1u << 20;
char g_console[kConsoleBytes];
size_t g_console_length = 0;

bool g_masked[arch::kIrqLines];
uint64_t g_unmasks[arch::kIrqLines];
bool g_interrupts_enabled = false;

uint8_t g_ports[0x10000];
uint64_t g_port_accesses = 0;

const arch::UserContext* g_active_context = nullptr;
const arch::UserContext* g_restarts[64] = {};  // contexts with a restarted system call pending
PhysAddr g_active_root = 0;
uint64_t g_activations = 0;
// The TLS bases the fake CPU would run user code with: those of the last activated context.
uint64_t g_cpu_fs_base = 0;
uint64_t g_cpu_gs_base = 0;
uint64_t g_cycles = 0;
uint64_t g_ticks = 0;  // timer ticks: only wait_for_interrupt with a power-off handler adds some
PowerOffHandler g_power_off_handler = nullptr;
// The fake FPU registers and the context they belong to (run_fpu).
arch::UserContext* g_fpu_owner = nullptr;
abi::FpuState g_fpu_registers;

constexpr size_t kMaxAddressSpaces = 1024;
PhysAddr g_roots[kMaxAddressSpaces];
size_t g_root_count = 0;

constexpr size_t kMaxViolations = 64;
const char* g_violations[kMaxViolations];
size_t g_violation_count = 0;

void say(const char* text) {
  (void)write(2, text, str_length(text));
}

[[noreturn]] void die(const char* why) {
  say("hosted port: ");
  say(why);
  say("\n");
  if (__sanitizer_print_stack_trace != nullptr) __sanitizer_print_stack_trace();
  abort();
}

void violation(const char* what) {
  if (g_violation_count < kMaxViolations) g_violations[g_violation_count] = what;
  ++g_violation_count;
}

bool root_is_live(PhysAddr root) {
  for (size_t i = 0; i < g_root_count; ++i) {
    if (g_roots[i] == root) return true;
  }
  return false;
}

// ---- page tables: the x86-64 4-level layout and entry bits, user half only ----

constexpr int kEntries = 512;
using Table = uint64_t[kEntries];

Table& table_at(PhysAddr phys) {
  return *static_cast<Table*>(arch::phys_to_virt(phys));
}

int index_of(uint64_t virt, int level) {  // level 3 = PML4 ... 0 = PT
  return static_cast<int>((virt >> (12 + 9 * level)) & 0x1ff);
}

uint64_t leaf_bits(uint32_t flags) {
  uint64_t bits = kPtePresent | kPteUser;
  if (flags & kPageWrite) bits |= kPteWrite;
  if (!(flags & kPageExecute)) bits |= kPteNoExecute;
  return bits;
}

Result<PhysAddr> zeroed_frame(FrameAllocator& frames) {
  PhysAddr frame = TRY(frames.allocate());
  mem_set(arch::phys_to_virt(frame), 0, kPageSize);
  return frame;
}

// The leaf entry for `virt`, creating missing tables (counted in *tables_added) if asked.
Result<uint64_t*> walk(PhysAddr root, uint64_t virt, FrameAllocator* frames, size_t* tables_added) {
  PhysAddr table = root;
  for (int level = 3; level > 0; --level) {
    uint64_t& entry = table_at(table)[index_of(virt, level)];
    if (!(entry & kPtePresent)) {
      if (frames == nullptr) return Status::kNotFound;
      PhysAddr next = TRY(zeroed_frame(*frames));
      ++*tables_added;
      entry = next | kPtePresent | kPteWrite | kPteUser;
    }
    table = entry & kPteAddressMask;
  }
  return &table_at(table)[index_of(virt, 0)];
}

// Counts `table` and the tables below it. Bounded: depth is the paging depth.
size_t count_tree(PhysAddr table, int level) {
  size_t n = 1;
  const Table& t = table_at(table);
  for (int i = 0; level > 0 && i < kEntries; ++i) {
    if (t[i] & kPtePresent) n += count_tree(t[i] & kPteAddressMask, level - 1);
  }
  return n;
}

// Frees `table` and the tables below it. Bounded: depth is the paging depth.
size_t free_tree(PhysAddr table, int level, FrameAllocator& frames) {
  size_t freed = 1;
  Table& t = table_at(table);
  for (int i = 0; level > 0 && i < kEntries; ++i) {
    if (t[i] & kPtePresent) freed += free_tree(t[i] & kPteAddressMask, level - 1, frames);
  }
  if (frames.free(table) != Status::kOk) violation("a page table frame was already free");
  return freed;
}

}  // namespace

void advance_cycles(uint64_t cycles) {
  g_cycles += cycles;
}

void set_power_off_handler(PowerOffHandler handler) {
  g_power_off_handler = handler;
}

void reset_ram(FrameAllocator& frames) {
  mem_set(g_ram, 0xa5, sizeof(g_ram));
  mem_set(g_ram, 0, kPageSize);
  if (frames.init(g_bitmap, sizeof(g_bitmap), kRamBytes) != Status::kOk) die("bitmap init");
  frames.add_free_range(kPageSize, kRamBytes - kPageSize);
  g_console_length = 0;
  mem_set(g_ports, 0, sizeof(g_ports));
  g_port_accesses = 0;
  for (uint32_t line = 0; line < arch::kIrqLines; ++line) {
    g_masked[line] = true;
    g_unmasks[line] = 0;
  }
  g_active_context = nullptr;
  for (const arch::UserContext*& slot : g_restarts)
    slot = nullptr;
  g_active_root = 0;
  g_fpu_owner = nullptr;
  g_cpu_fs_base = 0;
  g_cpu_gs_base = 0;
  g_root_count = 0;
  g_violation_count = 0;
}

uint8_t* ram() {
  return g_ram;
}

const char* console_text() {
  return g_console;
}
size_t console_length() {
  return g_console_length;
}
void clear_console() {
  g_console_length = 0;
}

bool irq_masked(uint32_t line) {
  return line >= arch::kIrqLines || g_masked[line];
}
uint64_t irq_unmask_count(uint32_t line) {
  return line < arch::kIrqLines ? g_unmasks[line] : 0;
}

uint32_t port_value(uint16_t port, unsigned width) {
  uint32_t value = 0;
  for (unsigned i = 0; i < width && i < 4 && port + i < sizeof(g_ports); ++i)
    value |= static_cast<uint32_t>(g_ports[port + i]) << (8 * i);
  return value;
}
void set_port_value(uint16_t port, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width && i < 4 && port + i < sizeof(g_ports); ++i)
    g_ports[port + i] = static_cast<uint8_t>(value >> (8 * i));
}
uint64_t port_access_count() {
  return g_port_accesses;
}

const arch::UserContext* active_context() {
  return g_active_context;
}
PhysAddr active_root() {
  return g_active_root;
}
uint64_t activation_count() {
  return g_activations;
}
uint64_t cpu_fs_base() {
  return g_cpu_fs_base;
}
uint64_t cpu_gs_base() {
  return g_cpu_gs_base;
}

void run_fpu(arch::UserContext& ctx, const abi::FpuState& state) {
  if (g_fpu_owner != nullptr && g_fpu_owner != &ctx) {
    mem_copy(g_fpu_owner->fpu, &g_fpu_registers, sizeof(g_fpu_owner->fpu));
    g_fpu_owner->fpu_used = 1;
  }
  mem_copy(&g_fpu_registers, &state, sizeof(state));
  g_fpu_owner = &ctx;
}
const arch::UserContext* fpu_owner() {
  return g_fpu_owner;
}

bool restart_requested(const arch::UserContext& ctx) {
  for (const arch::UserContext* slot : g_restarts) {
    if (slot == &ctx) return true;
  }
  return false;
}

bool take_restart(const arch::UserContext& ctx) {
  for (const arch::UserContext*& slot : g_restarts) {
    if (slot == &ctx) {
      slot = nullptr;
      return true;
    }
  }
  return false;
}

size_t live_address_spaces() {
  return g_root_count;
}

size_t contract_violations() {
  return g_violation_count;
}
const char* contract_violation(size_t index) {
  return index < g_violation_count && index < kMaxViolations ? g_violations[index] : "?";
}
void clear_contract_violations() {
  g_violation_count = 0;
}

uint64_t pte_of(const arch::AddressSpace& space, uint64_t virt) {
  if (!root_is_live(space.root)) return 0;
  Result<uint64_t*> pte = walk(space.root, virt, nullptr, nullptr);
  return pte.ok() ? **pte : 0;
}

}  // namespace hmk::hosted

namespace hmk::arch {

using namespace hosted;

// ---- boot and CPU: nothing to set up ----

void Platform::init_cpu() {}
Status Platform::init_kernel_paging(const BootInfo&, FrameAllocator&) {
  return Status::kOk;
}
Status Platform::init_timer(uint32_t) {
  return Status::kOk;
}
void Platform::enable_interrupts() {
  g_interrupts_enabled = true;
}
void Platform::disable_interrupts() {
  g_interrupts_enabled = false;
}
void Platform::wait_for_interrupt() {
  // A boot test's init waits for two ticks before powering off: one passes per wait.
  if (g_power_off_handler == nullptr) die("wait_for_interrupt: the hosted port cannot idle");
  ++g_ticks;
}
uint64_t Platform::timer_ticks() {
  return g_ticks;
}
uint64_t Platform::timer_ticks_in_user_mode() {
  return 0;
}

// ---- time: a counter that moves on every read ----

uint64_t Platform::cycle_counter() {
  return ++g_cycles;
}
uint64_t Platform::cycle_frequency_hz() {
  return 1'000'000'000;
}
uint64_t Platform::boot_entry_cycles() {
  return 0;
}

// ---- memory ----

void* Platform::phys_to_virt(PhysAddr phys) {
  if (phys >= kRamBytes) die("phys_to_virt: address beyond the fake RAM");
  return g_ram + phys;
}

PhysAddr Platform::virt_to_phys_kernel(const void* virt) {
  auto v = reinterpret_cast<uintptr_t>(virt);
  auto base = reinterpret_cast<uintptr_t>(g_ram);
  if (v < base || v >= base + kRamBytes) die("virt_to_phys_kernel: not in the fake RAM");
  return v - base;
}

Result<void*> Platform::map_mmio(PhysAddr, size_t) {
  return Status::kUnsupported;
}

Result<AddressSpace> Platform::create_address_space(FrameAllocator& frames) {
  if (g_root_count == kMaxAddressSpaces) return Status::kOutOfMemory;
  PhysAddr root = TRY(zeroed_frame(frames));
  g_roots[g_root_count++] = root;
  return AddressSpace{root};
}

void Platform::destroy_address_space(AddressSpace& space, FrameAllocator& frames,
                                     size_t* tables_freed) {
  if (space.root == 0) return;
  size_t i = 0;
  while (i < g_root_count && g_roots[i] != space.root)
    ++i;
  if (i == g_root_count) {
    violation("destroy_address_space of an unknown address space");
    return;
  }
  g_roots[i] = g_roots[--g_root_count];
  if (g_active_root == space.root) g_active_root = 0;
  *tables_freed += free_tree(space.root, 3, frames);
  space.root = 0;
}

Status Platform::map_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags,
                          FrameAllocator& frames, size_t* tables_added) {
  if (!root_is_live(space.root)) {
    violation("map_page on a destroyed address space");
    return Status::kInvalidArgument;
  }
  if (!is_aligned(virt, kPageSize) || !is_aligned(phys, kPageSize)) {
    return Status::kInvalidArgument;
  }
  if (virt < kUserLowest || virt >= kUserHighest) return Status::kOutOfRange;
  if ((flags & kPageWrite) && (flags & kPageExecute)) return Status::kPermissionDenied;
  if (phys == 0 || phys >= kRamBytes) violation("map_page of a frame outside the fake RAM");
  uint64_t* pte = TRY(walk(space.root, virt, &frames, tables_added));
  if (*pte & kPtePresent) return Status::kAlreadyExists;
  *pte = phys | leaf_bits(flags);
  return Status::kOk;
}

void Platform::unmap_range(AddressSpace& space, uint64_t virt, uint64_t pages,
                           FrameAllocator& frames, size_t* tables_freed) {
  if (!root_is_live(space.root)) {
    violation("unmap_range on a destroyed address space");
    return;
  }
  *tables_freed += x86::unmap_and_prune(
      space.root, virt, virt + pages * kPageSize, [](uint64_t phys) { return &table_at(phys)[0]; },
      [&frames](uint64_t phys) {
        if (frames.free(phys) != Status::kOk) violation("a page table frame was already free");
      },
      [](uint64_t) {});
}

size_t Platform::page_table_count(const AddressSpace& space) {
  return root_is_live(space.root) ? count_tree(space.root, 3) : 0;
}

void Platform::protect_page(AddressSpace& space, uint64_t virt, uint32_t flags) {
  if (!root_is_live(space.root)) {
    violation("protect_page on a destroyed address space");
    return;
  }
  if ((flags & kPageWrite) && (flags & kPageExecute)) return;  // W^X: refused, as on x86-64
  Result<uint64_t*> pte = walk(space.root, virt, nullptr, nullptr);
  if (!pte.ok() || !(**pte & kPtePresent)) return;
  **pte = (**pte & kPteAddressMask) | leaf_bits(flags);
}

void Platform::replace_page(AddressSpace& space, uint64_t virt, PhysAddr phys, uint32_t flags) {
  if (!root_is_live(space.root)) {
    violation("replace_page on a destroyed address space");
    return;
  }
  if ((flags & kPageWrite) && (flags & kPageExecute)) return;  // W^X: refused, as on x86-64
  if (phys == 0 || phys >= kRamBytes) violation("replace_page with a frame outside the fake RAM");
  Result<uint64_t*> pte = walk(space.root, virt, nullptr, nullptr);
  if (!pte.ok() || !(**pte & kPtePresent)) return;
  **pte = phys | leaf_bits(flags);
}

Result<PhysAddr> Platform::translate_user(const AddressSpace& space, uint64_t virt,
                                          uint32_t flags) {
  if (!root_is_live(space.root)) {
    violation("translate_user on a destroyed address space");
    return Status::kBadAddress;
  }
  if (virt < kUserLowest || virt >= kUserHighest) return Status::kBadAddress;
  const uint64_t need = kPtePresent | kPteUser | ((flags & kPageWrite) ? kPteWrite : 0);
  PhysAddr table = space.root;
  for (int level = 3; level >= 0; --level) {
    uint64_t entry = table_at(table)[index_of(virt, level)];
    if ((entry & need) != need) return Status::kBadAddress;
    if (level == 0) return (entry & kPteAddressMask) + (virt & (kPageSize - 1));
    table = entry & kPteAddressMask;
  }
  return Status::kBadAddress;
}

// ---- threads and user mode ----

void Platform::init_user_context(UserContext& ctx, uint64_t entry, uint64_t stack, uint64_t arg) {
  ctx.frame.regs[kRdi] = arg;
  ctx.frame.rip = entry;
  ctx.frame.rsp = stack;
}

UserContext* Platform::activate(AddressSpace& space, UserContext& ctx) {
  if (!root_is_live(space.root)) violation("activate in a destroyed address space");
  g_active_root = space.root;
  g_active_context = &ctx;
  ++g_activations;
  g_cpu_fs_base = ctx.fs_base;
  g_cpu_gs_base = ctx.gs_base;
  return &ctx;
}

void Platform::set_user_tls(UserContext& ctx, uint64_t fs_base, uint64_t gs_base) {
  if (fs_base >= abi::kUserAddressEnd || gs_base >= abi::kUserAddressEnd) {
    violation("set_user_tls with a base the CPU could not load");
  }
  ctx.fs_base = fs_base;
  ctx.gs_base = gs_base;
}

// As on x86-64 (platform/x86_64/user.cc), with the fake registers.
void Platform::read_fpu(UserContext& ctx, abi::FpuState& out) {
  if (g_fpu_owner == &ctx) {
    mem_copy(ctx.fpu, &g_fpu_registers, sizeof(ctx.fpu));
    ctx.fpu_used = 1;
  }
  if (ctx.fpu_used) {
    mem_copy(&out, ctx.fpu, sizeof(out));
    return;
  }
  mem_set(&out, 0, sizeof(out));
  out.fcw = abi::kFpuResetFcw;
  out.mxcsr = abi::kFpuResetMxcsr;
  out.mxcsr_mask = kMxcsrMask;
}

bool Platform::write_fpu(UserContext& ctx, const abi::FpuState& in) {
  if ((in.mxcsr & ~kMxcsrMask) != 0) return false;
  mem_copy(ctx.fpu, &in, sizeof(ctx.fpu));
  ctx.fpu_used = 1;
  if (g_fpu_owner == &ctx) g_fpu_owner = nullptr;  // the registers' values are stale now
  return true;
}

void Platform::forget_context(UserContext& ctx) {
  if (g_active_context == &ctx) g_active_context = nullptr;
  if (g_fpu_owner == &ctx) g_fpu_owner = nullptr;
  (void)hosted::take_restart(ctx);  // a dying thread's restart will never run
}

void Platform::restart_syscall(UserContext& ctx) {
  ctx.frame.rip -= 2;  // as on x86-64: back onto the system-call instruction
  for (const UserContext*& slot : g_restarts) {
    if (slot == nullptr || slot == &ctx) {
      slot = &ctx;
      return;
    }
  }
  violation("more restarted system calls pending than the hosted port tracks");
}

void Platform::run_threads(UserContext*) {
  die("run_threads: host tests drive the kernel entries themselves");
}

// ---- interrupt lines: 2 (the cascade) is not available, as on the PC ----

bool Platform::irq_line_available(uint32_t line) {
  return line < kIrqLines && line != 2;
}

void Platform::irq_mask(uint32_t line) {
  if (line >= kIrqLines) {
    violation("irq_mask of a line that does not exist");
    return;
  }
  g_masked[line] = true;
}

void Platform::irq_unmask(uint32_t line) {
  if (!irq_line_available(line)) {
    violation("irq_unmask of a line user space may not own");
    return;
  }
  g_masked[line] = false;
  ++g_unmasks[line];
}

// ---- I/O ports: the fake port space ----

namespace {
bool port_access_ok(uint16_t port, unsigned width) {
  if (width != 1 && width != 2 && width != 4) {
    violation("port access with a width other than 1, 2 or 4");
    return false;
  }
  if (port + width > sizeof(g_ports)) {
    violation("port access past port 0xffff");
    return false;
  }
  ++g_port_accesses;
  return true;
}
}  // namespace

uint32_t Platform::port_in(uint16_t port, unsigned width) {
  return port_access_ok(port, width) ? port_value(port, width) : 0xffff'ffff;
}

void Platform::port_out(uint16_t port, unsigned width, uint32_t value) {
  if (port_access_ok(port, width)) set_port_value(port, width, value);
}

// ---- console and power ----

void Platform::console_write(const char* text, size_t len) {
  size_t n = min(len, kConsoleBytes - 1 - g_console_length);
  mem_copy(g_console + g_console_length, text, n);
  g_console_length += n;
  g_console[g_console_length] = '\0';
}

void Platform::power_off(PowerOffReason reason) {
  if (g_power_off_handler != nullptr) {
    g_power_off_handler(reason);
    die("power_off: the handler returned");
  }
  say("hosted port: power_off; the console said:\n");
  (void)write(2, g_console, g_console_length);
  die(reason == PowerOffReason::kPanic ? "power_off(kPanic)" : "power_off");
}

void Platform::print_backtrace(uint64_t, uint64_t) {
  console_write("(backtrace on stderr)\n", 22);
  if (__sanitizer_print_stack_trace != nullptr) __sanitizer_print_stack_trace();
}

void Platform::halt() {
  die("halt");
}

}  // namespace hmk::arch
