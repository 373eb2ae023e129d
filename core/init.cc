// Boot-time init: the manifest's programs run one after another; each one's end (exit, fault,
// or deadlock) is reported, and after the last the kernel checks for leaks and powers off.
#include "core/init.h"

#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/irq.h"
#include "core/kmem.h"
#include "core/object.h"
#include "core/process.h"
#include "core/space.h"

namespace hmk {
namespace {

struct InitState {
  const CpioArchive* initrd = nullptr;
  StringView rest;  // manifest text not yet read
  int line_number = 0;
  Space* current = nullptr;  // the running program (init holds a reference)
  bool current_ended = false;
  int started = 0;
  int exited_ok = 0;
  int failed = 0;
  size_t free_before = 0;
  size_t objects_before = 0;
  bool boot_time_reported = false;
};
InitState g_init;
uint64_t g_first_user_entry = 0;

uint64_t cycles_to_us(uint64_t cycles) {
  return cycles * 1000000 / max<uint64_t>(arch::cycle_frequency_hz(), 1);
}

StringView trim(StringView s) {
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r'))
    s.remove_prefix(1);
  size_t n = s.size();
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    --n;
  return s.substr(0, n);
}

[[noreturn]] void finish() {
  reap_objects();
  const size_t free_after = kernel_frames().free_count();
  const size_t objects_after = live_object_count();
  const bool clean = free_after == g_init.free_before && objects_after == g_init.objects_before;
  kprint("boot: %d programs run, %d exited 0, %d failed; frames free before %zu, after %zu%s\n",
         g_init.started, g_init.exited_ok, g_init.failed, g_init.free_before, free_after,
         clean ? "" : " (LEAK)");
  if (objects_after != g_init.objects_before) {
    kprint("boot: %zu kernel objects still alive (expected %zu):\n", objects_after,
           g_init.objects_before);
    for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o))
      kprint("  %s with %u references\n", object_type_name(o->type()), o->refs());
  }
  // Proof that timer interrupts arrive, taken last so it does not delay the first program.
  uint64_t start = arch::timer_ticks();
  uint64_t c0 = arch::cycle_counter();
  arch::enable_interrupts();
  while (arch::timer_ticks() - start < 2)
    arch::wait_for_interrupt();
  arch::disable_interrupts();
  kprint("timer: 2 ticks took %lu us; %lu ticks so far, %lu of them in user mode\n",
         cycles_to_us(arch::cycle_counter() - c0), arch::timer_ticks(),
         arch::timer_ticks_in_user_mode());
  kprint("hmk: powering off\n");
  arch::power_off(clean ? arch::PowerOffReason::kSuccess : arch::PowerOffReason::kFailure);
}

// Starts `path`; false if it could not be started (already reported).
bool start_program(StringView path) {
  ++g_init.started;
  Result<CpioEntry> file = g_init.initrd->find(path);
  if (!file.ok() || !is_regular_file(*file)) {
    kprint("exec %.*s: no such file in the initrd\n", static_cast<int>(path.size()), path.data());
    ++g_init.failed;
    return false;
  }
  Result<Space*> space = load_process(path, file->data, file->size, abi::kDefaultProcessQuota);
  if (!space.ok()) {
    ++g_init.failed;
    reap_objects();
    return false;
  }
  g_init.current = *space;
  g_init.current_ended = false;
  return true;
}

// Reads manifest lines until a program starts; powers off when the manifest is done.
void start_next() {
  while (!g_init.rest.empty()) {
    ++g_init.line_number;
    size_t newline = g_init.rest.find('\n');
    StringView line = g_init.rest.substr(0, newline);
    g_init.rest.remove_prefix(newline == StringView::kNpos ? g_init.rest.size() : newline + 1);
    line = trim(line);
    if (line.empty() || line.starts_with('#')) continue;
    if (line.starts_with("run ")) {
      if (start_program(trim(line.substr(4)))) return;
    } else {
      kprint("manifest:%d: unknown directive '%.*s'\n", g_init.line_number,
             static_cast<int>(line.size()), line.data());
    }
  }
  finish();
}

void report_end(Space* space) {
  const int len = static_cast<int>(space->name().size());
  if (space->faulted()) {
    kprint("process %.*s killed by exception %lu (address 0x%lx); kernel continues\n", len,
           space->name().data(), space->fault_vector(), space->fault_address());
    ++g_init.failed;
  } else {
    kprint("process %.*s exited with status %ld\n", len, space->name().data(), space->exit_code());
    if (space->exit_code() == 0) {
      ++g_init.exited_ok;
    } else {
      ++g_init.failed;
    }
  }
  if (!g_init.boot_time_reported && g_first_user_entry != 0) {
    g_init.boot_time_reported = true;
    uint64_t entry = arch::boot_entry_cycles();
    kprint(
        "boot: kernel entered at %lu us, first user instruction at %lu us "
        "(kernel boot %lu us; virtual time under -icount)\n",
        cycles_to_us(entry), cycles_to_us(g_first_user_entry),
        cycles_to_us(g_first_user_entry - entry));
  }
}

}  // namespace

void note_user_entry(uint64_t cycles) {
  if (g_first_user_entry == 0) g_first_user_entry = cycles;
}

bool init_start(const CpioArchive& initrd) {
  Result<CpioEntry> manifest = initrd.find("manifest");
  if (!manifest.ok()) {
    kprint("initrd: no manifest; nothing to run\n");
    return false;
  }
  g_init.initrd = &initrd;
  g_init.rest = StringView(reinterpret_cast<const char*>(manifest->data), manifest->size);
  irq_control();  // the one object that lives forever; created before the count
  g_init.free_before = kernel_frames().free_count();
  g_init.objects_before = live_object_count();
  start_next();
  return true;
}

bool g_init_pending = false;

void init_space_ended(Space* space) {
  if (space == g_init.current) {
    g_init.current_ended = true;
    g_init_pending = true;
  }
}

void init_run_pending() {
  g_init_pending = false;
  if (g_init.current == nullptr || !g_init.current_ended) return;
  Space* ended = g_init.current;
  g_init.current = nullptr;
  report_end(ended);
  ended->release();
  reap_objects();
  start_next();
}

void init_deadlock() {
  kprint("init: nothing can run and no interrupt can change that; blocked threads:\n");
  for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
    if (o->type() != ObjectType::kThread) continue;
    auto* t = static_cast<Thread*>(o);
    if (!t->blocked()) continue;
    kprint("  thread in %.*s: %s\n", static_cast<int>(t->space().name().size()),
           t->space().name().data(), thread_state_name(t->state()));
  }
  if (g_init.current == nullptr) finish();
  Space* stuck = g_init.current;
  kprint("init: ending %.*s (deadlocked)\n", static_cast<int>(stuck->name().size()),
         stuck->name().data());
  stuck->terminate(-1);
}

}  // namespace hmk
