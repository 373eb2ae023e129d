// A test fixture for the core on the hosted port: fresh fake RAM, processes built without the
// ELF loader, system calls through the real kernel entry (or the slow path alone), and after
// every operation the invariant checker (proofs/invariants.h), the exact reference counts and
// the port's own consistency checks. Tests end with finish(), which tears everything down and
// requires that no object, quota account, frame or address space is left: a leak test.
//
// Header-only on purpose: `./hmk lint` compiles platform/*.cc with the kernel's freestanding
// flags, and this needs Catch2 and the C++ library.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/abi/syscall.h"
#include "core/arch.h"
#include "core/cap.h"
#include "core/endpoint.h"
#include "core/ioports.h"
#include "core/ipc.h"
#include "core/irq.h"
#include "core/kernel.h"
#include "core/kmem.h"
#include "core/memory_object.h"
#include "core/notification.h"
#include "core/object.h"
#include "core/quota.h"
#include "core/scheduler.h"
#include "core/space.h"
#include "core/syscall.h"
#include "core/thread.h"
#include "platform/hosted/hosted.h"
#include "proofs/invariants.h"

namespace hmk::hosted {

using abi::Handle;
using abi::MessageInfo;
using abi::Syscall;

// Where harness threads would start and their stack top (nothing runs there on the host).
inline constexpr uint64_t kEntryPoint = 0x400000;
inline constexpr uint64_t kStackTop = 0x7fff'ffff'0000;
// spawn() gives test processes the IrqControl capability in this slot (manifest processes get
// it only with irq_control=yes, through their bootstrap table).
inline constexpr Handle kIrqControlHandle = 3;

namespace detail {
// The checker as the kernel runs it in resume_next (set_invariant_check), recording the first
// violation instead of panicking so that Catch2 reports it against the test.
inline uint64_t g_hook_calls = 0;
inline std::string g_hook_violation;
inline const char* recording_check() {
  ++g_hook_calls;
  const char* v = proofs::check_invariants();
  if (v != nullptr && g_hook_violation.empty()) g_hook_violation = v;
  return nullptr;
}
}  // namespace detail

}  // namespace hmk::hosted

namespace hmk {
// Write access to a thread's private state, for tests that corrupt a thread on purpose (to see
// the invariant checker fire) or set it up beyond what system calls allow. Nothing else uses it.
struct ThreadTestAccess {
  static ThreadState& state(Thread* t) { return t->state_; }
  static uint8_t& priority(Thread* t) { return t->priority_; }
  static Thread*& caller(Thread* t) { return t->caller_; }
  static Capability*& send_cap(Thread* t) { return t->send_cap_; }
  static Capability*& recv_cap(Thread* t) { return t->recv_cap_; }
};
}  // namespace hmk

namespace hmk::hosted {

inline Status status_of(const Thread* t) {
  return static_cast<Status>(static_cast<int32_t>(const_cast<Thread*>(t)->regs()[arch::kRax]));
}

// How a system call enters the kernel: as the port does (fast path first), or the slow path
// alone (syscall_entry).
enum class Path { kEntry, kSlow };

class Harness {
 public:
  struct Process {
    Space* space;
    Thread* thread;  // started; handle abi::kSelfThread in its space
  };

  Harness() {
    irq_control();  // lives forever, so it is part of every test's starting state
    REQUIRE(live_object_count() == 1);
    REQUIRE(live_quotas().empty());
    REQUIRE(scheduler().current() == nullptr);
    REQUIRE(scheduler().ready_count() == 0);
    reset_ram(kernel_frames());
    REQUIRE(init_frame_holders() == Status::kOk);
    frames_free_ = kernel_frames().free_count();
    detail::g_hook_violation.clear();
    set_invariant_check(&detail::recording_check);
    check();
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;
  ~Harness() {
    teardown();
    set_invariant_check(nullptr);
  }

  // ---- state checks ----

  // The invariants, exact reference counts (the harness's own holds included), and no misuse
  // of the arch contract so far.
  void check() {
    if (const char* violation = proofs::check_invariants()) {
      FAIL("invariant violated: " << violation);
    }
    if (!detail::g_hook_violation.empty()) {
      FAIL("invariant violated inside a kernel entry: " << detail::g_hook_violation);
    }
    if (contract_violations() != 0) FAIL("arch contract misuse: " << contract_violation(0));
    // The checker counts every other type's references exactly; a Space may have one holder
    // beyond the object graph, which here must be the harness (or, in boot tests, init:
    // set_outside_holds).
    for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
      if (o->type() != ObjectType::kSpace) continue;
      auto* s = static_cast<Space*>(o);
      INFO("space '" << std::string(s->name().data(), s->name().size()) << "'");
      REQUIRE(s->refs() == proofs::accounted_references(*s) + held(s) +
                               (outside_holds_ ? outside_holds_(s) : 0));
    }
  }

