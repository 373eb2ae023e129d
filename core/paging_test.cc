// Kernel paging on the hosted port: lazy (demand-zero) memory objects, memory_clone's
// copy-on-write sharing, the faults that resolve them without leaving the kernel, and the
// kernel's own copies (copy_in/copy_out) faulting pages in. The harness checks the invariants
// after every step and for leaks (frames, objects) at the end of each test.
#include <catch2/catch.hpp>

#include "core/ipc.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using arch::kRdi;

constexpr uint64_t kR = abi::kRightRead;
constexpr uint64_t kRW = abi::kRightRead | abi::kRightWrite;
constexpr uint64_t kRX = abi::kRightRead | abi::kRightExecute;
constexpr uint64_t kBase = 0x20'0000;
constexpr uint64_t kOther = 0x60'0000;

Handle out_handle(Thread* t) {
  return static_cast<Handle>(t->regs()[kRdi]);
}

MemoryObject& memory_of(Harness& h, Space* s, Handle handle) {
  return *static_cast<MemoryObject*>(h.cap(s, handle)->object);
}

Handle create(Harness& h, Thread* t, uint64_t pages, uint64_t flags) {
  REQUIRE(h.syscall(t, Syscall::kMemoryCreate, {pages, flags}) == Status::kOk);
  return out_handle(t);
}

bool mapped(Space* s, uint64_t vaddr) {
  return arch::translate_user(s->address_space(), vaddr, kPageRead).ok();
}

bool writable(Space* s, uint64_t vaddr) {
  return arch::translate_user(s->address_space(), vaddr, kPageWrite).ok();
}

TEST_CASE("a lazy memory object gets its frames on first touch, zeroed") {
  Harness h;
  auto p = h.spawn("p");
  Space* s = p.space;
  Thread* t = p.thread;
  REQUIRE(s->caps().ensure_free(4, s->own_quota()) == Status::kOk);
  create(h, t, 1, abi::kMemoryLazy);  // the slab has room for the next one now
  size_t frames_before = kernel_frames().free_count();
  const uint64_t used_before = s->own_quota().used();
  const Handle mem = create(h, t, 8, abi::kMemoryLazy);
  // Charged in full, but only the index (one frame) is taken.
  CHECK(s->own_quota().used() - used_before >= 8 * kPageSize);
  CHECK(frames_before - kernel_frames().free_count() == 1);
  MemoryObject& m = memory_of(h, s, mem);
  CHECK(m.lazy());
  for (uint64_t i = 0; i < 8; ++i)
    CHECK(m.frame(i) == 0);

  REQUIRE(h.syscall(t, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 8, kRW}) == Status::kOk);
  CHECK_FALSE(mapped(s, kBase));  // nothing in the page tables yet

  // A read fault: a zeroed frame, mapped writable (nobody shares it).
  REQUIRE(h.page_fault(t, kBase + 3 * kPageSize + 17, FaultAccess::kRead));
  REQUIRE(m.frame(3) != 0);
  uint8_t* page = h.user_memory(s, kBase + 3 * kPageSize, kPageWrite);
  REQUIRE(page == ram() + m.frame(3));
  for (uint64_t b = 0; b < kPageSize; ++b)
    REQUIRE(page[b] == 0);  // fake RAM starts out as 0xa5 garbage
  CHECK(m.frame(2) == 0);
  CHECK_FALSE(mapped(s, kBase + 2 * kPageSize));

  // A write fault on another page takes one frame (the page tables are there now).
  frames_before = kernel_frames().free_count();
  REQUIRE(h.page_fault(t, kBase, FaultAccess::kWrite));
  CHECK(writable(s, kBase));
  CHECK(frames_before - kernel_frames().free_count() == 1);
  // Touching a mapped page again changes nothing.
  REQUIRE(h.page_fault(t, kBase, FaultAccess::kWrite));
  CHECK(frames_before - kernel_frames().free_count() == 1);

  // A second mapping of the object sees the same frames; a touched page maps at once.
  REQUIRE(h.syscall(t, Syscall::kMap, {abi::kSelfSpace, mem, kOther, 0, 8, kR}) == Status::kOk);
  CHECK(mapped(s, kOther));
  CHECK_FALSE(mapped(s, kOther + kPageSize));
  REQUIRE(h.page_fault(t, kOther + kPageSize, FaultAccess::kRead));
  CHECK(h.user_memory(s, kOther + kPageSize) == ram() + m.frame(1));
  CHECK_FALSE(mapped(s, kBase + kPageSize));  // each mapping faults in on its own
  h.finish();  // every frame back, the lazily allocated ones included
}

