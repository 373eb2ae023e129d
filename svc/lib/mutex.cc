// rt::Mutex: see mutex.h for the protocol.
#include "svc/lib/mutex.h"

#include "svc/lib/syscall.h"

namespace hmk::rt {

Status Mutex::init() {
  if (initialized()) return Status::kOk;
  abi::Handle n = TRY(notification_create());
  notification_ = n;
  return Status::kOk;
}

void Mutex::lock() {
  if (__atomic_fetch_add(&holders_, 1, __ATOMIC_ACQUIRE) == 0) return;
  // Contended. Without a notification there is nothing to sleep on, and going on would break
  // the exclusion: stop here with a fault the kernel reports, not with corrupted data.
  if (!initialized() || !wait(notification_).ok()) __builtin_trap();
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
}

void Mutex::unlock() {
  if (__atomic_fetch_sub(&holders_, 1, __ATOMIC_RELEASE) > 1) {
    if (signal(notification_) != Status::kOk) __builtin_trap();
  }
}

}  // namespace hmk::rt
