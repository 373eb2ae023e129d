// Services linked into the kernel (IC0, core/kernel_service.h) on the hosted port: this binary
// defines hmk_kernel_domain() (the weak symbol kernel_service.cc refers to) as a fake domain
// that records every call, and clients call a kernel-served endpoint through the real system-call
// entry. The reply comes back in the caller's registers and IPC buffer within the same kernel
// entry (the caller keeps running, nothing else is scheduled); every error leaves the caller
// running with its status and, except for a reply the caller cannot take, the domain uncalled.
// Saved replies: a call the domain saves waits (kBlockedOnKernel) until another call, a
// deadline or the same call answers it, or is cancelled when its thread or process ends.
#include "core/kernel_service.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <vector>

#include "core/bootstrap.h"
#include "core/clock.h"
#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using arch::kRdi;
using arch::kRdx;
using arch::kRsi;

// ---- the fake kernel domain ----

constexpr uint32_t kEchoSlot = 0;      // replies with the request's words, label + 1 (a foreign
                                       // system call: kForeignResume, number + 1000)
constexpr uint32_t kBigSlot = 1;       // replies with kBigWords words of big_word(i)
constexpr uint32_t kOverlongSlot = 2;  // replies with more words than a message holds
constexpr uint32_t kChargeSlot = 3;  // word 0 bytes charged to the caller (kernel_service_charge);
                                     // label 1 keeps the charge, label 2 gives all back
constexpr uint32_t kSaveSlot = 4;    // saves the reply (label 1: and tries to save it again;
                                     // label 2: and ends the caller's process, g_end_space)
constexpr uint32_t kResumeSlot = 5;  // resumes token word 0 with label word 1 and words 2..;
                                     // replies with kernel_service_resume's status as label
constexpr uint32_t kSaveResumeSlot = 6;   // saves and resumes within the same call
constexpr uint32_t kDeadlineSlot = 7;     // saves with the deadline word 0 (expire: label 0xe0)
constexpr uint32_t kSetDeadlineSlot = 8;  // set_deadline(word 0, word 1); status as label
constexpr uint32_t kYieldSlot = 9;        // answers kYieldedLabel, its caller yielding
constexpr uint32_t kYieldedLabel = 0x91;
constexpr uint32_t kSavedLabel = 0x5a;    // what kSaveSlot replies when saving fails (word 0: why)
constexpr uint32_t kSelfAnswer = 0x5e1f;  // kSaveResumeSlot's answer
constexpr uint32_t kExpiredLabel = 0xe0;  // the expired call's answer (word 0: its token)
constexpr uint32_t kBigWords = 100;
constexpr uint32_t kBigLabel = 0xb16;

uint64_t big_word(uint32_t i) {
  return 0xb16'0000'0000'0000 | i;
}

struct Recorded {
  uint32_t slot;
  uint32_t label;
  uint32_t caps;
  uint64_t badge;
  std::vector<uint64_t> words;
  std::vector<uint64_t> cap_handles;  // the received capabilities' handles in the domain space
};

bool g_no_domain = false;  // hmk_kernel_domain() returns nullptr: an image without IC0 services
struct Charge {
  Quota* account;
  uint64_t bytes;
};
std::vector<Charge> g_charges;  // what the charge slot holds
int g_starts = 0;
std::vector<Recorded> g_calls;
std::vector<uint64_t> g_tokens;      // every token the domain saved, in order
std::vector<uint64_t> g_cancelled;   // every token the kernel cancelled
std::vector<uint64_t> g_expired;     // every token whose deadline came
Status g_second_save = Status::kOk;  // kSaveSlot label 1: what saving again returned
Space* g_end_space = nullptr;        // kSaveSlot label 2 ends this process within the call

Status fake_start() {
  ++g_starts;
  return Status::kOk;
}

int32_t fake_find(const char* name) {
  if (std::strcmp(name, "echo") == 0) return kEchoSlot;
  if (std::strcmp(name, "big") == 0) return kBigSlot;
  if (std::strcmp(name, "charge") == 0) return kChargeSlot;
  return -1;
}

// Called inside a kernel entry: records failures without throwing through the kernel.
void fake_call(KernelCall& call) {
  CHECK(call.words <= abi::kMaxMessageWords);
  CHECK(call.caps <= abi::kMaxMessageCaps);
  g_calls.push_back({call.slot, call.label, call.caps, call.badge,
                     std::vector<uint64_t>(call.data, call.data + call.words),
                     std::vector<uint64_t>(call.cap_handles, call.cap_handles + call.caps)});
  switch (call.slot) {
    case kEchoSlot:
      if (call.label == abi::kForeignSyscallLabel) {  // a foreign thread's: resume it at once
        call.label = abi::kForeignResume;
        call.words = 1;
        call.data[0] += 1000;
        break;
      }
      call.label += 1;
      break;
    case kBigSlot:
      call.label = kBigLabel;
      call.words = kBigWords;
      for (uint32_t i = 0; i < kBigWords; ++i)
        call.data[i] = big_word(i);
      break;
    case kOverlongSlot:
      call.label = 0x0f;
      call.words = abi::kMaxMessageWords + 1;
      break;
    case kChargeSlot:
      if (call.label == 1) {
        Result<Quota*> account = kernel_service_charge(call.data[0]);
        call.label = static_cast<uint32_t>(account.status());
        if (account.ok()) g_charges.push_back({*account, call.data[0]});
      } else {
        for (const Charge& c : g_charges)
          kernel_service_uncharge(c.account, c.bytes);
        g_charges.clear();
        call.label = 0;
      }
      call.words = 0;
      break;
    case kSaveSlot:
    case kDeadlineSlot: {
      Result<uint64_t> token = kernel_service_save_reply();
      if (!token.ok()) {
        call.label = kSavedLabel;
        call.words = 1;
        call.data[0] = static_cast<uint64_t>(token.status());
        break;
      }
      g_tokens.push_back(*token);
      if (call.slot == kDeadlineSlot)
        CHECK(kernel_service_set_deadline(*token, call.data[0]) == Status::kOk);
      if (call.slot == kSaveSlot && call.label == 1)
        g_second_save = kernel_service_save_reply().status();
      if (call.slot == kSaveSlot && call.label == 2) g_end_space->terminate(0);
      call.label = 0xbad;  // ignored: the reply is saved
      break;
    }
    case kResumeSlot: {
      KernelCall reply{};
      reply.label = static_cast<uint32_t>(call.data[1]);
      reply.words = call.words >= 2 ? call.words - 2 : 0;
      for (uint32_t i = 0; i < reply.words; ++i)
        reply.data[i] = call.data[2 + i];
      call.label = static_cast<uint32_t>(kernel_service_resume(call.data[0], reply));
      call.words = 0;
      break;
    }
    case kSaveResumeSlot: {
      Result<uint64_t> token = kernel_service_save_reply();
      REQUIRE(token.ok());
      KernelCall reply{};
      reply.label = kSelfAnswer;
      reply.words = 1;
      reply.data[0] = call.data[0] + 1;
      CHECK(kernel_service_resume(*token, reply) == Status::kOk);
      call.label = 0xbad;  // ignored: the resume's answer counts
      break;
    }
    case kYieldSlot:
      call.label = kernel_service_yield_caller() == Status::kOk ? kYieldedLabel : 0xbad;
      call.words = 0;
      break;
    case kSetDeadlineSlot:
      call.label = static_cast<uint32_t>(kernel_service_set_deadline(call.data[0], call.data[1]));
      call.words = 0;
      break;
    default:
      FAIL_CHECK("the kernel called unknown slot " << call.slot);
  }
}

void fake_cancel(uint64_t token) {
  g_cancelled.push_back(token);
}

void fake_expire(uint64_t token) {
  g_expired.push_back(token);
  KernelCall reply{};
  reply.label = kExpiredLabel;
  reply.words = 1;
  reply.data[0] = token;
  CHECK(kernel_service_resume(token, reply) == Status::kOk);
}

// The quick way: the echo slot answers system call kQuickNumber with kQuickNumber + 2000 and
// declines every other; every offer is recorded.
constexpr uint64_t kQuickNumber = 40;
struct QuickOffer {
  uint32_t slot;
  uint64_t badge;
  std::vector<uint64_t> words;
};
std::vector<QuickOffer> g_quick;

bool fake_quick(uint32_t slot, uint64_t badge, const uint64_t* call, uint64_t* result) {
  g_quick.push_back({slot, badge, std::vector<uint64_t>(call, call + kQuickSyscallWords)});
  if (slot != kEchoSlot || call[0] != kQuickNumber) return false;
  *result = call[0] + 2000;
  return true;
}

// Offered: kQuickNumber and 39 (which fake_quick declines); never 41.
constexpr uint64_t kQuickNumbers[kQuickBitmapWords] = {(uint64_t{1} << kQuickNumber) |
                                                       (uint64_t{1} << 39)};

constexpr KernelDomain kFakeDomain = {&fake_start,  &fake_find,    &fake_call,
                                      &fake_cancel, &fake_expire,  nullptr,
                                      &fake_quick,  kQuickNumbers, nullptr};
// The same domain as one that never saves replies or sets deadlines declares itself.
constexpr KernelDomain kAnsweringDomain = {&fake_start, &fake_find, &fake_call, nullptr, nullptr,
                                           nullptr,     nullptr,    nullptr,    nullptr};
bool g_answering_only = false;  // hmk_kernel_domain() returns kAnsweringDomain

}  // namespace
}  // namespace hmk::hosted

// Overrides the weak reference in core/kernel_service.cc, in this test binary only.
extern "C" const hmk::KernelDomain* hmk_kernel_domain() {
  if (hmk::hosted::g_no_domain) return nullptr;
  return hmk::hosted::g_answering_only ? &hmk::hosted::kAnsweringDomain : &hmk::hosted::kFakeDomain;
}

