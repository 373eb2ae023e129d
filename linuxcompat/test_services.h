// The shim's services as the host tests give them (no kernel, no threads): fixed random bytes,
// TLS accepted, waiting interrupted at once, no registers, time standing still, no processes.
// A test changes the members it needs and returns its copy from shim_services().
#pragma once

#include <cstring>

#include "linuxcompat/task.h"

namespace hmk::lx {

inline ShimServices host_test_services() {
  return {
      [](uint8_t* buffer, size_t length) { std::memset(buffer, 0x5a, length); },
      [](Task&, uint64_t, uint64_t) { return Status::kOk; },
      [](Task&, WaitQueue&) { return -kEINTR; },
      [](WaitQueue&) {},
      [](Task&, abi::UserRegisters*) { return Status::kUnsupported; },
      [](Task&, const abi::UserRegisters&) { return Status::kUnsupported; },
      []() { return uint64_t{0}; },
      [](Task&, WaitQueue&, uint64_t) { return -kEINTR; },
      [](Task&, WaitQueue* const*, uint32_t, uint64_t) { return -kEINTR; },
      [](int32_t) -> Process* { return nullptr; },
  };
}

}  // namespace hmk::lx
