// Refinement testing (proofs/refine/README.md): the same call sequences run on the hosted core
// (platform/hosted, through the real kernel entry) and on the executable specification (the
// Coq spec extracted to OCaml, //proofs/refine:spec_runner, a subprocess), and after every
// step the replies and the abstract states must be equal. A mismatch is shrunk to a shortest
// failing sequence (delta debugging) and printed with both sides' states.
//
// Header-only so that the refinement test and the seeded-bug test compile it against their
// own build of the core (BUILD).
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "platform/hosted/harness.h"

namespace hmk::refine {

// ---- the executable specification, a subprocess fed one command a line ----

class SpecProcess {
 public:
  explicit SpecProcess(const char* path) {
    int to_child[2];
    int from_child[2];
    REQUIRE(pipe(to_child) == 0);
    REQUIRE(pipe(from_child) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[0]);
      close(to_child[1]);
      close(from_child[0]);
      close(from_child[1]);
      execl(path, path, static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    in_ = fdopen(to_child[1], "w");
    out_ = fdopen(from_child[0], "r");
    REQUIRE(in_ != nullptr);
    REQUIRE(out_ != nullptr);
  }
  SpecProcess(const SpecProcess&) = delete;
  SpecProcess& operator=(const SpecProcess&) = delete;
  ~SpecProcess() {
    fclose(in_);
    fclose(out_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

  // Sends a command, returns the `lines` lines it answers.
  std::vector<std::string> ask(const std::string& command, int lines) {
    fputs(command.c_str(), in_);
    fputc('\n', in_);
    fflush(in_);
    std::vector<std::string> answer;
    for (int i = 0; i < lines; ++i) {
      std::string line;
      int c;
      while ((c = fgetc(out_)) != EOF && c != '\n')
        line.push_back(static_cast<char>(c));
      if (c == EOF) FAIL("the executable spec ended (command: " << command << ")");
      answer.push_back(line);
    }
    return answer;
  }

 private:
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

// ---- call sequences ----

enum class Kind : uint8_t {
  kDerive,     // a: source, b: rights, c: badge
  kCopy,       // a: space, b: source, c: rights
  kDelete,     // a
  kRevoke,     // a
  kInfo,       // a
  kEndpoint,   //
  kNotif,      //
  kMemory,     // b: pages (kBigMemory: 512), c: 0 flags, 1 lazy, 2 a bad flag
  kClone,      // a: source (memory_clone)
  kSignal,     // a
  kWait,       // a
  kPoll,       // a
  kQuota,      // a: space
  kCall,       // a
  kReplyRecv,  // a, c: non-blocking
  kSend,       // a, c: non-blocking
  kRecv,       // a, c: non-blocking
  kReply,      //
  kSpace,      // b: quota bytes (0: 1 MiB, else more than the caller has)
  kThread,     // a: space, c: entry valid
  kStart,      // a
  kYield,      //
  kPriority,   // a: thread, b: which priority (kPriorities, or the caller's own, or one below)
  kHandler,    // a: thread, b: endpoint (thread_set_syscall_handler)
  kTimer,      // a: notification, c: deadline (0 disarms, or one far in the future)
  kIrqCreate,  // a: IrqControl, b: which line (kIrqLineChoices)
  kIrqBind,    // a: Irq, b: notification
  kIrqAck,     // a: Irq
  kPager,      // a: space, b: which mode (kPagerModes: both modes and invalid ones)
  kResolve,    // a: space, b: which access (kAccesses), c: which address (kFaultAt)
  // The calls on what the spec's state does not hold (Spec.v): their checks and reply only.
  // c chooses the address (kScratch's areas, an unmapped one, or a bad value).
  kTls,        // a: thread
  kIpcBuffer,  // a: thread
  kPrint,      //
  kClock,      //
  kReadRegs,   // a: thread
  kWriteRegs,  // a: thread
  kReadFpu,    // a: thread
  kWriteFpu,   // a: thread
  kPortIn,     // a: ports, b: port and width
  kPortOut,    // a: ports, b: port and width, c: value
  // Ending threads and processes.
  kThreadExit,   //
  kProcessExit,  //
  kTerminate,    // a: space (process_terminate)
  // Mappings (Spec.v's map, unmap, protect): c chooses the range and rights (map_choice).
  kMap,      // a: space, b: memory
  kUnmap,    // a: space
  kProtect,  // a: space
  kCount,
};

// One call. Capabilities and threads are named by their index in the sequence's creation order
// (taken modulo the number there are; one past the last is a handle that never existed), so
// every sequence, and every subsequence the shrinker tries, means something.
struct Op {
  Kind kind;
  uint32_t thread;
  uint32_t a;
  uint32_t b;
  uint32_t c;
};

// What one step did on both sides.
struct Step {
  bool skipped = false;  // the caller cannot run, or the call is one the spec abstracts
  std::string command;   // as the spec got it
  std::string core_reply, spec_reply;
  std::string core_state, spec_state;
  bool match() const { return skipped || (core_reply == spec_reply && core_state == spec_state); }
};

inline const char* type_name(abi::ObjectType t) {
  switch (t) {
    case abi::ObjectType::kSpace:
      return "Space";
    case abi::ObjectType::kThread:
      return "Thread";
    case abi::ObjectType::kEndpoint:
      return "Endpoint";
    case abi::ObjectType::kNotification:
      return "Notification";
    case abi::ObjectType::kMemory:
      return "Memory";
    case abi::ObjectType::kIoPorts:
      return "IoPorts";
    case abi::ObjectType::kIrqControl:
      return "IrqControl";
    case abi::ObjectType::kIrq:
      return "Irq";
    default:
      return "Other";
  }
}

// User memory the register, FPU, IPC-buffer and debug_print calls name: three pages mapped
// read-write in the run's first process (space 0) only, filled by Run's constructor; no other
// space of a run has a mapping, so there every address is unmapped.
inline constexpr uint64_t kScratch = 0x1000'0000;
inline constexpr uint64_t kGoodRegisters = kScratch;         // abi::UserRegisters that load
inline constexpr uint64_t kBadRegisters = kScratch + 0x400;  // fs_base not a user address
inline constexpr uint64_t kGoodFpu = kScratch + 0x1000;      // the FPU's reset state
inline constexpr uint64_t kBadFpu = kScratch + 0x1400;       // an mxcsr bit no CPU has
inline constexpr uint64_t kIpcBufferAt = kScratch + 0x2000;  // an IPC buffer
inline constexpr uint64_t kReadInto = kScratch + 0x2800;     // where the reads copy to
inline constexpr uint64_t kText = kScratch + 0x2c00;         // debug_print's text
inline constexpr uint64_t kUnmapped = 0x7000'0000'0000;      // a user address never mapped
inline constexpr char kTextBytes[] = "refine: debug_print\n";
static_assert(kIpcBufferAt + sizeof(abi::IpcBuffer) <= kReadInto);
static_assert(kReadInto + sizeof(abi::FpuState) <= kText);

// memory_create's pages (Op::b) for an object of 512 pages (2 MiB): more than a child
// process's 1 MiB quota, so a clone of it there is QuotaExceeded whatever the exact sizes.
// Random calls never ask for it (their b is below 128); named sequences do.
inline constexpr uint32_t kBigMemory = 128;
// space_create's quota (Op::b) for a process of 256 KiB, which fits a child's 1 MiB: named
// sequences make grandchildren with it (random calls' b is below 128).
inline constexpr uint32_t kSmallSpace = 129;

// The I/O ports of each run's first process (Extract.v's init_hosted: 1016, 8).
inline constexpr uint32_t kPortsBase = 0x3f8;
inline constexpr uint32_t kPortsCount = 8;

// The interrupt lines irq_create asks for: the hosted port has arch::kIrqLines lines, all
// available to user space but line 2 (platform/hosted/arch.cc, irq_line_available), which the
// spec gets as irq_create's `available` flag.
inline constexpr uint32_t kIrqLineChoices[] = {
    0, 1, 2, 5, arch::kIrqLines - 1, arch::kIrqLines, arch::kIrqLines + 7};
inline bool irq_line_available(uint64_t line) {
  return line < arch::kIrqLines && line != 2;
}

// What map, unmap and protect name, chosen by Op::c: an address, a page count, a first page
// (map) and page rights. The addresses are pages of kMapArea (which no other call names: not
// kScratch's, nor kUnmapped), an unaligned one, 0 and the kernel half (BadAddress), and the
// last user page (BadAddress from two pages on); the counts include 0 and one whose range
// passes the top of user space; the rights include none, Write alone, Write with Execute and a
// non-page right (InvalidArgument).
inline constexpr uint64_t kMapArea = 0x2000'0000;
inline constexpr uint64_t kMapAt[] = {kMapArea,          kMapArea + 0x1000, kMapArea + 0x2000,
                                      kMapArea + 0x4000, kMapArea + 0x800,  0,
                                      0x7fff'ffff'e000,  0x8000'0000'0000};
inline constexpr uint64_t kMapPages[] = {1, 2, 3, 0, 1ull << 36};
inline constexpr uint64_t kMapFirst[] = {0, 1, 2, 5};
inline constexpr uint32_t kMapRights[] = {abi::kRightRead,
                                          abi::kRightRead | abi::kRightWrite,
                                          abi::kRightRead | abi::kRightExecute,
                                          abi::kRightRead,
                                          abi::kRightRead | abi::kRightWrite,
                                          abi::kRightRead | abi::kRightWrite | abi::kRightExecute,
                                          abi::kRightWrite,
                                          abi::kRightRead | abi::kRightSend,
                                          0};
inline constexpr uint32_t kMapAts = sizeof(kMapAt) / sizeof(kMapAt[0]);
inline constexpr uint32_t kMapCounts = sizeof(kMapPages) / sizeof(kMapPages[0]);
inline constexpr uint32_t kMapFirsts = sizeof(kMapFirst) / sizeof(kMapFirst[0]);
inline constexpr uint32_t kMapRightsChoices = sizeof(kMapRights) / sizeof(kMapRights[0]);
inline constexpr uint32_t kMapChoices = kMapAts * kMapCounts * kMapFirsts * kMapRightsChoices;
static_assert(kMapArea + 0x10'0000 < kScratch || kMapArea >= kScratch + 0x3000);

struct MapChoice {
  uint64_t vaddr;
  uint64_t pages;
  uint64_t first;
  uint32_t rights;
};
inline MapChoice map_choice(uint32_t c) {
  return {kMapAt[c % kMapAts], kMapPages[(c / kMapAts) % kMapCounts],
          kMapFirst[(c / (kMapAts * kMapCounts)) % kMapFirsts],
          kMapRights[(c / (kMapAts * kMapCounts * kMapFirsts)) % kMapRightsChoices]};
}
// The choice c for an address, a count, a first page and rights, by their indices.
constexpr uint32_t map_c(uint32_t at, uint32_t count, uint32_t first, uint32_t rights) {
  return at + kMapAts * (count + kMapCounts * (first + kMapFirsts * rights));
}

// One sequence on a fresh process of the hosted core and a reset spec.
class Run {
 public:
  Run(hosted::Harness& h, SpecProcess& spec) : h_(h), spec_(spec) {
    hosted::Harness::Process p = h_.spawn("refine");
    space0_ = p.space;
    // Extract.v's init_hosted: space 0 (account 1), thread 2, capabilities 3 and 4.
    obj_[p.space] = 0;
    obj_[p.thread] = 2;
    spaces_.push_back(p.space);
    threads_.push_back(p.thread);
    add_cap(3, p.space, abi::kSelfSpace);
    add_cap(4, p.space, abi::kSelfThread);
    // Extract.v's init_hosted: I/O ports [kPortsBase, kPortsBase + kPortsCount) (object 5),
    // capability 6 with Read and Write, as the boot manifest's ioports= gives them.
    const Handle ports = h_.create_ioports(p.space, kPortsBase, kPortsCount);
    obj_[h_.cap(p.space, ports)->object] = 5;
    add_cap(6, p.space, ports);
    // Extract.v's init_hosted: the IrqControl object (7) and the process's capability to it (8).
    obj_[&irq_control()] = 7;
    add_cap(8, p.space, hosted::kIrqControlHandle);
    // kScratch's pages; the memory capability goes (the mapping keeps the object), so the
    // abstract state does not see them.
    const Handle mem = h_.map_memory(p.space, kScratch, 3);
    abi::UserRegisters regs{};
    regs.rip = hosted::kEntryPoint;
    regs.rsp = hosted::kStackTop;
    REQUIRE(p.space->copy_out(kGoodRegisters, &regs, sizeof(regs)) == Status::kOk);
    regs.fs_base = abi::kUserAddressEnd;
    REQUIRE(p.space->copy_out(kBadRegisters, &regs, sizeof(regs)) == Status::kOk);
    abi::FpuState fpu{};
    fpu.fcw = abi::kFpuResetFcw;
    fpu.mxcsr = abi::kFpuResetMxcsr;
    REQUIRE(p.space->copy_out(kGoodFpu, &fpu, sizeof(fpu)) == Status::kOk);
    fpu.mxcsr = 0xffff'0000u | abi::kFpuResetMxcsr;
    REQUIRE(p.space->copy_out(kBadFpu, &fpu, sizeof(fpu)) == Status::kOk);
    REQUIRE(p.space->copy_out(kText, kTextBytes, sizeof(kTextBytes) - 1) == Status::kOk);
    REQUIRE(h_.syscall(p.thread, abi::Syscall::kCapDelete, {mem}) == Status::kOk);
    std::vector<std::string> s = spec_.ask("reset", 1);
    initial_spec_ = s[0];
    initial_core_ = core_state();
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run() {
    // Ends the process (and its children) so that the next run starts alone.
    space0_->terminate(0);
    h_.drain_teardown();
  }

  bool initial_match() const { return initial_spec_ == initial_core_; }
  const std::string& initial_spec() const { return initial_spec_; }
  const std::string& initial_core() const { return initial_core_; }

  size_t cap_count() const { return caps_.size(); }
  size_t thread_count() const { return threads_.size(); }
  // What the generator needs: each capability's object type (by creation index) and the
  // threads that can make a call now.
  std::vector<ObjectType> cap_types() const {
    std::vector<ObjectType> types;
    for (const CapRef& c : caps_)
      types.push_back(c.type);
    return types;
  }
  std::vector<uint32_t> runnable() const {
    std::vector<uint32_t> r;
    for (uint32_t i = 0; i < threads_.size(); ++i) {
      if (!live(threads_[i])) continue;  // reaped: dead, and no capability named it
      const ThreadState st = threads_[i]->state();
      if ((st == ThreadState::kReady || st == ThreadState::kRunning) &&
          threads_[i]->syscall_handler() == 0) {
        r.push_back(i);
      }
    }
    return r;
  }

  Step step(const Op& op) {
    Step st;
    Thread* t = threads_[op.thread % threads_.size()];
    // A thread with a syscall handler makes no native calls (its syscalls are foreign calls,
    // which the spec does not model: its step refuses them).
    if (!live(t) || (t->state() != ThreadState::kReady && t->state() != ThreadState::kRunning) ||
        t->syscall_handler() != 0) {
      st.skipped = true;
      return st;
    }
    Space* sp = &t->space();
    const int tid = obj_[t];
    Ref a = ref(op.a, sp);
    Ref b = ref(op.b, sp);
    // Where a new capability goes: the caller's table, or cap_copy_to's target space's.
    // thread_set_syscall_handler's goes into the table of the thread's own space.
    Space* target = sp;
    Thread* handled = nullptr;
    if (op.kind == Kind::kCopy) {
      Capability* c = sp->caps().lookup(a.core);
      target =
          c != nullptr && c->type == ObjectType::kSpace ? static_cast<Space*>(c->object) : nullptr;
    }
    if (op.kind == Kind::kHandler) {
      Capability* c = sp->caps().lookup(a.core);
      handled = c != nullptr && c->type == ObjectType::kThread ? static_cast<Thread*>(c->object)
                                                               : nullptr;
      target = handled != nullptr ? &handled->space() : nullptr;
    }
    using abi::Syscall;
    const auto tag =
        abi::MessageInfo::make(0, 0, 0, op.c != 0 ? abi::MessageInfo::kNonBlocking : 0);
    std::string cmd = std::to_string(tid) + " ";
    Status status = Status::kOk;
    switch (op.kind) {
      case Kind::kDerive: {
        const uint32_t rights = op.b & abi::kRightsAll;
        const uint64_t badge = op.c;
        cmd += "derive " + std::to_string(a.spec) + " " + std::to_string(rights) + " " +
               std::to_string(badge);
        status = h_.syscall(t, Syscall::kCapDerive, {a.core, rights, badge});
        break;
      }
      case Kind::kCopy: {
        const uint32_t rights = op.c & abi::kRightsAll;
        cmd += "copy " + std::to_string(a.spec) + " " + std::to_string(b.spec) + " " +
               std::to_string(rights);
        status = h_.syscall(t, Syscall::kCapCopyTo, {a.core, b.core, rights});
        break;
      }
      case Kind::kDelete:
      case Kind::kRevoke: {
        if (abstracted_removal(op.kind, sp, a.core)) {
          st.skipped = true;
          return st;
        }
        const bool del = op.kind == Kind::kDelete;
        cmd += (del ? "delete " : "revoke ") + std::to_string(a.spec);
        status = h_.syscall(t, del ? Syscall::kCapDelete : Syscall::kCapRevoke, {a.core});
        break;
      }
      case Kind::kInfo:
        cmd += "info " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kCapInfo, {a.core});
        break;
      case Kind::kEndpoint:
        cmd += "ep";
        status = h_.syscall(t, Syscall::kEndpointCreate);
        break;
      case Kind::kNotif:
        cmd += "ntf";
        status = h_.syscall(t, Syscall::kNotificationCreate);
        break;
      case Kind::kMemory: {
        // 0 pages and 16385 are InvalidArgument; the others fit any quota this driver uses
        // (the random calls'). kBigMemory, only in named sequences, does not fit a child's.
        static constexpr uint64_t kPages[] = {1, 2, 3, 0, 16385};
        const uint64_t pages = op.b == kBigMemory ? 512 : kPages[op.b % 5];
        const uint64_t flags = op.c % 3 == 0 ? 0 : op.c % 3 == 1 ? abi::kMemoryLazy : 1u << 7;
        cmd += "mem " + std::to_string(pages) + (op.c % 3 == 2 ? " 0" : " 1");
        status = h_.syscall(t, Syscall::kMemoryCreate, {pages, flags});
        break;
      }
      case Kind::kClone:
        cmd += "clone " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kMemoryClone, {a.core});
        break;
      case Kind::kSignal:
        cmd += "signal " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kSignal, {a.core});
        break;
      case Kind::kWait:
        cmd += "wait " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kWait, {a.core});
        break;
      case Kind::kPoll:
        cmd += "poll " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kPoll, {a.core});
        break;
      case Kind::kQuota:
        cmd += "quota " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kQuotaInfo, {a.core});
        break;
      case Kind::kCall:
        cmd += "call " + std::to_string(a.spec);
        status = h_.ipc(t, Syscall::kCall, a.core, abi::MessageInfo::make(0, 0));
        break;
      case Kind::kReplyRecv:
        cmd += "rr " + std::to_string(a.spec) + (op.c != 0 ? " 1" : " 0");
        status = h_.ipc(t, Syscall::kReplyRecv, a.core, tag);
        break;
      case Kind::kSend:
        cmd += "send " + std::to_string(a.spec) + (op.c != 0 ? " 1" : " 0");
        status = h_.ipc(t, Syscall::kSend, a.core, tag);
        break;
      case Kind::kRecv:
        cmd += "recv " + std::to_string(a.spec) + (op.c != 0 ? " 1" : " 0");
        status = h_.ipc(t, Syscall::kRecv, a.core, tag);
        break;
      case Kind::kReply:
        cmd += "reply";
        status = h_.ipc(t, Syscall::kReply, 0, abi::MessageInfo::make(0, 0));
        break;
      case Kind::kSpace: {
        // 1 MiB fits the caller's quota a few times over; 2^40 never does; kSmallSpace (named
        // sequences only) 256 KiB, which fits a child's 1 MiB (a grandchild).
        const uint64_t bytes = op.b == kSmallSpace ? 256ull << 10
                               : op.b % 4 == 3     ? 1ull << 40
                                                   : 1ull << 20;
        cmd += "space " + std::to_string(bytes);
        status = h_.syscall(t, Syscall::kSpaceCreate, {bytes});
        break;
      }
      case Kind::kThread: {
        const bool ok = op.c % 4 != 3;
        cmd += "tcreate " + std::to_string(a.spec) + (ok ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kThreadCreate,
                            {a.core, ok ? hosted::kEntryPoint : 0, hosted::kStackTop, 0});
        break;
      }
      case Kind::kStart:
        cmd += "tstart " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kThreadStart, {a.core});
        break;
      case Kind::kYield:
        cmd += "yield";
        status = h_.syscall(t, Syscall::kYield);
        break;
      case Kind::kPriority: {
        // In range and not, at, below and above the caller's own (100 unless lowered).
        static constexpr uint64_t kPriorities[] = {0, 1, 50, 99, 100, 101, 200, 255, 256, 4096};
        constexpr uint32_t n = sizeof(kPriorities) / sizeof(kPriorities[0]);
        const uint32_t i = op.b % (n + 2);
        const uint64_t own = t->priority();
        const uint64_t p = i < n ? kPriorities[i] : i == n ? own : (own > 0 ? own - 1 : 0);
        cmd += "prio " + std::to_string(a.spec) + " " + std::to_string(p);
        status = h_.syscall(t, Syscall::kThreadSetPriority, {a.core, p});
        break;
      }
      case Kind::kHandler:
        cmd += "handler " + std::to_string(a.spec) + " " + std::to_string(b.spec);
        status = h_.syscall(t, Syscall::kThreadSetSyscallHandler, {a.core, b.core});
        break;
      case Kind::kIrqCreate: {
        const uint64_t line =
            kIrqLineChoices[op.b % (sizeof(kIrqLineChoices) / sizeof(kIrqLineChoices[0]))];
        cmd += "irqc " + std::to_string(a.spec) + " " + std::to_string(line) +
               (irq_line_available(line) ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kIrqCreate, {a.core, line});
        break;
      }
      case Kind::kIrqBind:
        cmd += "irqb " + std::to_string(a.spec) + " " + std::to_string(b.spec);
        status = h_.syscall(t, Syscall::kIrqBind, {a.core, b.core});
        break;
      case Kind::kIrqAck:
        cmd += "irqa " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kIrqAck, {a.core});
        break;
      case Kind::kPager: {
        // kPagerKernel (0) and kPagerHandler (1), twice each, and modes that are neither
        // (InvalidArgument); all below 2^62, which the spec's OCaml int holds.
        static_assert(abi::kPagerKernel == 0 && abi::kPagerHandler == 1);
        static constexpr uint64_t kPagerModes[] = {
            0, 1, 0, 1, 2, 3, 255, 1ull << 32, (1ull << 40) + 1};
        const uint64_t mode = kPagerModes[op.b % (sizeof(kPagerModes) / sizeof(kPagerModes[0]))];
        cmd += "pager " + std::to_string(a.spec) + " " + std::to_string(mode);
        status = h_.syscall(t, Syscall::kSpaceSetPager, {a.core, mode});
        break;
      }
      case Kind::kResolve: {
        // Accesses Read, Write and Execute alone and together, none and ones with other rights
        // (InvalidArgument); addresses in kScratch's pages (mapped Read and Write in space 0
        // only), past them and never mapped. Whether a mapping allows the access is the
        // spec's flag, as the address checks are.
        static constexpr uint32_t kAccesses[] = {abi::kRightRead,
                                                 abi::kRightWrite,
                                                 abi::kRightRead | abi::kRightWrite,
                                                 abi::kRightExecute,
                                                 abi::kRightRead | abi::kRightExecute,
                                                 0,
                                                 abi::kRightSend,
                                                 abi::kRightRead | abi::kRightManage};
        static constexpr uint64_t kFaultAt[] = {kScratch, kScratch + 0x2c08, kScratch + 0x3000,
                                                kUnmapped};
        const uint32_t access = kAccesses[op.b % (sizeof(kAccesses) / sizeof(kAccesses[0]))];
        const uint64_t address = kFaultAt[op.c % 4];
        Capability* c = sp->caps().lookup(a.core);
        const bool in_space0 =
            c != nullptr && c->type == ObjectType::kSpace && c->object == space0_;
        const bool resolvable =
            in_space0 && address < kScratch + 0x3000 && (access & abi::kRightExecute) == 0;
        cmd += "resolve " + std::to_string(a.spec) + " " + std::to_string(access) +
               (resolvable ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kSpaceResolveFault, {a.core, address, access});
        break;
      }
      case Kind::kTimer: {
        // Disarm, or arm for a deadline no run reaches (about 73 years of the monotonic
        // clock): the spec does not model time, so no timer may fire during a run.
        const uint64_t deadline = op.c % 3 == 0 ? 0 : 1ull << 61;
        cmd += "timer " + std::to_string(a.spec) + " " + std::to_string(deadline);
        status = h_.syscall(t, Syscall::kSetTimer, {a.core, deadline});
        break;
      }
      // The address flags the spec gets are what the address is: kScratch's areas are
      // mapped in space 0 only (the caller's space for the reads and writes, the target
      // thread's for the IPC buffer).
      case Kind::kTls: {
        const uint64_t fs = op.c % 3 == 0 ? 0 : op.c % 3 == 1 ? kScratch : abi::kUserAddressEnd;
        const uint64_t gs = op.c % 3 == 1 ? kUnmapped : 0;
        cmd += "tls " + std::to_string(a.spec) + (op.c % 3 != 2 ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kThreadSetTls, {a.core, fs, gs});
        break;
      }
      case Kind::kIpcBuffer: {
        static constexpr uint64_t kAddresses[] = {0, kIpcBufferAt, kIpcBufferAt + 4, kUnmapped};
        const uint64_t address = kAddresses[op.c % 4];
        Capability* c = sp->caps().lookup(a.core);
        const bool in_space0 = c != nullptr && c->type == ObjectType::kThread &&
                               &static_cast<Thread*>(c->object)->space() == space0_;
        const bool placed = op.c % 4 != 2;
        const bool writable = address == 0 || (address == kIpcBufferAt && in_space0);
        cmd +=
            "ipcbuf " + std::to_string(a.spec) + (placed ? " 1" : " 0") + (writable ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kThreadSetIpcBuffer, {a.core, address});
        break;
      }
      case Kind::kPrint: {
        // Mapped text, too long, unmapped.
        const uint64_t text = op.c % 3 == 2 ? kUnmapped : kText;
        const uint64_t length = op.c % 3 == 1 ? abi::kDebugPrintMax + 1 : sizeof(kTextBytes) - 1;
        const bool length_ok = op.c % 3 != 1;
        const bool text_ok = op.c % 3 == 0 && sp == space0_;
        cmd += std::string("print") + (length_ok ? " 1" : " 0") + (text_ok ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kDebugPrint, {text, length});
        break;
      }
      case Kind::kClock:
        cmd += "clock";
        status = h_.syscall(t, Syscall::kClockRead);
        break;
      case Kind::kReadRegs:
      case Kind::kReadFpu: {
        const bool regs = op.kind == Kind::kReadRegs;
        const uint64_t into = op.c % 2 == 0 ? kReadInto : kUnmapped;
        const bool ok = op.c % 2 == 0 && sp == space0_;
        cmd += (regs ? "rregs " : "rfpu ") + std::to_string(a.spec) + (ok ? " 1" : " 0");
        status = h_.syscall(t, regs ? Syscall::kThreadReadRegisters : Syscall::kThreadReadFpu,
                            {a.core, into});
        break;
      }
      case Kind::kWriteRegs: {
        static constexpr uint64_t kFrom[] = {kGoodRegisters, kBadRegisters, kUnmapped};
        const bool ok = op.c % 3 == 0 && sp == space0_;
        cmd += "wregs " + std::to_string(a.spec) + (ok ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kThreadWriteRegisters, {a.core, kFrom[op.c % 3]});
        break;
      }
      case Kind::kWriteFpu: {
        static constexpr uint64_t kFrom[] = {kGoodFpu, kBadFpu, kUnmapped};
        const bool readable = op.c % 3 != 2 && sp == space0_;
        const bool mxcsr_ok = op.c % 3 != 1;
        cmd +=
            "wfpu " + std::to_string(a.spec) + (readable ? " 1" : " 0") + (mxcsr_ok ? " 1" : " 0");
        status = h_.syscall(t, Syscall::kThreadWriteFpu, {a.core, kFrom[op.c % 3]});
        break;
      }
      case Kind::kPortIn:
      case Kind::kPortOut: {
        // Inside, at the last port, past the end, below the start; every width; values that
        // fit and that do not.
        static constexpr uint64_t kPorts[] = {kPortsBase,     kPortsBase + 3, kPortsBase + 6,
                                              kPortsBase + 7, kPortsBase + 8, kPortsBase - 1};
        static constexpr uint64_t kWidths[] = {1, 2, 4, 3, 0};
        static constexpr uint64_t kValues[] = {0, 0xff, 0x100, 0xffff'ffff, 0x1'0000'0000};
        const uint64_t port = kPorts[op.b % 6];
        const uint64_t width = kWidths[(op.b / 6) % 5];
        const bool in = op.kind == Kind::kPortIn;
        cmd += (in ? "pin " : "pout ") + std::to_string(a.spec) + " " + std::to_string(port) + " " +
               std::to_string(width);
        if (in) {
          status = h_.syscall(t, Syscall::kIoPortIn, {a.core, port, width});
        } else {
          const uint64_t value = kValues[(op.c + op.b / 30) % 5];
          cmd += " " + std::to_string(value);
          status = h_.syscall(t, Syscall::kIoPortOut, {a.core, port, width, value});
        }
        break;
      }
      // Ending: not made when the teardown would delete the last capability to a thread never
      // started or to a live space outside the ending subtree (teardown_abstracted).
      case Kind::kThreadExit:
        if (t->space().live_threads() <= 1 && teardown_abstracted(subtree(&t->space()))) {
          st.skipped = true;
          return st;
        }
        cmd += "texit";
        status = h_.syscall(t, Syscall::kThreadExit);
        break;
      case Kind::kProcessExit:
        if (teardown_abstracted(subtree(&t->space()))) {
          st.skipped = true;
          return st;
        }
        cmd += "pexit";
        status = h_.syscall(t, Syscall::kProcessExit, {0});
        break;
      case Kind::kTerminate: {
        Capability* c = sp->caps().lookup(a.core);
        if (c != nullptr && c->type == ObjectType::kSpace && (c->rights & abi::kRightManage) &&
            static_cast<Space*>(c->object)->alive() &&
            teardown_abstracted(subtree(static_cast<Space*>(c->object)))) {
          st.skipped = true;
          return st;
        }
        cmd += "term " + std::to_string(a.spec);
        status = h_.syscall(t, Syscall::kProcessTerminate, {a.core, 7});
        break;
      }
      case Kind::kMap: {
        const MapChoice m = map_choice(op.c);
        cmd += "map " + std::to_string(a.spec) + " " + std::to_string(b.spec) + " " +
               std::to_string(m.vaddr) + " " + std::to_string(m.first) + " " +
               std::to_string(m.pages) + " " + std::to_string(m.rights);
        status =
            h_.syscall(t, Syscall::kMap, {a.core, b.core, m.vaddr, m.first, m.pages, m.rights});
        break;
      }
      case Kind::kUnmap:
      case Kind::kProtect: {
        const MapChoice m = map_choice(op.c);
        const bool unmap = op.kind == Kind::kUnmap;
        cmd += (unmap ? "unmap " : "protect ") + std::to_string(a.spec) + " " +
               std::to_string(m.vaddr) + " " + std::to_string(m.pages);
        if (unmap) {
          status = h_.syscall(t, Syscall::kUnmap, {a.core, m.vaddr, m.pages});
        } else {
          cmd += " " + std::to_string(m.rights);
          status = h_.syscall(t, Syscall::kProtect, {a.core, m.vaddr, m.pages, m.rights});
        }
        break;
      }
      case Kind::kCount:
        break;
    }
    h_.drain_teardown();
    st.command = cmd;
    std::vector<std::string> answer = spec_.ask(cmd, 2);
    st.spec_reply = answer[0];
    st.spec_state = answer[1];
    st.core_reply = core_reply(op.kind, t, target, status);
    // thread_set_syscall_handler returns no handle: the new capability is the thread's handler.
    if (op.kind == Kind::kHandler && st.core_reply == "ok") {
      st.core_reply =
          handled != nullptr && target->caps().lookup(handled->syscall_handler()) != nullptr
              ? "ok handle"
              : "ok no-handle";
    }
    // A new capability: the spec says "ok ID oOBJ", the core a handle. Both become "ok handle"
    // and the pair is remembered.
    if (st.core_reply == "ok handle") {
      int id = -1;
      int o = -1;
      if (sscanf(st.spec_reply.c_str(), "ok %d o%d", &id, &o) == 2) {
        const Handle hd =
            op.kind == Kind::kHandler ? handled->syscall_handler() : t->regs()[arch::kRdi];
        Capability* c = target->caps().lookup(hd);
        add_cap(id, target, hd);
        if (c != nullptr && obj_.find(c->object) == obj_.end()) obj_[c->object] = o;
        if (c != nullptr &&
            (op.kind == Kind::kEndpoint || op.kind == Kind::kNotif || op.kind == Kind::kMemory ||
             op.kind == Kind::kClone || op.kind == Kind::kThread || op.kind == Kind::kSpace ||
             op.kind == Kind::kIrqCreate)) {
          obj_[c->object] = o;  // a new object (its address may be a dead one's)
          if (op.kind == Kind::kThread) threads_.push_back(static_cast<Thread*>(c->object));
          if (op.kind == Kind::kSpace) spaces_.push_back(static_cast<Space*>(c->object));
        }
        st.spec_reply = "ok handle";
      }
    }
    st.core_state = core_state();
    return st;
  }