namespace hmk::hosted {
namespace {

constexpr uint64_t kBufferAddress = 0x10000;
constexpr uint32_t kClientNumber = 3;
constexpr uint16_t kEchoIndex = 0;
constexpr uint16_t kBigIndex = 1;
constexpr uint16_t kOverlongIndex = 2;
constexpr uint16_t kUnboundIndex = 5;
constexpr uint16_t kBeyondIndex = 40;  // past the 32 bindable indexes
constexpr uint64_t kUntouched = 0xdead'beef'dead'beef;

MessageInfo tag(uint32_t label, uint32_t words, uint32_t caps = 0, uint64_t flags = 0) {
  return MessageInfo::make(label, words, caps, flags);
}

std::vector<uint64_t> iota(uint64_t first, size_t n) {
  std::vector<uint64_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = first + i;
  return v;
}

// What init keeps the kernel endpoint's root capability in: a space without threads.
Space* make_holder(Harness& h) {
  Result<Quota*> quota = Quota::create_root(64 * 1024);
  REQUIRE(quota.ok());
  Result<Space*> space = Space::create(**quota, **quota, "init");
  (*quota)->release();
  REQUIRE(space.ok());
  h.hold(*space);
  return *space;
}

// A kernel-served endpoint made as init makes it for `kernel serves=echo,big`, and a client
// holding badged kServiceRights capabilities to it, one per badge index, as its manifest
// line's uses= would give them.
struct KernelServed {
  explicit KernelServed(Harness& h) : holder(make_holder(h)), client(h.spawn("client")) {
    g_no_domain = false;
    g_calls.clear();
    g_quick.clear();
    REQUIRE(create_kernel_endpoint(*holder, &root) == Status::kOk);
    h.check();
    Capability* r = h.cap(holder, root);
    REQUIRE(r != nullptr);
    REQUIRE(r->type == ObjectType::kEndpoint);
    REQUIRE(static_cast<Endpoint*>(r->object)->kernel_served());
    REQUIRE((r->rights & abi::kRightReceive) == 0);
    bind_kernel_service(kEchoIndex, kEchoSlot);
    bind_kernel_service(kBigIndex, kBigSlot);
    bind_kernel_service(kOverlongIndex, kOverlongSlot);
    echo = service(h, kEchoIndex);
    big = service(h, kBigIndex);
    overlong = service(h, kOverlongIndex);
    unbound = service(h, kUnboundIndex);
    beyond = service(h, kBeyondIndex);
  }
  ~KernelServed() { g_no_domain = false; }

  Handle service(Harness& h, uint16_t index, uint32_t rights = kServiceRights) {
    return h.grant(holder, root, client.space, rights, service_badge(kClientNumber, index));
  }

  // A call from the client; the caller must still be running afterwards, with nothing
  // scheduled in between (the fast path declines: nobody receives on the endpoint).
  Status call(Harness& h, uint64_t ep, MessageInfo t, const std::vector<uint64_t>& words = {},
              Syscall number = Syscall::kCall) {
    h.make_current(client.thread);
    const size_t ready = scheduler().ready_count();
    const Status s = h.ipc(client.thread, number, ep, t, words);
    CHECK_FALSE(h.fast_path_taken());
    REQUIRE(client.thread->state() == ThreadState::kRunning);
    REQUIRE(scheduler().current() == client.thread);
    CHECK(scheduler().ready_count() == ready);
    h.check();
    return s;
  }

