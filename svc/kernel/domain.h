// The kernel domain: services linked into the kernel image (isolation class IC0), the kernel
// transport's side in the kernel. Kernel code: it lives beside the user runtime (svc/lib), not in
// it, and the core knows no service (core/kernel_service.h carries words).
//
// hmk_image generates, for a profile with `kernel = [...]`, a table of the services and
//     extern "C" const hmk::KernelDomain* hmk_kernel_domain() {
//       return hmk::svc::kernel_domain_of(kSlots, N);
//     }
// which the core finds (core/kernel_service.h). Calls arrive on the caller's thread inside the
// kernel; the service code is the same as in a user domain, with the service environment
// (service.h) implemented here: lookups find only the other kernel services, memory comes from
// the kernel's frames, and nothing may block (Event and Env::spawn are unsupported, so a
// blocking service or a driver cannot be placed here).
#pragma once

#include "core/kernel_service.h"
#include "svc/lib/service.h"

namespace hmk::svc {

const KernelDomain* kernel_domain_of(const ServiceSlot* slots, uint32_t count);

// Pages the kernel's services may hold at once for their data (80 MiB): ramfs's whole table of
// extents (64 MiB, svc/ramfs) and room for others. Each page is charged to a client's quota
// first; this is only the backstop for the kernel's frames.
inline constexpr uint64_t kKernelServicePages = 20480;

}  // namespace hmk::svc
