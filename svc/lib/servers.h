// Position-independent IPC server loops ("blobs", server_blobs.S) that run either on a thread
// of this process or, copied into a memory object, in a child address space (rt::Child).
//
// A blob uses no data of its own: it gets the address of a ServerPage in rdi at thread start
// and keeps it on its stack. It receives on ServerPage::endpoint, answers with reply_recv and
// ends its thread (thread_exit) when a receive fails for good. After the echo server has set
// ServerPage::quit it touches neither its stack nor the page again, so its owner may free both.
// Shared by assembly and C++.
#pragma once

// ---- ServerPage field offsets ----
#define HMK_SERVER_ENDPOINT 0x00     // in: handle to receive on, in the server's own table
#define HMK_SERVER_IPC_BUFFER 0x08   // in: the server thread's IPC buffer address, or 0
#define HMK_SERVER_REQUESTS 0x10     // out: messages received
#define HMK_SERVER_LAST_BADGE 0x18   // out: badge of the last message
#define HMK_SERVER_LAST_TAG 0x20     // out: raw tag of the last message
#define HMK_SERVER_LAST_STATUS 0x28  // out: status of the last failed IPC system call
#define HMK_SERVER_T_RECV 0x30       // out: rdtsc right after the last receive returned
#define HMK_SERVER_T_REPLY 0x38      // out: rdtsc right before the last reply_recv
#define HMK_SERVER_QUIT 0x40         // out: 1 once the thread is about to end (echo server)

// ---- echo server operations, chosen by the message label ----
#define HMK_OP_ECHO 0            // reply with the same label and words (any unknown label too)
#define HMK_OP_READ 1            // word0 = address: reply word0 = *(uint64_t*)address
#define HMK_OP_WRITE 2           // *(uint64_t*)word0 = word1; reply 0 words
#define HMK_OP_EXIT 3            // process_exit(word0); no reply
#define HMK_OP_EAT_MEMORY 4      // memory_create(1) until it fails: reply (count, status)
#define HMK_OP_REPLY_AND_QUIT 5  // set `quit`, reply 0 words, then thread_exit
#define HMK_OP_COMPLEMENT 6      // reply with every word (registers and buffer) inverted
#define HMK_OP_SIGNAL 7          // signal(word0): reply word0 = status
#define HMK_OP_THREAD_EXIT 8     // thread_exit without replying

// ---- the chain agent (not a server): derives a chain of capabilities in its own table ----
#define HMK_CHAIN_START 0x00   // in: handle (agent's table) the chain continues from
#define HMK_CHAIN_COUNT 0x08   // in: how many capabilities to derive, each a child of the last
#define HMK_CHAIN_TARGET 0x10  // in: a space handle (agent's table) to copy the last into, or 0
#define HMK_CHAIN_RIGHTS 0x18  // in: rights of every derived capability and of the copy
#define HMK_CHAIN_LAST 0x20    // out: the copy's handle in the target space (else the last one)
#define HMK_CHAIN_STATUS 0x28  // out: 0, or the status of the call that failed
#define HMK_CHAIN_DONE 0x30    // out: 1 once finished
#define HMK_CHAIN_PARK \
  0x38  // in: a notification (agent's table) the thread then waits on for
        // good: a space whose last thread ended would end too

// System call numbers and statuses the blobs use (checked against the ABI below).
#define HMK_SYS_REPLY_RECV 1
#define HMK_SYS_RECV 3
#define HMK_SYS_REPLY 4
#define HMK_SYS_SIGNAL 5
#define HMK_SYS_WAIT 6
#define HMK_SYS_THREAD_EXIT 11
#define HMK_SYS_MEMORY_CREATE 15
#define HMK_SYS_CAP_DERIVE 21
#define HMK_SYS_CAP_COPY_TO 25
#define HMK_SYS_PROCESS_EXIT 29
#define HMK_STATUS_INVALID_CAPABILITY 14
#define HMK_STATUS_PEER_CLOSED 15

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "svc/lib/thread.h"

extern "C" {
extern const char hmk_echo_server_begin[];
extern const char hmk_echo_server_end[];
extern const char hmk_timestamp_server_begin[];
extern const char hmk_timestamp_server_end[];
extern const char hmk_null_server_begin[];
extern const char hmk_null_server_end[];
extern const char hmk_chain_agent_begin[];
extern const char hmk_chain_agent_end[];
}