  // After a kernel entry returned `next`: it is the current thread's activated context (or
  // nothing runs), and the current thread is running.
  void check_entry(arch::UserContext* next) {
    Thread* current = scheduler().current();
    if (current == nullptr) {
      REQUIRE(next == nullptr);
    } else {
      REQUIRE(current->state() == ThreadState::kRunning);
      REQUIRE(next == &current->context());
      REQUIRE(active_context() == &current->context());
      REQUIRE(active_root() == current->space().address_space().root);
    }
    check();
  }

  // Tears everything down and requires the kernel to be as empty as before the test.
  void finish() {
    check();
    teardown();
    REQUIRE(detail::g_hook_violation.empty());
    REQUIRE(live_object_count() == 1);  // IrqControl
    REQUIRE(irq_control().refs() == 2);
    REQUIRE(live_quotas().empty());
    REQUIRE(current_after_teardown_ == nullptr);
    REQUIRE(scheduler().ready_count() == 0);
    REQUIRE(kernel_frames().free_count() == frames_free_);
    REQUIRE(live_address_spaces() == 0);
    for (uint32_t line = 0; line < arch::kIrqLines; ++line)
      REQUIRE(irq_masked(line));
    REQUIRE(contract_violations() == 0);
    REQUIRE(proofs::check_invariants() == nullptr);
  }

  size_t frames_free_at_start() const { return frames_free_; }

  // Boot tests: the references init holds on `s` (its programs, domains and own spaces), which
  // check() counts as it counts the harness's own.
  void set_outside_holds(std::function<uint32_t(const Space*)> holds) {
    outside_holds_ = std::move(holds);
  }

  // ---- building processes (kernel side, as load_process does, minus the ELF) ----

  // A process with a root quota account, handles kSelfSpace, kSelfThread and kIrqControlHandle, and
  // its first thread started (ready). The harness holds one reference to the space until the
  // end of the test, so `space` stays valid after the process ends.
  Process spawn(const char* name, uint8_t priority = abi::kDefaultPriority,
                uint64_t quota_bytes = abi::kDefaultProcessQuota) {
    Result<Quota*> quota = Quota::create_root(quota_bytes);
    REQUIRE(quota.ok());
    Result<Space*> space = Space::create(**quota, **quota, name);
    (*quota)->release();
    REQUIRE(space.ok());
    Space* s = *space;
    spaces_.push_back(s);
    Result<Thread*> thread =
        Thread::create(s->own_quota(), *s, kEntryPoint, kStackTop, 0, priority);
    REQUIRE(thread.ok());
    Thread* t = *thread;
    REQUIRE(s->caps().ensure_free(3, s->own_quota()) == Status::kOk);
    KernelObject* initial[] = {s, t, &irq_control()};
    for (KernelObject* o : initial) {
      Handle h = s->caps().take_free();
      s->caps().install(h, o, abi::kRightsAll, 0, nullptr);
    }
    REQUIRE(s->caps().lookup(abi::kSelfThread)->object == t);
    start(t);
    t->release();  // the capability holds it
    check();
    return {s, t};
  }

  // The harness takes over a reference the test holds to `s` (e.g. load_process's), ending
  // the process and dropping it at the end of the test.
  void hold(Space* s) {
    spaces_.push_back(s);
    check();
  }

