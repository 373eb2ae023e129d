// IPC through the real system-call entry on the hosted port: call, reply, reply_recv, send and
// receive in both orders, FIFO order, badges, long messages and capabilities through IPC
// buffers, the kBufferTooSmall rules, kPeerClosed, and notifications. The harness checks the
// invariants after every step and that nothing leaked at the end.
#include <catch2/catch.hpp>
#include <vector>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using arch::kRdi;
using arch::kRsi;

constexpr uint64_t kBufferAddress = 0x10000;

MessageInfo tag(uint32_t label, uint32_t words, uint32_t caps = 0, uint64_t flags = 0) {
  return MessageInfo::make(label, words, caps, flags);
}

std::vector<uint64_t> iota(uint64_t first, size_t n) {
  std::vector<uint64_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = first + i;
  return v;
}

// A server and a client process; the client's endpoint capability is a child of the
// server's, with `badge` and the send and grant rights.
struct ClientServer {
  explicit ClientServer(Harness& h, uint64_t badge = 0, uint8_t server_priority = 100,
                        uint8_t client_priority = 100,
                        uint64_t server_quota = abi::kDefaultProcessQuota)
      : server(h.spawn("server", server_priority, server_quota)),
        client(h.spawn("client", client_priority)) {
    ep_server = h.create_endpoint(server.space);
    ep_client =
        h.grant(server.space, ep_server, client.space, abi::kRightSend | abi::kRightGrant, badge);
  }
  Harness::Process server;
  Harness::Process client;
  Handle ep_server;
  Handle ep_client;
};

TEST_CASE("call, reply: the server runs with the message, the client with the reply") {
  Harness h;
  ClientServer cs(h, /*badge=*/0x55);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;

  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
  REQUIRE(scheduler().current() == c);

  h.ipc(c, Syscall::kCall, cs.ep_client, tag(7, 3), {1, 2, 3});
  REQUIRE(h.fast_path_taken());
  REQUIRE(c->state() == ThreadState::kBlockedOnReply);
  REQUIRE(scheduler().current() == s);
  REQUIRE(status_of(s) == Status::kOk);
  REQUIRE(s->regs()[kRdi] == 0x55);
  REQUIRE(MessageInfo{s->regs()[kRsi]}.label() == 7);
  REQUIRE(h.message(s) == std::vector<uint64_t>{1, 2, 3});
  REQUIRE(s->caller() == c);
  REQUIRE(c->replier() == s);

  REQUIRE(h.ipc(s, Syscall::kReply, 0, tag(9, 2), {40, 41}) == Status::kOk);
  REQUIRE(c->state() == ThreadState::kReady);
  REQUIRE(s->caller() == nullptr);
  REQUIRE(c->replier() == nullptr);
  REQUIRE(scheduler().current() == s);  // equal priority: the replier keeps the CPU
  REQUIRE(h.syscall(s, Syscall::kYield) == Status::kOk);
  REQUIRE(scheduler().current() == c);
  REQUIRE(status_of(c) == Status::kOk);
  REQUIRE(c->regs()[kRdi] == 0);  // replies carry no badge
  REQUIRE(MessageInfo{c->regs()[kRsi]}.label() == 9);
  REQUIRE(h.message(c) == std::vector<uint64_t>{40, 41});
  h.finish();
}

TEST_CASE("reply_recv: a server loop on the fast path") {
  Harness h;
  ClientServer cs(h, /*badge=*/3);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  for (uint64_t round = 0; round < 5; ++round) {
    h.ipc(c, Syscall::kCall, cs.ep_client, tag(1, 1), {round});
    REQUIRE(h.fast_path_taken());
    REQUIRE(scheduler().current() == s);
    REQUIRE(h.message(s) == std::vector<uint64_t>{round});
    h.ipc(s, Syscall::kReplyRecv, cs.ep_server, tag(2, 1), {round * 10});
    REQUIRE(h.fast_path_taken());
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    REQUIRE(scheduler().current() == c);
    REQUIRE(status_of(c) == Status::kOk);
    REQUIRE(h.message(c) == std::vector<uint64_t>{round * 10});
  }
  h.finish();
}