  // The core's abstract state, in the spec runner's format (runner.ml, state_line).
  std::string core_state() {
    std::map<int, KernelObject*> objs;
    for (KernelObject* o = live_objects().front(); o != nullptr; o = live_objects().next(o)) {
      auto it = obj_.find(o);
      if (it != obj_.end() && o->refs() > 0) objs[it->second] = o;
    }
    // A Dead thread or an ended space is compared while a capability names it (runner.ml,
    // visible): the core reaps one no capability (and no thread) holds, the spec keeps it.
    std::set<const KernelObject*> named;
    for (auto& [id, o] : objs) {
      if (o->type() != ObjectType::kSpace) continue;
      auto* s = static_cast<Space*>(o);
      each_cap(s, [&](Capability& c) { named.insert(c.object); });
    }
    for (auto it = objs.begin(); it != objs.end();) {
      KernelObject* o = it->second;
      const bool ended = (o->type() == ObjectType::kThread &&
                          static_cast<Thread*>(o)->state() == ThreadState::kDead) ||
                         (o->type() == ObjectType::kSpace && !static_cast<Space*>(o)->alive());
      it = ended && named.count(o) == 0 ? objs.erase(it) : std::next(it);
    }
    std::string out;
    char buf[160];
    for (auto& [id, o] : objs) {
      switch (o->type()) {
        case ObjectType::kSpace:
          snprintf(buf, sizeof(buf), "o%d:S/%" PRIu64 "%s ", id,
                   static_cast<Space*>(o)->own_quota().limit(),
                   static_cast<Space*>(o)->alive() ? "" : ":x");
          break;
        case ObjectType::kThread: {
          auto* t = static_cast<Thread*>(o);
          snprintf(buf, sizeof(buf), "o%d:T/%d:%s:%u ", id, id_of(&t->space()),
                   thread_state(t).c_str(), static_cast<unsigned>(t->priority()));
          break;
        }
        case ObjectType::kEndpoint:
          snprintf(buf, sizeof(buf), "o%d:E ", id);
          break;
        case ObjectType::kNotification:
          snprintf(buf, sizeof(buf), "o%d:N/%" PRIu64 " ", id,
                   static_cast<Notification*>(o)->word());
          break;
        case ObjectType::kMemory:
          snprintf(buf, sizeof(buf), "o%d:M/%" PRIu64 " ", id,
                   static_cast<MemoryObject*>(o)->pages());
          break;
        case ObjectType::kIoPorts:
          snprintf(buf, sizeof(buf), "o%d:P/%u/%u ", id, static_cast<IoPorts*>(o)->base(),
                   static_cast<IoPorts*>(o)->count());
          break;
        case ObjectType::kIrqControl:
          snprintf(buf, sizeof(buf), "o%d:C ", id);
          break;
        case ObjectType::kIrq:
          snprintf(buf, sizeof(buf), "o%d:Q/%u ", id, static_cast<Irq*>(o)->line());
          break;
        default:
          buf[0] = '\0';
          break;
      }
      out += buf;
    }
    // Capabilities of every live space of this run, by spec id.
    std::unordered_map<const Capability*, std::string> cap_id;
    std::vector<std::pair<const Capability*, Space*>> all;
    for (auto& [id, o] : objs) {
      if (o->type() != ObjectType::kSpace) continue;
      auto* s = static_cast<Space*>(o);
      each_cap(s, [&](const Capability& c) {
        auto it = cap_spec_.find({s, c.key});
        cap_id[&c] =
            it == cap_spec_.end() ? "?" + std::to_string(c.key) : std::to_string(it->second);
        all.emplace_back(&c, s);
      });
    }
    std::vector<std::pair<int, std::string>> caps;
    for (auto& [c, s] : all) {
      const std::string& id = cap_id[c];
      std::string parent = "-";
      if (c->parent != nullptr) {
        auto it = cap_id.find(c->parent);
        parent = it == cap_id.end() ? "?" : it->second;
      }
      snprintf(buf, sizeof(buf), "c%s@%d:o%d:r%u:b%" PRIu64 ":p%s ", id.c_str(), id_of(s),
               id_of(c->object), c->rights, c->badge, parent.c_str());
      caps.emplace_back(id[0] == '?' ? -1 : std::stoi(id), buf);
    }
    std::sort(caps.begin(), caps.end());
    for (auto& [id, text] : caps)
      out += text;
    // Queues and callers, by object id.
    for (auto& [id, o] : objs) {
      ThreadQueue* q = nullptr;
      if (o->type() == ObjectType::kEndpoint) q = &static_cast<Endpoint*>(o)->queue();
      if (o->type() == ObjectType::kNotification) q = &static_cast<Notification*>(o)->waiters();
      if (q != nullptr && !q->empty()) {
        out += "q" + std::to_string(id) + ":";
        bool first = true;
        for (Thread* w = q->front(); w != nullptr; w = q->next(w)) {
          out += (first ? "" : ",") + std::to_string(id_of(w));
          first = false;
        }
        out += " ";
      }
      if (o->type() == ObjectType::kThread) {
        auto* th = static_cast<Thread*>(o);
        Thread* caller = th->caller();
        if (caller != nullptr)
          out += "k" + std::to_string(id) + "=" + std::to_string(id_of(caller)) + " ";
        // The syscall handler: a handle of the thread's space's table, by the spec's id (kept
        // after the capability goes, as the thread keeps the handle).
        if (th->syscall_handler() != 0) {
          auto it = cap_spec_.find({&th->space(), th->syscall_handler()});
          out += "h" + std::to_string(id) + "=" +
                 (it == cap_spec_.end() ? "?" + std::to_string(th->syscall_handler())
                                        : std::to_string(it->second)) +
                 " ";
        }
      }
      // An armed timer (set_timer); its bits are private to the core, so not compared.
      if (o->type() == ObjectType::kNotification &&
          static_cast<Notification*>(o)->timer_deadline() != 0) {
        out += "t" + std::to_string(id) + " ";
      }
      // A space's pager mode (space_set_pager), when it is not the kernel's (the default).
      if (o->type() == ObjectType::kSpace && static_cast<Space*>(o)->user_pager()) {
        out += "g" + std::to_string(id) + "=" + std::to_string(abi::kPagerHandler) + " ";
      }
      // An Irq's binding: the notification (the bits it signals are private to core/irq.cc).
      if (o->type() == ObjectType::kIrq && static_cast<Irq*>(o)->bound() != nullptr) {
        out += "i" + std::to_string(id) + "=" +
               std::to_string(id_of(static_cast<Irq*>(o)->bound())) + " ";
      }
    }
    // The mappings, by space and address (runner.ml, maps_line), but kScratch's: its memory
    // object has no capability and no spec id (Run's constructor).
    for (auto& [id, o] : objs) {
      if (o->type() != ObjectType::kSpace) continue;
      std::vector<const Mapping*> ms;
      Space::MappingList& list = static_cast<Space*>(o)->mappings();
      for (const Mapping* m = list.front(); m != nullptr; m = list.next(m)) {
        if (obj_.find(m->memory) != obj_.end()) ms.push_back(m);
      }
      std::sort(ms.begin(), ms.end(),
                [](const Mapping* x, const Mapping* y) { return x->vaddr < y->vaddr; });
      for (const Mapping* m : ms) {
        snprintf(buf, sizeof(buf), "m%d:%" PRIu64 "+%" PRIu64 ":o%d@%" PRIu64 ":r%u/%u ", id,
                 m->vaddr, m->pages, id_of(m->memory), m->first_page, m->rights, m->max_rights);
        out += buf;
      }
    }
    return out;
  }

