// service.h's calls on other address spaces, from a user process: the core's system calls on
// the handles in the process's own table.
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