TEST_CASE("send before recv: the sender blocks, the receiver takes the message") {
  Harness h;
  ClientServer cs(h, /*badge=*/9);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.ipc(c, Syscall::kSend, cs.ep_client, tag(5, 2), {7, 8});
  REQUIRE(c->state() == ThreadState::kBlockedOnSend);
  auto* ep = static_cast<Endpoint*>(h.cap(cs.server.space, cs.ep_server)->object);
  REQUIRE(ep->kind() == Endpoint::QueueKind::kSenders);

  REQUIRE(h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0)) == Status::kOk);
  REQUIRE(scheduler().current() == s);
  REQUIRE(s->regs()[kRdi] == 9);
  REQUIRE(h.message(s) == std::vector<uint64_t>{7, 8});
  REQUIRE(c->state() == ThreadState::kReady);
  REQUIRE(status_of(c) == Status::kOk);
  REQUIRE(s->caller() == nullptr);  // a send wants no reply
  REQUIRE(ep->kind() == Endpoint::QueueKind::kIdle);
  h.finish();
}

TEST_CASE("recv before send: the receiver blocks, the sender goes on") {
  Harness h;
  ClientServer cs(h);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(5, 1), {99}) == Status::kOk);
  REQUIRE(scheduler().current() == c);
  REQUIRE(s->state() == ThreadState::kReady);
  REQUIRE(status_of(s) == Status::kOk);
  REQUIRE(h.message(s) == std::vector<uint64_t>{99});
  h.finish();
}

TEST_CASE("a call queued before the server receives waits for the reply") {
  Harness h;
  ClientServer cs(h);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.ipc(c, Syscall::kCall, cs.ep_client, tag(1, 1), {5});
  REQUIRE(c->state() == ThreadState::kBlockedOnSend);
  REQUIRE(h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0)) == Status::kOk);
  REQUIRE(c->state() == ThreadState::kBlockedOnReply);
  REQUIRE(s->caller() == c);
  // reply_recv with a sender-free endpoint: the fast path replies and blocks the server.
  h.ipc(s, Syscall::kReplyRecv, cs.ep_server, tag(0, 1), {6});
  REQUIRE(h.fast_path_taken());
  REQUIRE(scheduler().current() == c);
  REQUIRE(h.message(c) == std::vector<uint64_t>{6});
  h.finish();
}

TEST_CASE("senders are served in FIFO order, each with its own badge") {
  Harness h;
  auto server = h.spawn("server");
  Handle ep = h.create_endpoint(server.space);
  std::vector<Harness::Process> clients;
  std::vector<Handle> handles;
  for (uint64_t i = 0; i < 4; ++i) {
    clients.push_back(h.spawn("client"));
    handles.push_back(h.grant(server.space, ep, clients.back().space, abi::kRightSend, 100 + i));
  }
  for (uint64_t i = 0; i < 4; ++i) {
    h.ipc(clients[i].thread, Syscall::kCall, handles[i], tag(0, 1), {i});
    REQUIRE(clients[i].thread->state() == ThreadState::kBlockedOnSend);
  }
  Thread* s = server.thread;
  REQUIRE(h.ipc(s, Syscall::kRecv, ep, tag(0, 0)) == Status::kOk);
  for (uint64_t i = 0; i < 4; ++i) {
    REQUIRE(s->regs()[kRdi] == 100 + i);
    REQUIRE(h.message(s) == std::vector<uint64_t>{i});
    REQUIRE(s->caller() == clients[i].thread);
    // With senders queued the fast path declines; the slow path replies and takes the next.
    Status st = h.ipc(s, Syscall::kReplyRecv, ep, tag(0, 0));
    REQUIRE(h.fast_path_taken() == (i == 3));
    if (i < 3) {
      REQUIRE(st == Status::kOk);
      REQUIRE(clients[i].thread->state() == ThreadState::kReady);
    }
  }
  REQUIRE(scheduler().current() == clients[3].thread);
  REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
  h.finish();
}

