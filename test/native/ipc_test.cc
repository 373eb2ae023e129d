// IPC: call/reply with register-only and buffer messages, limits, capability transfer,
// badges, reply targets, queue order, non-blocking operations, peers going away, and the fast
// path against the slow path, in the same address space (sas) and across spaces (xas).
#include "svc/lib/thread.h"
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;
using abi::IpcRegisters;
using abi::MessageInfo;
using rt::IpcBufferMode;
using rt::ServerOp;

constexpr uint32_t kComplement = static_cast<uint32_t>(ServerOp::kComplement);
constexpr uint32_t kEcho = static_cast<uint32_t>(ServerOp::kEcho);
constexpr uint64_t kNonBlocking = MessageInfo::kNonBlocking;

// One complement call of `words` words through `ep` by the calling thread; checks the reply.
void complement_call(Handle ep, uint32_t words, uint64_t seed) {
  abi::IpcBuffer* buffer = words > abi::kRegisterWords ? rt::ensure_ipc_buffer() : nullptr;
  if (words > abi::kRegisterWords) REQUIRE(buffer != nullptr);
  IpcRegisters regs = message(kComplement, words, seed, 0, 0, buffer);
  REQUIRE_OK(rt::call(ep, regs));
  CHECK_EQ(regs.tag.words(), words);
  CHECK_EQ(regs.tag.label(), kComplement);
  CHECK_EQ(regs.tag.caps(), 0u);
  check_complemented(regs, buffer, words, seed);
}

// What a client thread saw, for checks on the main thread.
struct ClientResult {
  Status status = Status::kUnsupported;
  IpcRegisters regs = {};
  bool had_buffer = true;
};

HMK_TEST(IPC_0001, "call/reply with 0 words (sas): label and tag round-trip, server counts") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  IpcRegisters regs = message(kComplement, 0);
  CHECK_OK(rt::call(ep, regs));
  CHECK_EQ(regs.tag.words(), 0u);
  CHECK_EQ(regs.tag.caps(), 0u);
  CHECK_EQ(regs.tag.label(), kComplement);
  CHECK_EQ(server.page().requests, 1u);
  // An unknown label is echoed as it is, and the server saw the exact tag.
  regs = message(0xabcdef01, 0);
  CHECK_OK(rt::call(ep, regs));
  CHECK_EQ(regs.tag.label(), 0xabcdef01u);
  CHECK_EQ(server.page().last_tag, MessageInfo::make(0xabcdef01, 0).raw);
  CHECK_EQ(server.page().requests, 2u);
}

HMK_TEST(IPC_0002, "call with 10 words travels in registers only: no IPC buffer needed") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  ClientResult r;
  auto client = [&] {
    r.had_buffer = rt::ipc_buffer() != nullptr;
    r.regs = message(kComplement, 10, 3);
    r.status = rt::call(ep, r.regs);
  };
  rt::Thread t = MUST(spawn(client, kMainPriority, IpcBufferMode::kNone));
  CHECK_OK(t.join());
  CHECK(!r.had_buffer);
  REQUIRE_OK(r.status);
  CHECK_EQ(r.regs.tag.words(), 10u);
  check_complemented(r.regs, nullptr, 10, 3);
  // Fewer words work the same way.
  for (uint32_t words = 0; words < 10; words += 3)
    complement_call(ep, words, 40 + words);
}

HMK_TEST(IPC_0003, "call with 11 words: word 10 goes through both IPC buffers (sas)") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  complement_call(ep, 11, 5);
  // The server saw word 10 in its own buffer at index 10 (and inverted it there).
  CHECK_EQ(server.buffer()->words[10], ~word_pattern(5, 10));
}

HMK_TEST(IPC_0004, "call with 64 and 128 words through the IPC buffers (sas)") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  complement_call(ep, 64, 6);
  complement_call(ep, abi::kMaxMessageWords, 7);
  CHECK_EQ(server.page().requests, 2u);
}

