// The ipc transport: rpc::Message <-> kernel IPC registers and IPC buffer. Used by
// rpc::Channel::call (client side) and by the domain's dispatch loop (server side). And the
// one translation from the kernel's Status to rpc::Status for services in user processes.
#pragma once

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "svc/lib/rpc.h"

namespace hmk::rt {

// Puts `msg` into `regs` (words 0-9, label, counts) and `buffer` (words 10.., capabilities to
// send). `buffer` may be null when the message fits the registers and carries no capability;
// false if it is needed and missing.
bool pack_message(const rpc::Message& msg, abi::IpcRegisters& regs, abi::IpcBuffer* buffer);

// The reverse, for a message the kernel delivered: words from registers and buffer, received
// capabilities from the buffer. `msg.size` is the word count times 8.
void unpack_message(const abi::IpcRegisters& regs, const abi::IpcBuffer* buffer, rpc::Message& msg);

// A channel to `service` if the boot manifest granted it to this process (`uses=`), or a
// channel of kind kNone (whose calls fail with kNoService).
rpc::Channel connect(const char* service, uint64_t interface_id);

// What a service reports when a system call it made on its own behalf failed (a notification,
// a thread, memory for its data): the closest rpc::Status to the kernel's. Running out of
// anything (memory, quota, address space) is kNoSpace. Not for the failure of an IPC call to
// another service: rpc::Channel::call reports that as kNoService or kTransport.
rpc::Status rpc_status(Status status);

}  // namespace hmk::rt