  Space* holder;
  Harness::Process client;
  Handle root = abi::kNullHandle;
  Handle echo = abi::kNullHandle;
  Handle big = abi::kNullHandle;
  Handle overlong = abi::kNullHandle;
  Handle unbound = abi::kNullHandle;
  Handle beyond = abi::kNullHandle;
};

// Fills the caller's message registers and its IPC buffer's words with kUntouched.
void scribble(Thread* t, abi::IpcBuffer* buffer) {
  for (uint32_t i = 0; i < abi::kRegisterWords; ++i)
    t->regs()[kRdx + i] = kUntouched;
  if (buffer != nullptr) {
    for (uint64_t& w : buffer->words)
      w = kUntouched;
  }
}

TEST_CASE("the test binary's kernel domain is the one the kernel sees") {
  Harness h;
  g_no_domain = false;
  const KernelDomain* domain = kernel_domain();
  REQUIRE(domain == &kFakeDomain);
  CHECK(domain->find("echo") == 0);
  CHECK(domain->find("big") == 1);
  CHECK(domain->find("nope") == -1);
  const int starts = g_starts;
  CHECK(domain->start() == Status::kOk);
  CHECK(g_starts == starts + 1);
  g_no_domain = true;
  CHECK(kernel_domain() == nullptr);
  g_no_domain = false;
  h.finish();
}

TEST_CASE("a register-only call is answered in the caller's registers, in the same entry") {
  Harness h;
  KernelServed ks(h);
  Thread* c = ks.client.thread;
  // Another ready process at the same priority: a kernel service call must not yield to it.
  auto other = h.spawn("other");
  REQUIRE(other.thread->state() == ThreadState::kReady);

  scribble(c, nullptr);
  REQUIRE(ks.call(h, ks.echo, tag(7, 3), {11, 22, 33}) == Status::kOk);
  REQUIRE(g_calls.size() == 1);
  const Recorded& got = g_calls[0];
  CHECK(got.slot == kEchoSlot);
  CHECK(got.label == 7);
  CHECK(got.caps == 0);
  CHECK(got.badge == service_badge(kClientNumber, kEchoIndex));
  CHECK(got.words == std::vector<uint64_t>{11, 22, 33});

  const MessageInfo reply{c->regs()[kRsi]};
  CHECK(reply.label() == 8);
  CHECK(reply.words() == 3);
  CHECK(reply.caps() == 0);
  CHECK(c->regs()[kRdi] == 0);  // handle_or_badge: no badge on a reply
  CHECK(h.message(c) == std::vector<uint64_t>{11, 22, 33});
  CHECK(c->regs()[kRdx + 3] == kUntouched);  // past the reply's words
  CHECK(other.thread->state() == ThreadState::kReady);

  SECTION("the full ten register words, and the empty message") {
    const std::vector<uint64_t> ten = iota(100, abi::kRegisterWords);
    REQUIRE(ks.call(h, ks.echo, tag(0, abi::kRegisterWords), ten) == Status::kOk);
    CHECK(h.message(c) == ten);
    REQUIRE(ks.call(h, ks.echo, tag(0xffff'fffe, 0)) == Status::kOk);
    CHECK(MessageInfo{c->regs()[kRsi]}.label() == 0xffff'ffff);
    CHECK(MessageInfo{c->regs()[kRsi]}.words() == 0);
    REQUIRE(g_calls.size() == 3);
    CHECK(g_calls[1].words == ten);
    CHECK(g_calls[2].words.empty());
  }
  SECTION("the non-blocking flag changes nothing: the kernel answers at once") {
    REQUIRE(ks.call(h, ks.echo, tag(1, 1, 0, MessageInfo::kNonBlocking), {5}) == Status::kOk);
    CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(2, 1).raw);
    CHECK(h.message(c) == std::vector<uint64_t>{5});
  }
  SECTION("the slow path alone gives the same answer") {
    REQUIRE(h.ipc(c, Syscall::kCall, ks.echo, tag(9, 2), {1, 2}, Path::kSlow) == Status::kOk);
    REQUIRE(c->state() == ThreadState::kRunning);
    CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(10, 2).raw);
    CHECK(h.message(c) == std::vector<uint64_t>{1, 2});
  }
  SECTION("the domain sees the whole badge: another client number, the same slot") {
    const Handle other_client =
        h.grant(ks.holder, ks.root, ks.client.space, kServiceRights, service_badge(9, kEchoIndex));
    REQUIRE(ks.call(h, other_client, tag(0, 1), {1}) == Status::kOk);
    REQUIRE(g_calls.size() == 2);
    CHECK(g_calls[1].slot == kEchoSlot);
    CHECK(g_calls[1].badge == service_badge(9, kEchoIndex));
  }
  SECTION("a Send-only capability is enough for a call without capabilities") {
    const Handle send_only = ks.service(h, kEchoIndex, abi::kRightSend);
    REQUIRE(ks.call(h, send_only, tag(0, 1), {4}) == Status::kOk);
    CHECK(h.message(c) == std::vector<uint64_t>{4});
  }
  h.finish();
}

TEST_CASE("long requests come from the caller's IPC buffer, long replies go back to it") {
  Harness h;
  KernelServed ks(h);
  Thread* c = ks.client.thread;
  abi::IpcBuffer* buffer = h.give_ipc_buffer(c, kBufferAddress + 0x800);  // not at a page start

  SECTION("40 words to the echo service and back") {
    const std::vector<uint64_t> request = iota(1000, 40);
    REQUIRE(ks.call(h, ks.echo, tag(3, 40), request) == Status::kOk);
    REQUIRE(g_calls.size() == 1);
    CHECK(g_calls[0].words == request);
    CHECK(g_calls[0].label == 3);
    CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(4, 40).raw);
    CHECK(h.message(c) == request);
  }
  SECTION("the largest message, both ways") {
    const std::vector<uint64_t> request = iota(7000, abi::kMaxMessageWords);
    REQUIRE(ks.call(h, ks.echo, tag(0, abi::kMaxMessageWords), request) == Status::kOk);
    REQUIRE(g_calls.size() == 1);
    CHECK(g_calls[0].words == request);
    CHECK(h.message(c) == request);
  }
  SECTION("a 100-word reply: words 0..9 in registers, 10..99 in the buffer, nothing beyond") {
    scribble(c, buffer);
    REQUIRE(ks.call(h, ks.big, tag(1, 2), {8, 9}) == Status::kOk);
    REQUIRE(g_calls.size() == 1);
    CHECK(g_calls[0].slot == kBigSlot);
    CHECK(g_calls[0].badge == service_badge(kClientNumber, kBigIndex));
    CHECK(g_calls[0].words == std::vector<uint64_t>{8, 9});
    const MessageInfo reply{c->regs()[kRsi]};
    CHECK(reply.label() == kBigLabel);
    CHECK(reply.words() == kBigWords);
    CHECK(c->regs()[kRdi] == 0);
    for (uint32_t i = 0; i < abi::kRegisterWords; ++i) {
      INFO("register word " << i);
      CHECK(c->regs()[kRdx + i] == big_word(i));
      CHECK(buffer->words[i] == kUntouched);  // words below kRegisterWords are not copied
    }
    for (uint32_t i = abi::kRegisterWords; i < kBigWords; ++i) {
      INFO("buffer word " << i);
      CHECK(buffer->words[i] == big_word(i));
    }
    for (uint32_t i = kBigWords; i < abi::kMaxMessageWords; ++i) {
      INFO("buffer word " << i);
      CHECK(buffer->words[i] == kUntouched);
    }
  }
  h.finish();
}

TEST_CASE("kernel service errors leave the caller running with the status, the domain uncalled") {
  Harness h;
  KernelServed ks(h);
  Thread* c = ks.client.thread;
  const uint64_t request_tag = tag(5, 3).raw;

  SECTION("a send, not a call: kUnsupported") {
    CHECK(ks.call(h, ks.echo, tag(5, 3), {1, 2, 3}, Syscall::kSend) == Status::kUnsupported);
    CHECK(c->regs()[kRsi] == request_tag);  // the registers as the caller left them
    CHECK(h.message(c) == std::vector<uint64_t>{1, 2, 3});
  }
  SECTION("an unbound badge index: kNotFound") {
    CHECK(ks.call(h, ks.unbound, tag(5, 3), {1, 2, 3}) == Status::kNotFound);
    CHECK(ks.call(h, ks.beyond, tag(5, 3), {1, 2, 3}) == Status::kNotFound);
    CHECK(c->regs()[kRsi] == request_tag);
  }
  SECTION("an image without a kernel domain: kUnsupported") {
    g_no_domain = true;
    CHECK(ks.call(h, ks.echo, tag(5, 3), {1, 2, 3}) == Status::kUnsupported);
    CHECK(c->regs()[kRsi] == request_tag);
  }
  SECTION("capabilities in the message, while there is no domain space") {
    // The checks every send makes come first: capabilities need an IPC buffer...
    CHECK(ks.call(h, ks.echo, tag(5, 0, 1)) == Status::kInvalidArgument);
    h.give_ipc_buffer(c, kBufferAddress);
    // ... and the Grant right...
    const Handle send_only = ks.service(h, kEchoIndex, abi::kRightSend);
    CHECK(ks.call(h, send_only, tag(5, 0, 1)) == Status::kPermissionDenied);
    // ... and handles that name capabilities; then, with nowhere to put them, kUnsupported.
    h.ipc_buffer(c)->send_caps[0] = 999;
    CHECK(ks.call(h, ks.echo, tag(5, 0, 1)) == Status::kInvalidCapability);
    REQUIRE(kernel_domain_space() == nullptr);
    h.ipc_buffer(c)->send_caps[0] = abi::kSelfThread;
    CHECK(ks.call(h, ks.echo, tag(5, 0, 1)) == Status::kUnsupported);
    for (uint32_t i = 0; i < abi::kMaxMessageCaps; ++i)
      h.ipc_buffer(c)->send_caps[i] = abi::kSelfThread;
    CHECK(ks.call(h, ks.echo, tag(5, 2, abi::kMaxMessageCaps), {1, 2}) == Status::kUnsupported);
    // More than a message carries: kInvalidArgument, as for any send.
    CHECK(ks.call(h, ks.echo, tag(5, 0, abi::kMaxMessageCaps + 1)) == Status::kInvalidArgument);
    // The capability was not transferred anywhere.
    CHECK(h.cap(ks.client.space, abi::kSelfThread)->object == c);
    CHECK(h.cap(ks.client.space, abi::kSelfThread)->first_child == nullptr);
  }
  SECTION("more words than registers") {
    const std::vector<uint64_t> words = iota(1, 11);
    // No IPC buffer set at all: kInvalidArgument, as for any send (check_tag).
    CHECK(ks.call(h, ks.echo, tag(5, 11), {1, 2, 3}) == Status::kInvalidArgument);
    // An IPC buffer set but not mapped (or not writable): kBadAddress.
    c->set_ipc_buffer(kBufferAddress);
    CHECK(ks.call(h, ks.echo, tag(5, 11), {1, 2, 3}) == Status::kBadAddress);
    h.map_memory(ks.client.space, kBufferAddress, 1, abi::kRightRead);
    CHECK(ks.call(h, ks.echo, tag(5, 11), {1, 2, 3}) == Status::kBadAddress);
    // More than a message holds: kInvalidArgument, buffer or not.
    CHECK(ks.call(h, ks.echo, tag(5, abi::kMaxMessageWords + 1)) == Status::kInvalidArgument);
    CHECK(ks.call(h, ks.echo, tag(5, 0xff)) == Status::kInvalidArgument);
  }
  SECTION("the index is checked before the buffer") {
    c->set_ipc_buffer(kBufferAddress);  // unmapped
    CHECK(ks.call(h, ks.unbound, tag(5, 11)) == Status::kNotFound);
  }
  SECTION("the handle and the rights are checked before anything else") {
    CHECK(ks.call(h, 999, tag(5, 1), {1}) == Status::kInvalidCapability);
    CHECK(ks.call(h, abi::kSelfThread, tag(5, 1), {1}) == Status::kInvalidCapability);
    CHECK(ks.call(h, (1ull << 32) | ks.echo, tag(5, 1), {1}) == Status::kInvalidCapability);
    const Handle grant_only = ks.service(h, kEchoIndex, abi::kRightGrant);
    CHECK(ks.call(h, grant_only, tag(5, 1), {1}) == Status::kPermissionDenied);
  }
  CHECK(g_calls.empty());
  CHECK(c->state() == ThreadState::kRunning);
  h.finish();
}

TEST_CASE("a reply the caller cannot take: kBufferTooSmall after the call, nothing written") {
  Harness h;
  KernelServed ks(h);
  Thread* c = ks.client.thread;

  SECTION("no IPC buffer") {
    scribble(c, nullptr);
    CHECK(ks.call(h, ks.big, tag(5, 0)) == Status::kBufferTooSmall);
  }
  SECTION("an IPC buffer set but unmapped") {
    c->set_ipc_buffer(kBufferAddress);
    scribble(c, nullptr);
    CHECK(ks.call(h, ks.big, tag(5, 0)) == Status::kBufferTooSmall);
  }
  // The domain ran (a kernel service call cannot be undone) but no reply word reached the
  // caller: its tag and message registers are as it left them.
  REQUIRE(g_calls.size() == 1);
  CHECK(g_calls[0].slot == kBigSlot);
  CHECK(c->regs()[kRsi] == tag(5, 0).raw);
  CHECK(c->regs()[kRdi] == ks.big);
  for (uint32_t i = 0; i < abi::kRegisterWords; ++i)
    CHECK(c->regs()[kRdx + i] == kUntouched);
  h.finish();
}

TEST_CASE("a domain reply longer than any message goes back empty") {
  Harness h;
  KernelServed ks(h);
  Thread* c = ks.client.thread;
  REQUIRE(ks.call(h, ks.overlong, tag(5, 1), {1}) == Status::kOk);
  REQUIRE(g_calls.size() == 1);
  CHECK(g_calls[0].slot == kOverlongSlot);
  CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(0x0f, 0).raw);
  h.finish();
}

TEST_CASE("memory a kernel service takes for a client is charged to the client's quota") {
  // Issue 10, item 12: IC0 memory came from a global pool nobody's quota bounded.
  Harness h;
  KernelServed k(h);
  bind_kernel_service(3, kChargeSlot);
  const Handle charge = k.service(h, 3);
  Quota& quota = k.client.space->own_quota();
  const uint64_t used = quota.used();
  REQUIRE(k.call(h, charge, tag(1, 1), {16384}) == Status::kOk);
  CHECK(MessageInfo{k.client.thread->regs()[kRsi]}.label() == 0);
  CHECK(quota.used() == used + 16384);
  // Past the client's limit: refused, nothing charged.
  REQUIRE(k.call(h, charge, tag(1, 1), {quota.limit()}) == Status::kOk);
  CHECK(MessageInfo{k.client.thread->regs()[kRsi]}.label() ==
        static_cast<uint32_t>(Status::kQuotaExceeded));
  CHECK(quota.used() == used + 16384);
  // Outside a call nobody pays: refused.
  CHECK(kernel_service_charge(4096).status() == Status::kQuotaExceeded);
  // The account outlives the process while the service holds the memory.
  Quota* account = g_charges.at(0).account;
  h.syscall(k.client.thread, Syscall::kProcessExit, {0});
  reap_objects();
  CHECK(account->external_bytes() == 16384);
  h.check();
  auto other = h.spawn("other");
  const Handle other_charge =
      h.grant(k.holder, k.root, other.space, kServiceRights, service_badge(kClientNumber + 1, 3));
  h.make_current(other.thread);
  REQUIRE(h.ipc(other.thread, Syscall::kCall, other_charge, tag(2, 0)) == Status::kOk);
  CHECK(g_charges.empty());
  h.finish();  // every account gone, nothing leaked
}

TEST_CASE("revoking the kernel endpoint's root cuts its clients off") {
  Harness h;
  KernelServed ks(h);
  Thread* c = ks.client.thread;
  REQUIRE(ks.call(h, ks.echo, tag(1, 1), {1}) == Status::kOk);
  Capability* root = h.cap(ks.holder, ks.root);
  REQUIRE(root != nullptr);
  cap_revoke(root);
  h.check();
  CHECK(ks.call(h, ks.echo, tag(1, 1), {1}) == Status::kInvalidCapability);
  CHECK(g_calls.size() == 1);
  cap_delete(root);
  reap_objects();
  h.check();
  CHECK(c->state() == ThreadState::kRunning);
  h.finish();
}

// ---- saved replies: a kernel service that cannot answer yet ----

constexpr uint16_t kSaveIndex = 4;
constexpr uint16_t kResumeIndex = 5;
constexpr uint16_t kSaveResumeIndex = 6;
constexpr uint16_t kDeadlineIndex = 7;
constexpr uint16_t kSetDeadlineIndex = 8;

// The kernel-served endpoint with the saving slots bound, the client (which will wait) and a
// second process that answers: its calls are answered at once.
struct Saving : KernelServed {
  explicit Saving(Harness& h) : KernelServed(h), other(h.spawn("answerer")) {
    g_tokens.clear();
    g_cancelled.clear();
    g_expired.clear();
    g_second_save = Status::kOk;
    g_end_space = nullptr;
    for (uint16_t i = kSaveIndex; i <= kSetDeadlineIndex; ++i)
      bind_kernel_service(i, i);
    save = service(h, kSaveIndex);
    save_resume = service(h, kSaveResumeIndex);
    deadline = service(h, kDeadlineIndex);
    resume = h.grant(holder, root, other.space, kServiceRights,
                     service_badge(kClientNumber + 1, kResumeIndex));
    set_deadline = h.grant(holder, root, other.space, kServiceRights,
                           service_badge(kClientNumber + 1, kSetDeadlineIndex));
    h.give_ipc_buffer(other.thread, kBufferAddress);  // for long answers
  }