HMK_TEST(IPC_0005, "more than 128 words or 4 capabilities are refused with kInvalidArgument") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  REQUIRE(buffer != nullptr);
  const uint32_t kTooLong[] = {129, 200, 255};
  for (uint32_t words : kTooLong) {
    IpcRegisters regs = message(kEcho, words, 1, 0, 0, buffer);
    CHECK_STATUS(rt::call(ep, regs), Status::kInvalidArgument);
    regs = message(kEcho, words, 1, 0, kNonBlocking, buffer);
    CHECK_STATUS(rt::send(ep, regs), Status::kInvalidArgument);
  }
  const uint32_t kTooMany[] = {5, 7};
  for (uint32_t caps : kTooMany) {
    for (uint32_t i = 0; i < abi::kMaxMessageCaps; ++i)
      buffer->send_caps[i] = ep;
    IpcRegisters regs = message(kEcho, 0, 1, caps);
    CHECK_STATUS(rt::call(ep, regs), Status::kInvalidArgument);
  }
  CHECK_EQ(server.page().requests, 0u);
  // The largest legal message still goes through.
  complement_call(ep, abi::kMaxMessageWords, 8);
}

HMK_TEST(IPC_0006, "a sender without IPC buffer cannot send 11 words or capabilities") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  Status words_status = Status::kOk;
  Status caps_status = Status::kOk;
  Status ok_status = Status::kUnsupported;
  auto client = [&] {
    IpcRegisters regs = message(kEcho, 11);
    words_status = rt::call(ep, regs);
    regs = message(kEcho, 0, 1, 1);
    caps_status = rt::call(ep, regs);
    regs = message(kEcho, 10);
    ok_status = rt::call(ep, regs);
  };
  rt::Thread t = MUST(spawn(client, kMainPriority, IpcBufferMode::kNone));
  CHECK_OK(t.join());
  CHECK_STATUS(words_status, Status::kInvalidArgument);
  CHECK_STATUS(caps_status, Status::kInvalidArgument);
  CHECK_OK(ok_status);
  CHECK_EQ(server.page().requests, 1u);
}

HMK_TEST(IPC_0007, "receiver without IPC buffer: sender gets kBufferTooSmall, receiver waits on") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep, IpcBufferMode::kNone));
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  REQUIRE(buffer != nullptr);
  IpcRegisters regs = message(kComplement, 11, 2, 0, 0, buffer);
  CHECK_STATUS(rt::call(ep, regs), Status::kBufferTooSmall);
  regs = message(kComplement, 64, 2, 0, 0, buffer);
  CHECK_STATUS(rt::call(ep, regs), Status::kBufferTooSmall);
  CHECK_EQ(server.page().requests, 0u);
  // Still waiting: a register-only message is received and answered.
  complement_call(ep, 10, 9);
  CHECK_EQ(server.page().requests, 1u);
}

// Receives one message with a capability on `ep` and reports what arrived.
struct CapReceiver {
  Handle ep;
  Status status = Status::kUnsupported;
  IpcRegisters regs = {};
  Handle received = abi::kNullHandle;
  Status info_status = Status::kUnsupported;
  rt::CapInfo info = {};
  Status signal_status = Status::kUnsupported;

  void operator()() {
    regs = {};
    status = rt::recv(ep, regs);
    if (status != Status::kOk) return;
    received = rt::ipc_buffer()->received_caps[0];
    Result<rt::CapInfo> i = rt::cap_info(received);
    info_status = i.status();
    if (i.ok()) info = *i;
    signal_status = rt::signal(received);
  }
};

HMK_TEST(IPC_0008, "capability transfer through an endpoint with kRightGrant") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf));
  const Handle sent = MUST(rt::cap_derive(ntf, abi::kRightSend, 0x24));
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  REQUIRE(buffer != nullptr);
  CapReceiver rx{ep};
  rt::Thread t = MUST(spawn(rx, kMainPriority));
  buffer->send_caps[0] = sent;
  IpcRegisters regs = message(0x77, 2, 4, 1);
  CHECK_OK(rt::send(ep, regs));  // blocks until the receiver has taken it
  CHECK_OK(t.join());
  REQUIRE_OK(rx.status);
  CHECK_EQ(rx.regs.tag.caps(), 1u);
  CHECK_EQ(rx.regs.tag.words(), 2u);
  CHECK_EQ(rx.regs.tag.label(), 0x77u);
  CHECK_EQ(rx.regs.words[1], word_pattern(4, 1));
  CHECK_NE(rx.received, abi::kNullHandle);
  CHECK_NE(rx.received, sent);
  CHECK_OK(rx.info_status);
  CHECK_EQ(rx.info.type, abi::ObjectType::kNotification);
  CHECK_EQ(rx.info.rights, abi::kRightSend);
  CHECK_EQ(rx.info.badge, 0x24u);
  CHECK_OK(rx.signal_status);
  CHECK_EQ(MUST(rt::poll(ntf)), 0x24u);
  // The sender keeps its own capability.
  CHECK_OK(rt::cap_info(sent));
  (void)rt::cap_delete(rx.received);
}