 private:
  struct Ref {
    uint64_t spec;  // the id the spec gets
    Handle core;    // the handle the core gets
  };

  // Calls f on every full capability slot of s's table.
  template <typename F>
  static void each_cap(Space* s, F f) {
    for (size_t p = 0; p < s->caps().page_count(); ++p) {
      Capability* page = s->caps().page(p);
      if (page == nullptr) continue;
      for (size_t i = 0; i < CapTable::kSlotsPerPage; ++i) {
        if (!page[i].empty()) f(page[i]);
      }
    }
  }

  // The capability with creation index i for a call from `sp`: its handle if it is in sp's
  // table; a handle that never existed (0, whose slot is never filled) if it is in another
  // table (the spec's lookup fails there too: another space's capability) or past the last.
  Ref ref(uint32_t i, Space* sp) const {
    const size_t n = i % (caps_.size() + 1);
    if (n == caps_.size()) return {1'000'000, 0};
    const CapRef& c = caps_[n];
    return {static_cast<uint64_t>(c.spec), c.space == sp ? c.handle : 0};
  }

  void add_cap(int spec, Space* s, Handle h) {
    Capability* c = s->caps().lookup(h);
    caps_.push_back({spec, s, h, c != nullptr ? c->type : ObjectType::kNone});
    cap_spec_[{s, h}] = spec;
  }

