// Quota accounts and their slab.
#include "core/quota.h"

namespace hmk {

namespace {
constinit Slab<Quota> g_slab("Quota");
constinit QuotaRegistry g_registry;
}  // namespace

const QuotaRegistry& live_quotas() {
  return g_registry;
}

uint64_t Quota::bookkeeping_bytes() {
  return g_slab.cache().object_size();
}

Result<Quota*> Quota::create_root(uint64_t limit) {
  Quota* q = TRY(g_slab.create(nullptr, limit));
  g_registry.push_back(q);
  return q;
}

Result<Quota*> Quota::create_child(Quota& parent, uint64_t limit) {
  uint64_t cost;
  if (__builtin_add_overflow(limit, bookkeeping_bytes(), &cost)) return Status::kQuotaExceeded;
  TRY(parent.charge(cost));
  Result<Quota*> q = g_slab.create(&parent, limit);
  if (!q.ok()) {
    parent.uncharge(cost);
    return q.status();
  }
  parent.acquire();
  g_registry.push_back(*q);
  return *q;
}
Status Quota::charge(uint64_t bytes) {
  if (bytes > limit_ - used_) return Status::kQuotaExceeded;
  used_ += bytes;
  return Status::kOk;
}

void Quota::uncharge(uint64_t bytes) {
  used_ -= bytes;
}

Status Quota::charge_external(uint64_t bytes) {
  TRY(charge(bytes));
  external_bytes_ += bytes;
  ++external_charges_;
  acquire();
  return Status::kOk;
}

void Quota::uncharge_external(uint64_t bytes) {
  uncharge(bytes);
  external_bytes_ -= bytes;
  --external_charges_;
  release();
}

void Quota::release() {
  if (--refs_ != 0) return;
  // Bounded: each step moves one level up the account tree, which is finite.
  Quota* q = this;
  // bound: one level up the finite account tree per round (above)
  while (q != nullptr && q->refs_ == 0) {
    Quota* parent = q->parent_;
    QuotaRegistry::remove(q);
    uint64_t cost = q->limit_ + bookkeeping_bytes();
    g_slab.destroy(q);
    if (parent == nullptr) break;
    parent->uncharge(cost);
    q = (--parent->refs_ == 0) ? parent : nullptr;
  }
}

}  // namespace hmk