  // The client calls `ep` and waits: its reply is saved.
  void call_and_wait(Harness& h, Handle ep, MessageInfo t, const std::vector<uint64_t>& words) {
    h.make_current(client.thread);
    const size_t tokens = g_tokens.size();
    (void)h.ipc(client.thread, Syscall::kCall, ep, t, words);
    REQUIRE(g_tokens.size() == tokens + 1);
    REQUIRE(client.thread->state() == ThreadState::kBlockedOnKernel);
    REQUIRE(saved_reply_waiter(client.thread->saved_reply_slot()) == client.thread);
  }

  // The answerer resumes `token` with `label` and `words`; returns kernel_service_resume's
  // status (the answerer's reply label).
  Status answer(Harness& h, uint64_t token, uint32_t label, const std::vector<uint64_t>& words) {
    h.make_current(other.thread);
    std::vector<uint64_t> request = {token, label};
    request.insert(request.end(), words.begin(), words.end());
    REQUIRE(h.ipc(other.thread, Syscall::kCall, resume,
                  tag(0, static_cast<uint32_t>(request.size())), request) == Status::kOk);
    REQUIRE(other.thread->state() == ThreadState::kRunning);
    h.check();
    return static_cast<Status>(MessageInfo{other.thread->regs()[kRsi]}.label());
  }

  Harness::Process other;
  Handle save = abi::kNullHandle;
  Handle save_resume = abi::kNullHandle;
  Handle deadline = abi::kNullHandle;
  Handle resume = abi::kNullHandle;
  Handle set_deadline = abi::kNullHandle;
};

TEST_CASE("a saved reply: the caller waits until another call answers it, once") {
  Harness h;
  Saving ks(h);
  Thread* c = ks.client.thread;
  scribble(c, nullptr);
  ks.call_and_wait(h, ks.save, tag(3, 2), {10, 20});
  CHECK(g_calls.back().words == std::vector<uint64_t>{10, 20});
  CHECK(saved_reply_count() == 1);
  CHECK(c->regs()[kRdx] == 10);  // nothing written back yet
  const uint64_t token = g_tokens[0];

  REQUIRE(ks.answer(h, token, 0x42, {7, 8, 9}) == Status::kOk);
  CHECK(c->state() == ThreadState::kReady);
  CHECK(saved_reply_count() == 0);
  CHECK(status_of(c) == Status::kOk);
  CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(0x42, 3).raw);
  CHECK(c->regs()[kRdi] == 0);
  CHECK(h.message(c) == std::vector<uint64_t>{7, 8, 9});
  CHECK(g_cancelled.empty());

  SECTION("the token is used up: a second answer and a deadline find nothing") {
    CHECK(ks.answer(h, token, 0x43, {}) == Status::kNotFound);
    h.make_current(ks.other.thread);
    REQUIRE(h.ipc(ks.other.thread, Syscall::kCall, ks.set_deadline, tag(0, 2), {token, 1}) ==
            Status::kOk);
    CHECK(MessageInfo{ks.other.thread->regs()[kRsi]}.label() ==
          static_cast<uint32_t>(Status::kNotFound));
    CHECK(h.message(c) == std::vector<uint64_t>{7, 8, 9});
  }
  SECTION("the next saved call of the same slot gets another token; the old one stays dead") {
    h.make_current(c);
    ks.call_and_wait(h, ks.save, tag(3, 0), {});
    const uint64_t next = g_tokens[1];
    CHECK(next != token);
    CHECK(ks.answer(h, token, 0x43, {}) == Status::kNotFound);
    CHECK(c->state() == ThreadState::kBlockedOnKernel);
    CHECK(ks.answer(h, next, 0x44, {}) == Status::kOk);
    CHECK(MessageInfo{c->regs()[kRsi]}.label() == 0x44);
  }
  SECTION("tokens that never were: nothing happens") {
    CHECK(ks.answer(h, token ^ (uint64_t{1} << 32), 1, {}) == Status::kNotFound);
    CHECK(ks.answer(h, kMaxSavedReplies, 1, {}) == Status::kNotFound);
    CHECK(ks.answer(h, ~uint64_t{0}, 1, {}) == Status::kNotFound);
  }
  h.finish();
}

TEST_CASE("a saved reply longer than the registers goes to the caller's IPC buffer") {
  Harness h;
  Saving ks(h);
  Thread* c = ks.client.thread;
  const std::vector<uint64_t> long_reply = iota(500, 30);
  SECTION("with a buffer") {
    abi::IpcBuffer* buffer = h.give_ipc_buffer(c, kBufferAddress);
    scribble(c, buffer);
    ks.call_and_wait(h, ks.save, tag(0, 0), {});
    REQUIRE(ks.answer(h, g_tokens[0], 9, long_reply) == Status::kOk);
    CHECK(status_of(c) == Status::kOk);
    CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(9, 30).raw);
    CHECK(h.message(c) == long_reply);
  }
  SECTION("without one the call fails with kBufferTooSmall and the token is used up") {
    ks.call_and_wait(h, ks.save, tag(0, 0), {});
    REQUIRE(ks.answer(h, g_tokens[0], 9, long_reply) == Status::kOk);
    CHECK(c->state() == ThreadState::kReady);
    CHECK(status_of(c) == Status::kBufferTooSmall);
    CHECK(saved_reply_count() == 0);
  }
  h.finish();
}

TEST_CASE("a saved reply answered within the call that saved it is an immediate answer") {
  Harness h;
  Saving ks(h);
  REQUIRE(ks.call(h, ks.save_resume, tag(1, 1), {41}) == Status::kOk);
  CHECK(MessageInfo{ks.client.thread->regs()[kRsi]}.raw == tag(kSelfAnswer, 1).raw);
  CHECK(h.message(ks.client.thread) == std::vector<uint64_t>{42});
  CHECK(saved_reply_count() == 0);
  h.finish();
}

TEST_CASE("a domain without cancel cannot save a reply, one without expire sets no deadline") {
  Harness h;
  Saving ks(h);
  g_answering_only = true;
  REQUIRE(ks.call(h, ks.save, tag(0, 0)) == Status::kOk);  // answered at once, with why
  CHECK(MessageInfo{ks.client.thread->regs()[kRsi]}.label() == kSavedLabel);
  CHECK(ks.client.thread->regs()[kRdx] == static_cast<uint64_t>(Status::kUnsupported));
  g_answering_only = false;
  ks.call_and_wait(h, ks.save, tag(0, 0), {});
  g_answering_only = true;
  CHECK(kernel_service_set_deadline(g_tokens[0], monotonic_ns() + 10) == Status::kUnsupported);
  CHECK_FALSE(saved_reply_deadline_pending());
  g_answering_only = false;
  REQUIRE(ks.answer(h, g_tokens[0], 1, {}) == Status::kOk);
  h.finish();
}

TEST_CASE("saving twice in one call, or outside a call, fails") {
  Harness h;
  Saving ks(h);
  CHECK(kernel_service_save_reply().status() == Status::kInvalidArgument);
  ks.call_and_wait(h, ks.save, tag(1, 0), {});
  CHECK(g_second_save == Status::kInvalidArgument);
  CHECK(saved_reply_count() == 1);
  REQUIRE(ks.answer(h, g_tokens[0], 1, {}) == Status::kOk);
  h.finish();
}

TEST_CASE("a waiter killed or whose process ends is cancelled: the domain hears of its token") {
  Harness h;
  Saving ks(h);
  Thread* c = ks.client.thread;
  SECTION("its process ends while it waits") {
    ks.call_and_wait(h, ks.save, tag(0, 0), {});
    ks.client.space->terminate(0);
    h.check();
  }
  SECTION("its thread is killed while it waits") {
    ks.call_and_wait(h, ks.save, tag(0, 0), {});
    kill_thread(c);
    h.check();
  }
  SECTION("the very call that saved it ends its process") {
    g_end_space = ks.client.space;
    h.make_current(c);
    (void)h.ipc(c, Syscall::kCall, ks.save, tag(2, 0), {});
    REQUIRE(g_tokens.size() == 1);
    CHECK(c->state() == ThreadState::kDead);
  }
  REQUIRE(g_cancelled == g_tokens);
  CHECK(saved_reply_count() == 0);
  CHECK(ks.answer(h, g_tokens[0], 1, {}) == Status::kNotFound);
  h.finish();
}

