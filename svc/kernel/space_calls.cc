// service.h's calls on other address spaces, for services inside the kernel (the kernel domain,
// and the services beside the Linux shim in IC0): the core's calls made through the domain
// space (kernel_domain_syscall), on the handles in its table, with the same checks as a
// process's system calls.
#include "core/abi/syscall.h"
#include "core/kernel_service.h"
#include "svc/lib/service.h"

namespace hmk::svc {
namespace {

Status domain_call(abi::Syscall number, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3 = 0,
                   uint64_t a4 = 0, uint64_t a5 = 0) {
  const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
  return kernel_domain_syscall(static_cast<uint64_t>(number), args).status;
}

}  // namespace

Status space_map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page,
                 uint64_t pages, uint32_t rights) {
  return domain_call(abi::Syscall::kMap, space, memory, vaddr, first_page, pages, rights);
}

Status space_unmap(uint32_t space, uint64_t vaddr, uint64_t pages) {
  return domain_call(abi::Syscall::kUnmap, space, vaddr, pages);
}

Status space_resolve_fault(uint32_t space, uint64_t address, uint32_t access) {
  return domain_call(abi::Syscall::kSpaceResolveFault, space, address, access);
}

}  // namespace hmk::svc