TEST_CASE("non-blocking send and receive fail with kWouldBlock") {
  Harness h;
  ClientServer cs(h);
  REQUIRE(h.ipc(cs.client.thread, Syscall::kSend, cs.ep_client,
                tag(0, 0, 0, MessageInfo::kNonBlocking)) == Status::kWouldBlock);
  REQUIRE(h.ipc(cs.server.thread, Syscall::kRecv, cs.ep_server,
                tag(0, 0, 0, MessageInfo::kNonBlocking)) == Status::kWouldBlock);
  REQUIRE(cs.client.thread->state() != ThreadState::kBlockedOnSend);
  h.finish();
}

TEST_CASE("IPC argument errors") {
  Harness h;
  ClientServer cs(h);
  Thread* c = cs.client.thread;
  Handle n = h.create_notification(cs.client.space);
  Handle recv_only = h.grant(cs.server.space, cs.ep_server, cs.client.space, abi::kRightReceive);
  SECTION("wrong object type") {
    REQUIRE(h.ipc(c, Syscall::kCall, n, tag(0, 0)) == Status::kInvalidCapability);
    REQUIRE(h.ipc(c, Syscall::kRecv, n, tag(0, 0)) == Status::kInvalidCapability);
  }
  SECTION("empty slot, handle beyond 32 bits") {
    REQUIRE(h.ipc(c, Syscall::kSend, 60, tag(0, 0)) == Status::kInvalidCapability);
    REQUIRE(h.ipc(c, Syscall::kCall, (1ull << 32) | cs.ep_client, tag(0, 0)) ==
            Status::kInvalidCapability);
    REQUIRE(h.ipc(c, Syscall::kRecv, 1ull << 40, tag(0, 0)) == Status::kInvalidCapability);
  }
  SECTION("missing rights") {
    REQUIRE(h.ipc(c, Syscall::kRecv, cs.ep_client, tag(0, 0)) == Status::kPermissionDenied);
    REQUIRE(h.ipc(c, Syscall::kSend, recv_only, tag(0, 0)) == Status::kPermissionDenied);
  }
  SECTION("a call without the send right, to a waiting server, on the fast path's way") {
    h.ipc(cs.server.thread, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(h.ipc(c, Syscall::kCall, recv_only, tag(0, 1), {7}) == Status::kPermissionDenied);
    REQUIRE(!h.fast_path_taken());
    REQUIRE(cs.server.thread->state() == ThreadState::kBlockedOnReceive);
  }
  SECTION("a reply with no caller waiting") {
    REQUIRE(h.ipc(c, Syscall::kReply, 0, tag(0, 0)) == Status::kNotFound);
  }
  SECTION("malformed tags") {
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 129)) == Status::kInvalidArgument);
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, 5)) == Status::kInvalidArgument);
    // More than the register words, or capabilities, need an IPC buffer.
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 11)) == Status::kInvalidArgument);
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, 1)) == Status::kInvalidArgument);
  }
  SECTION("one word over the maximum, with an IPC buffer to hold it") {
    h.give_ipc_buffer(c, kBufferAddress);
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, abi::kMaxMessageWords + 1)) ==
            Status::kInvalidArgument);
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, abi::kMaxMessageCaps + 1)) ==
            Status::kInvalidArgument);
  }
  REQUIRE(c->state() == ThreadState::kRunning);
  h.finish();
}