TEST_CASE("faults kernel paging does not resolve end the process") {
  Harness h;
  SECTION("outside every mapping") {
    auto p = h.spawn("p");
    create(h, p.thread, 1, abi::kMemoryLazy);
    REQUIRE_FALSE(h.page_fault(p.thread, kBase, FaultAccess::kRead));
    CHECK_FALSE(p.space->alive());
  }
  SECTION("a write to a read-only mapping") {
    auto p = h.spawn("p");
    const Handle mem = create(h, p.thread, 1, abi::kMemoryLazy);
    REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 1, kR}) ==
            Status::kOk);
    REQUIRE(h.page_fault(p.thread, kBase, FaultAccess::kRead));  // reading is fine
    REQUIRE_FALSE(h.page_fault(p.thread, kBase, FaultAccess::kWrite));
    CHECK_FALSE(p.space->alive());
  }
  SECTION("an instruction fetch from a mapping without execute") {
    auto p = h.spawn("p");
    const Handle mem = create(h, p.thread, 1, abi::kMemoryLazy);
    REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 1, kRW}) ==
            Status::kOk);
    REQUIRE_FALSE(h.page_fault(p.thread, kBase, FaultAccess::kExecute));
    CHECK_FALSE(p.space->alive());
  }
  SECTION("an instruction fetch from an executable mapping is resolved") {
    auto p = h.spawn("p");
    const Handle mem = create(h, p.thread, 1, abi::kMemoryLazy);
    REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 1, kRX}) ==
            Status::kOk);
    REQUIRE(h.page_fault(p.thread, kBase, FaultAccess::kExecute));
    CHECK(mapped(p.space, kBase));
    CHECK_FALSE(writable(p.space, kBase));
  }
  h.finish();
}

TEST_CASE("memory_create refuses unknown flags") {
  Harness h;
  auto p = h.spawn("p");
  CHECK(h.syscall(p.thread, Syscall::kMemoryCreate, {1, 2}) == Status::kInvalidArgument);
  CHECK(h.syscall(p.thread, Syscall::kMemoryCreate, {1, ~uint64_t{0}}) == Status::kInvalidArgument);
  CHECK(h.syscall(p.thread, Syscall::kMemoryCreate, {0, abi::kMemoryLazy}) ==
        Status::kInvalidArgument);
  CHECK(h.syscall(p.thread, Syscall::kMemoryCreate, {abi::kMaxMemoryPages + 1, abi::kMemoryLazy}) ==
        Status::kInvalidArgument);
  h.finish();
}

// A process with `pages` pages of memory mapped writable at kBase (as Linux process memory),
// the same memory mapped read-only at kOther in a second process (as the shim's mirror), and
// page i's first byte set to i + 1 through the kernel's view.
struct Shared {
  Shared(Harness& h, uint64_t pages, uint64_t flags)
      : proc(h.spawn("proc")), shim(h.spawn("shim")) {
    mem = create(h, shim.thread, pages, flags);
    proc_mem = h.grant(shim.space, mem, proc.space, kRW);
    REQUIRE(h.syscall(proc.thread, Syscall::kMap,
                      {abi::kSelfSpace, proc_mem, kBase, 0, pages, kRW}) == Status::kOk);
    REQUIRE(h.syscall(shim.thread, Syscall::kMap, {abi::kSelfSpace, mem, kOther, 0, pages, kRW}) ==
            Status::kOk);
    for (uint64_t i = 0; i < pages; ++i) {
      REQUIRE(h.page_fault(proc.thread, kBase + i * kPageSize, FaultAccess::kWrite));
      h.user_memory(proc.space, kBase + i * kPageSize, kPageWrite)[0] = static_cast<uint8_t>(i + 1);
      REQUIRE(h.page_fault(shim.thread, kOther + i * kPageSize, FaultAccess::kRead));
    }
  }
  Harness::Process proc;
  Harness::Process shim;
  Handle mem = 0;       // in shim's table
  Handle proc_mem = 0;  // in proc's
};