TEST_CASE("a saved reply's deadline: the domain's expire runs at the first tick at or after it") {
  Harness h;
  Saving ks(h);
  Thread* c = ks.client.thread;
  const uint64_t deadline = monotonic_ns() + 1'000'000;
  ks.call_and_wait(h, ks.deadline, tag(0, 1), {deadline});
  CHECK(saved_reply_deadline_pending());
  h.make_current(ks.other.thread);
  h.timer_tick();  // before the deadline: nothing
  CHECK(g_expired.empty());
  CHECK(c->state() == ThreadState::kBlockedOnKernel);

  SECTION("it comes") {
    advance_cycles(1'000'000);
    h.timer_tick();
    REQUIRE(g_expired == g_tokens);
    CHECK(c->state() != ThreadState::kBlockedOnKernel);
    CHECK(MessageInfo{c->regs()[kRsi]}.raw == tag(kExpiredLabel, 1).raw);
    CHECK(c->regs()[kRdx] == g_tokens[0]);
    CHECK_FALSE(saved_reply_deadline_pending());
  }
  SECTION("0 disarms it") {
    h.make_current(ks.other.thread);
    REQUIRE(h.ipc(ks.other.thread, Syscall::kCall, ks.set_deadline, tag(0, 2), {g_tokens[0], 0}) ==
            Status::kOk);
    CHECK_FALSE(saved_reply_deadline_pending());
    advance_cycles(2'000'000);
    h.timer_tick();
    CHECK(g_expired.empty());
    REQUIRE(ks.answer(h, g_tokens[0], 1, {}) == Status::kOk);
  }
  SECTION("answered first: the deadline goes with it") {
    REQUIRE(ks.answer(h, g_tokens[0], 1, {}) == Status::kOk);
    CHECK_FALSE(saved_reply_deadline_pending());
    advance_cycles(2'000'000);
    h.timer_tick();
    CHECK(g_expired.empty());
  }
  h.finish();
}

TEST_CASE("when every saved-reply slot is taken, saving fails with kOutOfMemory") {
  Harness h;
  Saving ks(h);
  // kMaxSavedReplies + 1 threads in processes of 128 (a capability table's worth), each with
  // the service's capability.
  std::vector<Harness::Process> processes;
  std::vector<Thread*> waiters;
  std::vector<Handle> saves;
  while (waiters.size() < kMaxSavedReplies + 1) {
    processes.push_back(h.spawn("many"));
    Space* s = processes.back().space;
    const Handle save = h.grant(ks.holder, ks.root, s, kServiceRights,
                                service_badge(kClientNumber + 2, kSaveIndex));
    waiters.push_back(processes.back().thread);
    saves.push_back(save);
    for (uint32_t i = 1; i < 128 && waiters.size() < kMaxSavedReplies + 1; ++i) {
      Result<Thread*> t = Thread::create(s->own_quota(), *s, 0x1000, 0x2000, 0, 0);
      REQUIRE(t.ok());
      h.start(*t);
      (*t)->release();  // the started thread holds itself
      waiters.push_back(*t);
      saves.push_back(save);
    }
  }
  h.check();
  // The calls go straight to the kernel entry, without the invariant check after each: over
  // 1,000 threads, 1,024 of them would take minutes. It runs once at the end instead.
  set_invariant_check(nullptr);
  for (uint32_t i = 0; i < kMaxSavedReplies; ++i) {
    Thread* t = waiters[i];
    REQUIRE(t->state() == ThreadState::kReady);
    if (Thread* current = scheduler().current(); current != nullptr) {
      scheduler().make_ready_front(current);
    }
    scheduler().run(t);
    arch::activate(t->space().address_space(), t->context());
    t->regs()[arch::kRax] = static_cast<uint64_t>(Syscall::kCall);
    t->regs()[arch::kSysHandle] = saves[i];
    t->regs()[arch::kSysTag] = tag(0, 0).raw;
    (void)syscall_entry();
    REQUIRE(t->state() == ThreadState::kBlockedOnKernel);
  }
  set_invariant_check(&detail::recording_check);
  h.check();
  CHECK(saved_reply_count() == kMaxSavedReplies);
  // Every waiting token names a slot of its own (saved_reply_slot), so a domain can index by it.
  std::set<uint32_t> slots;
  for (uint64_t token : g_tokens)
    slots.insert(saved_reply_slot(token));
  CHECK(slots.size() == kMaxSavedReplies);
  CHECK(*slots.rbegin() == kMaxSavedReplies - 1);
  // The last one is answered at once with why it could not be saved.
  Thread* last = waiters.back();
  const Handle save = saves.back();
  h.make_current(last);
  REQUIRE(h.ipc(last, Syscall::kCall, save, tag(0, 0), {}) == Status::kOk);
  CHECK(MessageInfo{last->regs()[kRsi]}.label() == kSavedLabel);
  CHECK(last->regs()[kRdx] == static_cast<uint64_t>(Status::kOutOfMemory));
  // One answered: its slot is free again, under a new token.
  const uint64_t first = g_tokens.at(0);
  REQUIRE(ks.answer(h, first, 1, {}) == Status::kOk);
  h.make_current(last);
  (void)h.ipc(last, Syscall::kCall, save, tag(0, 0), {});
  REQUIRE(last->state() == ThreadState::kBlockedOnKernel);
  CHECK((g_tokens.back() & 0xffff'ffff) == (first & 0xffff'ffff));
  CHECK(g_tokens.back() != first);
  CHECK(ks.answer(h, first, 1, {}) == Status::kNotFound);
  for (Harness::Process& p : processes)
    p.space->terminate(0);
  CHECK(saved_reply_count() == 0);
  CHECK(g_cancelled.size() == kMaxSavedReplies);
  h.finish();
}

// A process whose thread's system calls go to `handler`, a kernel-served capability of
// `client`'s (thread_set_syscall_handler copies it into the guest's table).
Harness::Process foreign_guest(Harness& h, Harness::Process& client, Handle handler) {
  auto guest = h.spawn("guest");
  const Handle guest_thread =
      h.grant(guest.space, abi::kSelfThread, client.space, abi::kRightManage);
  REQUIRE(h.syscall(client.thread, Syscall::kThreadSetSyscallHandler, {guest_thread, handler}) ==
          Status::kOk);
  return guest;
}

// Gives every register of `t` a value of its own (0x1000 + its index); its register file.
uint64_t* mark_registers(Thread* t) {
  uint64_t* r = t->regs();
  for (uint32_t i = 0; i < arch::kRegCount; ++i)
    r[i] = 0x1000 + i;
  return r;
}

// Every register but the result (rax) still holds mark_registers' value.
void check_registers_kept(Thread* t) {
  for (uint32_t i = 1; i < arch::kRegCount; ++i) {
    INFO("register " << i);
    CHECK(t->regs()[i] == 0x1000 + i);
  }
}

TEST_CASE("a foreign system call saved by a kernel-served handler resumes with its answer") {
  Harness h;
  Saving ks(h);
  auto guest = foreign_guest(h, ks.client, ks.save);
  // The client waits on a notification with nothing in it, out of the way.
  const Handle idle = h.create_notification(ks.client.space);
  (void)h.syscall(ks.client.thread, Syscall::kWait, {idle});
  REQUIRE(ks.client.thread->state() == ThreadState::kBlockedOnNotification);
  h.make_current(guest.thread);
  uint64_t* r = mark_registers(guest.thread);
  r[arch::kRax] = 39;  // the foreign ABI's number
  (void)h.enter(guest.thread, Path::kEntry);
  REQUIRE(guest.thread->state() == ThreadState::kBlockedOnKernel);
  REQUIRE(guest.thread->foreign_call() == ForeignCall::kSyscall);
  REQUIRE(g_calls.back().label == abi::kForeignSyscallLabel);
  REQUIRE(g_calls.back().words.at(0) == 39);

  REQUIRE(ks.answer(h, g_tokens.at(0), abi::kForeignResume, {1234}) == Status::kOk);
  // The answerer waits on a notification with nothing in it: the guest runs next.
  const Handle n = h.create_notification(ks.other.space);
  (void)h.syscall(ks.other.thread, Syscall::kWait, {n});
  REQUIRE(scheduler().current() == guest.thread);
  CHECK(guest.thread->foreign_call() == ForeignCall::kNone);
  CHECK(r[arch::kRax] == 1234);
  check_registers_kept(guest.thread);
  h.finish();
}

TEST_CASE("a foreign system call answered at once by a kernel-served handler resumes with it") {
  Harness h;
  KernelServed ks(h);
  auto guest = foreign_guest(h, ks.client, ks.echo);
  h.make_current(guest.thread);
  uint64_t* r = mark_registers(guest.thread);
  r[arch::kRax] = 39;  // the foreign ABI's number
  (void)h.enter(guest.thread, Path::kEntry);
  // Answered on the guest's own entry: it never waited, and resumes with the answer.
  REQUIRE(g_calls.back().label == abi::kForeignSyscallLabel);
  CHECK(scheduler().current() == guest.thread);
  CHECK(guest.thread->foreign_call() == ForeignCall::kNone);
  CHECK(r[arch::kRax] == 1039);
  check_registers_kept(guest.thread);
  CHECK(guest.space->alive());
  h.finish();
}

