// The part of the service environment (svc/lib/service.h) that every placement of services inside
// the kernel shares: the kernel domain (domain.cc) and the services beside the Linux shim in the
// kernel (linuxcompat/ic0_services.cc). Nothing may block in the kernel, so there is no event to
// wait on; the kernel runs one entry at a time and takes no interrupt there, so the domain lock
// is free; the log is the kernel console; and services inside the kernel reach each other by
// direct calls (local channels), never through a channel's IPC, nor receive capabilities. Each
// placement adds its own Env::lookup and extents.
#include <stdarg.h>

#include "core/console.h"
#include "svc/lib/service.h"

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

void drop_cap(uint32_t) {}

}  // namespace hmk::rpc