TEST_CASE("long messages travel through the IPC buffers") {
  Harness h;
  ClientServer cs(h, /*badge=*/1);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.give_ipc_buffer(s, kBufferAddress);
  h.give_ipc_buffer(c, kBufferAddress + 0x800);  // inside a page, not at its start
  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  const std::vector<uint64_t> request = iota(1000, abi::kMaxMessageWords);
  h.ipc(c, Syscall::kCall, cs.ep_client, tag(3, abi::kMaxMessageWords), request);
  REQUIRE(!h.fast_path_taken());
  REQUIRE(scheduler().current() == s);
  REQUIRE(h.message(s) == request);
  // The receiver's buffer holds words 10.. at their own index; words below stay untouched.
  REQUIRE(h.ipc_buffer(s)->words[abi::kRegisterWords - 1] == 0);

  const std::vector<uint64_t> reply = iota(5000, 40);
  REQUIRE(h.ipc(s, Syscall::kReply, 0, tag(4, 40), reply) == Status::kOk);
  h.syscall(s, Syscall::kYield);
  REQUIRE(scheduler().current() == c);
  REQUIRE(status_of(c) == Status::kOk);
  REQUIRE(h.message(c) == reply);
  h.finish();
}

TEST_CASE("kBufferTooSmall: a receiver without an IPC buffer cannot take a long message") {
  Harness h;
  ClientServer cs(h);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.give_ipc_buffer(c, kBufferAddress);
  const std::vector<uint64_t> words = iota(1, 20);

  SECTION("receiver waiting: the send fails, the receiver keeps waiting") {
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 20), words) == Status::kBufferTooSmall);
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    // A register-only message still gets through.
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 2), {1, 2}) == Status::kOk);
    REQUIRE(s->state() == ThreadState::kReady);
  }
  SECTION("sender waiting: the sender fails and leaves, the receiver waits for the next") {
    h.ipc(c, Syscall::kCall, cs.ep_client, tag(0, 20), words);
    REQUIRE(c->state() == ThreadState::kBlockedOnSend);
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    REQUIRE(c->state() == ThreadState::kRunning);
    REQUIRE(status_of(c) == Status::kBufferTooSmall);
  }
  SECTION("a long reply to a caller without a buffer fails both") {
    h.give_ipc_buffer(s, kBufferAddress);
    c->set_ipc_buffer(0);
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    h.ipc(c, Syscall::kCall, cs.ep_client, tag(0, 1), {1});
    REQUIRE(h.ipc(s, Syscall::kReply, 0, tag(0, 20), words) == Status::kBufferTooSmall);
    REQUIRE(s->caller() == nullptr);
    REQUIRE(c->state() == ThreadState::kReady);
    REQUIRE(status_of(c) == Status::kBufferTooSmall);
  }
  SECTION("reply_recv: the call fails, the server goes on to receive") {
    h.give_ipc_buffer(s, kBufferAddress);
    c->set_ipc_buffer(0);
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    h.ipc(c, Syscall::kCall, cs.ep_client, tag(0, 1), {1});
    h.ipc(s, Syscall::kReplyRecv, cs.ep_server, tag(0, 20), words);
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    REQUIRE(s->caller() == nullptr);
    REQUIRE(c->state() == ThreadState::kRunning);
    REQUIRE(status_of(c) == Status::kBufferTooSmall);
  }
  SECTION("a sender whose buffer went away fails with kBadAddress") {
    h.give_ipc_buffer(s, kBufferAddress);
    REQUIRE(cs.client.space->unmap(kBufferAddress, 1) == Status::kOk);
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 11), {}) == Status::kBadAddress);
  }
  h.finish();
}

