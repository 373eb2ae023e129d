// Irq objects: one per interrupt line, forwarding to a notification.
#include "core/irq.h"

#include "core/arch.h"
#include "core/lib/placement_new.h"
#include "core/quota.h"
#include "core/slab.h"

namespace hmk {
namespace {
constinit Slab<Irq> g_slab("Irq");
Irq* g_owner[arch::kIrqLines] = {};
uint64_t g_signal_bits[arch::kIrqLines] = {};  // badge bits each line signals

// IrqControl has no state; one static instance, created on first use and never destroyed.
class IrqControl final : public KernelObject {
 public:
  IrqControl() : KernelObject(ObjectType::kIrqControl, nullptr, 0) { acquire(); }
};
alignas(IrqControl) char g_irq_control_storage[sizeof(IrqControl)];
IrqControl* g_irq_control = nullptr;
}  // namespace

KernelObject& irq_control() {
  if (g_irq_control == nullptr) g_irq_control = new (g_irq_control_storage) IrqControl();
  return *g_irq_control;
}

Result<Irq*> Irq::create(Quota& quota, uint32_t line) {
  if (line >= arch::kIrqLines || !arch::irq_line_available(line)) return Status::kOutOfRange;
  if (g_owner[line] != nullptr) return Status::kAlreadyExists;
  Irq* irq = TRY(create_charged(g_slab, quota, 0, line));
  g_owner[line] = irq;
  return irq;
}

void Irq::destroy() {
  arch::irq_mask(line_);
  g_owner[line_] = nullptr;
  if (bound_ != nullptr) {
    bound_->remove_irq_binding();
    bound_->release();
  }
  g_slab.destroy(this);
}

void Irq::bind(Notification* n, uint64_t bits) {
  n->acquire();
  n->add_irq_binding();
  if (bound_ != nullptr) {
    bound_->remove_irq_binding();
    bound_->release();
  }
  bound_ = n;
  g_signal_bits[line_] = bits;
  masked_ = false;
  arch::irq_unmask(line_);
}

Status Irq::ack() {
  if (bound_ == nullptr) return Status::kBusy;
  masked_ = false;
  arch::irq_unmask(line_);
  return Status::kOk;
}

void Irq::deliver(uint32_t line) {
  arch::irq_mask(line);
  Irq* irq = line < arch::kIrqLines ? g_owner[line] : nullptr;
  if (irq == nullptr || irq->bound_ == nullptr) return;
  irq->masked_ = true;
  irq->bound_->signal(g_signal_bits[line]);
}

}  // namespace hmk
