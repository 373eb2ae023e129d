// The part of the service environment (svc/lib/service.h) that every placement of services inside
// the kernel shares: the kernel domain (domain.cc) and the services beside the Linux shim in the
// kernel (linuxcompat/ic0_services.cc). Nothing may block in the kernel, so there is no event to
// wait on; the kernel runs one entry at a time and takes no interrupt there, so the domain lock
// is free; the log is the kernel console; and services inside the kernel reach each other by
// direct calls (local channels), never through a channel's IPC. The capabilities a call to the
// kernel domain brings are handles in the domain's own space (core/kernel_service.h), which
// drop_cap deletes there. Each placement adds its own Env::lookup and extents.
#include <stdarg.h>

#include "core/console.h"
#include "svc/lib/service.h"
#include "svc/lib/syscall.h"

namespace hmk::svc {

rpc::Status Event::init() {
  notification_ = 0;  // nothing to wait on in the kernel
  return rpc::Status::kUnsupported;
}

rpc::Status Event::wait() {
  return rpc::Status::kUnsupported;  // a kernel service never blocks
}

void Event::signal() {}

DomainLock::DomainLock() {}

DomainLock::~DomainLock() {}

void log(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vkprint(fmt, ap);
  va_end(ap);
}

}  // namespace hmk::svc

namespace hmk::rpc {

Status Channel::call(Message&) const {
  return Status::kNoService;
}

// A capability the domain received and gives up: deleted in the domain's space through its
// proxy (//svc/kernel:rt). Nothing to report: a handle already gone is gone.
void drop_cap(uint32_t handle) {
  (void)rt::cap_delete(handle);
}

}  // namespace hmk::rpc