uint8_t first_byte(Harness& h, Space* s, uint64_t vaddr) {
  uint8_t* page = h.user_memory(s, vaddr, kPageRead);
  REQUIRE(page != nullptr);
  return page[0];
}

TEST_CASE("memory_clone shares frames copy-on-write; a write copies, every mapping follows") {
  Harness h;
  const uint64_t flags = GENERATE(uint64_t{0}, abi::kMemoryLazy);
  INFO("source flags " << flags);
  Shared w(h, 4, flags);
  MemoryObject& source = memory_of(h, w.shim.space, w.mem);
  const size_t frames_before = kernel_frames().free_count();
  REQUIRE(h.syscall(w.shim.thread, Syscall::kMemoryClone, {w.mem}) == Status::kOk);
  const Handle clone_handle = out_handle(w.shim.thread);
  MemoryObject& clone = memory_of(h, w.shim.space, clone_handle);
  // No page copied: only the clone's index.
  CHECK(frames_before - kernel_frames().free_count() == 1);
  for (uint64_t i = 0; i < 4; ++i) {
    CHECK(clone.frame(i) == source.frame(i));
    CHECK(frame_holders(source.frame(i)) == 2);
    // Every writable mapping of the source is read-only now, and still mapped.
    CHECK(mapped(w.proc.space, kBase + i * kPageSize));
    CHECK_FALSE(writable(w.proc.space, kBase + i * kPageSize));
    CHECK_FALSE(writable(w.shim.space, kOther + i * kPageSize));
  }
  // The clone mapped in a third place reads the same bytes, read-only for now.
  constexpr uint64_t kClone = 0xa0'0000;
  REQUIRE(h.syscall(w.shim.thread, Syscall::kMap,
                    {abi::kSelfSpace, clone_handle, kClone, 0, 4, kRW}) == Status::kOk);
  CHECK(first_byte(h, w.shim.space, kClone + 2 * kPageSize) == 3);
  CHECK_FALSE(writable(w.shim.space, kClone + 2 * kPageSize));

  // The process writes page 1: it gets its own copy, and the shim's mirror of the same object
  // follows it; the clone keeps the old frame and bytes.
  const PhysAddr old_frame = source.frame(1);
  REQUIRE(h.page_fault(w.proc.thread, kBase + kPageSize + 5, FaultAccess::kWrite));
  CHECK(source.frame(1) != old_frame);
  CHECK(clone.frame(1) == old_frame);
  CHECK(frame_holders(old_frame) == 1);
  CHECK(writable(w.proc.space, kBase + kPageSize));
  CHECK(writable(w.shim.space, kOther + kPageSize));  // the mirror follows, with its rights
  h.user_memory(w.proc.space, kBase + kPageSize, kPageWrite)[0] = 42;
  CHECK(first_byte(h, w.shim.space, kOther + kPageSize) == 42);
  CHECK(first_byte(h, w.shim.space, kClone + kPageSize) == 2);
  // Now the clone is the frame's only holder: its write fault takes it without a copy.
  REQUIRE(h.page_fault(w.shim.thread, kClone + kPageSize, FaultAccess::kWrite));
  CHECK(clone.frame(1) == old_frame);
  CHECK(writable(w.shim.space, kClone + kPageSize));

  // The clone writes page 2 first: it copies; the source's pages stay as they were.
  REQUIRE(h.page_fault(w.shim.thread, kClone + 2 * kPageSize, FaultAccess::kWrite));
  h.user_memory(w.shim.space, kClone + 2 * kPageSize, kPageWrite)[0] = 99;
  CHECK(first_byte(h, w.proc.space, kBase + 2 * kPageSize) == 3);
  CHECK(first_byte(h, w.shim.space, kOther + 2 * kPageSize) == 3);
  // The source's own write fault on page 2 then finds itself the only holder.
  const PhysAddr source_frame = source.frame(2);
  REQUIRE(h.page_fault(w.proc.thread, kBase + 2 * kPageSize, FaultAccess::kWrite));
  CHECK(source.frame(2) == source_frame);
  CHECK(writable(w.proc.space, kBase + 2 * kPageSize));

  // Deleting the source while the clone still shares pages 0 and 3 frees only what is its own.
  REQUIRE(h.syscall(w.shim.thread, Syscall::kUnmap, {abi::kSelfSpace, kOther, 4}) == Status::kOk);
  REQUIRE(h.syscall(w.proc.thread, Syscall::kUnmap, {abi::kSelfSpace, kBase, 4}) == Status::kOk);
  REQUIRE(h.syscall(w.proc.thread, Syscall::kCapDelete, {w.proc_mem}) == Status::kOk);
  REQUIRE(h.syscall(w.shim.thread, Syscall::kCapRevoke, {w.mem}) == Status::kOk);
  REQUIRE(h.syscall(w.shim.thread, Syscall::kCapDelete, {w.mem}) == Status::kOk);
  reap_objects();
  CHECK(first_byte(h, w.shim.space, kClone) == 1);
  CHECK(first_byte(h, w.shim.space, kClone + 3 * kPageSize) == 4);
  CHECK(frame_holders(clone.frame(0)) == 1);
  h.finish();  // and at the end every frame is back, shared ones exactly once
}

