// A memory backend for host tests, and the shim's services as the host tests give them (no kernel,
// no threads): fixed random bytes, TLS accepted, waiting interrupted at once, no registers and no
// FPU, time standing still, no processes. A test changes the members it needs and returns its
// copy from shim_services().
#pragma once

#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "linuxcompat/address_space.h"
#include "linuxcompat/alloc.h"
#include "linuxcompat/task.h"

namespace hmk::lx {

// Memory objects in host memory, each page an allocation of its own (as the kernel's frames are
// not contiguous in the direct map), so that code reaching past the end of a page it got from
// page() instead of asking for the next is caught (ASan, or bytes that go missing). Every
// HostBackend reaches every object, as every backend of the shim does (a process's backend
// reaches a shared file's object, which the files' backend made); the process's mappings are
// not kept (nothing runs in it).
class HostBackend final : public MemoryBackend {
 public:
  using Page = std::array<uint8_t, kPageSize>;

  // A new object counts as an allocation for fault injection (arm_faults): an injected fault
  // is the kernel out of memory.
  Status create(uint64_t pages, bool, MemoryObject* object) override {
    if (fault_injected()) return Status::kOutOfMemory;
    *object = {store().next++, pages};
    auto& frames = store().objects[object->handle];
    for (uint64_t i = 0; i < pages; ++i)
      frames.push_back(std::make_unique<Page>(Page{}));
    return Status::kOk;
  }
  Status clone(const MemoryObject& source, MemoryObject* copy) override {
    TRY(create(source.pages, false, copy));  // one allocation
    for (uint64_t i = 0; i < source.pages; ++i)
      *store().objects[copy->handle][i] = *store().objects[source.handle][i];
    return Status::kOk;
  }
  uint8_t* page(MemoryObject& object, uint64_t index, PageAccess access) override {
    if (index >= object.pages || (access == PageAccess::kWrite && !object.writable)) return nullptr;
    return store().objects.at(object.handle).at(index)->data();
  }
  Status set_writable(MemoryObject&, bool) override { return Status::kOk; }
  void destroy(MemoryObject& object) override { store().objects.erase(object.handle); }
  Status map(abi::Handle, uint64_t, uint64_t, uint64_t, uint32_t) override { return Status::kOk; }
  Status unmap(uint64_t, uint64_t) override { return Status::kOk; }

 private:
  struct Store {
    abi::Handle next = 100;
    std::map<abi::Handle, std::vector<std::unique_ptr<Page>>> objects;
  };
  static Store& store() {
    static Store the_store;
    return the_store;
  }
};

// A cpio newc archive, as tools/bench/newc.py writes one.
class Newc {
 public:
  Newc& add(const std::string& name, uint32_t mode, const std::string& data = "") {
    char header[111];
    std::snprintf(header, sizeof(header),
                  "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino_++, mode, 0, 0,
                  1, 0, static_cast<unsigned>(data.size()), 0, 0, 0, 0,
                  static_cast<unsigned>(name.size() + 1), 0);
    bytes_.insert(bytes_.end(), header, header + 110);
    bytes_.insert(bytes_.end(), name.begin(), name.end());
    bytes_.push_back(0);
    pad();
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    pad();
    return *this;
  }
  std::vector<uint8_t> finish() {
    add("TRAILER!!!", 0);
    return bytes_;
  }

 private:
  void pad() {
    while (bytes_.size() % 4 != 0)
      bytes_.push_back(0);
  }
  std::vector<uint8_t> bytes_;
  uint32_t ino_ = 1;
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

// The process a test's /proc sees (a test's fixture sets it while it lives), and
// host_test_services() with /proc seeing it: for any pid up to its own.
inline Process* g_test_process = nullptr;
inline ShimServices host_test_services_seeing_test_process() {
  ShimServices s = host_test_services();
  s.process_from = [](int32_t pid) -> Process* {
    return g_test_process != nullptr && pid <= g_test_process->pid ? g_test_process : nullptr;
  };
  return s;
}

}  // namespace hmk::lx