HMK_TEST(IPC_0009, "capabilities need kRightGrant on the sending endpoint capability") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  REQUIRE(buffer != nullptr);
  const Handle no_grant = MUST(rt::cap_derive(ep, abi::kRightSend));
  buffer->send_caps[0] = ntf;
  IpcRegisters regs = message(kEcho, 1, 1, 1);
  CHECK_STATUS(rt::call(no_grant, regs), Status::kPermissionDenied);
  regs = message(kEcho, 1, 1, 1, kNonBlocking);
  CHECK_STATUS(rt::send(no_grant, regs), Status::kPermissionDenied);
  CHECK_EQ(server.page().requests, 0u);
  // Without capabilities the same capability is fine, and with grant the transfer works.
  regs = message(kEcho, 1);
  CHECK_OK(rt::call(no_grant, regs));
  const Handle with_grant = MUST(rt::cap_derive(ep, abi::kRightSend | abi::kRightGrant));
  regs = message(kEcho, 1, 1, 1);
  CHECK_OK(rt::call(with_grant, regs));
  CHECK_EQ(server.page().requests, 2u);
  CHECK_EQ(MessageInfo{server.page().last_tag}.caps(), 1u);
  (void)rt::cap_delete(server.buffer()->received_caps[0]);
}

HMK_TEST(IPC_0010, "a reply carries capabilities even when the caller's cap lacks grant") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  Handle replied = abi::kNullHandle;
  Status server_status = Status::kUnsupported;
  auto server = [&] {
    IpcRegisters regs = {};
    server_status = rt::recv(ep, regs);
    if (server_status != Status::kOk) return;
    Result<Handle> n = rt::notification_create();
    if (!n.ok()) {
      server_status = n.status();
      return;
    }
    replied = *n;
    rt::ipc_buffer()->send_caps[0] = replied;
    regs.tag = MessageInfo::make(9, 1, 1);
    regs.words[0] = 0x5150;
    server_status = rt::reply(regs);
  };
  rt::Thread t = MUST(spawn(server, kMainPriority));
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  REQUIRE(buffer != nullptr);
  buffer->received_caps[0] = abi::kNullHandle;
  const Handle no_grant = MUST(rt::cap_derive(ep, abi::kRightSend));
  IpcRegisters regs = message(1, 0);
  CHECK_OK(rt::call(no_grant, regs));
  CHECK_OK(t.join());
  CHECK_OK(server_status);
  CHECK_EQ(regs.tag.label(), 9u);
  CHECK_EQ(regs.tag.caps(), 1u);
  CHECK_EQ(regs.words[0], 0x5150u);
  const Handle got = buffer->received_caps[0];
  CHECK_NE(got, abi::kNullHandle);
  CHECK_NE(got, replied);
  CHECK_EQ(MUST(rt::cap_info(got)).type, abi::ObjectType::kNotification);
  CHECK_OK(rt::signal(got));
  CHECK_EQ(MUST(rt::poll(replied)), 1u);
  (void)rt::cap_delete(got);
  (void)rt::cap_delete(replied);
}

HMK_TEST(IPC_0011, "the receiver gets the sender capability's badge (0 when unbadged)") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  LocalServer server;
  REQUIRE_OK(server.start(ep));
  const Handle b1 = MUST(rt::cap_derive(ep, abi::kRightSend, 0x11));
  const Handle b2 = MUST(rt::cap_derive(ep, abi::kRightSend, 0xfedcba9876543210));
  IpcRegisters regs = message(kEcho, 0);
  CHECK_OK(rt::call(b1, regs));
  CHECK_EQ(server.page().last_badge, 0x11u);
  regs = message(kEcho, 0);
  CHECK_OK(rt::call(b2, regs));
  CHECK_EQ(server.page().last_badge, 0xfedcba9876543210u);
  regs = message(kEcho, 0);
  CHECK_OK(rt::call(ep, regs));
  CHECK_EQ(server.page().last_badge, 0u);
  // A one-way send carries the badge too.
  Status rx_status = Status::kUnsupported;
  IpcRegisters rx = {};
  const Handle ep2 = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep2));
  const Handle b3 = MUST(rt::cap_derive(ep2, abi::kRightSend, 0x33));
  auto receiver = [&] { rx_status = rt::recv(ep2, rx); };
  rt::Thread t = MUST(spawn(receiver, kMainPriority));
  regs = message(5, 1);
  CHECK_OK(rt::send(b3, regs));
  CHECK_OK(t.join());
  CHECK_OK(rx_status);
  CHECK_EQ(rx.handle_or_badge, 0x33u);
  CHECK_EQ(rx.tag.label(), 5u);
}