TEST_CASE("a call answered at once may send its caller behind the ready threads (yield)") {
  Harness h;
  KernelServed ks(h);
  constexpr uint16_t kYieldIndex = 3;
  bind_kernel_service(kYieldIndex, kYieldSlot);
  const Handle yield = ks.service(h, kYieldIndex);
  auto other = h.spawn("other");  // ready, at the client's priority
  REQUIRE(other.thread->priority() == ks.client.thread->priority());
  h.make_current(ks.client.thread);
  REQUIRE(h.ipc(ks.client.thread, Syscall::kCall, yield, tag(7, 0), {}) == Status::kOk);
  CHECK(MessageInfo{ks.client.thread->regs()[kRsi]}.label() == kYieldedLabel);
  CHECK(ks.client.thread->state() == ThreadState::kReady);
  CHECK(scheduler().current() != ks.client.thread);
  // Behind every thread that was ready: the last of its queue.
  CHECK(scheduler().queue(ks.client.thread->priority()).back() == ks.client.thread);
  // Outside a call, nothing to yield.
  CHECK(kernel_service_yield_caller() == Status::kInvalidArgument);
  h.finish();
}

TEST_CASE("a foreign system call the domain answers the quick way resumes with its result") {
  Harness h;
  KernelServed ks(h);
  auto guest = foreign_guest(h, ks.client, ks.echo);
  h.make_current(guest.thread);
  uint64_t* r = mark_registers(guest.thread);
  const uint64_t pc = arch::user_pc(guest.thread->context());
  const uint64_t sp = arch::user_sp(guest.thread->context());

  SECTION("answered: the domain's call is never made, only the result register changes") {
    r[arch::kRax] = kQuickNumber;
    (void)h.enter(guest.thread, Path::kEntry);
    REQUIRE(g_quick.size() == 1);
    CHECK(g_quick[0].slot == kEchoSlot);
    CHECK(g_quick[0].badge == service_badge(kClientNumber, kEchoIndex));
    const std::vector<uint64_t> words = {kQuickNumber,  r[arch::kRdi], r[arch::kRsi], r[arch::kRdx],
                                         r[arch::kR10], r[arch::kR8],  r[arch::kR9]};
    CHECK(g_quick[0].words == words);
    CHECK(g_calls.empty());
    CHECK(r[arch::kRax] == kQuickNumber + 2000);
  }
  SECTION("declined: the call goes the general way, to the domain's call") {
    r[arch::kRax] = 39;
    (void)h.enter(guest.thread, Path::kEntry);
    CHECK(g_quick.size() == 1);
    REQUIRE(g_calls.size() == 1);
    CHECK(g_calls[0].label == abi::kForeignSyscallLabel);
    CHECK(r[arch::kRax] == 1039);
  }
  SECTION("a number the domain's bitmap leaves out is never offered") {
    r[arch::kRax] = 41;
    (void)h.enter(guest.thread, Path::kEntry);
    CHECK(g_quick.empty());
    REQUIRE(g_calls.size() == 1);
    CHECK(r[arch::kRax] == 1041);
  }
  SECTION("nor one past the bitmap") {
    r[arch::kRax] = 64 * kQuickBitmapWords;
    (void)h.enter(guest.thread, Path::kEntry);
    CHECK(g_quick.empty());
    REQUIRE(g_calls.size() == 1);
    CHECK(r[arch::kRax] == 64 * kQuickBitmapWords + 1000);
  }
  CHECK(scheduler().current() == guest.thread);
  CHECK(guest.thread->state() == ThreadState::kRunning);
  CHECK(guest.thread->foreign_call() == ForeignCall::kNone);
  check_registers_kept(guest.thread);
  CHECK(arch::user_pc(guest.thread->context()) == pc);
  CHECK(arch::user_sp(guest.thread->context()) == sp);
  h.finish();
}

TEST_CASE("the quick way is not offered through an unbindable index or a handler gone") {
  Harness h;
  KernelServed ks(h);
  Harness::Process guest{};
  SECTION("a badge index past the bindable ones: the general path ends the process") {
    guest = foreign_guest(h, ks.client, ks.beyond);
  }
  SECTION("the handler capability revoked (the guest's copy derives from the client's)") {
    guest = foreign_guest(h, ks.client, ks.echo);
    REQUIRE(h.syscall(ks.client.thread, Syscall::kCapRevoke, {ks.echo}) == Status::kOk);
  }
  h.make_current(guest.thread);
  guest.thread->regs()[arch::kRax] = kQuickNumber;
  (void)h.enter(guest.thread, Path::kEntry);
  CHECK(g_quick.empty());
  CHECK(g_calls.empty());
  CHECK_FALSE(guest.space->alive());
  h.finish();
}

TEST_CASE("a foreign system call to a kernel-served handler in an image without a domain") {
  Harness h;
  KernelServed ks(h);
  auto guest = foreign_guest(h, ks.client, ks.echo);
  g_no_domain = true;
  clear_console();
  h.make_current(guest.thread);
  guest.thread->regs()[arch::kRax] = 39;  // the foreign ABI's number
  (void)h.enter(guest.thread, Path::kEntry);
  // Nobody can answer: the guest's process ends, saying why.
  CHECK(g_calls.empty());
  CHECK(g_quick.empty());
  CHECK_FALSE(guest.space->alive());
  CHECK(std::string(console_text(), console_length())
            .find("foreign: guest ended: no syscall handler to call (Unsupported)") !=
        std::string::npos);
  h.finish();
}

// ---- the domain's own capabilities: kernel calls through the proxy ----

// A domain space as init makes it for the kernel line; ended and released by the destructor.
struct DomainSpace {
  explicit DomainSpace(Harness& h, uint64_t quota_bytes = 1 << 20) {
    Result<Quota*> quota = Quota::create_root(quota_bytes);
    REQUIRE(quota.ok());
    Result<Space*> s = Space::create(**quota, **quota, "kernel");
    (*quota)->release();
    REQUIRE(s.ok());
    space = *s;
    h.hold(space);
    REQUIRE(set_kernel_domain_space(*space) == Status::kOk);
    REQUIRE(kernel_domain_space() == space);
    CHECK(space->kernel_addressed());
    h.check();
  }
  ~DomainSpace() { end_kernel_domain_space(); }

  static DomainSyscallResult call(Syscall number, std::initializer_list<uint64_t> args = {}) {
    uint64_t a[6] = {};
    size_t i = 0;
    for (uint64_t v : args)
      a[i++] = v;
    return kernel_domain_syscall(static_cast<uint64_t>(number), a);
  }

  Space* space = nullptr;
};