  int id_of(const void* o) const {
    auto it = obj_.find(static_cast<const KernelObject*>(o));
    return it == obj_.end() ? -1 : it->second;
  }

  std::string thread_state(Thread* t) const {
    switch (t->state()) {
      case ThreadState::kInactive:
        return "I";
      case ThreadState::kReady:
      case ThreadState::kRunning:
        return "R";
      case ThreadState::kBlockedOnSend:
        return "S" + std::to_string(id_of(t->blocked_on())) +
               (t->send_reply() == Reply::kWait ? "c" : "s");
      case ThreadState::kBlockedOnReceive:
        return "V" + std::to_string(id_of(t->blocked_on()));
      case ThreadState::kBlockedOnReply:
        return "P" + std::to_string(id_of(t->replier()));
      case ThreadState::kBlockedOnNotification:
        return "W" + std::to_string(id_of(t->blocked_on()));
      case ThreadState::kDead:
        return "D";
      default:
        return "?";
    }
  }

  // What the spec deliberately does not model (its README): deleting or revoking a capability
  // a blocked send or receive went through (the kernel cancels it), and deleting the last
  // capability to an unstarted thread or a live space when the space that then ends would, in
  // its teardown, delete the last capability to another unstarted thread or live space outside
  // the ending subtree (teardown_abstracted). Such a call is skipped. (Deleting the last
  // capability to a mapped memory object is modelled: its mappings hold it, Spec.held; so is
  // deleting the last capability to a thread or a space otherwise: Spec.drop_ref.)
  bool abstracted_removal(Kind kind, Space* sp, Handle h) {
    Capability* c = sp->caps().lookup(h);
    if (c == nullptr) return false;
    if (kind == Kind::kDelete &&
        (c->type == ObjectType::kThread || c->type == ObjectType::kSpace)) {
      int named = 0;
      std::set<const Space*> seen;
      for (Space* s : spaces_) {
        if (!live(s) || !seen.insert(s).second) continue;
        each_cap(s, [&](Capability& other) { named += other.object == c->object ? 1 : 0; });
      }
      if (named <= 1) {
        // The last capability: modelled (Spec.drop_ref: an unstarted thread dies, a live space
        // nothing else holds ends), unless the space that ends would, in its teardown, delete
        // the last capability to another unstarted thread or live space: that the spec does
        // not follow (as for the ending calls, teardown_abstracted).
        Space* ending = nullptr;
        if (c->type == ObjectType::kThread) {
          auto* th = static_cast<Thread*>(c->object);
          Space& ts = th->space();
          // Its space's only reference is this thread's (Thread::create's space.acquire()).
          if (th->state() == ThreadState::kInactive && ts.alive() && ts.refs() == 1) ending = &ts;
        } else {
          auto* s = static_cast<Space*>(c->object);
          if (s->alive() && s->refs() == 1) ending = s;  // only this capability holds it
        }
        if (ending != nullptr && teardown_abstracted(subtree(ending))) return true;
      }
    }
    return false;
  }