  // Another thread in `s` at `priority`, with a capability (all rights) in `s`'s table.
  Thread* add_thread(Space* s, uint8_t priority = abi::kDefaultPriority, bool started = true,
                     Handle* handle = nullptr) {
    Result<Thread*> thread =
        Thread::create(s->own_quota(), *s, kEntryPoint, kStackTop, 0, priority);
    REQUIRE(thread.ok());
    Handle h = give(s, *thread, abi::kRightsAll);
    if (handle != nullptr) *handle = h;
    if (started) start(*thread);
    (*thread)->release();
    check();
    return *thread;
  }

  // Starts an inactive thread as thread_start does.
  void start(Thread* t) {
    REQUIRE(t->state() == ThreadState::kInactive);
    t->space().thread_started();
    t->acquire();
    make_runnable(t);
  }

  // Installs a capability (a new root, or a child of `parent`) in `s`'s table.
  Handle give(Space* s, KernelObject* o, uint32_t rights, uint64_t badge = 0,
              Capability* parent = nullptr) {
    REQUIRE(s->caps().ensure_free(1, s->own_quota()) == Status::kOk);
    Handle h = s->caps().take_free();
    s->caps().install(h, o, rights, badge, parent);
    return h;
  }

  Capability* cap(Space* s, Handle h) { return s->caps().lookup(h); }

  // A new endpoint / notification / I/O port range / memory object charged to `s`, whose table
  // gets the only capability (all the rights the system call would give).
  Handle create_endpoint(Space* s) {
    Result<Endpoint*> ep = Endpoint::create(s->own_quota());
    REQUIRE(ep.ok());
    return hand_over(s, *ep,
                     abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage);
  }
  Handle create_notification(Space* s) {
    Result<Notification*> n = Notification::create(s->own_quota());
    REQUIRE(n.ok());
    return hand_over(s, *n, abi::kRightSend | abi::kRightReceive | abi::kRightManage);
  }
  // Ports [base, base + count), with Read|Write as the boot manifest gives them (no system call
  // creates an IoPorts object).
  Handle create_ioports(Space* s, uint32_t base, uint32_t count) {
    Result<IoPorts*> ports = IoPorts::create(s->own_quota(), base, count);
    REQUIRE(ports.ok());
    return hand_over(s, *ports, abi::kRightRead | abi::kRightWrite);
  }
  Handle create_memory(Space* s, uint64_t pages) {
    Result<MemoryObject*> m = MemoryObject::create(s->own_quota(), pages);
    REQUIRE(m.ok());
    return hand_over(s, *m,
                     abi::kRightRead | abi::kRightWrite | abi::kRightExecute | abi::kRightManage);
  }

  // A child of capability `h` of `from`, in `to`'s table, with `rights` and `badge` (0: the
  // parent's), as cap_derive and cap_copy_to make them.
  Handle grant(Space* from, Handle h, Space* to, uint32_t rights, uint64_t badge = 0) {
    Capability* parent = cap(from, h);
    REQUIRE(parent != nullptr);
    REQUIRE((rights & ~parent->rights) == 0);
    Handle child = give(to, parent->object, rights, badge != 0 ? badge : parent->badge, parent);
    check();
    return child;
  }

  // Maps fresh memory of `pages` pages at `vaddr` into `s` (kernel side); returns the memory
  // capability's handle in `s`.
  Handle map_memory(Space* s, uint64_t vaddr, uint64_t pages,
                    uint32_t rights = abi::kRightRead | abi::kRightWrite) {
    Handle h = create_memory(s, pages);
    auto* m = static_cast<MemoryObject*>(cap(s, h)->object);
    REQUIRE(s->map(*m, vaddr, 0, pages, rights, cap(s, h)->rights) == Status::kOk);
    check();
    return h;
  }

  // Gives `t` an IPC buffer at `vaddr` (inside a page) in a fresh writable page of its space.
  abi::IpcBuffer* give_ipc_buffer(Thread* t, uint64_t vaddr) {
    map_memory(&t->space(), vaddr & ~(kPageSize - 1), 1);
    t->set_ipc_buffer(vaddr);
    return ipc_buffer(t);
  }

