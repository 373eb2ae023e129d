// A host implementation of the service environment (service.h), for unit tests of services
// (svc/ramfs, svc/vfs): extents from the C heap with their count and a switch that makes
// allocations fail, the log captured in a string, Env::lookup answering from a table the test
// fills, and a loopback transport that carries a call the way the kernel does (whole words) into
// a server's generated dispatcher. Test-only: it links the C++ library.
#pragma once

#include <stdint.h>

#include <string>

#include "svc/lib/rpc.h"
#include "svc/lib/service.h"

namespace hmk::svc::test {

// Forgets the services, the log, the loopback endpoints, the failure switch and the extent
// count (a test checks live_extents() itself before it ends).
void reset();

// Extents allocated and not freed since reset().
uint64_t live_extents();
// After `n` more successful allocations, alloc_extent fails with kNoSpace (n < 0: never).
void fail_extents_after(int64_t n);

// Everything svc::log printed since reset().
const std::string& log_text();

// What Env::lookup(name, ...) returns from now on; unknown names get a kNone channel.
void provide(const char* name, rpc::Channel channel);

// An ipc channel whose calls are dispatched into `server` by `dispatch` with `badge`, the message
// padded to whole words on the way in and out, as the kernel's transport does.
rpc::Channel loopback(void* server, rpc::DispatchFn dispatch, uint64_t interface_id,
                      uint64_t badge = 0);
// Calls made through loopback channels since reset().
uint64_t loopback_calls();

// The core as a test plays it for a service's calls on address spaces (service.h: space_map,
// space_unmap, space_resolve_fault) and for the capabilities a service gives back
// (rpc::drop_cap). Without one (use_kernel(nullptr), and after reset()) those calls answer
// kUnsupported and a drop is logged as a test bug.
class FakeKernel {
 public:
  virtual Status map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page,
                     uint64_t pages, uint32_t rights) = 0;
  virtual Status unmap(uint32_t space, uint64_t vaddr, uint64_t pages) = 0;
  virtual Status resolve_fault(uint32_t space, uint64_t address, uint32_t access) = 0;
  virtual void drop(uint32_t handle) = 0;

 protected:
  ~FakeKernel() = default;
};
void use_kernel(FakeKernel* kernel);

}  // namespace hmk::svc::test
