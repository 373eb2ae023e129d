// The host service environment of test_env.h.
#include "svc/lib/test_env.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <map>
#include <string>
#include <vector>

namespace hmk::svc {
namespace {

struct Loopback {
  void* server;
  rpc::DispatchFn dispatch;
  uint64_t badge;
};

struct State {
  uint64_t live_extents = 0;
  int64_t extents_left = -1;
  std::string log;
  std::map<std::string, rpc::Channel> services;
  std::vector<Loopback> loopbacks;
  uint64_t loopback_calls = 0;
  test::FakeKernel* kernel = nullptr;
};

State& state() {
  static State s;
  return s;
}

// Whole 8-byte words, the tail zero-padded: what the kernel's transport carries.
void pad(rpc::Message& msg) {
  while (msg.size % 8 != 0 && msg.size < rpc::kMaxBytes)
    msg.data[msg.size++] = 0;
}

constexpr uint32_t kFirstLoopbackHandle = 100;

}  // namespace

// ---- service.h ----

rpc::Channel Env::lookup(const char* service, uint64_t) const {
  auto it = state().services.find(service);
  return it == state().services.end() ? rpc::Channel() : it->second;
}

rpc::Status alloc_extent(uint64_t pages, Extent* out) {
  State& s = state();
  if (s.extents_left == 0) return rpc::Status::kNoSpace;
  void* base = calloc(pages, 4096);
  if (base == nullptr) return rpc::Status::kNoSpace;
  if (s.extents_left > 0) --s.extents_left;
  ++s.live_extents;
  out->base = static_cast<uint8_t*>(base);
  out->pages = pages;
  out->memory = 0;
  return rpc::Status::kOk;
}

void free_extent(Extent& extent) {
  if (extent.base == nullptr) return;
  free(extent.base);
  --state().live_extents;
  extent = Extent{};
}

void log(const char* fmt, ...) {
  char buffer[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buffer, sizeof(buffer), fmt, ap);
  va_end(ap);
  state().log += buffer;
}

// ---- test controls ----

namespace test {

void reset() {
  state() = State();
}

uint64_t live_extents() {
  return state().live_extents;
}

void fail_extents_after(int64_t n) {
  state().extents_left = n;
}

const std::string& log_text() {
  return state().log;
}

void provide(const char* name, rpc::Channel channel) {
  state().services[name] = channel;
}

rpc::Channel loopback(void* server, rpc::DispatchFn dispatch, uint64_t interface_id,
                      uint64_t badge) {
  state().loopbacks.push_back(Loopback{server, dispatch, badge});
  const auto handle = static_cast<uint32_t>(kFirstLoopbackHandle + state().loopbacks.size() - 1);
  return rpc::Channel::ipc(handle, interface_id);
}

uint64_t loopback_calls() {
  return state().loopback_calls;
}

}  // namespace test
}  // namespace hmk::svc

// The transport of this environment: loopback channels only.
hmk::rpc::Status hmk::rpc::Channel::call(Message& msg) const {
  if (kind() != Kind::kIpc) return Status::kNoService;
  auto& loopbacks = hmk::svc::state().loopbacks;
  const uint32_t index = handle() - hmk::svc::kFirstLoopbackHandle;
  if (handle() < hmk::svc::kFirstLoopbackHandle || index >= loopbacks.size())
    return Status::kNoService;
  ++hmk::svc::state().loopback_calls;
  const hmk::svc::Loopback& to = loopbacks[index];
  hmk::svc::pad(msg);
  msg.badge = to.badge;
  to.dispatch(to.server, msg, CallContext{to.badge});
  hmk::svc::pad(msg);
  return Status::kOk;
}

// Loopback messages carry handles unchanged: a service that gives one back hands it to the
// test's fake kernel; without one, no service under test should take any, and a drop is a test
// bug, reported through the log.
void hmk::rpc::drop_cap(uint32_t handle) {
  if (hmk::svc::state().kernel != nullptr) {
    hmk::svc::state().kernel->drop(handle);
    return;
  }
  hmk::svc::log("test_env: capability %u dropped\n", handle);
}

hmk::Status hmk::svc::space_map(uint32_t space, uint32_t memory, uint64_t vaddr,
                                uint64_t first_page, uint64_t pages, uint32_t rights) {
  test::FakeKernel* kernel = state().kernel;
  return kernel != nullptr ? kernel->map(space, memory, vaddr, first_page, pages, rights)
                           : Status::kUnsupported;
}

hmk::Status hmk::svc::space_unmap(uint32_t space, uint64_t vaddr, uint64_t pages) {
  test::FakeKernel* kernel = state().kernel;
  return kernel != nullptr ? kernel->unmap(space, vaddr, pages) : Status::kUnsupported;
}

hmk::Status hmk::svc::space_resolve_fault(uint32_t space, uint64_t address, uint32_t access) {
  test::FakeKernel* kernel = state().kernel;
  return kernel != nullptr ? kernel->resolve_fault(space, address, access) : Status::kUnsupported;
}

void hmk::svc::test::use_kernel(FakeKernel* kernel) {
  state().kernel = kernel;
}