TEST_CASE("capabilities travel in messages as children of the sender's") {
  Harness h;
  ClientServer cs(h);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.give_ipc_buffer(s, kBufferAddress);
  abi::IpcBuffer* cb = h.give_ipc_buffer(c, kBufferAddress);
  Handle n = h.create_notification(cs.client.space);
  Handle n_badged = h.grant(cs.client.space, n, cs.client.space, abi::kRightSend, 0x40);

  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  cb->send_caps[0] = n_badged;
  cb->send_caps[1] = n;
  REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, 2), {}) == Status::kOk);
  abi::IpcBuffer* sb = h.ipc_buffer(s);
  Capability* got0 = h.cap(cs.server.space, sb->received_caps[0]);
  Capability* got1 = h.cap(cs.server.space, sb->received_caps[1]);
  REQUIRE(got0 != nullptr);
  REQUIRE(got1 != nullptr);
  REQUIRE(got0->parent == h.cap(cs.client.space, n_badged));
  REQUIRE(got0->rights == abi::kRightSend);
  REQUIRE(got0->badge == 0x40);
  REQUIRE(got1->rights == h.cap(cs.client.space, n)->rights);
  // Revoking the original reaches the copy in the other table.
  REQUIRE(h.syscall(c, Syscall::kCapRevoke, {n}) == Status::kOk);
  REQUIRE(h.cap(cs.server.space, sb->received_caps[0]) == nullptr);
  REQUIRE(h.cap(cs.server.space, sb->received_caps[1]) == nullptr);
  REQUIRE(h.cap(cs.client.space, n) != nullptr);

  SECTION("without the grant right: refused before blocking") {
    Handle no_grant = h.grant(cs.server.space, cs.ep_server, cs.client.space, abi::kRightSend);
    cb->send_caps[0] = n;
    REQUIRE(h.ipc(c, Syscall::kSend, no_grant, tag(0, 0, 1), {}) == Status::kPermissionDenied);
  }
  SECTION("an empty slot, found at the rendezvous") {
    h.syscall(s, Syscall::kYield);
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    cb->send_caps[0] = 70;
    REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, 1), {}) == Status::kInvalidCapability);
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
  }
  SECTION("an empty slot, found when the receiver arrives") {
    cb->send_caps[0] = 70;
    h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, 1), {});
    REQUIRE(c->state() == ThreadState::kBlockedOnSend);
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    REQUIRE(status_of(c) == Status::kInvalidCapability);
  }
  h.finish();
}

TEST_CASE("a receiver whose table cannot grow cannot take capabilities") {
  Harness h;
  ClientServer cs(h, 0, 100, 100, /*server_quota=*/256 << 10);  // spent with few objects
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.give_ipc_buffer(s, kBufferAddress);
  abi::IpcBuffer* cb = h.give_ipc_buffer(c, kBufferAddress);
  Handle n = h.create_notification(cs.client.space);
  // Spend the server's quota down to less than a page and fill its table: a big memory
  // object, copies of its endpoint capability up to the last slot, then notifications
  // (charged to the server, capabilities elsewhere).
  Space* server = cs.server.space;
  Quota& q = server->own_quota();
  const uint64_t pages = q.available() / kPageSize - 4;
  REQUIRE(pages < 512);  // one index page
  h.create_memory(server, pages);
  Capability* ep = h.cap(server, cs.ep_server);
  while (server->caps().free_slots(1) > 0)
    h.give(server, ep->object, abi::kRightSend, 0, ep);
  for (;;) {
    Result<Notification*> spent = Notification::create(q);
    if (!spent.ok()) break;
    h.give(cs.client.space, *spent, abi::kRightSend);
    (*spent)->release();
  }
  REQUIRE(q.available() < kPageSize);
  h.check();

  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  cb->send_caps[0] = n;
  REQUIRE(h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0, 1), {}) == Status::kBufferTooSmall);
  REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
  h.finish();
}

TEST_CASE("kPeerClosed when the endpoint dies under a waiting thread") {
  Harness h;
  auto server = h.spawn("server");
  Handle ep = h.create_endpoint(server.space);
  Handle other;
  Thread* helper = h.add_thread(server.space, abi::kDefaultPriority, true, &other);
  h.ipc(server.thread, Syscall::kRecv, ep, tag(0, 0));
  REQUIRE(server.thread->state() == ThreadState::kBlockedOnReceive);
  REQUIRE(h.syscall(helper, Syscall::kCapDelete, {ep}) == Status::kOk);
  REQUIRE(server.thread->state() == ThreadState::kReady);
  REQUIRE(status_of(server.thread) == Status::kPeerClosed);
  h.finish();
}