  // Whether o is a live kernel object (not reaped; an object's memory may be reused).
  static bool live(const KernelObject* o) {
    for (KernelObject* x = live_objects().front(); x != nullptr; x = live_objects().next(x)) {
      if (x == o) return x->refs() > 0;
    }
    return false;
  }

  // The spaces Space::terminate(root) ends: root and its live descendants.
  std::vector<Space*> subtree(Space* root) const {
    std::vector<Space*> out;
    for (Space* s : spaces_) {
      if (!live(s) || !s->alive() || std::find(out.begin(), out.end(), s) != out.end()) continue;
      for (Space* p = s; p != nullptr; p = p->parent()) {
        if (p == root) {
          out.push_back(s);
          break;
        }
      }
    }
    return out;
  }

  // What the spec does not model of a teardown (Spec.terminate): the last capability to a
  // thread never started, or to a live space outside the ending spaces, deleted with their
  // tables (the core then destroys that thread, or ends that space: Space::destroy).
  bool teardown_abstracted(const std::vector<Space*>& ending) const {
    auto ends = [&](const Space* s) {
      return std::find(ending.begin(), ending.end(), s) != ending.end();
    };
    std::map<const KernelObject*, std::pair<int, int>> caps;  // (in ending tables, others)
    std::set<const Space*> seen;
    for (Space* s : spaces_) {
      if (!live(s) || !seen.insert(s).second) continue;
      each_cap(s, [&](Capability& c) {
        auto& n = caps[c.object];
        (ends(s) ? n.first : n.second) += 1;
      });
    }
    for (auto& [o, n] : caps) {
      if (n.first == 0 || n.second != 0) continue;
      if (o->type() == ObjectType::kThread) {
        auto* th = static_cast<const Thread*>(o);
        if (th->state() == ThreadState::kInactive && !ends(&const_cast<Thread*>(th)->space()))
          return true;
      }
      if (o->type() == ObjectType::kSpace) {
        auto* sp = static_cast<const Space*>(o);
        if (sp->alive() && !ends(sp)) return true;
      }
    }
    return false;
  }