TEST_CASE("memory_clone of untouched lazy pages leaves them untouched in both") {
  Harness h;
  auto p = h.spawn("p");
  const Handle mem = create(h, p.thread, 3, abi::kMemoryLazy);
  REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 3, kRW}) ==
          Status::kOk);
  REQUIRE(h.page_fault(p.thread, kBase + kPageSize, FaultAccess::kWrite));
  REQUIRE(h.syscall(p.thread, Syscall::kMemoryClone, {mem}) == Status::kOk);
  MemoryObject& clone = memory_of(h, p.space, out_handle(p.thread));
  CHECK(clone.frame(0) == 0);
  CHECK(clone.frame(1) != 0);
  CHECK(clone.frame(2) == 0);
  // The source's untouched page is still zero-filled on demand, writable at once.
  REQUIRE(h.page_fault(p.thread, kBase, FaultAccess::kWrite));
  CHECK(writable(p.space, kBase));
  CHECK(clone.frame(0) == 0);
  h.finish();
}

TEST_CASE("memory_clone checks its capability") {
  Harness h;
  auto p = h.spawn("p");
  const Handle mem = create(h, p.thread, 1, 0);
  REQUIRE(h.syscall(p.thread, Syscall::kCapDerive, {mem, abi::kRightWrite}) == Status::kOk);
  const Handle write_only = out_handle(p.thread);
  CHECK(h.syscall(p.thread, Syscall::kMemoryClone, {write_only}) == Status::kPermissionDenied);
  CHECK(h.syscall(p.thread, Syscall::kMemoryClone, {abi::kSelfThread}) ==
        Status::kInvalidCapability);
  CHECK(h.syscall(p.thread, Syscall::kMemoryClone, {0x7777}) == Status::kInvalidCapability);
  h.finish();
}

TEST_CASE("memory_clone out of quota fails at once and leaves nothing") {
  Harness h;
  auto p = h.spawn("p", abi::kDefaultPriority, 1 << 20);
  // 160 lazy pages are charged in full (640 KiB): a clone of them cannot be.
  const Handle mem = create(h, p.thread, 160, abi::kMemoryLazy);
  REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 160, kRW}) ==
          Status::kOk);
  REQUIRE(h.page_fault(p.thread, kBase, FaultAccess::kWrite));
  const uint64_t used = p.space->own_quota().used();
  h.set_auto_restart(false);
  CHECK(h.syscall(p.thread, Syscall::kMemoryClone, {mem}) == Status::kQuotaExceeded);
  CHECK_FALSE(h.restart_pending(p.thread));
  CHECK(p.thread->pending_memory() == nullptr);
  CHECK(p.space->own_quota().used() == used);
  // The source is not shared with anything: still writable in place.
  CHECK(writable(p.space, kBase));
  CHECK(frame_holders(memory_of(h, p.space, mem).frame(0)) == 1);
  h.finish();
}