  abi::IpcBuffer* ipc_buffer(Thread* t) {
    Result<PhysAddr> phys =
        arch::translate_user(t->space().address_space(), t->ipc_buffer(), kPageWrite);
    REQUIRE(phys.ok());
    return static_cast<abi::IpcBuffer*>(arch::phys_to_virt(*phys));
  }

  // The kernel's view of user address `vaddr` in `s`, if mapped with `flags`.
  uint8_t* user_memory(Space* s, uint64_t vaddr, uint32_t flags = kPageRead) {
    Result<PhysAddr> phys = arch::translate_user(s->address_space(), vaddr, flags);
    return phys.ok() ? static_cast<uint8_t*>(arch::phys_to_virt(*phys)) : nullptr;
  }

  // ---- running threads ----

  // Makes `t` the running thread as the scheduler would have: the thread running before is
  // preempted (front of its queue).
  void make_current(Thread* t) {
    Thread* current = scheduler().current();
    if (current == t) {
      REQUIRE(t->state() == ThreadState::kRunning);
      return;
    }
    INFO("make_current of a " << thread_state_name(t->state()) << " thread");
    REQUIRE(t->state() == ThreadState::kReady);
    if (current != nullptr) {
      REQUIRE(current->state() == ThreadState::kRunning);
      scheduler().make_ready_front(current);
    }
    scheduler().run(t);
    arch::activate(t->space().address_space(), t->context());
    check();
  }

  // System call `number` from `t` with arguments in rdi, rsi, rdx, r10, r8, r9. Returns the
  // status in t's rax afterwards: meaningful only if t did not block (check its state).
  Status syscall(Thread* t, Syscall number, std::initializer_list<uint64_t> args = {},
                 Path path = Path::kEntry) {
    return raw_syscall(t, static_cast<uint64_t>(number), args, path);
  }
  Status raw_syscall(Thread* t, uint64_t number, std::initializer_list<uint64_t> args,
                     Path path = Path::kEntry) {
    REQUIRE(args.size() <= 6);
    make_current(t);
    uint64_t* r = t->regs();
    r[arch::kRax] = number;
    int i = 0;
    for (uint64_t a : args)
      r[arch::kRdi + i++] = a;
    return enter(t, path);
  }

  // An IPC system call: `handle` in rdi, the tag in rsi, words 0..9 in registers and the rest
  // in t's IPC buffer.
  Status ipc(Thread* t, Syscall number, uint64_t handle, MessageInfo tag,
             const std::vector<uint64_t>& words = {}, Path path = Path::kEntry) {
    make_current(t);
    uint64_t* r = t->regs();
    r[arch::kRax] = static_cast<uint64_t>(number);
    r[arch::kRdi] = handle;
    r[arch::kRsi] = tag.raw;
    for (size_t i = 0; i < words.size(); ++i) {
      if (i < abi::kRegisterWords) {
        r[arch::kRdx + i] = words[i];
      } else {
        ipc_buffer(t)->words[i] = words[i];
      }
    }
    return enter(t, path);
  }

  // The message `t` received: its tag's words from registers and IPC buffer.
  std::vector<uint64_t> message(Thread* t) {
    MessageInfo tag{t->regs()[arch::kRsi]};
    std::vector<uint64_t> words;
    for (uint32_t i = 0; i < tag.words(); ++i) {
      words.push_back(i < abi::kRegisterWords ? t->regs()[arch::kRdx + i]
                                              : ipc_buffer(t)->words[i]);
    }
    return words;
  }

