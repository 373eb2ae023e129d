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

}  // namespace hmk::svc::test