TEST_CASE("kPeerClosed for a caller when the server's process ends") {
  Harness h;
  ClientServer cs(h);
  Thread* s = cs.server.thread;
  Thread* c = cs.client.thread;
  h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
  h.ipc(c, Syscall::kCall, cs.ep_client, tag(0, 0));
  REQUIRE(c->state() == ThreadState::kBlockedOnReply);
  SECTION("process_exit") {
    h.syscall(s, Syscall::kProcessExit, {3});
    REQUIRE(!cs.server.space->alive());
    REQUIRE(cs.server.space->exit_code() == 3);
  }
  SECTION("thread_exit of its only thread") {
    h.syscall(s, Syscall::kThreadExit);
    REQUIRE(!cs.server.space->alive());
  }
  SECTION("a fault") {
    h.fault(s, 14, 0xdead);
    REQUIRE(!cs.server.space->alive());
    REQUIRE(cs.server.space->faulted());
    REQUIRE(cs.server.space->fault_address() == 0xdead);
  }
  SECTION("the server receives again without replying") {
    h.ipc(s, Syscall::kRecv, cs.ep_server, tag(0, 0));
    REQUIRE(cs.server.space->alive());
  }
  REQUIRE(c->state() == ThreadState::kRunning);
  REQUIRE(status_of(c) == Status::kPeerClosed);
  // The endpoint lives on through the client's capability; a new call waits for a server.
  h.ipc(c, Syscall::kCall, cs.ep_client, tag(0, 0));
  REQUIRE(c->state() ==
          (cs.server.space->alive() ? ThreadState::kBlockedOnReply : ThreadState::kBlockedOnSend));
  h.finish();
}

TEST_CASE("a waiting sender's process ends: it leaves the endpoint queue") {
  Harness h;
  ClientServer cs(h);
  Thread* c = cs.client.thread;
  Handle second;
  Thread* c2 = h.add_thread(cs.client.space, abi::kDefaultPriority, true, &second);
  h.ipc(c, Syscall::kSend, cs.ep_client, tag(0, 0));
  REQUIRE(c->state() == ThreadState::kBlockedOnSend);
  h.syscall(c2, Syscall::kProcessExit, {0});
  auto* ep = static_cast<Endpoint*>(h.cap(cs.server.space, cs.ep_server)->object);
  REQUIRE(ep->queue().empty());
  REQUIRE(ep->kind() == Endpoint::QueueKind::kIdle);
  h.finish();
}

TEST_CASE("deleting or revoking the capability a blocked send used cancels the send") {
  // A server that revokes a client's badged capability must never receive from that badge
  // afterwards: a send queued before the revocation dies with it (kInvalidCapability), while
  // sends through other capabilities stay queued.
  Harness h;
  auto server = h.spawn("server");
  auto client = h.spawn("client");
  Thread* s = server.thread;
  Thread* c1 = client.thread;
  Handle unused;
  Thread* c2 = h.add_thread(client.space, abi::kDefaultPriority, true, &unused);
  const Handle ep = h.create_endpoint(server.space);
  const uint32_t send = abi::kRightSend | abi::kRightGrant;
  // The server keeps one badged capability per client badge and hands out children of them.
  const Handle badge77 = h.grant(server.space, ep, server.space, send, 0x77);
  const Handle badge99 = h.grant(server.space, ep, server.space, send, 0x99);
  const Handle k77 = h.grant(server.space, badge77, client.space, send);
  const Handle k99 = h.grant(server.space, badge99, client.space, send);
  h.ipc(c1, Syscall::kSend, k77, tag(1, 1), {11});
  h.ipc(c2, Syscall::kCall, k99, tag(2, 1), {22});
  REQUIRE(c1->state() == ThreadState::kBlockedOnSend);
  REQUIRE(c2->state() == ThreadState::kBlockedOnSend);

  SECTION("revoking one badge cancels only the send made with it") {
    REQUIRE(h.syscall(s, Syscall::kCapRevoke, {badge77}) == Status::kOk);
    REQUIRE(h.cap(client.space, k77) == nullptr);
    REQUIRE(c1->state() == ThreadState::kReady);
    REQUIRE(status_of(c1) == Status::kInvalidCapability);
    REQUIRE(c2->state() == ThreadState::kBlockedOnSend);
    REQUIRE(h.ipc(s, Syscall::kRecv, ep, tag(0, 0)) == Status::kOk);
    REQUIRE(s->regs()[kRdi] == 0x99);  // the badge of the send that survived
    REQUIRE(h.message(s) == std::vector<uint64_t>{22});
    REQUIRE(h.ipc(s, Syscall::kReply, 0, tag(0, 0)) == Status::kOk);
  }
  SECTION("the sender's own process deletes the capability: its call is cancelled") {
    Handle third_handle;
    Thread* c3 = h.add_thread(client.space, abi::kDefaultPriority, true, &third_handle);
    REQUIRE(h.syscall(c3, Syscall::kCapDelete, {k99}) == Status::kOk);
    REQUIRE(c2->state() == ThreadState::kReady);
    REQUIRE(status_of(c2) == Status::kInvalidCapability);
    REQUIRE(h.syscall(s, Syscall::kCapRevoke, {ep}) == Status::kOk);
    REQUIRE(status_of(c1) == Status::kInvalidCapability);
    REQUIRE(h.ipc(s, Syscall::kRecv, ep, tag(0, 0, 0, MessageInfo::kNonBlocking)) ==
            Status::kWouldBlock);
  }
  h.finish();
}