  // Enters the kernel for the current thread `t`, whose registers hold a system call, the
  // way the x86-64 stub does: kCall tries hmk_fastpath_call first, kReplyRecv
  // hmk_fastpath_reply_recv, and syscall_entry runs when they decline. Path::kSlow skips the
  // fast path.
  Status enter(Thread* t, Path path) {
    REQUIRE(scheduler().current() == t);
    const uint64_t number = t->regs()[arch::kRax];
    arch::UserContext* next = nullptr;
    // As the x86-64 stub: a foreign thread's system call goes to its handler, before the fast
    // path (core/foreign.h).
    const bool foreign = t->context().foreign_syscalls != 0;
    if (!foreign && path == Path::kEntry && number == static_cast<uint64_t>(Syscall::kCall)) {
      next = hmk_fastpath_call();
    } else if (!foreign && path == Path::kEntry &&
               number == static_cast<uint64_t>(Syscall::kReplyRecv)) {
      next = hmk_fastpath_reply_recv();
    }
    if (foreign && path == Path::kEntry) next = hmk_fastpath_foreign_call();
    fast_path_taken_ = next != nullptr;
    if (foreign && next == nullptr) {
      next = foreign_syscall_entry();
    } else if (next == nullptr) {
      next = syscall_entry();
    }
    check_entry(next);
    // A call that restarted (core/arch.h, restart_syscall) runs again, as the thread's next
    // instruction is the system call once more; set_auto_restart(false) leaves that to the
    // test (continue_restarted).
    while (auto_restart_ && restart_pending(t)) {
      REQUIRE(++restarts_ < 100'000'000);
      continue_restarted(t);
    }
    return status_of(t);
  }

  bool fast_path_taken() const { return fast_path_taken_; }

  // Finishes every ended process's teardown (the kernel does it a step per entry) and destroys
  // what died.
  void drain_teardown() {
    reap_objects();
    finish_background_work();
  }

  // Restarted system calls (bounded steps of long operations).
  void set_auto_restart(bool on) { auto_restart_ = on; }
  bool restart_pending(Thread* t) const { return restart_requested(t->context()); }
  uint64_t restarts() const { return restarts_; }
  // Runs the next step of `t`'s restarted call (t becomes current if it is not).
  Status continue_restarted(Thread* t) {
    REQUIRE(restart_pending(t));
    if (scheduler().current() != t) make_current(t);
    (void)take_restart(t->context());
    t->context().frame.rip += 2;  // the system call executes again
    check_entry(syscall_entry());
    return status_of(t);
  }

  // Interrupts and exceptions, entering as the port would; resume() is an entry with nothing
  // to do (the scheduler chooses, e.g. the first thread after spawning).
  void resume() { check_entry(resume_entry()); }
  void timer_tick() { check_entry(timer_entry()); }
  void interrupt(uint32_t line) { check_entry(irq_entry(line)); }
  void fault(Thread* t, uint64_t vector, uint64_t address,
             FaultAccess access = FaultAccess::kNone) {
    make_current(t);
    check_entry(fault_entry(vector, address, access));
  }
  // A page fault as the x86-64 port takes it: kernel paging first, then (if that could not
  // resolve it) the exception. True if it was resolved.
  bool page_fault(Thread* t, uint64_t address, FaultAccess access) {
    make_current(t);
    if (arch::UserContext* next = page_fault_entry(address, access)) {
      check_entry(next);
      return true;
    }
    check_entry(fault_entry(14, address, access));
    return false;
  }

 private:
  Handle hand_over(Space* s, KernelObject* o, uint32_t rights) {
    Handle h = give(s, o, rights);
    o->release();  // the creation reference: the capability holds the object now
    check();
    return h;
  }

  uint32_t held(const KernelObject* o) const {
    uint32_t n = 0;
    for (Space* s : spaces_) {
      if (s == o) ++n;
    }
    return n;
  }

  // Ends every process the harness started and drops its references. A test that failed
  // half-way may leave a current thread behind; it is dropped so that the next test starts
  // clean (finish() requires there was none).
  void teardown() {
    for (Space* s : spaces_)
      s->terminate(0);
    drain_teardown();
    for (Space* s : spaces_)
      s->release();
    spaces_.clear();
    drain_teardown();
    current_after_teardown_ = scheduler().current();
    scheduler().set_current(nullptr);
  }

  std::vector<Space*> spaces_;
  size_t frames_free_ = 0;
  bool fast_path_taken_ = false;
  bool auto_restart_ = true;
  uint64_t restarts_ = 0;
  Thread* current_after_teardown_ = nullptr;
  std::function<uint32_t(const Space*)> outside_holds_;
};

}  // namespace hmk::hosted
