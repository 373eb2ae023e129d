// The refinement test (README.md): random and bounded-exhaustive call sequences on the hosted
// core and on the executable specification (the Coq spec extracted to OCaml), replies and
// abstract states compared after every step. At least 100,000 executed steps by default;
// HMK_REFINE_STEPS=N (./hmk verify --steps=N) asks for N. A mismatch fails the test with the
// shrunk sequence and both states.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "proofs/refine/refine_driver.h"

namespace hmk::refine {
namespace {

constexpr const char* kRunner = "proofs/refine/hmkspec_runner";
constexpr size_t kRunsPerHarness = 64;  // fresh fake RAM after this many sequences

uint64_t wanted_steps() {
  const char* env = std::getenv("HMK_REFINE_STEPS");
  return env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10) : 100'000;
}

// How often each call ran and what it returned (on the core; the spec agreed), printed at
// the end: which calls and outcomes the run really exercised.
std::map<std::string, std::map<std::string, uint64_t>> g_outcomes;

void count(const Outcome& o) {
  for (const Step& s : o.steps) {
    if (s.skipped) {
      ++g_outcomes["(skipped)"]["-"];
      continue;
    }
    const size_t from = s.command.find(' ') + 1;
    const std::string call = s.command.substr(from, s.command.find(' ', from) - from);
    const std::string reply = s.core_reply.rfind("ok", 0) == 0 ? "ok" : s.core_reply;
    ++g_outcomes[call][reply];
  }
}

void report(Driver& d, hosted::Harness& h, const std::vector<Op>& ops, const char* what) {
  std::vector<Op> shrunk = d.shrink(h, ops);
  FAIL(what << ": the core and the spec differ; shortest failing sequence ("
            << executed_steps(d, h, shrunk) << " calls):\n"
            << d.trace(h, shrunk));
}

// Every sequence of up to kDepth calls from a small alphabet that makes and uses one object of
// each kind, with the second thread in play.
std::vector<Op> alphabet() {
  // Creation order in a run: 0 space (kSelfSpace), 1 thread (kSelfThread), 2 the I/O ports,
  // 3 IrqControl, then new ones.
  return {
      {Kind::kNotif, 0, 0, 0, 0},
      {Kind::kEndpoint, 0, 0, 0, 0},
      {Kind::kDerive, 0, 4, abi::kRightSend | abi::kRightReceive, 3},
      {Kind::kDerive, 0, 5, abi::kRightSend, 0},
      {Kind::kDelete, 0, 4, 0, 0},
      {Kind::kRevoke, 0, 4, 0, 0},
      {Kind::kSignal, 0, 5, 0, 0},
      {Kind::kPoll, 0, 4, 0, 0},
      {Kind::kWait, 0, 4, 0, 0},
      {Kind::kThread, 0, 0, 0, 0},
      {Kind::kStart, 0, 5, 0, 0},
      {Kind::kRecv, 1, 4, 0, 1},
      {Kind::kCall, 0, 4, 0, 0},
      {Kind::kSend, 0, 5, 0, 1},
      {Kind::kReply, 1, 0, 0, 0},
      {Kind::kInfo, 0, 5, 0, 0},
      {Kind::kPriority, 0, 1, 2, 0},    // the caller's own thread to 50: its new threads get 50
      {Kind::kThreadExit, 1, 0, 0, 0},  // the second thread ends (its caller woken)
  };
}

// A second, smaller alphabet for memory_clone: memory objects (lazy and eager), clones of the
// first two new capabilities (creation indices 4 and 5: a memory object, a clone, a Write-only
// child, or a handle that never existed), a Write-only child and a deletion.
std::vector<Op> memory_alphabet() {
  return {
      {Kind::kMemory, 0, 0, 0, 1},  // 1 page, lazy
      {Kind::kMemory, 0, 0, 2, 0},  // 3 pages, allocated now
      {Kind::kClone, 0, 4, 0, 0},
      {Kind::kClone, 0, 5, 0, 0},
      {Kind::kDerive, 0, 4, abi::kRightWrite, 0},  // a clone of it: PermissionDenied
      {Kind::kDelete, 0, 4, 0, 0},
      {Kind::kClone, 0, 0, 0, 0},  // the space: InvalidCapability
  };
}

// A third alphabet for map, unmap and protect (Spec.v's, calls of `step`): memory objects of
// one and two pages (creation indices 4 and 5), mappings of them at kMapArea's first two pages
// with Write or Execute (W^X across the two), the rights changed, a mapping taken away, and
// the last capability of a memory object deleted (while it is mapped, the mapping holds it).
std::vector<Op> mapping_alphabet() {
  return {
      {Kind::kMemory, 0, 0, 0, 1},                   // 1 page, lazy
      {Kind::kMemory, 0, 0, 1, 0},                   // 2 pages, allocated now
      {Kind::kMap, 0, 0, 4, map_c(0, 0, 0, 1)},      // kMapArea, 1 page, Read-Write
      {Kind::kMap, 0, 0, 4, map_c(1, 0, 0, 2)},      // the next page, Read-Execute
      {Kind::kMap, 0, 0, 5, map_c(0, 1, 0, 0)},      // kMapArea, 2 pages, Read
      {Kind::kProtect, 0, 0, 0, map_c(0, 0, 0, 2)},  // kMapArea's page to Read-Execute
      {Kind::kProtect, 0, 0, 0, map_c(0, 1, 0, 1)},  // its two pages to Read-Write
      {Kind::kUnmap, 0, 0, 0, map_c(0, 0, 0, 0)},    // kMapArea's page
      {Kind::kDelete, 0, 4, 0, 0},
  };
}

// Every sequence of 3 calls over `abc`; returns the steps executed.
uint64_t run_exhaustive(Driver& d, const std::vector<Op>& abc, uint64_t* sequences) {
  const size_t n = abc.size();
  uint64_t executed = 0;
  size_t runs = 0;
  auto h = std::make_unique<hosted::Harness>();
  for (size_t i = 0; i < n * n * n; ++i) {
    std::vector<Op> ops = {abc[i / (n * n)], abc[(i / n) % n], abc[i % n]};
    if (runs++ == kRunsPerHarness) {
      h->finish();
      h = std::make_unique<hosted::Harness>();
      runs = 1;
    }
    Outcome o = d.run(*h, ops);
    count(o);
    executed += o.executed;
    ++*sequences;
    if (o.mismatch >= 0) report(d, *h, ops, "bounded-exhaustive");
  }
  h->finish();
  return executed;
}

// One step of a named sequence and the reply the core must give (the spec must agree).
struct Expected {
  Op op;
  const char* reply;
};

// Runs a named sequence on a fresh harness: the core and the spec must agree at every step
// (the sequence is printed, not shrunk: it is short, and the shrinker would try every smaller
// argument), every call must run, and each reply must be the expected one.
void run_named(const char* what, const std::vector<Expected>& steps) {
  Driver d(kRunner);
  hosted::Harness h;
  std::vector<Op> ops;
  for (const Expected& e : steps)
    ops.push_back(e.op);
  Outcome o = d.run(h, ops);
  if (o.mismatch >= 0) FAIL(what << ": the core and the spec differ:\n" << d.trace(h, ops));
  REQUIRE(o.executed == ops.size());
  for (size_t i = 0; i < ops.size(); ++i)
    CHECK(o.steps[i].core_reply == steps[i].reply);
  h.finish();
}

// memory_clone where random sequences do not go: in a child process whose 1 MiB quota a
// 512-page clone does not fit (QuotaExceeded on both sides, whatever the exact sizes), a
// clone of a clone, and clones outliving their source.
TEST_CASE("refinement: memory_clone past a child's quota, of a clone, after its source") {
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 a child process
  // (1 MiB), 5 its thread (thread 1), 6 a 512-page lazy memory object, 7 its Read-only copy
  // in the child, 8 a clone of 6, 9 a Write-only child of 8, 10 a clone of 8, 11 a page, 12
  // a clone of it.
  const std::vector<Expected> steps = {
      {{Kind::kSpace, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kThread, 0, 4, 0, 0}, "ok handle"},
      {{Kind::kStart, 0, 5, 0, 0}, "ok"},
      {{Kind::kMemory, 0, 0, kBigMemory, 1}, "ok handle"},
      {{Kind::kCopy, 0, 4, 6, abi::kRightRead}, "ok handle"},
      {{Kind::kClone, 1, 7, 0, 0}, "err QuotaExceeded"},  // by the child's thread
      {{Kind::kClone, 0, 6, 0, 0}, "ok handle"},
      {{Kind::kDerive, 0, 8, abi::kRightWrite, 0}, "ok handle"},
      {{Kind::kClone, 0, 9, 0, 0}, "err PermissionDenied"},
      {{Kind::kClone, 0, 8, 0, 0}, "ok handle"},  // a clone of a clone
      {{Kind::kDelete, 0, 6, 0, 0}, "ok"},
      {{Kind::kDelete, 1, 7, 0, 0}, "ok"},  // the source dies; its clones live
      {{Kind::kMemory, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kClone, 0, 11, 0, 0}, "ok handle"},  // its frame shared
      {{Kind::kDelete, 0, 11, 0, 0}, "ok"},
      {{Kind::kClone, 0, 4, 0, 0}, "err InvalidCapability"},  // a space
  };
  run_named("memory_clone", steps);
}

// Ending processes where random sequences seldom go: a child process with a grandchild, a
// thread of each, a server thread of the child that took a call from the parent's second
// thread; process_terminate ends the child and the grandchild (their threads Dead, their
// tables emptied, the caller woken), then the calls on an ended process are PeerClosed; the
// parent's threads end with thread_exit, the last one ending the parent.
TEST_CASE("refinement: process_terminate of a child with a grandchild, then thread_exit") {
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 the child C (1 MiB),
  // 5 its thread T1 (thread 1), 6 C's own space capability in C's table, 7 the grandchild G
  // (in C's table), 8 G's thread (thread 2, in C's table), 9 an endpoint, 10 its copy in C's
  // table, 11 a second thread of the parent (thread 3).
  constexpr uint32_t kEndpointRights =
      abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage;
  const std::vector<Expected> steps = {
      {{Kind::kSpace, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kThread, 0, 4, 0, 0}, "ok handle"},
      {{Kind::kStart, 0, 5, 0, 0}, "ok"},
      {{Kind::kCopy, 0, 4, 4, abi::kRightsAll}, "ok handle"},
      {{Kind::kSpace, 1, 0, kSmallSpace, 0}, "ok handle"},  // by T1: the grandchild
      {{Kind::kThread, 1, 7, 0, 0}, "ok handle"},
      {{Kind::kStart, 1, 8, 0, 0}, "ok"},
      {{Kind::kEndpoint, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kCopy, 0, 4, 9, kEndpointRights}, "ok handle"},
      {{Kind::kThread, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kStart, 0, 11, 0, 0}, "ok"},
      {{Kind::kRecv, 1, 10, 0, 0}, "blocked"},  // T1 waits to receive
      {{Kind::kCall, 3, 9, 0, 0}, "blocked"},   // T1 takes the call: T2 waits for its reply
      {{Kind::kTerminate, 0, 4, 0, 0}, "ok"},   // C and G end; T2 woken (PeerClosed)
      {{Kind::kTerminate, 0, 4, 0, 0}, "err PeerClosed"},
      {{Kind::kThread, 0, 4, 0, 0}, "err PeerClosed"},
      {{Kind::kCopy, 0, 4, 9, kEndpointRights}, "err PeerClosed"},
      {{Kind::kIpcBuffer, 0, 5, 0, 0}, "err PeerClosed"},  // T1's space has ended
      {{Kind::kWriteRegs, 0, 5, 0, 0}, "err Busy"},        // T1 is Dead
      {{Kind::kThreadExit, 3, 0, 0, 0}, "blocked"},        // T2 ends; the parent lives on
      {{Kind::kQuota, 0, 4, 0, 0}, "ok limit 1048576"},    // an ended process's account
      {{Kind::kThreadExit, 0, 0, 0, 0}, "blocked"},        // the last thread: the parent ends
  };
  run_named("ending processes", steps);
}

// Deleting or revoking the capability a blocked send or receive went through cancels it
// (Endpoint::cancel_waits_through; Spec.cancel_through): the thread leaves the endpoint's
// queue and is Ready again, while the endpoint lives on (another capability names it).
TEST_CASE("refinement: deleting the capability a blocked receive or send went through") {
  constexpr uint32_t kEndpointRights =
      abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage;
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 an endpoint, 5 a
  // thread U (thread 1) of the caller's space, 6 a child of 4 that U receives through.
  const std::vector<Expected> steps = {
      {{Kind::kEndpoint, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kThread, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kStart, 0, 5, 0, 0}, "ok"},
      {{Kind::kDerive, 0, 4, kEndpointRights, 0}, "ok handle"},
      {{Kind::kRecv, 1, 6, 0, 0}, "blocked"},  // U waits to receive through 6
      {{Kind::kDelete, 0, 6, 0, 0}, "ok"},     // U's receive is cancelled: Ready, out of the queue
      {{Kind::kSend, 0, 4, 0, 1}, "err WouldBlock"},  // no receiver waits any more
  };
  run_named("deleting the capability a blocked receive went through", steps);
  // Revoking an ancestor of the capability a blocked send went through: 4 an endpoint, 5 its
  // child, 6 a child of 5, 7 a thread U (thread 1) that sends through 6; revoking 4 removes
  // 5 and 6 and cancels U's send.
  const std::vector<Expected> steps2 = {
      {{Kind::kEndpoint, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kDerive, 0, 4, kEndpointRights, 0}, "ok handle"},
      {{Kind::kDerive, 0, 5, abi::kRightSend, 0}, "ok handle"},
      {{Kind::kThread, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kStart, 0, 7, 0, 0}, "ok"},
      {{Kind::kSend, 1, 6, 0, 0}, "blocked"},         // U waits to send through 6
      {{Kind::kRevoke, 0, 4, 0, 0}, "ok"},            // 5 and 6 go: U's send is cancelled
      {{Kind::kRecv, 0, 4, 0, 1}, "err WouldBlock"},  // no sender waits any more
  };
  run_named("revoking an ancestor of the capability a blocked send went through", steps2);
}

// The last capability to an unstarted thread (Spec.drop_ref): the thread dies (its handle
// then names nothing); when it held its space's last reference, the space ends too
// (Space::destroy: terminate(0)). Random sequences seldom go there.
TEST_CASE("refinement: the last capability to an unstarted thread") {
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 a child C, 5 a thread T
  // of C, 6 a thread U of the caller's own space; neither thread started.
  const std::vector<Expected> steps = {
      {{Kind::kSpace, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kThread, 0, 4, 0, 0}, "ok handle"},
      {{Kind::kThread, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kDelete, 0, 6, 0, 0}, "ok"},  // U dies; its space lives on (the caller holds it)
      {{Kind::kStart, 0, 6, 0, 0}, "err InvalidCapability"},
      {{Kind::kDelete, 0, 4, 0, 0}, "ok"},         // C's last capability: T still holds C
      {{Kind::kStart, 0, 5, 0, 0}, "ok"},          // T can still be started ...
      {{Kind::kThread, 0, 0, 0, 0}, "ok handle"},  // 7: another unstarted thread of space 0
      {{Kind::kDelete, 0, 7, 0, 0}, "ok"},
  };
  run_named("the last capability to an unstarted thread", steps);
  // ... or deleted unstarted: then it held C's last reference, and C ends.
  const std::vector<Expected> steps2 = {
      {{Kind::kSpace, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kThread, 0, 4, 0, 0}, "ok handle"},
      {{Kind::kDelete, 0, 4, 0, 0}, "ok"},  // T holds C
      {{Kind::kDelete, 0, 5, 0, 0}, "ok"},  // T dies, and with it C's last reference: C ends
      {{Kind::kQuota, 0, 0, 0, 0}, "ok limit 16777216"},
  };
  run_named("the last capability to an unstarted thread holding its space", steps2);
}

// The last capability to a never-started space (Spec.drop_ref): it ends (Space::destroy:
// terminate(0)), its teardown deletes its table, and an endpoint whose last capability was
// there dies with it. Its unstarted thread had died before (its own last capability went), so
// nothing but the capability held the space. (A never-started space has no child: space_create
// makes a child of the caller's space, whose running thread holds it.)
TEST_CASE("refinement: the last capability to a never-started space") {
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 a child C, 5 an
  // endpoint E, 6 E's copy in C's table, 7 a thread T of C (never started).
  constexpr uint32_t kEndpointRights =
      abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage;
  const std::vector<Expected> steps = {
      {{Kind::kSpace, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kEndpoint, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kCopy, 0, 4, 5, kEndpointRights}, "ok handle"},
      {{Kind::kDelete, 0, 5, 0, 0}, "ok"},  // E's last capability is C's now
      {{Kind::kThread, 0, 4, 0, 0}, "ok handle"},
      {{Kind::kDelete, 0, 7, 0, 0}, "ok"},  // T dies; the capability still holds C
      {{Kind::kDelete, 0, 4, 0, 0}, "ok"},  // C ends: its table goes, and E dies
      {{Kind::kQuota, 0, 0, 0, 0}, "ok limit 16777216"},
  };
  run_named("the last capability to a never-started space", steps);
}

// An Irq's binding keeps its notification alive after the notification's last capability
// goes; binding the Irq elsewhere, or the Irq's death, then takes the notification with it
// (Spec.v, held and release). Random sequences reach this rarely, so it runs once by name.
TEST_CASE("refinement: an Irq binding holds its notification") {
  Driver d(kRunner);
  hosted::Harness h;
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 a notification, 5 the
  // Irq (line 0), 6 a second notification.
  const std::vector<Op> ops = {
      {Kind::kNotif, 0, 0, 0, 0},   {Kind::kIrqCreate, 0, 3, 0, 0}, {Kind::kNotif, 0, 0, 0, 0},
      {Kind::kIrqBind, 0, 5, 4, 0}, {Kind::kDelete, 0, 4, 0, 0},  // 4's object lives on
      {Kind::kIrqBind, 0, 5, 6, 0},                               // and now dies
      {Kind::kIrqAck, 0, 5, 0, 0},  {Kind::kDelete, 0, 6, 0, 0},  // 6's object lives on
      {Kind::kDelete, 0, 5, 0, 0},                                // the Irq and it die
  };
  Outcome o = d.run(h, ops);
  if (o.mismatch >= 0) report(d, h, ops, "irq binding");
  CHECK(o.executed == ops.size());
  h.finish();
}

// A mapping holds its memory object (Spec.v, held): the object outlives its last capability
// while mapped, and dies (its charge refunded) when its last mapping goes, by unmap or with
// the teardown of the process it is mapped in. Random sequences reach the second rarely.
TEST_CASE("refinement: a mapping holds its memory object") {
  Driver d(kRunner);
  hosted::Harness h;
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 a memory object of one
  // page, 5 a second one, 6 a child process.
  const std::vector<Op> ops = {
      {Kind::kMemory, 0, 0, 0, 1},
      {Kind::kMap, 0, 0, 4, map_c(0, 0, 0, 0)},    // kMapArea, Read
      {Kind::kDelete, 0, 4, 0, 0},                 // 4's object lives on, mapped
      {Kind::kUnmap, 0, 0, 0, map_c(0, 0, 0, 0)},  // and now dies
      {Kind::kMemory, 0, 0, 0, 1},
      {Kind::kSpace, 0, 0, 0, 0},
      {Kind::kMap, 0, 6, 5, map_c(0, 0, 0, 0)},  // in the child
      {Kind::kDelete, 0, 5, 0, 0},               // 5's object lives on, mapped in the child
      {Kind::kTerminate, 0, 6, 0, 0},            // the child's teardown unmaps it: it dies
  };
  Outcome o = d.run(h, ops);
  if (o.mismatch >= 0) report(d, h, ops, "mapping holds memory");
  CHECK(o.executed == ops.size());
  h.finish();
}

// map, unmap and protect through every check, in a named sequence: each error of map in the
// kernel's order, W^X across mappings and across spaces, protect within the memory
// capability's rights, and mappings in a child process made by its parent.
TEST_CASE("refinement: map, unmap and protect") {
  // Creation indices: 0 space, 1 thread, 2 ports, 3 IrqControl, then 4 a memory object of 3
  // pages, 5 a Read-only capability to it, 6 a memory object of 1 page, 7 a child process,
  // 8 a Read-only capability to the run's space.
  // map_c(address, count, first page, rights) indices: addresses kMapArea + 0, 1, 2, 4 pages,
  // unaligned, 0, the last user page, the kernel half; counts 1, 2, 3, 0, 2^36; first pages
  // 0, 1, 2, 5; rights R, RW, RX, R, RW, RWX, W, R+Send, none.
  const std::vector<Expected> steps = {
      {{Kind::kMemory, 0, 0, 2, 0}, "ok handle"},
      {{Kind::kDerive, 0, 4, abi::kRightRead, 0}, "ok handle"},
      {{Kind::kMemory, 0, 0, 0, 1}, "ok handle"},
      {{Kind::kSpace, 0, 0, 0, 0}, "ok handle"},
      {{Kind::kMap, 0, 0, 4, map_c(0, 1, 0, 1)}, "ok"},
      {{Kind::kMap, 0, 0, 5, map_c(3, 0, 0, 1)}, "err PermissionDenied"},  // more than Read
      {{Kind::kMap, 0, 0, 4, map_c(4, 0, 0, 0)}, "err InvalidArgument"},   // unaligned
      {{Kind::kMap, 0, 0, 4, map_c(3, 3, 0, 0)}, "err InvalidArgument"},   // no pages
      {{Kind::kMap, 0, 0, 4, map_c(3, 0, 0, 5)}, "err InvalidArgument"},   // Write and Execute
      {{Kind::kMap, 0, 0, 4, map_c(3, 0, 0, 6)}, "err InvalidArgument"},   // no Read
      {{Kind::kMap, 0, 0, 4, map_c(5, 0, 0, 0)}, "err BadAddress"},        // page 0
      {{Kind::kMap, 0, 0, 4, map_c(7, 0, 0, 0)}, "err BadAddress"},        // the kernel half
      {{Kind::kMap, 0, 0, 4, map_c(6, 1, 0, 0)}, "err BadAddress"},        // past the top
      {{Kind::kMap, 0, 0, 4, map_c(6, 0, 0, 0)}, "ok"},                    // the last page
      {{Kind::kMap, 0, 0, 4, map_c(3, 0, 3, 0)}, "err OutOfRange"},        // from page 5 of 3
      {{Kind::kMap, 0, 0, 4, map_c(3, 2, 1, 0)}, "err OutOfRange"},        // pages 1..3 of 3
      {{Kind::kMap, 0, 0, 4, map_c(1, 0, 0, 0)}, "err AlreadyExists"},
      {{Kind::kMap, 0, 0, 4, map_c(3, 0, 2, 2)}, "err PermissionDenied"},  // W^X: mapped RW
      {{Kind::kMap, 0, 0, 6, map_c(3, 0, 0, 2)}, "ok"},
      {{Kind::kProtect, 0, 0, 0, map_c(3, 0, 0, 1)}, "ok"},                   // RX to RW
      {{Kind::kProtect, 0, 0, 0, map_c(0, 0, 0, 0)}, "err InvalidArgument"},  // half a mapping
      {{Kind::kUnmap, 0, 0, 0, map_c(2, 0, 0, 0)}, "err NotFound"},
      {{Kind::kProtect, 0, 0, 0, map_c(0, 1, 0, 2)}, "ok"},  // RW to RX: W^X within the range
      {{Kind::kMap, 0, 7, 5, map_c(0, 0, 0, 0)}, "ok"},      // in the child, Read only
      {{Kind::kMap, 0, 7, 4, map_c(1, 0, 0, 1)}, "err PermissionDenied"},  // W^X across spaces
      {{Kind::kDerive, 0, 0, abi::kRightRead, 0}, "ok handle"},
      {{Kind::kMap, 0, 8, 4, map_c(3, 0, 0, 0)}, "err PermissionDenied"},   // no Manage
      {{Kind::kMap, 0, 4, 4, map_c(3, 0, 0, 0)}, "err InvalidCapability"},  // not a space
      {{Kind::kMap, 0, 0, 0, map_c(3, 0, 0, 0)}, "err InvalidCapability"},  // not memory
      {{Kind::kUnmap, 0, 0, 0, map_c(0, 1, 0, 0)}, "ok"},
      {{Kind::kProtect, 0, 7, 0, map_c(0, 0, 0, 1)}, "err PermissionDenied"},  // past Read
      {{Kind::kMap, 0, 7, 4, map_c(1, 0, 0, 1)}, "ok"},  // no executable mapping left
      {{Kind::kUnmap, 0, 0, 0, map_c(3, 0, 0, 0)}, "ok"},
  };
  run_named("mappings", steps);
}

TEST_CASE("refinement: the hosted core against the executable spec") {
  const uint64_t want = wanted_steps();
  Driver d(kRunner);
  uint64_t executed = 0;
  uint64_t sequences = 0;
  const auto start = std::chrono::steady_clock::now();

  // Bounded-exhaustive: every sequence of 3 calls over each alphabet.
  executed += run_exhaustive(d, alphabet(), &sequences);
  executed += run_exhaustive(d, memory_alphabet(), &sequences);
  executed += run_exhaustive(d, mapping_alphabet(), &sequences);
  const uint64_t exhaustive = executed;

  // Random: seeded sequences of 40 calls until the steps are done.
  std::mt19937_64 rng(0x484d4b);
  size_t runs = 0;
  auto h = std::make_unique<hosted::Harness>();
  while (executed < want) {
    if (runs++ == kRunsPerHarness) {
      h->finish();
      h = std::make_unique<hosted::Harness>();
      runs = 1;
    }
    auto [ops, o] = d.random_run(*h, rng, 40);
    count(o);
    executed += o.executed;
    ++sequences;
    if (o.mismatch >= 0) report(d, *h, ops, "random");
  }
  h->finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf(
      "refinement: %llu steps (%llu bounded-exhaustive) in %llu sequences, %.1f s, 0 mismatches\n",
      static_cast<unsigned long long>(executed), static_cast<unsigned long long>(exhaustive),
      static_cast<unsigned long long>(sequences), seconds);
  for (auto& [call, replies] : g_outcomes) {
    printf("  %-12s", call.c_str());
    for (auto& [reply, n] : replies)
      printf(" %s: %llu;", reply.c_str(), static_cast<unsigned long long>(n));
    printf("\n");
  }
  CHECK(executed >= want);
}

}  // namespace
}  // namespace hmk::refine
