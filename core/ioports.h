// I/O port ranges as objects: the authority for a user-space driver to use the x86 port
// instructions on exactly the ports of its device (e.g. a 16550 UART at 0x3f8..0x3ff). The
// kernel does each access on the caller's behalf (io_port_in/io_port_out), so no port reaches
// user space except through a capability. Only the boot manifest creates them (core/init.cc);
// capabilities may be derived with fewer rights like any other.
#pragma once

#include <stdint.h>

#include "core/lib/status.h"
#include "core/object.h"

namespace hmk {

class IoPorts final : public KernelObject {
 public:
  // Whether [base, base + count) is a non-empty range of the 16-bit port space.
  static constexpr bool valid_range(uint64_t base, uint64_t count) {
    return count >= 1 && base < abi::kIoPortSpace && count <= abi::kIoPortSpace - base;
  }
  // The access widths the port instructions have: 1, 2 or 4 bytes.
  static constexpr bool valid_width(uint64_t width) {
    return width == 1 || width == 2 || width == 4;
  }

  // kInvalidArgument unless valid_range(base, count); kQuotaExceeded as usual.
  static Result<IoPorts*> create(Quota& quota, uint32_t base, uint32_t count);
  void destroy();

  uint32_t base() const { return base_; }
  uint32_t count() const { return count_; }
  // Whether a `width`-byte access at `port` touches only ports of this range. Written without
  // additions so that no argument can overflow into a false yes.
  bool covers(uint64_t port, uint64_t width) const {
    return port >= base_ && port - base_ < count_ && width <= count_ - (port - base_);
  }

 private:
  template <typename T>
  friend class Slab;
  IoPorts(Quota& quota, uint64_t charged, uint32_t base, uint32_t count)
      : KernelObject(ObjectType::kIoPorts, &quota, charged), base_(base), count_(count) {}

  uint32_t base_;
  uint32_t count_;
};

}  // namespace hmk