TEST_CASE("deleting or revoking the capability a waiting receive used cancels the receive") {
  // A server thread whose Receive capability is taken away must not take another message
  // through it: its waiting recv dies with the capability (kInvalidCapability), while the
  // endpoint lives on for the receivers that still hold theirs.
  Harness h;
  auto owner = h.spawn("owner");
  auto server = h.spawn("server");
  auto client = h.spawn("client");
  const Handle ep = h.create_endpoint(owner.space);
  // The owner hands the worker's capability out of one it keeps, so that it can revoke it.
  const Handle lent = h.grant(owner.space, ep, owner.space, abi::kRightReceive);
  const Handle worker_cap = h.grant(owner.space, lent, server.space, abi::kRightReceive);
  Handle unused;
  Thread* w1 = server.thread;
  Thread* w2 = h.add_thread(server.space, abi::kDefaultPriority, true, &unused);
  const Handle other_cap = h.grant(owner.space, ep, server.space, abi::kRightReceive);
  const Handle send = h.grant(owner.space, ep, client.space, abi::kRightSend);
  h.ipc(w1, Syscall::kRecv, worker_cap, tag(0, 0));
  h.ipc(w2, Syscall::kRecv, other_cap, tag(0, 0));
  REQUIRE(w1->state() == ThreadState::kBlockedOnReceive);
  REQUIRE(w2->state() == ThreadState::kBlockedOnReceive);
  CHECK(w1->recv_cap() == h.cap(server.space, worker_cap));

  SECTION("the owner revokes what it lent: only that receive ends") {
    REQUIRE(h.syscall(owner.thread, Syscall::kCapRevoke, {lent}) == Status::kOk);
    CHECK(h.cap(server.space, worker_cap) == nullptr);
  }
  SECTION("the server's own process deletes it") {
    Thread* w3 = h.add_thread(server.space, abi::kDefaultPriority, true, &unused);
    REQUIRE(h.syscall(w3, Syscall::kCapDelete, {worker_cap}) == Status::kOk);
  }
  REQUIRE(w1->state() == ThreadState::kReady);
  CHECK(status_of(w1) == Status::kInvalidCapability);
  REQUIRE(w2->state() == ThreadState::kBlockedOnReceive);
  REQUIRE(h.ipc(client.thread, Syscall::kSend, send, tag(5, 1), {55}) == Status::kOk);
  CHECK(w2->state() == ThreadState::kReady);
  CHECK(h.message(w2) == std::vector<uint64_t>{55});
  h.finish();
}

