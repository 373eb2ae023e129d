// Helpers shared by the native tests: priorities, messages with known contents, threads from
// lambdas, and servers (a blob on a local thread or in a child process).
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"
#include "svc/lib/process.h"
#include "svc/lib/servers.h"
#include "svc/lib/syscall.h"
#include "svc/lib/thread.h"

namespace hmk::test {

// The suite runs on the first thread at the default priority. Helpers below it run only while
// the main thread is blocked, which makes orders of events predictable.
inline constexpr uint32_t kMainPriority = abi::kDefaultPriority;
inline constexpr uint32_t kHelperPriority = kMainPriority - 10;
inline constexpr uint32_t kLowPriority = kMainPriority - 20;

inline constexpr uint32_t kRwx = abi::kRightRead | abi::kRightWrite | abi::kRightExecute;
inline constexpr uint32_t kRw = abi::kRightRead | abi::kRightWrite;

// The IrqControl capability the suite's manifest line grants (irq_control=yes), from the
// bootstrap table; kNullHandle without it (the tests that need it then fail on it).
abi::Handle irq_control();

// A distinctive, non-zero value for word `index` of a message made from `seed`.
constexpr uint64_t word_pattern(uint64_t seed, uint32_t index) {
  return (seed + 1) * 0x9e3779b97f4a7c15ull ^ (index + 1) * 0x100000001b3ull;
}

// A message with `words` words and every register word (also those beyond `words`) set to
// word_pattern(seed, i); words 10.. go into `buffer` (which must then be set).
abi::IpcRegisters message(uint32_t label, uint32_t words, uint64_t seed = 1, uint32_t caps = 0,
                          uint64_t flags = 0, abi::IpcBuffer* buffer = nullptr);

// Checks that `regs` (+ `buffer` for words 10..) carry the complement of message(.., seed)'s
// first `words` words; reports the first difference. Returns true if all match.
bool check_complemented(const abi::IpcRegisters& regs, const abi::IpcBuffer* buffer, uint32_t words,
                        uint64_t seed);

// Starts a thread running `body()` (a lambda that must outlive the thread).
template <typename F>
Result<rt::Thread> spawn(F& body, uint32_t priority,
                         rt::IpcBufferMode ipc = rt::IpcBufferMode::kSet) {
  return rt::spawn_thread([](void* p) { (*static_cast<F*>(p))(); }, &body, priority, ipc);
}

// Returns once every other thread of this process above priority 1 is blocked: a priority-1
// thread can only run then, and it is what wakes the caller.
Status settle();

// Repeats `cycle` (which creates and deletes the same objects each time) up to three times
// until one run leaves kSelfSpace's used quota where it found it. Capability-table pages stay
// charged once added, and a cycle can need a new one, but not two cycles in a row.
template <typename F>
bool quota_restored(F&& cycle, int64_t* delta) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<rt::QuotaInfo> before = rt::quota_info(abi::kSelfSpace);
    cycle();
    Result<rt::QuotaInfo> after = rt::quota_info(abi::kSelfSpace);
    if (!before.ok() || !after.ok()) return false;
    *delta = static_cast<int64_t>(after->used - before->used);
    if (*delta == 0) return true;
  }
  return false;
}

// The echo server blob (servers.h) on a thread of this process.
class LocalServer {
 public:
  LocalServer() = default;
  ~LocalServer() { stop(); }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  Status start(abi::Handle endpoint, rt::IpcBufferMode ipc = rt::IpcBufferMode::kSet,
               rt::ServerBlob blob = rt::echo_server(), uint32_t priority = kMainPriority);
  // Ends the server (a kReplyAndQuit call unless it has quit already) and frees its thread. If
  // neither works the thread and its page are left alone rather than freed under it.
  void stop();

  const volatile rt::ServerPage& page() const { return *page_; }
  // The server thread's IPC buffer (words 10.. and received capabilities).
  abi::IpcBuffer* buffer() const { return thread_.ipc_buffer(); }

 private:
  rt::ServerPage* page_ = nullptr;
  abi::Handle endpoint_ = abi::kNullHandle;
  rt::Thread thread_;
};

// The echo server blob in a child process (rt::Child).
class ChildServer {
 public:
  ChildServer() = default;
  ~ChildServer() { stop(); }
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;

  // The child gets `endpoint` with kRightReceive only.
  Status start(abi::Handle endpoint, rt::IpcBufferMode ipc = rt::IpcBufferMode::kSet,
               uint64_t quota_bytes = 256 * 1024, rt::ServerBlob blob = rt::echo_server(),
               uint32_t priority = kMainPriority);
  // Asks a waiting server to exit (non-blocking send of kExit) and destroys the child.
  void stop();

  rt::Child& child() { return child_; }
  const volatile rt::ServerPage& page() const {
    return *static_cast<const volatile rt::ServerPage*>(child_.shared());
  }

 private:
  rt::Child child_;
  abi::Handle endpoint_ = abi::kNullHandle;
};

}  // namespace hmk::test