HMK_TEST(IPC_0012, "a reply goes to its caller only, while another caller waits too") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  Status server_status[3] = {Status::kUnsupported, Status::kUnsupported, Status::kUnsupported};
  auto server = [&] {
    // Both clients are blocked in call by the time this lower-priority thread runs.
    IpcRegisters regs = {};
    server_status[0] = rt::recv(ep, regs);
    regs.words[0] += 1000;
    regs.tag = MessageInfo::make(0, 1);
    server_status[1] = rt::reply_recv(ep, regs);
    regs.words[0] += 1000;
    regs.tag = MessageInfo::make(0, 1);
    server_status[2] = rt::reply(regs);
  };
  struct Client {
    Handle ep;
    uint64_t id;
    Status status = Status::kUnsupported;
    uint64_t answer = 0;
    void operator()() {
      IpcRegisters regs = message(0, 1);
      regs.words[0] = id;
      status = rt::call(ep, regs);
      answer = regs.words[0];
    }
  };
  Client a{ep, 1};
  Client b{ep, 2};
  rt::Thread ta = MUST(spawn(a, kHelperPriority));
  rt::Thread tb = MUST(spawn(b, kHelperPriority));
  rt::Thread ts = MUST(spawn(server, kLowPriority));
  CHECK_OK(ta.join());
  CHECK_OK(tb.join());
  CHECK_OK(ts.join());
  for (Status s : server_status)
    CHECK_OK(s);
  CHECK_OK(a.status);
  CHECK_OK(b.status);
  CHECK_EQ(a.answer, 1001u);
  CHECK_EQ(b.answer, 1002u);
}

HMK_TEST(IPC_0013, "kReply without a pending caller is kNotFound, also after a reply") {
  IpcRegisters regs = message(0, 0);
  CHECK_STATUS(rt::reply(regs), Status::kNotFound);
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  Status first = Status::kUnsupported;
  Status second = Status::kUnsupported;
  auto server = [&] {
    IpcRegisters r = {};
    if (rt::recv(ep, r) != Status::kOk) return;
    r.tag = MessageInfo::make(0, 0);
    first = rt::reply(r);
    r.tag = MessageInfo::make(0, 0);
    second = rt::reply(r);
  };
  rt::Thread t = MUST(spawn(server, kMainPriority));
  regs = message(0, 0);
  CHECK_OK(rt::call(ep, regs));
  CHECK_OK(t.join());
  CHECK_OK(first);
  CHECK_STATUS(second, Status::kNotFound);
}

HMK_TEST(IPC_0014, "blocked senders are received in FIFO order") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  // Each sender notes its id right before it blocks in send: that is the queue's order,
  // whatever order the scheduler ran them in.
  uint64_t arrival[4] = {};
  uint32_t arrived = 0;
  struct Sender {
    Handle ep;
    uint64_t id;
    uint64_t* arrival;
    uint32_t* arrived;
    Status status = Status::kUnsupported;
    void operator()() {
      IpcRegisters regs = message(0, 1);
      regs.words[0] = id;
      arrival[__atomic_fetch_add(arrived, 1, __ATOMIC_RELAXED)] = id;
      status = rt::send(ep, regs);
    }
  };
  Sender senders[4] = {{ep, 1, arrival, &arrived},
                       {ep, 2, arrival, &arrived},
                       {ep, 3, arrival, &arrived},
                       {ep, 4, arrival, &arrived}};
  rt::Thread threads[4];
  for (int i = 0; i < 4; ++i)
    threads[i] = MUST(spawn(senders[i], kHelperPriority));
  REQUIRE_OK(settle());  // all four now wait in send
  REQUIRE_EQ(arrived, 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    IpcRegisters regs = message(0, 0, 1, 0, kNonBlocking);
    CHECK_OK(rt::recv(ep, regs));
    if (!CHECK_EQ(regs.words[0], arrival[i])) note("message %u of 4", i + 1);
  }
  IpcRegisters regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::recv(ep, regs), Status::kWouldBlock);
  for (int i = 0; i < 4; ++i) {
    CHECK_OK(threads[i].join());
    CHECK_OK(senders[i].status);
  }
}