  std::string core_reply(Kind kind, Thread* t, Space* sp, Status status) const {
    if (!live(t)) return "blocked";  // it ended, and nothing named it any more
    if (t->state() != ThreadState::kReady && t->state() != ThreadState::kRunning) return "blocked";
    if (status != Status::kOk) return std::string("err ") + status_name(status);
    const uint64_t* r = t->regs();
    char buf[96];
    switch (kind) {
      case Kind::kDerive:
      case Kind::kCopy:
      case Kind::kEndpoint:
      case Kind::kNotif:
      case Kind::kMemory:
      case Kind::kClone:
      case Kind::kSpace:
      case Kind::kThread:
      case Kind::kIrqCreate:
        return sp != nullptr && sp->caps().lookup(r[arch::kRdi]) != nullptr ? "ok handle"
                                                                            : "ok no-handle";
      case Kind::kInfo:
        snprintf(buf, sizeof(buf), "ok %s %u %" PRIu64,
                 type_name(static_cast<abi::ObjectType>(r[arch::kRdi] & 0xff)),
                 static_cast<uint32_t>(r[arch::kRdi] >> 8) & 0xffffff, r[arch::kRsi]);
        return buf;
      case Kind::kWait:
      case Kind::kPoll:
        return "ok " + std::to_string(r[arch::kRdi]);
      case Kind::kQuota:
        return "ok limit " + std::to_string(r[arch::kRdi]);
      default:
        return "ok";
    }
  }

