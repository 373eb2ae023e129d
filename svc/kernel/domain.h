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

// Pages the kernel's services may hold at once for their data (16 MiB), like a user
// domain's default quota.
inline constexpr uint64_t kKernelServicePages = 4096;

}  // namespace hmk::svc
