// The one ABI status enum, Result<T> for fallible kernel functions, and the TRY macro.
#pragma once

#include <stdint.h>

#include "core/lib/placement_new.h"
#include "core/lib/util.h"

namespace hmk {

// Values are part of the syscall ABI: append only, never renumber. Translation to Linux errno
// lives in linuxcompat/ and nowhere else.
enum class Status : int32_t {
  kOk = 0,
  kInvalidArgument = 1,     // a parameter is malformed regardless of system state
  kOutOfMemory = 2,         // the kernel or a service ran out of memory it does not charge to quota
  kNotFound = 3,            // a name, key or object does not exist
  kOutOfRange = 4,          // an index or address is outside the valid range
  kCorrupt = 5,             // stored or supplied data fails validation (archive, ELF, table)
  kUnsupported = 6,         // well-formed, but a feature this implementation does not provide
  kPermissionDenied = 7,    // the capability or token lacks the needed rights
  kAlreadyExists = 8,       // creating something whose name or slot is taken
  kBadAddress = 9,          // a user pointer is unmapped, misaligned or not user memory
  kQuotaExceeded = 10,      // the caller's charged quota would be exceeded
  kBusy = 11,               // the object is in a state that forbids the operation right now
  kWouldBlock = 12,         // a non-blocking operation could not complete immediately
  kTimedOut = 13,           // a blocking operation's deadline passed
  kInvalidCapability = 14,  // a capability slot is empty or holds the wrong object type
  kPeerClosed = 15,         // the other end of an IPC object has gone away
  kInterrupted = 16,        // a blocking operation was cancelled (e.g. by a signal or revoke)
  kBufferTooSmall = 17,     // an output buffer cannot hold the result; nothing was written
};

// One past the highest Status value; tests walk [0, kStatusCount) to prove status_name is total.
inline constexpr int32_t kStatusCount = 18;

// Returns the enumerator name without the leading 'k' (e.g. "InvalidArgument"), or "Unknown" for
// a value outside the enum (possible when it came over the ABI).
const char* status_name(Status status);

// Contract violations inside Result (reading the value of an error) are bugs, not runtime errors,
// so they stop the machine instead of returning a status nobody would check.
[[noreturn]] inline void result_contract_violation() {
  __builtin_trap();
}

template <typename T>
class [[nodiscard]] Result {
  static_assert(!__is_same(T, Status), "Result<Status> is ambiguous; return Status directly");
  static_assert(!IsLvalueReference<T>::kValue, "Result<T&> is not supported; use Result<T*>");

 public:
  // Implicit on purpose so that `return value;` and `return Status::kNotFound;` both work.
  Result(const T& value) : status_(Status::kOk) { new (&value_) T(value); }
  Result(T&& value) : status_(Status::kOk) { new (&value_) T(move(value)); }
  Result(Status status) : status_(status) {
    // An ok Result without a value cannot exist; kOk here is a caller bug.
    if (status == Status::kOk) result_contract_violation();
  }

  // Builds the value in place, for types that can be neither copied nor moved.
  template <typename... Args>
  static Result emplace(Args&&... args) {
    return Result(InPlace{}, forward<Args>(args)...);
  }

  Result(const Result& other) : status_(other.status_) {
    if (ok()) new (&value_) T(other.value_);
  }
  Result(Result&& other) noexcept : status_(other.status_) {
    if (ok()) new (&value_) T(move(other.value_));
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      destroy();
      status_ = other.status_;
      if (ok()) new (&value_) T(other.value_);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept {
    if (this != &other) {
      destroy();
      status_ = other.status_;
      if (ok()) new (&value_) T(move(other.value_));
    }
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return status_ == Status::kOk; }
  Status status() const { return status_; }

  T& value() & {
    check();
    return value_;
  }
  const T& value() const& {
    check();
    return value_;
  }
  T&& value() && {
    check();
    return move(value_);
  }
  // Moves the value out; used by TRY so the enclosing function receives it by value.
  T release_value() {
    check();
    return move(value_);
  }
  T value_or(T fallback) const { return ok() ? value_ : fallback; }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  struct InPlace {};
  template <typename... Args>
  explicit Result(InPlace, Args&&... args) : status_(Status::kOk) {
    new (&value_) T(forward<Args>(args)...);
  }

  void check() const {
    if (!ok()) result_contract_violation();
  }
  void destroy() {
    if (ok()) value_.~T();
  }

  Status status_;
  // A union so that T needs no default constructor and is only alive when status_ is kOk.
  union {
    T value_;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : status_(Status::kOk) {}
  // kOk is allowed here: Result<void> has no value to be missing.
  Result(Status status) : status_(status) {}

  bool ok() const { return status_ == Status::kOk; }
  Status status() const { return status_; }
  void value() const {
    if (!ok()) result_contract_violation();
  }
  void release_value() const { value(); }

 private:
  Status status_;
};

namespace try_detail {
// TRY accepts both a Result<T> and a bare Status; these overloads give both the same interface.
inline bool failed(Status status) {
  return status != Status::kOk;
}
inline Status status_of(Status status) {
  return status;
}
inline void release(Status) {}

template <typename T>
bool failed(const Result<T>& result) {
  return !result.ok();
}
template <typename T>
Status status_of(const Result<T>& result) {
  return result.status();
}
template <typename T>
decltype(auto) release(Result<T>& result) {
  return result.release_value();
}
}  // namespace try_detail

}  // namespace hmk

// Evaluates `expr` (a Result<T> or a Status). On error returns its Status from the enclosing
// function (which must return Status or some Result<U>); otherwise the whole expression yields the
// T by value (void for Result<void> and Status). Uses a clang/GCC statement expression.
#define TRY(expr)                                                \
  ({                                                             \
    auto&& hmk_try_result_ = (expr);                             \
    if (::hmk::try_detail::failed(hmk_try_result_)) [[unlikely]] \
      return ::hmk::try_detail::status_of(hmk_try_result_);      \
    ::hmk::try_detail::release(hmk_try_result_);                 \
  })