HMK_TEST(IPC_0015, "non-blocking send and recv: kWouldBlock without a partner, else delivered") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  IpcRegisters regs = message(0, 1, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::send(ep, regs), Status::kWouldBlock);
  regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::recv(ep, regs), Status::kWouldBlock);
  // With a receiver waiting, a non-blocking send is delivered.
  Status rx_status = Status::kUnsupported;
  IpcRegisters rx = {};
  auto receiver = [&] { rx_status = rt::recv(ep, rx); };
  rt::Thread t = MUST(spawn(receiver, kHelperPriority));
  REQUIRE_OK(settle());
  regs = message(3, 2, 11, 0, kNonBlocking);
  CHECK_OK(rt::send(ep, regs));
  CHECK_OK(t.join());
  CHECK_OK(rx_status);
  CHECK_EQ(rx.tag.words(), 2u);
  CHECK_EQ(rx.tag.label(), 3u);
  CHECK_EQ(rx.words[0], word_pattern(11, 0));
  CHECK_EQ(rx.words[1], word_pattern(11, 1));
  // With a sender waiting, a non-blocking recv takes its message.
  Status tx_status = Status::kUnsupported;
  auto sender = [&] {
    IpcRegisters m = message(4, 1, 12);
    tx_status = rt::send(ep, m);
  };
  t = MUST(spawn(sender, kHelperPriority));
  REQUIRE_OK(settle());
  regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_OK(rt::recv(ep, regs));
  CHECK_EQ(regs.tag.label(), 4u);
  CHECK_EQ(regs.words[0], word_pattern(12, 0));
  CHECK_OK(t.join());
  CHECK_OK(tx_status);
}

HMK_TEST(IPC_0016, "one-way send and recv: the receiver blocks until the message comes") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  bool sent = false;
  Status tx_status = Status::kUnsupported;
  auto sender = [&] {
    IpcRegisters m = message(0x55, 3, 21);
    sent = true;
    tx_status = rt::send(ep, m);
  };
  rt::Thread t = MUST(spawn(sender, kHelperPriority));
  CHECK(!sent);  // lower priority: has not run yet
  IpcRegisters regs = {};
  CHECK_OK(rt::recv(ep, regs));  // blocks; the sender runs and sends
  CHECK(sent);
  CHECK_EQ(regs.tag.label(), 0x55u);
  CHECK_EQ(regs.tag.words(), 3u);
  CHECK_EQ(regs.handle_or_badge, 0u);
  for (uint32_t i = 0; i < 3; ++i)
    CHECK_EQ(regs.words[i], word_pattern(21, i));
  CHECK_OK(t.join());
  CHECK_OK(tx_status);
  regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::recv(ep, regs), Status::kWouldBlock);
}

HMK_TEST(IPC_0017, "call/reply across address spaces: 0, 1, 10, 11, 64 and 128 words") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  ChildServer server;
  REQUIRE_OK(server.start(ep));
  uint64_t seed = 100;
  const uint32_t kSizes[] = {0, 1, 10, 11, 64, 128};
  for (uint32_t words : kSizes)
    complement_call(ep, words, ++seed);
  CHECK_EQ(server.page().requests, 6u);
  // Echo leaves words as they are.
  IpcRegisters regs = message(kEcho, 4, 77);
  CHECK_OK(rt::call(ep, regs));
  for (uint32_t i = 0; i < 4; ++i)
    CHECK_EQ(regs.words[i], word_pattern(77, i));
}

