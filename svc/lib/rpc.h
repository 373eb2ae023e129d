// The service call layer shared by generated stubs (tools/capnpc-hmk), service code and the
// transports: the status codes, bounded value types, the message, its encoder and decoder, and
// the channel a client calls through.
//
// Portable (no OS, no libc): the same header builds for host tests, user programs and the
// kernel. The transports behind Channel::call live elsewhere (svc/lib/rpc_ipc.cc for user
// programs); a local channel needs none, it calls the server object directly.
//
// Wire format of a request or reply payload (Message::data): the fields of the request or
// response struct in declaration order, each scalar aligned to its own size, little-endian;
// Text, Data and List as a u32 count followed by the elements; a capability as a u32 index into
// the message's capability array. A decoder checks every count against the schema's declared
// maximum and every read against the received length, so a malformed message is an error,
// never an out-of-bounds access.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk::rpc {

inline constexpr uint32_t kMaxBytes = 1024;  // = abi::kMaxMessageWords * 8
inline constexpr uint32_t kMaxCaps = 4;      // = abi::kMaxMessageCaps

// Every service call ends in one of these. The first group is the call layer's own; the rest
// are the results services report (carried as the reply's label).
enum class Status : uint32_t {
  kOk = 0,
  kBadMethod = 1,          // no method with this ordinal in the interface
  kBadMessage = 2,         // short message, a count over its maximum, a bad enum or bool
  kMissingCapability = 3,  // a capability field names none of the transferred capabilities
  kNoService = 4,          // the channel leads nowhere (not granted, not bound)
  kTransport = 5,          // the kernel IPC failed (see the kernel status in the log)
  kInvalidArgument = 6,
  kNotFound = 7,
  kExists = 8,
  kNotDirectory = 9,
  kIsDirectory = 10,
  kNotEmpty = 11,
  kNoSpace = 12,
  kBadHandle = 13,
  kTooLong = 14,
  kWouldBlock = 15,
  kIo = 16,
  kUnsupported = 17,
};
inline constexpr uint32_t kStatusCount = 18;

// No default case: -Wswitch flags a new enumerator missing here at compile time.
inline const char* status_name(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kBadMethod:
      return "bad method";
    case Status::kBadMessage:
      return "bad message";
    case Status::kMissingCapability:
      return "missing capability";
    case Status::kNoService:
      return "no service";
    case Status::kTransport:
      return "transport";
    case Status::kInvalidArgument:
      return "invalid argument";
    case Status::kNotFound:
      return "not found";
    case Status::kExists:
      return "exists";
    case Status::kNotDirectory:
      return "not a directory";
    case Status::kIsDirectory:
      return "is a directory";
    case Status::kNotEmpty:
      return "not empty";
    case Status::kNoSpace:
      return "no space";
    case Status::kBadHandle:
      return "bad handle";
    case Status::kTooLong:
      return "too long";
    case Status::kWouldBlock:
      return "would block";
    case Status::kIo:
      return "I/O error";
    case Status::kUnsupported:
      return "unsupported";
  }
  // Reached only for values outside the enum (a reply's label is any 32-bit number).
  return "unknown status";
}

// ---- bounded value types (the schema's Text, Data and List with $Hmk.maxSize) ----

template <uint32_t N>
struct Text {
  static constexpr uint32_t kMax = N;
  uint32_t size = 0;
  char data[N];

  // Copies a NUL-terminated string; false (and empty) if it is longer than N.
  bool set(const char* s) {
    uint32_t n = 0;
    while (s[n] != '\0') {
      if (n == N) {
        size = 0;
        return false;
      }
      ++n;
    }
    for (uint32_t i = 0; i < n; ++i)
      data[i] = s[i];
    size = n;
    return true;
  }
  bool equals(const char* s) const {
    for (uint32_t i = 0; i < size; ++i)
      if (s[i] != data[i]) return false;
    return s[size] == '\0';
  }
};

template <uint32_t N>
struct Data {
  static constexpr uint32_t kMax = N;
  uint32_t size = 0;
  uint8_t data[N];
};

template <class T, uint32_t N>
struct List {
  static constexpr uint32_t kMax = N;
  uint32_t size = 0;
  T items[N];
};

// A capability in a request or response: a handle in the sender's table on the way out, in the
// receiver's table on the way in.
//
// Who owns a received capability (the generated code keeps to this, so that no message can
// leave capabilities behind in a server's table):
//  - one the decoded request or response does not name is dropped at once;
//  - one it names belongs to the handler (server) or the caller (client) if the call succeeds:
//    it keeps or deletes it;
//  - if the call fails (an error status, a malformed message), every received capability is
//    dropped; a handler that returns an error must therefore not delete them itself.
// A direct call (a local channel, CallContext::direct) carries no copy: the handler gets the
// caller's own handle, lent for the call. It neither deletes it nor keeps it after the call,
// unless its interface says the caller keeps it alive for longer (memmgr's attach: until
// close); the caller still owns it whatever the call answers.
struct Cap {
  uint32_t handle = 0;
};

