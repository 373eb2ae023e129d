// service.h's calls on other address spaces, for services inside the kernel (the kernel domain,
// and the services beside the Linux shim in IC0): the runtime's system call wrappers, which go
// through the domain's proxy here (//svc/kernel:rt, kernel_domain_syscall), on the handles in
// the domain space's table, with the same checks as a process's system calls.
#include "svc/lib/service.h"
#include "svc/lib/syscall.h"

namespace hmk::svc {

Status space_map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page,
                 uint64_t pages, uint32_t rights) {
  return rt::map(space, memory, vaddr, first_page, pages, rights);
}

Status space_unmap(uint32_t space, uint64_t vaddr, uint64_t pages) {
  return rt::unmap(space, vaddr, pages);
}

Status space_resolve_fault(uint32_t space, uint64_t address, uint32_t access) {
  return rt::space_resolve_fault(space, address, access);
}

}  // namespace hmk::svc