HMK_TEST(IPC_0018, "deleting the endpoint's last capability wakes blocked threads: kPeerClosed") {
  struct Blocked {
    Handle ep;
    int how;  // 0 recv, 1 send, 2 call
    Status status = Status::kUnsupported;
    void operator()() {
      IpcRegisters regs = message(0, 1);
      status = how == 0 ? rt::recv(ep, regs) : how == 1 ? rt::send(ep, regs) : rt::call(ep, regs);
    }
  };
  for (int how = 0; how < 3; ++how) {
    const Handle ep = MUST(rt::endpoint_create());
    Blocked b{ep, how};
    rt::Thread t = MUST(spawn(b, kHelperPriority));
    REQUIRE_OK(settle());
    CHECK_STATUS(b.status, Status::kUnsupported);  // still blocked
    CHECK_OK(rt::cap_delete(ep));
    CHECK_OK(t.join());
    if (!CHECK_STATUS(b.status, Status::kPeerClosed))
      note("blocked in %s", how == 0 ? "recv" : how == 1 ? "send" : "call");
  }
}

HMK_TEST(IPC_0019, "a caller whose server process dies gets kPeerClosed") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  ChildServer server;
  REQUIRE_OK(server.start(ep));
  IpcRegisters regs = message(static_cast<uint32_t>(ServerOp::kExit), 1);
  regs.words[0] = 7;
  CHECK_STATUS(rt::call(ep, regs), Status::kPeerClosed);
  // The endpoint itself lives on (we hold it); nobody receives on it any more.
  regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::send(ep, regs), Status::kWouldBlock);
}

// The same complement call three ways: register-only from a thread without IPC buffer (the fast
// path's shape), with an IPC buffer set, and with a capability attached (the slow path). All
// twelve returned registers and the status must agree.
void compare_paths(Handle ep, const char* where, const abi::IpcBuffer* server_buffer) {
  abi::IpcBuffer* buffer = rt::ensure_ipc_buffer();
  REQUIRE(buffer != nullptr);
  const Handle token = MUST(rt::notification_create());
  DEFER(rt::cap_delete(token));
  for (uint32_t words = 0; words <= abi::kRegisterWords; ++words) {
    const uint64_t seed = 500 + words;
    ClientResult fast;
    auto client = [&] {
      fast.regs = message(kComplement, words, seed);
      fast.status = rt::call(ep, fast.regs);
    };
    rt::Thread t = MUST(spawn(client, kMainPriority, IpcBufferMode::kNone));
    CHECK_OK(t.join());
    IpcRegisters buffered = message(kComplement, words, seed);
    const Status buffered_status = rt::call(ep, buffered);
    buffer->send_caps[0] = token;
    IpcRegisters slow = message(kComplement, words, seed, 1);
    const Status slow_status = rt::call(ep, slow);
    if (server_buffer != nullptr) (void)rt::cap_delete(server_buffer->received_caps[0]);

    bool same = CHECK_OK(fast.status);
    same &= CHECK_STATUS(buffered_status, fast.status);
    same &= CHECK_STATUS(slow_status, fast.status);
    same &= CHECK_EQ(buffered.handle_or_badge, fast.regs.handle_or_badge);
    same &= CHECK_EQ(slow.handle_or_badge, fast.regs.handle_or_badge);
    same &= CHECK_EQ(buffered.tag.raw, fast.regs.tag.raw);
    same &= CHECK_EQ(slow.tag.raw, fast.regs.tag.raw);
    for (uint32_t i = 0; i < abi::kRegisterWords; ++i) {
      same &= CHECK_EQ(buffered.words[i], fast.regs.words[i]);
      same &= CHECK_EQ(slow.words[i], fast.regs.words[i]);
    }
    same &= check_complemented(fast.regs, nullptr, words, seed);
    if (!same) note("%s, %u words", where, words);
  }
}

HMK_TEST(IPC_0020, "fast and slow path give the same registers for 0..10 words (sas and xas)") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  {
    LocalServer server;
    REQUIRE_OK(server.start(ep));
    compare_paths(ep, "same address space", server.buffer());
  }
  {
    ChildServer server;
    REQUIRE_OK(server.start(ep));
    compare_paths(ep, "cross address space", nullptr);
    CHECK_EQ(server.page().requests, 33u);
  }
}

HMK_TEST(IPC_0021, "reply_recv with no caller pending just receives") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  Status first = Status::kUnsupported;
  Status answer = Status::kUnsupported;
  uint64_t got = 0;
  auto server = [&] {
    IpcRegisters r = message(0, 0);
    first = rt::reply_recv(ep, r);
    got = r.words[0];
    r.tag = MessageInfo::make(0, 1);
    r.words[0] = got + 1;
    answer = rt::reply(r);
  };
  rt::Thread t = MUST(spawn(server, kHelperPriority));
  REQUIRE_OK(settle());
  IpcRegisters regs = message(0, 1);
  regs.words[0] = 41;
  CHECK_OK(rt::call(ep, regs));
  CHECK_OK(t.join());
  CHECK_OK(first);
  CHECK_OK(answer);
  CHECK_EQ(got, 41u);
  CHECK_EQ(regs.words[0], 42u);
}