namespace hmk::rt {

// The page a server blob reads its setup from and reports into.
struct ServerPage {
  uint64_t endpoint;
  uint64_t ipc_buffer;
  uint64_t requests;
  uint64_t last_badge;
  uint64_t last_tag;
  uint64_t last_status;
  uint64_t t_recv;
  uint64_t t_reply;
  uint64_t quit;
};
static_assert(offsetof(ServerPage, endpoint) == HMK_SERVER_ENDPOINT);
static_assert(offsetof(ServerPage, ipc_buffer) == HMK_SERVER_IPC_BUFFER);
static_assert(offsetof(ServerPage, requests) == HMK_SERVER_REQUESTS);
static_assert(offsetof(ServerPage, last_badge) == HMK_SERVER_LAST_BADGE);
static_assert(offsetof(ServerPage, last_tag) == HMK_SERVER_LAST_TAG);
static_assert(offsetof(ServerPage, last_status) == HMK_SERVER_LAST_STATUS);
static_assert(offsetof(ServerPage, t_recv) == HMK_SERVER_T_RECV);
static_assert(offsetof(ServerPage, t_reply) == HMK_SERVER_T_REPLY);
static_assert(offsetof(ServerPage, quit) == HMK_SERVER_QUIT);

static_assert(HMK_SYS_REPLY_RECV == static_cast<int>(abi::Syscall::kReplyRecv));
static_assert(HMK_SYS_RECV == static_cast<int>(abi::Syscall::kRecv));
static_assert(HMK_SYS_REPLY == static_cast<int>(abi::Syscall::kReply));
static_assert(HMK_SYS_SIGNAL == static_cast<int>(abi::Syscall::kSignal));
static_assert(HMK_SYS_WAIT == static_cast<int>(abi::Syscall::kWait));
static_assert(HMK_SYS_THREAD_EXIT == static_cast<int>(abi::Syscall::kThreadExit));
static_assert(HMK_SYS_MEMORY_CREATE == static_cast<int>(abi::Syscall::kMemoryCreate));
static_assert(HMK_SYS_CAP_DERIVE == static_cast<int>(abi::Syscall::kCapDerive));
static_assert(HMK_SYS_CAP_COPY_TO == static_cast<int>(abi::Syscall::kCapCopyTo));
static_assert(HMK_SYS_PROCESS_EXIT == static_cast<int>(abi::Syscall::kProcessExit));
static_assert(HMK_STATUS_INVALID_CAPABILITY == static_cast<int>(Status::kInvalidCapability));
static_assert(HMK_STATUS_PEER_CLOSED == static_cast<int>(Status::kPeerClosed));

enum class ServerOp : uint32_t {
  kEcho = HMK_OP_ECHO,
  kRead = HMK_OP_READ,
  kWrite = HMK_OP_WRITE,
  kExit = HMK_OP_EXIT,
  kEatMemory = HMK_OP_EAT_MEMORY,
  kReplyAndQuit = HMK_OP_REPLY_AND_QUIT,
  kComplement = HMK_OP_COMPLEMENT,
  kSignal = HMK_OP_SIGNAL,
  kThreadExit = HMK_OP_THREAD_EXIT,
};

// A blob's code: [begin, end), entered at begin.
struct ServerBlob {
  const char* begin;
  const char* end;
  size_t size() const { return static_cast<size_t>(end - begin); }
};

// Serves the operations above; also records requests, badge and tag.
inline ServerBlob echo_server() {
  return {hmk_echo_server_begin, hmk_echo_server_end};
}
// Echoes (label and words unchanged) and stores rdtsc after each receive (t_recv) and before
// each reply (t_reply); counts requests. For the one-way benchmarks.
inline ServerBlob timestamp_server() {
  return {hmk_timestamp_server_begin, hmk_timestamp_server_end};
}
// Replies with the received tag and registers and nothing else: the round-trip benchmark.
inline ServerBlob null_server() {
  return {hmk_null_server_begin, hmk_null_server_end};
}

// The page a chain agent reads its job from and reports into (HMK_CHAIN_*). A thread started at
// the agent blob with rdi = the page derives `count` capabilities in its own space's table, each
// the child of the one before (starting from `start`), copies the last into `target` and sets
// `done`: a derivation chain can only cross tables this way, since cap_derive works in the
// caller's table and cap_copy_to copies from it. Finished, the thread waits on `park` for good
// (its space, and so the chain in its table, must outlive it: a space whose last thread ended
// ends too); deleting the space ends it.
struct ChainAgentPage {
  uint64_t start;
  uint64_t count;
  uint64_t target;
  uint64_t rights;
  uint64_t last;
  uint64_t status;
  uint64_t done;
  uint64_t park;
};
static_assert(offsetof(ChainAgentPage, start) == HMK_CHAIN_START);
static_assert(offsetof(ChainAgentPage, count) == HMK_CHAIN_COUNT);
static_assert(offsetof(ChainAgentPage, target) == HMK_CHAIN_TARGET);
static_assert(offsetof(ChainAgentPage, rights) == HMK_CHAIN_RIGHTS);
static_assert(offsetof(ChainAgentPage, last) == HMK_CHAIN_LAST);
static_assert(offsetof(ChainAgentPage, status) == HMK_CHAIN_STATUS);
static_assert(offsetof(ChainAgentPage, done) == HMK_CHAIN_DONE);
static_assert(offsetof(ChainAgentPage, park) == HMK_CHAIN_PARK);

inline ServerBlob chain_agent() {
  return {hmk_chain_agent_begin, hmk_chain_agent_end};
}

// Runs `blob` on a new thread of this process that receives on `endpoint`. `page` (filled in
// here) must stay valid while the thread runs. Stop it with a kReplyAndQuit call or by
// deleting the endpoint, then Thread::release().
Result<Thread> start_local_server(ServerBlob blob, ServerPage* page, abi::Handle endpoint,
                                  uint32_t priority, IpcBufferMode ipc = IpcBufferMode::kSet);

}  // namespace hmk::rt

#endif  // __ASSEMBLER__
