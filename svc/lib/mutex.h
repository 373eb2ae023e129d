// A sleeping lock for threads of one process: an atomic count plus a notification to sleep on.
#pragma once

#include <stdint.h>

#include "core/abi/syscall.h"
#include "core/lib/status.h"

namespace hmk::rt {

// Uncontended lock and unlock are one atomic instruction each and no system call. A thread
// that finds the lock taken waits on the notification, so a higher-priority waiter really
// sleeps and lets a lower-priority owner finish (a spin-and-yield lock would livelock under
// fixed priorities).
//
// Protocol (holders_ counts the owner plus every thread that wants the lock):
//  1. lock: increment holders_; if it was 0 the caller owns the lock, else it waits on the
//     notification.
//  2. unlock: decrement holders_; if it was above 1, somebody waits (or is about to wait), and
//     signalling the notification hands the lock directly to one of them.
// Signals never pile up: after a hand-over the lock belongs to a waiter that has not yet
// consumed the signal, and nobody else can unlock until it has. So the notification word,
// which only ORs, never has to count past one.
class Mutex {
 public:
  constexpr Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Creates the notification. Must happen while only one thread can use the mutex; until
  // then lock() works only without contention (the single-threaded case).
  Status init();
  bool initialized() const { return notification_ != abi::kNullHandle; }

  void lock();
  void unlock();

 private:
  int64_t holders_ = 0;
  abi::Handle notification_ = abi::kNullHandle;
};

// Holds a Mutex for the lifetime of the guard.
class MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

}  // namespace hmk::rt
