// Interrupt lines as objects: an Irq forwards its line to a notification and stays masked
// until user space acknowledges it. IrqControl is the authority to create Irq objects.
#pragma once

#include "core/notification.h"
#include "core/object.h"

namespace hmk {

class Irq final : public KernelObject {
 public:
  // kAlreadyExists if another Irq owns `line`; kOutOfRange if the platform has no such line.
  static Result<Irq*> create(Quota& quota, uint32_t line);
  void destroy();

  uint32_t line() const { return line_; }
  Notification* bound() const { return bound_; }
  // Binds (or rebinds) the line to `n`, signalling `bits` (the notification capability's
  // badge, or 1), and unmasks it.
  void bind(Notification* n, uint64_t bits);
  // Re-enables the line after user space has handled it.
  Status ack();

  // Called by the port's interrupt entry: masks the line and signals the bound notification.
  static void deliver(uint32_t line);

 private:
  template <typename T>
  friend class Slab;
  Irq(Quota& quota, uint64_t charged, uint32_t line)
      : KernelObject(ObjectType::kIrq, &quota, charged), line_(line) {}

  uint32_t line_;
  Notification* bound_ = nullptr;
  bool masked_ = true;
};

// The singleton IrqControl object (capabilities to it are the authority; it has no state).
KernelObject& irq_control();

}  // namespace hmk