HMK_TEST(IPC_0022, "IPC on handles of other object types is kInvalidCapability") {
  const Handle ntf = MUST(rt::notification_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ntf); rt::cap_delete(mem));
  const Handle wrong[] = {ntf, mem, abi::kSelfSpace, abi::kSelfThread};
  for (Handle h : wrong) {
    IpcRegisters regs = message(0, 0);
    CHECK_STATUS(rt::call(h, regs), Status::kInvalidCapability);
    regs = message(0, 0, 1, 0, kNonBlocking);
    CHECK_STATUS(rt::send(h, regs), Status::kInvalidCapability);
    regs = message(0, 0, 1, 0, kNonBlocking);
    CHECK_STATUS(rt::recv(h, regs), Status::kInvalidCapability);
    regs = message(0, 0);
    CHECK_STATUS(rt::reply_recv(h, regs), Status::kInvalidCapability);
  }
}

HMK_TEST(IPC_0023, "badge and label reach a server in another address space") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  ChildServer server;
  REQUIRE_OK(server.start(ep));
  const Handle badged = MUST(rt::cap_derive(ep, abi::kRightSend, 0x99));
  IpcRegisters regs = message(0x7777, 3, 9);
  CHECK_OK(rt::call(badged, regs));
  CHECK_EQ(server.page().last_badge, 0x99u);
  CHECK_EQ(server.page().last_tag, MessageInfo::make(0x7777, 3).raw);
  CHECK_EQ(regs.tag.label(), 0x7777u);
  CHECK_EQ(regs.words[2], word_pattern(9, 2));
}

HMK_TEST(IPC_0024, "revoking a badge cancels the sends queued with it; other badges still arrive") {
  // A server that cuts off a client (revokes the badged capability it gave it) must not hear
  // from that badge again, even from a send queued before the revocation.
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle gone = MUST(rt::cap_derive(ep, abi::kRightSend, 0x77));
  const Handle kept = MUST(rt::cap_derive(ep, abi::kRightSend, 0x99));
  DEFER(rt::cap_delete(gone); rt::cap_delete(kept));
  const Handle client_gone = MUST(rt::cap_derive(gone, abi::kRightSend));
  const Handle client_kept = MUST(rt::cap_derive(kept, abi::kRightSend));
  struct Sender {
    Handle handle;
    uint64_t word;
    Status status = Status::kUnsupported;
    void operator()() {
      IpcRegisters regs = message(0, 1);
      regs.words[0] = word;
      status = rt::send(handle, regs);
    }
  };
  Sender first{client_gone, 0x1111};
  Sender second{client_kept, 0x2222};
  rt::Thread t1 = MUST(spawn(first, kHelperPriority));
  rt::Thread t2 = MUST(spawn(second, kHelperPriority));
  REQUIRE_OK(settle());  // both wait in send
  CHECK_OK(rt::cap_revoke(gone));
  CHECK_OK(t1.join());
  CHECK_STATUS(first.status, Status::kInvalidCapability);
  IpcRegisters regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_OK(rt::recv(ep, regs));
  CHECK_EQ(regs.handle_or_badge, 0x99u);
  CHECK_EQ(regs.words[0], 0x2222u);
  regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::recv(ep, regs), Status::kWouldBlock);
  CHECK_OK(t2.join());
  CHECK_OK(second.status);
  // The sender's own deletion of the capability it is blocked on cancels the send the same way.
  Sender third{client_kept, 0x3333};
  rt::Thread t3 = MUST(spawn(third, kHelperPriority));
  REQUIRE_OK(settle());
  CHECK_OK(rt::cap_delete(client_kept));
  CHECK_OK(t3.join());
  CHECK_STATUS(third.status, Status::kInvalidCapability);
  regs = message(0, 0, 1, 0, kNonBlocking);
  CHECK_STATUS(rt::recv(ep, regs), Status::kWouldBlock);
}

}  // namespace
}  // namespace hmk::test
