// What a service reports when a system call or kernel service it made on its own behalf failed
// (a notification, a thread, memory for its data): the closest rpc::Status to the kernel's.
// Running out of anything (memory, quota, address space) is kNoSpace. Not for the failure of an
// IPC call to another service: rpc::Channel::call reports that as kNoService or kTransport.
// Portable: user domains, the kernel domain and host tests use the same one.
#pragma once

#include "core/lib/status.h"
#include "svc/lib/rpc.h"

namespace hmk::rpc {

Status from_kernel(hmk::Status status);

}  // namespace hmk::rpc