TEST_CASE("the domain makes kernel calls in its own space, checked as a process's are") {
  Harness h;
  DomainSpace d(h);
  auto guest = h.spawn("guest");
  // What the domain holds: a capability to the guest's space and thread (Manage).
  const Handle guest_space = h.grant(guest.space, abi::kSelfSpace, d.space, abi::kRightManage);
  const Handle guest_thread = h.grant(guest.space, abi::kSelfThread, d.space, abi::kRightManage);

  const DomainSyscallResult ep = DomainSpace::call(Syscall::kEndpointCreate);
  REQUIRE(ep.status == Status::kOk);
  Capability* cap = h.cap(d.space, ep.value0);
  REQUIRE(cap != nullptr);
  CHECK(cap->type == ObjectType::kEndpoint);

  // Memory made by the domain, mapped into the guest at 0x40'0000, written through a kernel
  // call as the guest would see it.
  const DomainSyscallResult mem = DomainSpace::call(Syscall::kMemoryCreate, {1, 0});
  REQUIRE(mem.status == Status::kOk);
  REQUIRE(DomainSpace::call(Syscall::kMap, {guest_space, mem.value0, 0x40'0000, 0, 1,
                                            abi::kRightRead | abi::kRightWrite})
              .status == Status::kOk);
  h.check();
  CHECK(h.user_memory(guest.space, 0x40'0000) != nullptr);

  // A call with a buffer: the domain's addresses are kernel addresses.
  guest.thread->regs()[arch::kRbx] = 0x5151;
  abi::UserRegisters regs{};
  REQUIRE(DomainSpace::call(Syscall::kThreadReadRegisters,
                            {guest_thread, reinterpret_cast<uint64_t>(&regs)})
              .status == Status::kOk);
  CHECK(regs.rbx == 0x5151);
  // (Writing them is for threads stopped in a foreign call: kBusy for a ready one.)
  CHECK(DomainSpace::call(Syscall::kThreadWriteRegisters,
                          {guest_thread, reinterpret_cast<uint64_t>(&regs)})
            .status == Status::kBusy);

  SECTION("the same checks as for a process") {
    CHECK(DomainSpace::call(Syscall::kMap,
                            {guest_space + 1000, mem.value0, 0x50'0000, 0, 1, abi::kRightRead})
              .status == Status::kInvalidCapability);
    CHECK(DomainSpace::call(Syscall::kMemoryCreate, {0, 0}).status == Status::kInvalidArgument);
    // More than the domain's quota (1 MiB).
    CHECK(DomainSpace::call(Syscall::kMemoryCreate, {1024, 0}).status == Status::kQuotaExceeded);
  }
  SECTION("a long operation runs all its restarted steps in one call") {
    DomainSpace::call(Syscall::kCapDelete, {mem.value0});
    const uint64_t pages = 200;  // memory_create does 64 pages a step for an eager object
    const DomainSyscallResult big = DomainSpace::call(Syscall::kMemoryCreate, {pages, 0});
    REQUIRE(big.status == Status::kOk);
    CHECK(static_cast<MemoryObject*>(h.cap(d.space, big.value0)->object)->pages() == pages);
  }
  SECTION("calls that wait or act on the caller itself are refused") {
    for (Syscall s : {Syscall::kCall, Syscall::kReplyRecv, Syscall::kSend, Syscall::kRecv,
                      Syscall::kReply, Syscall::kWait, Syscall::kYield, Syscall::kThreadExit,
                      Syscall::kThreadSetIpcBuffer, Syscall::kProcessExit, Syscall::kDebugPrint}) {
      INFO("call " << static_cast<int>(s));
      CHECK(DomainSpace::call(s, {ep.value0}).status == Status::kUnsupported);
    }
    uint64_t none[6] = {};
    CHECK(kernel_domain_syscall(abi::kSyscallCount, none).status == Status::kUnsupported);
    CHECK(kernel_domain_syscall(~uint64_t{0}, none).status == Status::kUnsupported);
  }
  end_kernel_domain_space();
  CHECK(DomainSpace::call(Syscall::kEndpointCreate).status == Status::kUnsupported);
  h.finish();
}

TEST_CASE("a second domain space is refused; without one the domain can make no call") {
  Harness h;
  CHECK(DomainSpace::call(Syscall::kEndpointCreate).status == Status::kUnsupported);
  DomainSpace d(h);
  auto other = h.spawn("other");
  CHECK(set_kernel_domain_space(*other.space) == Status::kBusy);
  CHECK_FALSE(other.space->kernel_addressed());
  h.finish();
}

TEST_CASE("a domain space that cannot pay for its table page or its proxy is refused") {
  Harness h;
  // What a space takes before it is given to the domain, measured on one made the same way.
  uint64_t before = 0;
  {
    Result<Quota*> quota = Quota::create_root(1 << 20);
    REQUIRE(quota.ok());
    Result<Space*> s = Space::create(**quota, **quota, "kernel");
    (*quota)->release();
    REQUIRE(s.ok());
    before = (*s)->own_quota().used();
    (*s)->terminate(0);
    (*s)->release();
    h.drain_teardown();
  }
  // Nothing left: no table page; a page's worth: the table, but no proxy thread.
  for (const uint64_t left : {uint64_t{0}, kPageSize}) {
    INFO("left " << left);
    Result<Quota*> quota = Quota::create_root(before + left);
    REQUIRE(quota.ok());
    Result<Space*> s = Space::create(**quota, **quota, "kernel");
    (*quota)->release();
    REQUIRE(s.ok());
    h.hold(*s);
    CHECK(set_kernel_domain_space(**s) == Status::kQuotaExceeded);
    CHECK(kernel_domain_space() == nullptr);
    CHECK_FALSE((*s)->kernel_addressed());
    // Nothing more charged than the table page it could pay for.
    CHECK((*s)->own_quota().used() == before + left);
    h.check();
  }
  h.finish();
}

TEST_CASE("the domain reads and writes memory objects' pages through the direct map") {
  Harness h;
  DomainSpace d(h);
  auto guest = h.spawn("guest");
  const Handle guest_space = h.grant(guest.space, abi::kSelfSpace, d.space, abi::kRightManage);
  constexpr uint64_t kAt = 0x40'0000;
  // A lazy object of 4 pages, mapped into the guest: no frames yet.
  const DomainSyscallResult lazy = DomainSpace::call(Syscall::kMemoryCreate, {4, abi::kMemoryLazy});
  REQUIRE(lazy.status == Status::kOk);
  auto* object = static_cast<MemoryObject*>(h.cap(d.space, lazy.value0)->object);
  REQUIRE(DomainSpace::call(Syscall::kMap, {guest_space, lazy.value0, kAt, 0, 4,
                                            abi::kRightRead | abi::kRightWrite})
              .status == Status::kOk);
  CHECK(object->frame(2) == 0);

  // The domain writes page 2: it gets its frame, and the guest sees the bytes there.
  Result<uint8_t*> p = kernel_domain_memory_page(lazy.value0, 2, true);
  REQUIRE(p.ok());
  CHECK(object->frame(2) != 0);
  CHECK((*p)[0] == 0);  // zeroed
  (*p)[7] = 0x5a;
  h.check();
  // The guest's first touch maps the same frame (kernel paging).
  REQUIRE(guest.space->resolve_fault(kAt + 2 * kPageSize, kPageRead) == Status::kOk);
  const uint8_t* seen = h.user_memory(guest.space, kAt + 2 * kPageSize);
  REQUIRE(seen != nullptr);
  CHECK(seen[7] == 0x5a);
  // Reading the same page again gives the same frame; another page reads as zeroes.
  CHECK(*kernel_domain_memory_page(lazy.value0, 2, false) == *p);
  Result<uint8_t*> q = kernel_domain_memory_page(lazy.value0, 3, false);
  REQUIRE(q.ok());
  CHECK((*q)[100] == 0);

  SECTION("a clone's shared page: reading shares, writing copies (copy-on-write)") {
    const DomainSyscallResult clone = DomainSpace::call(Syscall::kMemoryClone, {lazy.value0});
    REQUIRE(clone.status == Status::kOk);
    auto* copy = static_cast<MemoryObject*>(h.cap(d.space, clone.value0)->object);
    Result<uint8_t*> shared = kernel_domain_memory_page(clone.value0, 2, false);
    REQUIRE(shared.ok());
    CHECK(*shared == *p);  // the same frame
    CHECK((*shared)[7] == 0x5a);
    Result<uint8_t*> own = kernel_domain_memory_page(clone.value0, 2, true);
    REQUIRE(own.ok());
    CHECK(*own != *p);
    CHECK((*own)[7] == 0x5a);
    (*own)[7] = 0x77;
    CHECK(seen[7] == 0x5a);  // the source and the guest keep theirs
    CHECK(copy->frame(2) != object->frame(2));
    h.check();
    // The source, no longer shared after the copy: written in place.
    CHECK(*kernel_domain_memory_page(lazy.value0, 2, true) == *p);
  }
  SECTION("the handle's rights and the object's size are checked") {
    const DomainSyscallResult ro =
        DomainSpace::call(Syscall::kCapDerive, {lazy.value0, abi::kRightRead, 0});
    REQUIRE(ro.status == Status::kOk);
    CHECK(kernel_domain_memory_page(ro.value0, 0, false).ok());
    CHECK(kernel_domain_memory_page(ro.value0, 0, true).status() == Status::kPermissionDenied);
    CHECK(kernel_domain_memory_page(lazy.value0, 4, false).status() == Status::kOutOfRange);
    CHECK(kernel_domain_memory_page(lazy.value0 + 7, 0, false).status() ==
          Status::kInvalidCapability);
    CHECK(kernel_domain_memory_page(guest_space, 0, false).status() == Status::kInvalidCapability);
  }
  SECTION("out of frames: an untouched page, or a shared page's own copy, cannot be made") {
    const DomainSyscallResult clone = DomainSpace::call(Syscall::kMemoryClone, {lazy.value0});
    REQUIRE(clone.status == Status::kOk);
    auto* copy = static_cast<MemoryObject*>(h.cap(d.space, clone.value0)->object);
    std::vector<PhysAddr> held;  // the rest of RAM, held by the test
    for (Result<PhysAddr> f = kernel_frames().allocate(); f.ok(); f = kernel_frames().allocate())
      held.push_back(*f);
    CHECK(kernel_domain_memory_page(lazy.value0, 1, false).status() == Status::kOutOfMemory);
    CHECK(object->frame(1) == 0);
    CHECK(kernel_domain_memory_page(clone.value0, 2, true).status() == Status::kOutOfMemory);
    CHECK(copy->frame(2) == object->frame(2));  // still shared
    h.check();
    for (PhysAddr f : held)
      REQUIRE(kernel_frames().free(f) == Status::kOk);
    CHECK(kernel_domain_memory_page(lazy.value0, 1, false).ok());
    CHECK(object->frame(1) != 0);
    CHECK(kernel_domain_memory_page(clone.value0, 2, true).ok());
    CHECK(copy->frame(2) != object->frame(2));
  }
  end_kernel_domain_space();
  CHECK(kernel_domain_memory_page(lazy.value0, 0, false).status() == Status::kUnsupported);
  h.finish();
}

// ---- capabilities a call carries: children in the domain space ----

// The full slots of `s`'s capability table.
size_t full_slots(Space* s) {
  size_t n = 0;
  for (size_t p = 0; p < s->caps().page_count(); ++p) {
    for (size_t i = 0; i < CapTable::kSlotsPerPage; ++i)
      n += s->caps().page(p)[i].empty() ? 0 : 1;
  }
  return n;
}

// Checks that the domain's capability `got` is a child of the client's `sent`: the same object,
// rights and badge, one level below it in the derivation tree.
void check_child(Capability* got, Capability* sent) {
  REQUIRE(got != nullptr);
  REQUIRE(sent != nullptr);
  CHECK(got != sent);
  CHECK(got->object == sent->object);
  CHECK(got->type == sent->type);
  CHECK(got->rights == sent->rights);
  CHECK(got->badge == sent->badge);
  CHECK(got->parent == sent);
}

// The client of a kernel-served endpoint with an IPC buffer, a domain space, and what the client
// sends: a badged Send-only notification capability, a Read-only memory capability, an endpoint
// (all its rights) and its own thread.
struct Sending : KernelServed {
  explicit Sending(Harness& h) : KernelServed(h), domain(h) {
    buffer = h.give_ipc_buffer(client.thread, kBufferAddress);
    const Handle note = h.create_notification(client.space);
    badged = h.grant(client.space, note, client.space, abi::kRightSend, 0x77);
    const Handle mem = h.create_memory(client.space, 1);
    read_only = h.grant(client.space, mem, client.space, abi::kRightRead);
    endpoint = h.create_endpoint(client.space);
    for (Handle& r : buffer->received_caps)
      r = 0xdead;
  }
  ~Sending() { end_kernel_domain_space(); }

  // The client's capability `h`, which the call must leave as it was.
  Capability* own(Harness& h, Handle handle) { return h.cap(client.space, handle); }

  DomainSpace domain;
  abi::IpcBuffer* buffer = nullptr;
  Handle badged = abi::kNullHandle;
  Handle read_only = abi::kNullHandle;
  Handle endpoint = abi::kNullHandle;
};

TEST_CASE("capabilities a call carries arrive in the domain space as children, rights and badge") {
  Harness h;
  Sending k(h);
  Space* domain = k.domain.space;
  const size_t domain_caps = full_slots(domain);
  const size_t client_caps = full_slots(k.client.space);
  const uint64_t client_used = k.client.space->own_quota().used();

  SECTION("one capability") {
    k.buffer->send_caps[0] = k.badged;
    REQUIRE(k.call(h, k.echo, tag(5, 1, 1), {42}) == Status::kOk);
    REQUIRE(g_calls.size() == 1);
    CHECK(g_calls[0].caps == 1);
    REQUIRE(g_calls[0].cap_handles.size() == 1);
    const uint64_t handle = g_calls[0].cap_handles[0];
    Capability* got = h.cap(domain, handle);
    check_child(got, k.own(h, k.badged));
    CHECK(got->rights == abi::kRightSend);
    CHECK(got->badge == 0x77);
    CHECK(full_slots(domain) == domain_caps + 1);
    // The words went as ever; the reply carries no capability, whatever the domain left in its
    // KernelCall (the echo slot leaves the received ones), and the caller's buffer is untouched.
    CHECK(g_calls[0].words == std::vector<uint64_t>{42});
    CHECK(MessageInfo{k.client.thread->regs()[kRsi]}.raw == tag(6, 1).raw);
    CHECK(h.message(k.client.thread) == std::vector<uint64_t>{42});
    CHECK(k.buffer->received_caps[0] == 0xdead);
    // The caller's own capability: where it was, as it was, with the domain's as its child.
    Capability* own = k.own(h, k.badged);
    CHECK(own->rights == abi::kRightSend);
    CHECK(own->badge == 0x77);
    CHECK(own->first_child == got);
    CHECK(full_slots(k.client.space) == client_caps);
    CHECK(k.client.space->own_quota().used() == client_used);

    SECTION("the domain deletes it in its space; the caller's stays") {
      REQUIRE(DomainSpace::call(Syscall::kCapDelete, {handle}).status == Status::kOk);
      h.check();
      CHECK(h.cap(domain, handle) == nullptr);
      CHECK(full_slots(domain) == domain_caps);
      CHECK(k.own(h, k.badged)->first_child == nullptr);
    }
    SECTION("revoking the caller's capability reaches the domain's child") {
      cap_revoke(k.own(h, k.badged));
      h.check();
      CHECK(h.cap(domain, handle) == nullptr);
      CHECK(k.own(h, k.badged) != nullptr);
    }
    SECTION("the same capability again: another child") {
      REQUIRE(k.call(h, k.echo, tag(5, 0, 1)) == Status::kOk);
      REQUIRE(g_calls.size() == 2);
      REQUIRE(g_calls[1].cap_handles.size() == 1);
      CHECK(g_calls[1].cap_handles[0] != handle);
      check_child(h.cap(domain, g_calls[1].cap_handles[0]), k.own(h, k.badged));
    }
  }
  SECTION("the most a message carries, in the order of send_caps, beside the largest message") {
    const Handle sent[abi::kMaxMessageCaps] = {k.endpoint, k.badged, abi::kSelfThread, k.read_only};
    for (uint32_t i = 0; i < abi::kMaxMessageCaps; ++i)
      k.buffer->send_caps[i] = sent[i];
    const std::vector<uint64_t> request = iota(500, abi::kMaxMessageWords);
    REQUIRE(k.call(h, k.echo, tag(9, abi::kMaxMessageWords, abi::kMaxMessageCaps), request) ==
            Status::kOk);
    REQUIRE(g_calls.size() == 1);
    CHECK(g_calls[0].caps == abi::kMaxMessageCaps);
    CHECK(g_calls[0].words == request);
    REQUIRE(g_calls[0].cap_handles.size() == abi::kMaxMessageCaps);
    std::set<uint64_t> distinct;
    for (uint32_t i = 0; i < abi::kMaxMessageCaps; ++i) {
      INFO("capability " << i);
      check_child(h.cap(domain, g_calls[0].cap_handles[i]), k.own(h, sent[i]));
      distinct.insert(g_calls[0].cap_handles[i]);
    }
    CHECK(distinct.size() == abi::kMaxMessageCaps);
    CHECK(h.cap(domain, g_calls[0].cap_handles[2])->object == k.client.thread);
    CHECK(h.cap(domain, g_calls[0].cap_handles[2])->rights == abi::kRightsAll);
    CHECK(h.cap(domain, g_calls[0].cap_handles[3])->rights == abi::kRightRead);
    CHECK(full_slots(domain) == domain_caps + abi::kMaxMessageCaps);
    CHECK(full_slots(k.client.space) == client_caps);
    CHECK(MessageInfo{k.client.thread->regs()[kRsi]}.raw == tag(10, abi::kMaxMessageWords).raw);
    CHECK(h.message(k.client.thread) == request);
    for (Handle r : k.buffer->received_caps)
      CHECK(r == 0xdead);
  }
  // The domain space ends with what it still holds: the leak check balances.
  end_kernel_domain_space();
  h.finish();
}

TEST_CASE("a call whose capabilities cannot go installs none, and the domain is not called") {
  Harness h;
  Sending k(h);
  Space* domain = k.domain.space;
  const size_t domain_caps = full_slots(domain);
  k.buffer->send_caps[0] = k.badged;
  k.buffer->send_caps[1] = k.read_only;

  SECTION("a handle that names nothing, after good ones: kInvalidCapability") {
    k.buffer->send_caps[2] = 999;
    CHECK(k.call(h, k.echo, tag(5, 0, 3)) == Status::kInvalidCapability);
    // A stale one: the handle of a deleted capability.
    const Handle gone = h.grant(k.client.space, k.endpoint, k.client.space, abi::kRightSend);
    cap_delete(h.cap(k.client.space, gone));
    reap_objects();
    h.check();
    k.buffer->send_caps[2] = gone;
    CHECK(k.call(h, k.echo, tag(5, 0, 3)) == Status::kInvalidCapability);
    CHECK(full_slots(domain) == domain_caps);
  }
  SECTION("an endpoint capability without Grant: kPermissionDenied") {
    const Handle send_only = k.service(h, kEchoIndex, abi::kRightSend);
    CHECK(k.call(h, send_only, tag(5, 0, 2)) == Status::kPermissionDenied);
    CHECK(full_slots(domain) == domain_caps);
  }
  SECTION("an IPC buffer set but not mapped: kBadAddress") {
    k.client.thread->set_ipc_buffer(kBufferAddress + kPageSize);
    CHECK(k.call(h, k.echo, tag(5, 0, 2)) == Status::kBadAddress);
    CHECK(full_slots(domain) == domain_caps);
  }
  SECTION("no room in the domain's table and no quota for another page: kBufferTooSmall") {
    Quota& quota = domain->own_quota();
    // bound: the free slots of the table's pages (at most 1023)
    while (domain->caps().free_slots(1) > 0)
      h.grant(k.client.space, k.endpoint, domain, abi::kRightSend);
    const size_t full = full_slots(domain);
    const size_t pages = domain->caps().page_count();
    const uint64_t own_use = quota.used();
    uint64_t charged = quota.available();
    REQUIRE(quota.charge_external(charged) == Status::kOk);  // the domain's quota all used
    const uint64_t used = quota.used();
    CHECK(k.call(h, k.echo, tag(5, 0, 1)) == Status::kBufferTooSmall);
    CHECK(full_slots(domain) == full);
    CHECK(domain->caps().page_count() == pages);
    CHECK(quota.used() == used);

    SECTION("one free slot for two capabilities: neither goes, and one alone does") {
      const Handle last = static_cast<Handle>(domain->caps().page(pages - 1)[1].key);
      REQUIRE(h.cap(domain, last) != nullptr);
      cap_delete(h.cap(domain, last));
      h.check();
      REQUIRE(domain->caps().free_slots(2) == 1);
      CHECK(k.call(h, k.echo, tag(5, 0, 2)) == Status::kBufferTooSmall);
      CHECK(domain->caps().free_slots(2) == 1);
      CHECK(full_slots(domain) == full - 1);
      CHECK(g_calls.empty());
      REQUIRE(k.call(h, k.echo, tag(5, 0, 1)) == Status::kOk);
      CHECK(domain->caps().free_slots(1) == 0);
      REQUIRE(g_calls.size() == 1);
      REQUIRE(g_calls[0].cap_handles.size() == 1);
      Capability* got = h.cap(domain, g_calls[0].cap_handles[0]);
      check_child(got, k.own(h, k.badged));
      cap_delete(got);  // (so that the checks below see the caller's as it began)
      h.check();
      g_calls.clear();
    }
    SECTION("with quota back, a table page charged to the domain, not to the caller") {
      quota.uncharge_external(charged);
      charged = 0;
      const uint64_t client_used = k.client.space->own_quota().used();
      REQUIRE(k.call(h, k.echo, tag(5, 0, 2)) == Status::kOk);
      CHECK(domain->caps().page_count() == pages + 1);
      CHECK(quota.used() == own_use + kPageSize);
      CHECK(k.client.space->own_quota().used() == client_used);
      CHECK(full_slots(domain) == full + 2);
      REQUIRE(g_calls.size() == 1);
      for (uint64_t handle : g_calls[0].cap_handles)
        cap_delete(h.cap(domain, handle));
      h.check();
      g_calls.clear();
    }
    if (charged != 0) quota.uncharge_external(charged);
  }
  SECTION("no domain space: kUnsupported") {
    end_kernel_domain_space();
    CHECK(k.call(h, k.echo, tag(5, 0, 2)) == Status::kUnsupported);
  }
  CHECK(g_calls.empty());
  CHECK(k.own(h, k.badged)->first_child == nullptr);
  CHECK(k.own(h, k.read_only)->first_child == nullptr);
  CHECK(k.client.thread->state() == ThreadState::kRunning);
  end_kernel_domain_space();
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