TEST_CASE("memory_clone shares in bounded steps, restarting in between") {
  Harness h;
  auto p = h.spawn("p", abi::kDefaultPriority, 64 << 20);
  constexpr uint64_t kPages = 2500;  // three steps of 1024
  const Handle mem = create(h, p.thread, kPages, abi::kMemoryLazy);
  REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, kPages, kRW}) ==
          Status::kOk);
  REQUIRE(h.page_fault(p.thread, kBase + 2000 * kPageSize, FaultAccess::kWrite));
  h.set_auto_restart(false);
  h.syscall(p.thread, Syscall::kMemoryClone, {mem});
  int steps = 1;
  while (h.restart_pending(p.thread)) {
    REQUIRE(p.thread->pending_memory() != nullptr);
    REQUIRE(p.thread->pending_memory()->clone_source() == &memory_of(h, p.space, mem));
    h.continue_restarted(p.thread);
    ++steps;
  }
  CHECK(steps == 3);
  REQUIRE(status_of(p.thread) == Status::kOk);
  MemoryObject& clone = memory_of(h, p.space, out_handle(p.thread));
  CHECK(clone.clone_source() == nullptr);
  CHECK(clone.frame(2000) == memory_of(h, p.space, mem).frame(2000));
  CHECK_FALSE(writable(p.space, kBase + 2000 * kPageSize));

  SECTION("a clone cut short by the end of its process leaks nothing") {
    h.syscall(p.thread, Syscall::kMemoryClone, {mem});
    REQUIRE(h.restart_pending(p.thread));
    Thread* killer = h.add_thread(p.space);
    h.syscall(killer, Syscall::kProcessExit, {0});
  }
  h.finish();
}

TEST_CASE("the kernel's own copies fault pages in: a lazy page, a shared one") {
  Harness h;
  auto p = h.spawn("p");
  Handle other_handle;
  h.add_thread(p.space, abi::kDefaultPriority, false, &other_handle);
  const Handle mem = create(h, p.thread, 2, abi::kMemoryLazy);
  REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 2, kRW}) ==
          Status::kOk);
  // thread_read_registers writes into a page never touched.
  REQUIRE(h.syscall(p.thread, Syscall::kThreadReadRegisters, {other_handle, kBase}) == Status::kOk);
  CHECK(writable(p.space, kBase));
  // And into a page shared with a clone: the process gets its own copy first.
  REQUIRE(h.syscall(p.thread, Syscall::kMemoryClone, {mem}) == Status::kOk);
  MemoryObject& clone = memory_of(h, p.space, out_handle(p.thread));
  const PhysAddr shared = clone.frame(0);
  REQUIRE(h.syscall(p.thread, Syscall::kThreadReadRegisters, {other_handle, kBase + 8}) ==
          Status::kOk);
  CHECK(memory_of(h, p.space, mem).frame(0) != shared);
  CHECK(clone.frame(0) == shared);
  h.finish();
}

TEST_CASE("an IPC buffer in lazy or copy-on-write memory is faulted in when the kernel needs it") {
  Harness h;
  auto p = h.spawn("p");
  const Handle mem = create(h, p.thread, 1, abi::kMemoryLazy);
  REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, mem, kBase, 0, 1, kRW}) ==
          Status::kOk);
  // Setting it faults the page in (it must be writable to be accepted).
  REQUIRE(h.syscall(p.thread, Syscall::kThreadSetIpcBuffer, {abi::kSelfThread, kBase}) ==
          Status::kOk);
  CHECK(writable(p.space, kBase));
  // Shared with a clone, it is read-only; the kernel's next use makes it the thread's own.
  REQUIRE(h.syscall(p.thread, Syscall::kMemoryClone, {mem}) == Status::kOk);
  CHECK_FALSE(writable(p.space, kBase));
  CHECK(ipc_buffer_of(p.thread) != nullptr);
  CHECK(writable(p.space, kBase));
  // Not writable in any mapping: refused.
  const Handle ro = create(h, p.thread, 1, abi::kMemoryLazy);
  REQUIRE(h.syscall(p.thread, Syscall::kMap, {abi::kSelfSpace, ro, kOther, 0, 1, kR}) ==
          Status::kOk);
  CHECK(h.syscall(p.thread, Syscall::kThreadSetIpcBuffer, {abi::kSelfThread, kOther}) ==
        Status::kBadAddress);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