  struct CapRef {
    int spec;
    Space* space;
    Handle handle;
    ObjectType type;
  };

  hosted::Harness& h_;
  SpecProcess& spec_;
  Space* space0_ = nullptr;
  std::vector<CapRef> caps_;
  std::map<std::pair<const Space*, uint64_t>, int> cap_spec_;
  std::unordered_map<const KernelObject*, int> obj_;
  std::vector<Thread*> threads_;
  std::vector<Space*> spaces_;
  std::string initial_spec_, initial_core_;
};

// ---- generating, running, shrinking ----

// A random call, weighted towards handles that exist, of the type the call wants, and
// threads that can run.
inline Op random_op(std::mt19937_64& rng, const std::vector<ObjectType>& types,
                    const std::vector<uint32_t>& runnable, size_t threads) {
  auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  static constexpr Kind kWeighted[] = {
      Kind::kDerive,      Kind::kDerive,    Kind::kDerive,    Kind::kCopy,     Kind::kDelete,
      Kind::kDelete,      Kind::kRevoke,    Kind::kRevoke,    Kind::kInfo,     Kind::kEndpoint,
      Kind::kNotif,       Kind::kNotif,     Kind::kMemory,    Kind::kSignal,   Kind::kSignal,
      Kind::kWait,        Kind::kPoll,      Kind::kQuota,     Kind::kCall,     Kind::kReplyRecv,
      Kind::kSend,        Kind::kRecv,      Kind::kRecv,      Kind::kReply,    Kind::kSpace,
      Kind::kThread,      Kind::kThread,    Kind::kStart,     Kind::kStart,    Kind::kYield,
      Kind::kEndpoint,    Kind::kSignal,    Kind::kDerive,    Kind::kCall,     Kind::kReplyRecv,
      Kind::kSend,        Kind::kRecv,      Kind::kReply,     Kind::kPriority, Kind::kPriority,
      Kind::kTls,         Kind::kIpcBuffer, Kind::kPrint,     Kind::kClock,    Kind::kReadRegs,
      Kind::kWriteRegs,   Kind::kReadFpu,   Kind::kWriteFpu,  Kind::kPortIn,   Kind::kPortOut,
      Kind::kHandler,     Kind::kTimer,     Kind::kIrqCreate, Kind::kIrqBind,  Kind::kIrqAck,
      Kind::kPager,       Kind::kResolve,   Kind::kClone,     Kind::kClone,    Kind::kThreadExit,
      Kind::kProcessExit, Kind::kTerminate, Kind::kTerminate, Kind::kMap,      Kind::kMap,
      Kind::kMap,         Kind::kUnmap,     Kind::kUnmap,     Kind::kProtect,  Kind::kProtect,
  };
  Op op{};
  op.kind = kWeighted[pick(sizeof(kWeighted) / sizeof(kWeighted[0]))];
  op.thread = !runnable.empty() && pick(10) != 0 ? runnable[pick(runnable.size())]
                                                 : pick(static_cast<uint64_t>(threads));
  const auto caps = static_cast<uint32_t>(types.size());
  // Mostly a capability of the wanted type (if any), else any, sometimes one that never
  // existed (index `caps`).
  auto cap = [&](ObjectType want) -> uint32_t {
    const uint32_t r = pick(10);
    if (r == 0) return caps;
    if (want != ObjectType::kNone && r < 8) {
      std::vector<uint32_t> of_type;
      for (uint32_t i = 0; i < caps; ++i) {
        if (types[i] == want) of_type.push_back(i);
      }
      if (!of_type.empty()) return of_type[pick(of_type.size())];
    }
    if (r < 5 && caps > 3) return caps - 1 - pick(3);
    return pick(caps);
  };
  ObjectType want = ObjectType::kNone;
  switch (op.kind) {
    case Kind::kCopy:
    case Kind::kQuota:
    case Kind::kThread:
    case Kind::kPager:
    case Kind::kResolve:
    case Kind::kTerminate:
    case Kind::kMap:
    case Kind::kUnmap:
    case Kind::kProtect:
      want = ObjectType::kSpace;
      break;
    case Kind::kSignal:
    case Kind::kWait:
    case Kind::kPoll:
    case Kind::kTimer:
      want = ObjectType::kNotification;
      break;
    case Kind::kCall:
    case Kind::kReplyRecv:
    case Kind::kSend:
    case Kind::kRecv:
      want = ObjectType::kEndpoint;
      break;
    case Kind::kStart:
    case Kind::kPriority:
    case Kind::kHandler:
    case Kind::kTls:
    case Kind::kIpcBuffer:
    case Kind::kReadRegs:
    case Kind::kWriteRegs:
    case Kind::kReadFpu:
    case Kind::kWriteFpu:
      want = ObjectType::kThread;
      break;
    case Kind::kPortIn:
    case Kind::kPortOut:
      want = ObjectType::kIoPorts;
      break;
    case Kind::kIrqCreate:
      want = ObjectType::kIrqControl;
      break;
    case Kind::kIrqBind:
    case Kind::kIrqAck:
      want = ObjectType::kIrq;
      break;
    case Kind::kClone:
      want = ObjectType::kMemory;
      break;
    default:
      break;
  }
  op.a = cap(want);
  if (op.kind == Kind::kThread && pick(3) != 0) op.a = 0;  // mostly in the caller's own space
  op.b = op.kind == Kind::kCopy      ? cap(ObjectType::kNone)
         : op.kind == Kind::kHandler ? cap(ObjectType::kEndpoint)
         : op.kind == Kind::kIrqBind ? cap(ObjectType::kNotification)
         : op.kind == Kind::kMap     ? cap(ObjectType::kMemory)
                                     : pick(128);
  const uint32_t rights_choices[] = {abi::kRightsAll,
                                     abi::kRightSend | abi::kRightReceive,
                                     abi::kRightSend,
                                     abi::kRightReceive,
                                     abi::kRightReceive | abi::kRightManage,
                                     abi::kRightManage,
                                     abi::kRightRead,
                                     abi::kRightWrite,
                                     pick(128)};
  constexpr uint32_t kRightsChoices = sizeof(rights_choices) / sizeof(rights_choices[0]);
  if (op.kind == Kind::kDerive) op.b = rights_choices[pick(kRightsChoices)];
  if (op.kind == Kind::kCopy) {
    op.c = rights_choices[pick(kRightsChoices)];
  } else if (op.kind == Kind::kDerive) {
    op.c = pick(3) == 0 ? 1 + pick(6) : 0;  // badge
  } else if (op.kind == Kind::kMap || op.kind == Kind::kUnmap || op.kind == Kind::kProtect) {
    // Mostly in the run's first space (creation index 0), at kMapArea's first pages (unmap
    // and protect at the first two, where map puts most), one or two pages, from the object's
    // first page, with Read, Read-Write or Read-Execute; any space capability and the rest of
    // the choices a quarter of the time each.
    if (pick(4) != 0) op.a = 0;
    const uint32_t at = pick(op.kind == Kind::kMap ? 4 : 2);
    op.c = map_c(pick(4) == 0 ? pick(kMapAts) : at, pick(4) == 0 ? pick(kMapCounts) : pick(2),
                 pick(4) == 0 ? pick(kMapFirsts) : 0,
                 pick(4) == 0 ? pick(kMapRightsChoices) : pick(3));
  } else if (op.kind == Kind::kSend || op.kind == Kind::kRecv || op.kind == Kind::kReplyRecv) {
    op.c = pick(3) == 0 ? 1 : 0;  // non-blocking a third of the time: waiting makes IPC happen
  } else {
    op.c = pick(4);
  }
  return op;
}