// ---- the message ----

struct Message {
  uint32_t label = 0;      // request: the method ordinal; reply: a Status
  uint32_t size = 0;       // payload bytes used in `data`
  uint32_t cap_count = 0;  // capabilities in `caps`
  uint32_t reserved = 0;
  uint64_t badge = 0;  // server side: the badge of the capability the call came through
  uint32_t caps[kMaxCaps] = {};
  alignas(8) uint8_t data[kMaxBytes];
};

// A set of a message's capabilities, by index: bit i stands for Message::caps[i].
inline constexpr uint32_t kAllCaps = (1u << kMaxCaps) - 1;

// Gives up a received capability (the transport's cap_delete; in the kernel domain a cap_delete
// in the domain's own space, svc/kernel/env.cc). Defined by the transport the program links,
// like Channel::call.
void drop_cap(uint32_t handle);

// Drops the capabilities of `msg` whose bits are set in `which`. Out of line and cold: most
// messages carry none (the generated code tests cap_count first), and keeping this out of the
// generated functions keeps them small enough for the compiler to inline them into callers.
[[gnu::noinline, gnu::cold]] inline void drop_caps(const Message& msg, uint32_t which) {
  const uint32_t n = msg.cap_count < kMaxCaps ? msg.cap_count : kMaxCaps;
  for (uint32_t i = 0; i < n; ++i) {
    if (((which >> i) & 1) != 0) drop_cap(msg.caps[i]);
  }
}

// A message its receiver cannot use (a request or response that does not decode, an error
// reply): drops all its capabilities and returns `status` (out of line, as above).
[[gnu::noinline, gnu::cold]] inline Status refuse_message(const Message& msg, Status status) {
  drop_caps(msg, kAllCaps);
  return status;
}

// Who is calling, as the server sees it. `badge` distinguishes clients (see core/abi/bootinfo.h
// for what the boot manifest puts in it); 0 for a local call. `direct`: a call through a local
// channel, whose capabilities are the caller's, lent (see Cap above).
struct CallContext {
  uint64_t badge = 0;
  bool direct = false;
};
// What the generated client passes to a server it calls directly.
inline constexpr CallContext kDirectCall{0, true};

// Appends fields to a message. The first failure sticks: later calls do nothing and ok() is
// false, so generated encoders check once at the end.
class Writer {
 public:
  explicit Writer(Message& m) : m_(m) {
    m_.size = 0;
    m_.cap_count = 0;
  }

  template <class T>
  void scalar(T value) {
    static_assert(sizeof(T) <= 8 && (sizeof(T) & (sizeof(T) - 1)) == 0);
    if (!align(sizeof(T)) || !room(sizeof(T))) return;
    copy(&m_.data[m_.size], &value, sizeof(T));
    m_.size += sizeof(T);
  }
  void boolean(bool value) { scalar<uint8_t>(value ? 1 : 0); }

  // A count followed by `n` raw bytes (Text, Data, and lists of 1-byte elements).
  void bytes(const void* p, uint32_t n, uint32_t max) {
    if (n > max) {
      failed_ = true;
      return;
    }
    scalar<uint32_t>(n);
    if (!room(n)) return;
    copy(&m_.data[m_.size], p, n);
    m_.size += n;
  }
  // The count of a list whose elements the caller then writes one by one.
  void count(uint32_t n, uint32_t max) {
    if (n > max) {
      failed_ = true;
      return;
    }
    scalar<uint32_t>(n);
  }
  void cap(Cap c) {
    if (failed_ || m_.cap_count == kMaxCaps) {
      failed_ = true;
      return;
    }
    m_.caps[m_.cap_count] = c.handle;
    scalar<uint32_t>(m_.cap_count++);
  }

  bool ok() const { return !failed_; }

 private:
  bool align(uint32_t a) {
    while (!failed_ && m_.size % a != 0) {
      if (!room(1)) return false;
      m_.data[m_.size++] = 0;
    }
    return !failed_;
  }
  bool room(uint32_t n) {
    if (failed_ || n > kMaxBytes - m_.size) failed_ = true;
    return !failed_;
  }
  // The C memcpy (the runtime's, in freestanding builds): word copies instead of the byte loop
  // a freestanding -mgeneral-regs-only build would otherwise run.
  static void copy(void* dst, const void* src, uint32_t n) { __builtin_memcpy(dst, src, n); }

  Message& m_;
  bool failed_ = false;
};

// Reads fields back. The first failure sticks and records why: kBadMessage for a read past the
// received length, a count over its maximum or a bad enum or bool; kMissingCapability for a
// capability index the message does not carry.
class Reader {
 public:
  explicit Reader(const Message& m) : m_(m), size_(m.size <= kMaxBytes ? m.size : 0) {}

