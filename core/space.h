// Spaces: an address space with its mappings, a capability table and a quota account; the
// kernel's notion of a process. Threads run in one space.
#pragma once

#include <stdint.h>

#include "core/arch.h"
#include "core/cap.h"
#include "core/lib/string.h"
#include "core/list.h"
#include "core/memory_object.h"
#include "core/object.h"
#include "core/thread.h"

namespace hmk {

class Quota;

class Space final : public KernelObject {
 public:
  ListNode child_node;     // parent's children_
  ListNode teardown_node;  // the teardown queue, while its resources are being given back

  // A new space: the Space object is charged to `creator` (may be the same account as `own`),
  // and `own` pays for its capability table, page tables and mappings. Takes a reference to
  // `own`.
  static Result<Space*> create(Quota& creator, Quota& own, StringView name);
  void destroy();

  using ThreadList = List<Thread, &Thread::space_node>;
  using MappingList = List<Mapping, &Mapping::node>;
  using SpaceList = List<Space, &Space::child_node>;

  CapTable& caps() { return caps_; }
  Quota& own_quota() const { return *own_quota_; }
  arch::AddressSpace& address_space() { return as_; }
  ThreadList& threads() { return threads_; }
  MappingList& mappings() { return mappings_; }
  SpaceList& children() { return children_; }
  Space* parent() const { return parent_; }
  StringView name() const { return name_; }
  bool alive() const { return alive_; }
  uint64_t own_bytes() const { return own_bytes_; }  // page tables and mappings, on own_quota
  // What one mapping record costs (part of own_bytes()).
  static uint64_t mapping_record_bytes();
  int64_t exit_code() const { return exit_code_; }

  // Makes `child` a child process: ending this space ends it too.
  void adopt(Space* child);

  // Maps pages [first_page, first_page + pages) of `memory` at `vaddr` with `rights`
  // (kRight{Read,Write,Execute}); `max_rights` bounds later protect calls. W^X holds across
  // mappings: kPermissionDenied if `memory` is mapped executable anywhere and `rights` are
  // writable, or the other way round (protect likewise). The pages whose frames are there go
  // into the page tables now (read-only while shared copy-on-write); a lazy object's untouched
  // pages come on their first fault (resolve_fault).
  Status map(MemoryObject& memory, uint64_t vaddr, uint64_t first_page, uint64_t pages,
             uint32_t rights, uint32_t max_rights);
  // Removes every mapping inside [vaddr, vaddr + pages pages); see abi kUnmap for errors.
  Status unmap(uint64_t vaddr, uint64_t pages);
  Status protect(uint64_t vaddr, uint64_t pages, uint32_t rights);

  // Kernel paging: a user access to `address` (`access`: kPageWrite for a write, kPageExecute
  // for an instruction fetch, 0 for a read) found no page, or a read-only one. If a mapping
  // covers the address with the rights the access needs, the page is put in: a lazy page is
  // allocated zeroed, a shared copy-on-write page written to is copied (make_private), and a
  // page whose frame is there is mapped. kOk means the access can be retried; kBadAddress that
  // no mapping allows it (the fault is the process's: its handler hears of it, or it ends);
  // kOutOfMemory or kQuotaExceeded that a frame or a page table could not be had.
  Status resolve_fault(uint64_t address, uint32_t access);
  // Whether the process's page faults go to its threads' foreign handlers instead
  // (space_set_pager's kPagerHandler: a user-level pager).
  bool user_pager() const { return user_pager_; }
  void set_user_pager(bool on) { user_pager_ = on; }
  // The kernel domain's space (core/kernel_service.h): no thread of it ever runs in user mode,
  // and the addresses its system calls pass (through the domain's proxy thread) are kernel
  // addresses, which copy_in and copy_out use as they are.
  bool kernel_addressed() const { return kernel_addressed_; }
  void set_kernel_addressed() { kernel_addressed_ = true; }

  // Copies between this process's memory and the kernel's, page by page through the direct
  // map: kBadAddress (nothing copied out to the kernel's buffer is used) unless every byte is
  // a user address mapped readable (copy_in) or writable (copy_out). Pages not yet in the page
  // tables are faulted in first (resolve_fault), as the process's own access would.
  Status copy_in(uint64_t address, void* buffer, size_t length);
  Status copy_out(uint64_t address, const void* buffer, size_t length);

  // Thread bookkeeping: a started thread counts as live until it dies.
  void thread_started() {
    ++live_threads_;
    ever_started_ = true;
  }
  uint32_t live_threads() const { return live_threads_; }
  void thread_died() { --live_threads_; }
  bool ever_started() const { return ever_started_; }
  void set_exit_code(int64_t code) { exit_code_ = code; }
  // A CPU exception ended (or is about to end) the process.
  void note_fault(uint64_t vector, uint64_t address) {
    faulted_ = true;
    fault_vector_ = vector;
    fault_address_ = address;
  }
  bool faulted() const { return faulted_; }
  uint64_t fault_vector() const { return fault_vector_; }
  uint64_t fault_address() const { return fault_address_; }

  // Ends the process and its child processes: their threads stop at once and they leave the
  // process tree; their mappings, capabilities and page tables are given back in bounded steps
  // (run_space_teardown), after which init hears of each. The Space object lives on (dead)
  // while capabilities to it remain, and at least until its teardown is done (the queue holds a
  // reference).
  void terminate(int64_t code);
  // Ended, with resources still to give back.
  bool tearing_down() const { return teardown_node.linked(); }
  // One step of this space's teardown, at most *budget units (pages unmapped, capabilities
  // deleted, children moved), taken off *budget; true when it is done.
  bool teardown_step(size_t* budget);

 private:
  template <typename T>
  friend class Slab;
  Space(Quota& creator, uint64_t charged, Quota& own, StringView name);
  Status check_protect_wx(uint64_t vaddr, uint64_t end, uint32_t rights);
  void unmap_mapping(Mapping* m);
  // Ends this one space (not its children; terminate() walks the tree): its threads, its place
  // in the tree, and into the teardown queue.
  void end_self(int64_t code);

  arch::AddressSpace as_{};
  CapTable caps_;
  Quota* own_quota_;
  ThreadList threads_;
  MappingList mappings_;
  SpaceList children_;
  Space* parent_ = nullptr;
  char name_buf_[48] = {};
  StringView name_;
  uint64_t own_bytes_ = 0;
  uint32_t live_threads_ = 0;
  bool ever_started_ = false;
  bool alive_ = true;
  bool user_pager_ = false;
  bool kernel_addressed_ = false;
  int64_t exit_code_ = 0;
  bool faulted_ = false;
  uint64_t fault_vector_ = 0;
  uint64_t fault_address_ = 0;
};

// Rights a mapping may have, as PageFlags for the port.
uint32_t page_flags_for_rights(uint32_t rights);

// Gives back what ended spaces still hold, oldest first, using up to *budget units of work (see
// Space::teardown_step; taken off *budget); true when nothing is left. Background work
// (object.h): a big process's end never keeps interrupts and other threads waiting long.
bool run_space_teardown(size_t* budget);

}  // namespace hmk
