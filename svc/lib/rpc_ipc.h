// The ipc transport: rpc::Message <-> kernel IPC registers and IPC buffer. Used by
// rpc::Channel::call (client side) and by the domain's dispatch loop (server side).
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

}  // namespace hmk::rt