  template <class T>
  bool scalar(T* out) {
    static_assert(sizeof(T) <= 8 && (sizeof(T) & (sizeof(T) - 1)) == 0);
    pos_ = (pos_ + sizeof(T) - 1) & ~static_cast<uint32_t>(sizeof(T) - 1);
    if (!have(sizeof(T))) return false;
    copy(out, &m_.data[pos_], sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool boolean(bool* out) {
    uint8_t v = 0;
    if (!scalar(&v)) return false;
    if (v > 1) return fail(Status::kBadMessage);
    *out = v != 0;
    return true;
  }
  // An enum stored as uint16_t whose values are 0 .. count-1.
  template <class E>
  bool enumeration(E* out, uint16_t count) {
    uint16_t v = 0;
    if (!scalar(&v)) return false;
    if (v >= count) return fail(Status::kBadMessage);
    *out = static_cast<E>(v);
    return true;
  }
  bool bytes(void* p, uint32_t* n, uint32_t max) {
    uint32_t len = 0;
    if (!scalar(&len)) return false;
    if (len > max) return fail(Status::kBadMessage);
    if (!have(len)) return false;
    copy(p, &m_.data[pos_], len);
    pos_ += len;
    *n = len;
    return true;
  }
  bool count(uint32_t* n, uint32_t max) {
    uint32_t len = 0;
    if (!scalar(&len)) return false;
    if (len > max) return fail(Status::kBadMessage);
    *n = len;
    return true;
  }
  bool cap(Cap* out) {
    uint32_t index = 0;
    if (!scalar(&index)) return false;
    if (index >= m_.cap_count || index >= kMaxCaps) return fail(Status::kMissingCapability);
    out->handle = m_.caps[index];
    caps_taken_ |= 1u << index;
    return true;
  }

  Status status() const { return status_; }
  bool ok() const { return status_ == Status::kOk; }
  // The message's capabilities the decoded value names (a kAllCaps-style set).
  uint32_t caps_taken() const { return caps_taken_; }

 private:
  bool have(uint32_t n) {
    if (status_ != Status::kOk) return false;
    if (pos_ > size_ || n > size_ - pos_) return fail(Status::kBadMessage);
    return true;
  }
  bool fail(Status s) {
    if (status_ == Status::kOk) status_ = s;
    return false;
  }
  // The C memcpy (the runtime's, in freestanding builds): word copies instead of the byte loop
  // a freestanding -mgeneral-regs-only build would otherwise run.
  static void copy(void* dst, const void* src, uint32_t n) { __builtin_memcpy(dst, src, n); }

  const Message& m_;
  uint32_t size_;
  uint32_t pos_ = 0;
  Status status_ = Status::kOk;
  uint32_t caps_taken_ = 0;
};

// ---- the channel: how a client reaches a service ----

// A server object behind a type-erased dispatch function: what a domain's dispatch loop and the
// kernel transport hold for each service. `dispatch` decodes `msg` as a request for the
// interface, calls the server and encodes the reply into `msg` (label = Status).
using DispatchFn = Status (*)(void* server, Message& msg, const CallContext& ctx);

class Channel {
 public:
  enum class Kind : uint8_t { kNone, kLocal, kIpc };

  constexpr Channel() = default;
  // The server object lives in this domain: generated clients call its methods directly.
  static constexpr Channel local(void* server, uint64_t interface_id) {
    Channel c;
    c.kind_ = Kind::kLocal;
    c.server_ = server;
    c.interface_id_ = interface_id;
    return c;
  }
  // The service is reached through an endpoint capability (another domain, or the kernel).
  static constexpr Channel ipc(uint32_t handle, uint64_t interface_id) {
    Channel c;
    c.kind_ = Kind::kIpc;
    c.handle_ = handle;
    c.interface_id_ = interface_id;
    return c;
  }

  constexpr Kind kind() const { return kind_; }
  constexpr uint32_t handle() const { return handle_; }
  constexpr uint64_t interface_id() const { return interface_id_; }
  // The server object if this is a local channel to an implementation of `interface_id`.
  void* local_server(uint64_t interface_id) const {
    return kind_ == Kind::kLocal && interface_id == interface_id_ ? server_ : nullptr;
  }

  // Sends `msg` (label = method ordinal) and waits for the reply, which replaces it (label =
  // Status). Defined by the transport the program links (svc/lib/rpc_ipc.cc).
  Status call(Message& msg) const;

 private:
  Kind kind_ = Kind::kNone;
  uint32_t handle_ = 0;
  uint64_t interface_id_ = 0;
  void* server_ = nullptr;
};

}  // namespace hmk::rpc

// Evaluates `expr`, an rpc::Status; if it is not kOk, returns it from the enclosing function
// (which must return rpc::Status). The service code's counterpart of the core's TRY
// (core/lib/status.h), which takes the kernel's Status and Result<T>: services report through
// out parameters, so there is no value to yield. A clang/GCC statement expression, like TRY.
#define RPC_TRY(expr)                                                \
  ({                                                                 \
    const ::hmk::rpc::Status hmk_rpc_try_status_ = (expr);           \
    if (hmk_rpc_try_status_ != ::hmk::rpc::Status::kOk) [[unlikely]] \
      return hmk_rpc_try_status_;                                    \
  })
