// What a process started from the boot manifest finds beyond its three initial handles: the
// capabilities its manifest line gives it and the bootstrap table that names them
// (abi/bootinfo.h), mapped read-only at abi::kBootInfoAddress. core/init.cc decides what to
// give (core/manifest.h); this file makes the objects and capabilities.
#pragma once

#include <stdint.h>

#include "core/abi/bootinfo.h"
#include "core/cap.h"
#include "core/lib/cpio.h"
#include "core/manifest.h"
#include "core/space.h"

namespace hmk {

// A service a process may use: the root capability of the endpoint of the domain that serves
// it (init keeps the roots in a space of its own), and the service's index in that domain.
struct ServiceGrant {
  StringView name;
  Capability* root;
  uint16_t index;
};

struct BootstrapPlan {
  const ManifestLine* line = nullptr;     // what the process is given
  uint32_t client_number = 0;             // >= 1: the high bits of the badges of its service caps
  Space* holder = nullptr;                // domain lines: where the endpoint's root capability goes
  ServiceGrant uses[kMaxServices] = {};   // the services of line->uses, in that order
  const CpioArchive* initrd = nullptr;    // what initrd=yes copies
  Capability* kernel_endpoint = nullptr;  // the kernel line: the kernel-served endpoint's root
};

// The rights a domain has on its own endpoint, and a client on a service's.
inline constexpr uint32_t kDomainEndpointRights =
    abi::kRightReceive | abi::kRightSend | abi::kRightGrant;
inline constexpr uint32_t kServiceRights = abi::kRightSend | abi::kRightGrant;

// The badge a client's capability to a service carries: who calls (the client's number in the
// boot) and for which of the domain's services.
constexpr uint64_t service_badge(uint32_t client_number, uint16_t index) {
  return static_cast<uint64_t>(client_number) << 16 | index;
}

// Gives `space` (built, not yet started) everything `plan` says, each charged to `space`'s own
// quota:
//  - the bootstrap table: one page mapped read-only at abi::kBootInfoAddress;
//  - for a domain line, a new endpoint whose root capability goes into plan.holder's table
//    (its handle there in *endpoint_root) and a kDomainEndpointRights child into `space`;
//  - for the kernel line (`space` is the kernel domain's), a kServiceRights child of
//    plan.kernel_endpoint, unbadged: the domain derives the badged capabilities it gives out
//    (a foreign thread's handler) from it;
//  - for each used service, a kServiceRights child of its root, badged
//    service_badge(client_number, index);
//  - an IoPorts object (Read|Write) for each ioports= range, an Irq object (Manage) for each
//    line of irqs=, and the IrqControl capability (Manage) for irq_control=yes.
// On failure prints "exec PROGRAM: ..." and returns the status; what was given stays in
// `space`'s table and mappings (ending the process frees it), the endpoint root is deleted.
Status install_bootstrap(Space& space, const BootstrapPlan& plan, Handle* endpoint_root);

// The endpoint of the kernel domain (`kernel serves=...`): answered by the kernel itself
// (core/kernel_service.h), charged to `holder`'s quota, its root capability (Send and Grant,
// as clients get: nobody receives on it) in `holder`'s table at *root.
Status create_kernel_endpoint(Space& holder, Handle* root);

}  // namespace hmk
