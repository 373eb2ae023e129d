// Quota accounts: every byte of kernel memory a process causes is charged to one, and creating
// past the limit fails with kQuotaExceeded.
#pragma once

#include <stdint.h>

#include "core/lib/status.h"
#include "core/list.h"
#include "core/slab.h"

namespace hmk {

// An account with a byte limit. A child account's whole limit is charged to its parent when it
// is created and returned when it dies, so budgets nest and can never be created from nothing.
// Accounts are reference counted: the address space that spends from it holds one reference,
// every object charged to it another, so an account outlives the process if its objects do.
class Quota {
 public:
  // A root account (the boot manifest's processes); no parent.
  static Result<Quota*> create_root(uint64_t limit);
  // A child account of `parent` with `limit` bytes, charged to `parent` (with the account's own
  // bookkeeping size).
  static Result<Quota*> create_child(Quota& parent, uint64_t limit);

  // Charges `bytes`; kQuotaExceeded (and nothing charged) if the limit would be passed.
  Status charge(uint64_t bytes);
  void uncharge(uint64_t bytes);

  void acquire() { ++refs_; }
  void release();  // the last reference returns the budget to the parent

  // Memory charged for something that is no kernel object: what a service in the kernel (IC0)
  // holds on a client's behalf (core/kernel_service.h). Each such charge also holds a reference,
  // so the account outlives its process while the service keeps the memory.
  Status charge_external(uint64_t bytes);
  void uncharge_external(uint64_t bytes);
  uint64_t external_bytes() const { return external_bytes_; }
  uint32_t external_charges() const { return external_charges_; }

  uint64_t limit() const { return limit_; }
  uint64_t used() const { return used_; }
  uint64_t available() const { return limit_ - used_; }
  Quota* parent() const { return parent_; }
  uint32_t refs() const { return refs_; }

  // What a child account costs its parent beyond its limit.
  static uint64_t bookkeeping_bytes();

  ListNode registry_node;  // every live account, for the invariant checker

 private:
  template <typename T>
  friend class Slab;
  Quota(Quota* parent, uint64_t limit) : limit_(limit), parent_(parent) {}

  uint64_t limit_;
  uint64_t used_ = 0;
  uint64_t external_bytes_ = 0;
  uint32_t external_charges_ = 0;
  Quota* parent_;
  uint32_t refs_ = 1;
};

using QuotaRegistry = List<Quota, &Quota::registry_node>;
const QuotaRegistry& live_quotas();

// The one way to make a kernel object charged to `quota`, in two steps: charge_block charges
// T's slab block plus `extra` bytes (what the object accounts for beyond its block, e.g. its
// frames) and returns the charge; construct_charged constructs T(quota, charge, args...) in a
// fresh block, which records the charge and gives it back when it dies, and uncharges it if
// there is no block. create_charged does both. The quota is charged before anything is taken
// (an object that needs more, like a Space's page-table root, takes it between the steps), and
// on failure nothing stays charged or allocated.
template <typename T>
Result<uint64_t> charge_block(const Slab<T>& slab, Quota& quota, uint64_t extra) {
  uint64_t charge;
  if (__builtin_add_overflow(slab.cache().object_size(), extra, &charge)) {
    return Status::kQuotaExceeded;
  }
  TRY(quota.charge(charge));
  return charge;
}

template <typename T, typename... Args>
Result<T*> construct_charged(Slab<T>& slab, Quota& quota, uint64_t charge, Args&&... args) {
  Result<T*> made = slab.create(quota, charge, forward<Args>(args)...);
  if (!made.ok()) quota.uncharge(charge);
  return made;
}

template <typename T, typename... Args>
Result<T*> create_charged(Slab<T>& slab, Quota& quota, uint64_t extra, Args&&... args) {
  const uint64_t charge = TRY(charge_block(slab, quota, extra));
  return construct_charged(slab, quota, charge, forward<Args>(args)...);
}

}  // namespace hmk
