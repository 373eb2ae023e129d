// The part of Env (service.h) for environments that grant no devices and start no threads:
// the kernel domain (svc/kernel/domain.cc: nothing may block in the kernel) and the host test
// environment (test_env.cc). Services see "not granted" and kUnsupported, as a user domain
// without such manifest entries would tell them.
#include "svc/lib/service.h"

namespace hmk::svc {

uint32_t Env::io_ports(const char*, uint16_t*) const {
  return 0;
}

uint32_t Env::irq(uint32_t) const {
  return 0;
}

rpc::Status Env::spawn(void (*)(void*), void*) const {
  return rpc::Status::kUnsupported;
}

}  // namespace hmk::svc