TEST_CASE("notifications: signal ORs badges, poll takes the word, wait blocks") {
  Harness h;
  auto p = h.spawn("waiter", 120);
  auto q = h.spawn("signaller", 100);
  Handle n = h.create_notification(p.space);
  Handle b2 = h.grant(p.space, n, q.space, abi::kRightSend, 0x2);
  Handle b4 = h.grant(p.space, n, q.space, abi::kRightSend, 0x4);
  Handle plain = h.grant(p.space, n, q.space, abi::kRightSend);
  Thread* w = p.thread;
  Thread* sg = q.thread;

  REQUIRE(h.syscall(w, Syscall::kPoll, {n}) == Status::kOk);
  REQUIRE(w->regs()[kRdi] == 0);
  h.syscall(w, Syscall::kWait, {n});
  REQUIRE(w->state() == ThreadState::kBlockedOnNotification);
  REQUIRE(scheduler().current() == sg);
  // The signal wakes the higher-priority waiter, which preempts the signaller.
  REQUIRE(h.syscall(sg, Syscall::kSignal, {b4}) == Status::kOk);
  REQUIRE(scheduler().current() == w);
  REQUIRE(status_of(w) == Status::kOk);
  REQUIRE(w->regs()[kRdi] == 0x4);
  REQUIRE(sg->state() == ThreadState::kReady);

  // Signals without a waiter accumulate; an unbadged capability signals bit 0.
  h.syscall(w, Syscall::kYield);  // still the highest: keeps running
  REQUIRE(scheduler().current() == w);
  ThreadTestAccess::priority(w) = 120;  // beyond what thread_set_priority allows
  h.syscall(w, Syscall::kThreadSetPriority, {abi::kSelfThread, 90});
  REQUIRE(scheduler().current() == sg);
  h.syscall(sg, Syscall::kSignal, {b2});
  h.syscall(sg, Syscall::kSignal, {b4});
  h.syscall(sg, Syscall::kSignal, {plain});
  REQUIRE(h.syscall(w, Syscall::kWait, {n}) == Status::kOk);  // does not block
  REQUIRE(w->regs()[kRdi] == 0x7);
  REQUIRE(h.syscall(w, Syscall::kPoll, {n}) == Status::kOk);
  REQUIRE(w->regs()[kRdi] == 0);
  h.finish();
}

TEST_CASE("notification errors and death") {
  Harness h;
  auto p = h.spawn("p");
  Handle n = h.create_notification(p.space);
  Handle send_only = h.grant(p.space, n, p.space, abi::kRightSend);
  Handle recv_only = h.grant(p.space, n, p.space, abi::kRightReceive);
  Handle ep = h.create_endpoint(p.space);
  REQUIRE(h.syscall(p.thread, Syscall::kWait, {send_only}) == Status::kPermissionDenied);
  REQUIRE(h.syscall(p.thread, Syscall::kPoll, {send_only}) == Status::kPermissionDenied);
  REQUIRE(h.syscall(p.thread, Syscall::kSignal, {recv_only}) == Status::kPermissionDenied);
  REQUIRE(h.syscall(p.thread, Syscall::kSignal, {ep}) == Status::kInvalidCapability);
  REQUIRE(h.syscall(p.thread, Syscall::kWait, {1ull << 33}) == Status::kInvalidCapability);

  // The waiter's notification dies when another thread deletes every capability to it.
  Thread* other = h.add_thread(p.space);
  h.syscall(p.thread, Syscall::kWait, {recv_only});
  REQUIRE(p.thread->state() == ThreadState::kBlockedOnNotification);
  REQUIRE(h.syscall(other, Syscall::kCapDelete, {n}) == Status::kOk);
  REQUIRE(p.thread->state() == ThreadState::kBlockedOnNotification);  // children hold it
  REQUIRE(h.syscall(other, Syscall::kCapDelete, {send_only}) == Status::kOk);
  REQUIRE(h.syscall(other, Syscall::kCapDelete, {recv_only}) == Status::kOk);
  REQUIRE(p.thread->state() == ThreadState::kReady);
  REQUIRE(status_of(p.thread) == Status::kPeerClosed);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