// The result of running a sequence: the first step that differs, or -1.
struct Outcome {
  int mismatch = -1;
  std::vector<Step> steps;
  size_t executed = 0;  // steps not skipped
};

class Driver {
 public:
  explicit Driver(const char* runner) : spec_(runner) {}

  // Runs `ops` on a fresh process; stops at the first mismatch.
  Outcome run(hosted::Harness& h, const std::vector<Op>& ops) {
    Outcome out;
    Run r(h, spec_);
    if (!r.initial_match()) {
      FAIL("initial states differ:\n  core: " << r.initial_core()
                                              << "\n  spec: " << r.initial_spec());
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      out.steps.push_back(r.step(ops[i]));
      if (!out.steps.back().skipped) ++out.executed;
      if (!out.steps.back().match()) {
        out.mismatch = static_cast<int>(i);
        break;
      }
    }
    return out;
  }

  // A random sequence of `length` calls, generated as it runs (arguments name what exists).
  std::pair<std::vector<Op>, Outcome> random_run(hosted::Harness& h, std::mt19937_64& rng,
                                                 size_t length) {
    std::vector<Op> ops;
    Outcome out;
    Run r(h, spec_);
    REQUIRE(r.initial_match());
    // Half of the sequences start with an endpoint, a notification and two more started
    // threads of the process, so that IPC between threads happens often, a Read-only
    // capability to the I/O ports, an Irq, and a memory object with a Read-only capability,
    // mapped.
    const bool prologue = rng() % 2 == 0;
    for (size_t i = 0; i < length; ++i) {
      const std::vector<uint32_t> runnable = r.runnable();
      if (runnable.empty()) break;  // every thread waits: nothing more can happen
      const auto last = static_cast<uint32_t>(r.cap_count() - 1);
      if (prologue && i < 6) {
        static constexpr Kind kPrologue[] = {Kind::kEndpoint, Kind::kNotif,  Kind::kThread,
                                             Kind::kStart,    Kind::kThread, Kind::kStart};
        ops.push_back({kPrologue[i], 0, kPrologue[i] == Kind::kStart ? last : 0, 0, 0});
      } else if (prologue && i == 6) {
        // A Read-only capability to the I/O ports (creation index 2), so that io_port_out
        // meets PermissionDenied.
        ops.push_back({Kind::kDerive, 0, 2, abi::kRightRead, 0});
      } else if (prologue && i == 7) {
        // An Irq for line 0 (IrqControl is creation index 3), so that irq_bind and irq_ack
        // meet one often.
        ops.push_back({Kind::kIrqCreate, 0, 3, 0, 0});
      } else if (prologue && i == 8) {
        // A memory object of one page (its frame allocated now), so that memory_clone finds a
        // source often,
        ops.push_back({Kind::kMemory, 0, 0, 0, 0});
      } else if (prologue && i == 9) {
        // and a Read-only capability to it (creation index 10), whose clone still gets
        // memory_create's rights.
        ops.push_back({Kind::kDerive, 0, 10, abi::kRightRead, 0});
      } else if (prologue && i == 10) {
        // It mapped Read-Write at kMapArea, so that unmap and protect find a mapping often.
        ops.push_back({Kind::kMap, 0, 0, 10, map_c(0, 0, 0, 1)});
      } else {
        ops.push_back(random_op(rng, r.cap_types(), runnable, r.thread_count()));
      }
      out.steps.push_back(r.step(ops.back()));
      if (!out.steps.back().skipped) ++out.executed;
      if (!out.steps.back().match()) {
        out.mismatch = static_cast<int>(i);
        break;
      }
    }
    return {ops, out};
  }

  // Delta debugging: drops chunks of calls, halving the chunk, while the sequence still fails
  // (at any step), until no single call can go. Returns the shortest failing sequence found.
  std::vector<Op> shrink(hosted::Harness& h, std::vector<Op> ops) {
    auto fails = [&](const std::vector<Op>& candidate, std::vector<Op>* cut) {
      Outcome o = run(h, candidate);
      if (o.mismatch < 0) return false;
      cut->assign(candidate.begin(), candidate.begin() + o.mismatch + 1);
      return true;
    };
    std::vector<Op> cut;
    if (!fails(ops, &cut)) return ops;
    ops = cut;
    bool progress = true;
    while (progress) {
      progress = false;
      for (size_t chunk = std::max<size_t>(ops.size() / 2, 1); chunk >= 1; chunk /= 2) {
        for (size_t i = 0; i + chunk <= ops.size();) {
          std::vector<Op> candidate(ops.begin(), ops.begin() + i);
          candidate.insert(candidate.end(), ops.begin() + i + chunk, ops.end());
          if (!candidate.empty() && fails(candidate, &cut)) {
            ops = cut;
            progress = true;
          } else {
            i += chunk;
          }
        }
        if (chunk == 1) break;
      }
      // Capabilities are named by creation index, so a call may need the calls that made the
      // capabilities before the one it names: try naming an earlier one (which may let those
      // calls go in the next round).
      for (size_t i = 0; i < ops.size(); ++i) {
        for (uint32_t Op::*field : {&Op::a, &Op::b, &Op::thread}) {
          for (uint32_t v = 0; v < ops[i].*field; ++v) {
            std::vector<Op> candidate = ops;
            candidate[i].*field = v;
            if (fails(candidate, &cut)) {
              ops = cut;
              progress = true;
              break;
            }
          }
          if (i >= ops.size()) break;
        }
      }
    }
    return ops;
  }

  // The sequence's steps up to its mismatch, both sides' replies, and both states there.
  std::string trace(hosted::Harness& h, const std::vector<Op>& ops) {
    Outcome o = run(h, ops);
    std::string text;
    int n = 0;
    for (size_t i = 0; i < o.steps.size(); ++i) {
      const Step& s = o.steps[i];
      if (s.skipped) {
        text += "  (skipped)\n";
        continue;
      }
      ++n;
      text += "  " + std::to_string(n) + ". thread " + s.command + "  -> core: " + s.core_reply +
              " | spec: " + s.spec_reply + "\n";
      if (static_cast<int>(i) == o.mismatch) {
        text += "     core state: " + s.core_state + "\n     spec state: " + s.spec_state + "\n";
      }
    }
    return text;
  }

 private:
  SpecProcess spec_;
};

// The steps a sequence executed (skipped ones left out), for the shrunk trace's length.
inline size_t executed_steps(Driver& d, hosted::Harness& h, const std::vector<Op>& ops) {
  return d.run(h, ops).executed;
}

}  // namespace hmk::refine
