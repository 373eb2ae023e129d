// A memory backend for host tests, and the shim's services as the host tests give them (no kernel,
// no threads): fixed random bytes, TLS accepted, waiting interrupted at once, no registers and no
// FPU, time standing still, no processes. A test changes the members it needs and returns its
// copy from shim_services().
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "linuxcompat/address_space.h"
#include "linuxcompat/task.h"

namespace hmk::lx {

// Memory objects as host vectors; the process's mappings are not kept (nothing runs in it).
class HostBackend final : public MemoryBackend {
 public:
  Status create(uint64_t pages, bool, abi::Handle* memory) override {
    *memory = next_++;
    objects_[*memory] = std::make_unique<std::vector<uint8_t>>(pages * kPageSize);
    return Status::kOk;
  }
  Status clone(abi::Handle source, uint64_t pages, abi::Handle* memory) override {
    TRY(create(pages, false, memory));
    std::memcpy(objects_[*memory]->data(), objects_[source]->data(), pages * kPageSize);
    return Status::kOk;
  }
  Status map_mirror(abi::Handle memory, uint64_t, bool, uint8_t** mirror) override {
    *mirror = objects_[memory]->data();
    return Status::kOk;
  }
  void destroy(abi::Handle memory, uint8_t*, uint64_t) override { objects_.erase(memory); }
  Status set_mirror_writable(abi::Handle, uint8_t*, uint64_t, bool) override { return Status::kOk; }
  Status map(abi::Handle, uint64_t, uint64_t, uint64_t, uint32_t) override { return Status::kOk; }
  Status unmap(uint64_t, uint64_t) override { return Status::kOk; }

 private:
  abi::Handle next_ = 100;
  std::map<abi::Handle, std::unique_ptr<std::vector<uint8_t>>> objects_;
};

inline ShimServices host_test_services() {
  return {
      [](uint8_t* buffer, size_t length) { std::memset(buffer, 0x5a, length); },
      [](Task&, uint64_t, uint64_t) { return Status::kOk; },
      [](Task&, WaitQueue&) { return -kEINTR; },
      [](WaitQueue&) {},
      [](Task&, abi::UserRegisters*) { return Status::kUnsupported; },
      [](Task&, const abi::UserRegisters&) { return Status::kUnsupported; },
      [](Task&, abi::FpuState*) { return Status::kUnsupported; },
      [](Task&, const abi::FpuState&) { return Status::kUnsupported; },
      []() { return uint64_t{0}; },
      [](Task&, WaitQueue&, uint64_t) { return -kEINTR; },
      [](Task&, WaitQueue* const*, uint32_t, uint64_t) { return -kEINTR; },
      [](int32_t) -> Process* { return nullptr; },
  };
}

}  // namespace hmk::lx
