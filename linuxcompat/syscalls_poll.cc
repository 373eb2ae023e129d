// poll, ppoll, select, pselect6: readiness from each file (File::poll_events), waiting in the
// queues of the files that can wait (pipes) until one of them moves, a signal or the timeout.
#include "core/lib/util.h"
#include "linuxcompat/signal_frame.h"
#include "linuxcompat/syscall_table.h"
#include "linuxcompat/task.h"

namespace hmk::lx {
namespace {

struct Pollfd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};

constexpr uint32_t kMaxPollFds = 1024;
constexpr uint64_t kNsPerSec = 1'000'000'000;
// Always reported, asked for or not.
constexpr uint32_t kAlwaysReported = kPollErr | kPollHup | kPollNval;

// One pass over the descriptors: their revents, and the number with any.
uint32_t scan(Task& task, Pollfd* fds, uint32_t n) {
  uint32_t ready = 0;
  for (uint32_t i = 0; i < n; ++i) {
    fds[i].revents = 0;
    if (fds[i].fd < 0) continue;
    const File* file = task.process.fds.get(fds[i].fd);
    const uint32_t events = file == nullptr ? kPollNval : file->poll_events();
    const uint32_t wanted = static_cast<uint16_t>(fds[i].events) | kAlwaysReported;
    fds[i].revents = static_cast<int16_t>(events & wanted);
    if (fds[i].revents != 0) ++ready;
  }
  return ready;
}

// Waits until one of the files that can wait moves, or `deadline` (0: none).
int64_t wait_for_any(Task& task, const Pollfd* fds, uint32_t n, uint64_t deadline) {
  WaitQueue* queues[2 * kMaxPollFds];
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; ++i) {
    File* file = fds[i].fd >= 0 ? task.process.fds.get(fds[i].fd) : nullptr;
    if (file == nullptr) continue;
    for (int write = 0; write < 2; ++write) {
      if (WaitQueue* q = file->wait_queue(write != 0); q != nullptr) queues[count++] = q;
    }
  }
  if (count == 0 && deadline == 0) return -kEINTR;  // nothing can change: only a signal
  if (count == 0) {
    WaitQueue none;
    WaitQueue* only = &none;
    return shim_services().block_many(task, &only, 1, deadline);
  }
  return shim_services().block_many(task, queues, count, deadline);
}

// The common loop: scans, waits, scans again; the number ready, 0 at the deadline, or -errno.
int64_t poll_loop(Task& task, Pollfd* fds, uint32_t n, bool forever, uint64_t deadline) {
  for (;;) {
    const uint32_t ready = scan(task, fds, n);
    if (ready > 0) return ready;
    if (!forever && (deadline == 0 || shim_services().now() >= deadline)) return 0;
    // -EINTR, or a wait that could not be had (no memory for it): given back, never retried
    // at once (in the kernel placement a retry would spin with nothing else running).
    const int64_t r = wait_for_any(task, fds, n, forever ? 0 : deadline);
    if (r != 0 && r != -kETIMEDOUT) return r;
  }
}

int64_t do_poll(Task& task, uint64_t ufds, uint32_t nfds, bool forever, uint64_t deadline) {
  if (nfds > task.process.limits[kRlimitNofile].cur || nfds > kMaxPollFds) return -kEINVAL;
  Pollfd fds[kMaxPollFds];
  if (nfds > 0 && !task.process.mm.copy_in(fds, ufds, nfds * sizeof(Pollfd))) return -kEFAULT;
  const int64_t r = poll_loop(task, fds, nfds, forever, deadline);
  if (r >= 0 && nfds > 0 && !task.process.mm.copy_out(ufds, fds, nfds * sizeof(Pollfd))) {
    return -kEFAULT;
  }
  return r;
}

// A timespec timeout: *forever for none, else the deadline (0 means "do not wait").
int64_t timespec_deadline(Task& task, uint64_t address, bool* forever, uint64_t* deadline) {
  *forever = address == 0;
  *deadline = 0;
  if (address == 0) return 0;
  Timespec t;
  if (!task.process.mm.copy_in(&t, address, sizeof(t))) return -kEFAULT;
  if (t.sec < 0 || t.nsec < 0 || t.nsec >= static_cast<int64_t>(kNsPerSec)) return -kEINVAL;
  const uint64_t ns = static_cast<uint64_t>(t.sec) * kNsPerSec + static_cast<uint64_t>(t.nsec);
  if (ns > 0) *deadline = shim_services().now() + ns;
  return 0;
}

// ppoll and pselect6 run with `mask` in place of the task's (restored when a signal was
// delivered, as rt_sigsuspend's; else at once).
int64_t swap_mask(Task& task, uint64_t mask_address) {
  if (mask_address == 0) return 0;
  uint64_t mask = 0;
  if (!task.process.mm.copy_in(&mask, mask_address, sizeof(mask))) return -kEFAULT;
  task.saved_mask = task.signal_mask;
  task.mask_saved = true;
  task.signal_mask = mask & ~kUnblockable;
  return 0;
}

// select's bitmaps as pollfds, and back.
int64_t do_select(Task& task, int32_t nfds, uint64_t readfds, uint64_t writefds, uint64_t exceptfds,
                  bool forever, uint64_t deadline) {
  if (nfds < 0 || static_cast<uint64_t>(nfds) > task.process.limits[kRlimitNofile].cur ||
      nfds > static_cast<int32_t>(kMaxPollFds)) {
    return -kEINVAL;
  }
  const uint64_t words = (static_cast<uint64_t>(nfds) + 63) / 64;
  uint64_t sets[3][kMaxPollFds / 64] = {};
  const uint64_t addresses[3] = {readfds, writefds, exceptfds};
  for (int k = 0; k < 3; ++k) {
    if (addresses[k] != 0 && words > 0 &&
        !task.process.mm.copy_in(sets[k], addresses[k], words * 8)) {
      return -kEFAULT;
    }
  }
  Pollfd fds[kMaxPollFds];
  uint32_t n = 0;
  for (int32_t fd = 0; fd < nfds; ++fd) {
    const uint64_t bit = uint64_t{1} << (fd % 64);
    int16_t events = 0;
    if ((sets[0][fd / 64] & bit) != 0) events |= kPollIn;
    if ((sets[1][fd / 64] & bit) != 0) events |= kPollOut;
    if ((sets[2][fd / 64] & bit) != 0) events |= kPollPri;
    if (events == 0) continue;
    if (task.process.fds.get(fd) == nullptr) return -kEBADF;
    fds[n++] = {fd, events, 0};
  }
  int64_t r = poll_loop(task, fds, n, forever, deadline);
  if (r < 0) return r;
  uint64_t out[3][kMaxPollFds / 64] = {};
  r = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const int32_t fd = fds[i].fd;
    const uint64_t bit = uint64_t{1} << (fd % 64);
    const auto got = static_cast<uint16_t>(fds[i].revents);
    const bool in = (fds[i].events & kPollIn) != 0 && (got & (kPollIn | kPollHup | kPollErr)) != 0;
    const bool o = (fds[i].events & kPollOut) != 0 && (got & (kPollOut | kPollErr)) != 0;
    const bool ex = (fds[i].events & kPollPri) != 0 && (got & kPollPri) != 0;
    if (in) out[0][fd / 64] |= bit;
    if (o) out[1][fd / 64] |= bit;
    if (ex) out[2][fd / 64] |= bit;
    r += in + o + ex;
  }
  for (int k = 0; k < 3; ++k) {
    if (addresses[k] != 0 && words > 0 &&
        !task.process.mm.copy_out(addresses[k], out[k], words * 8)) {
      return -kEFAULT;
    }
  }
  return r;
}

}  // namespace

int64_t sys_poll(Task& task, uint64_t fds, uint32_t nfds, int32_t timeout) {
  const bool forever = timeout < 0;
  const uint64_t deadline =
      timeout > 0 ? shim_services().now() + static_cast<uint64_t>(timeout) * 1'000'000 : 0;
  return do_poll(task, fds, nfds, forever, deadline);
}

int64_t sys_ppoll(Task& task, uint64_t fds, uint32_t nfds, uint64_t tmo_p, uint64_t sigmask,
                  uint64_t sigsetsize) {
  if (sigmask != 0 && sigsetsize != sizeof(uint64_t)) return -kEINVAL;
  bool forever = false;
  uint64_t deadline = 0;
  if (int64_t e = timespec_deadline(task, tmo_p, &forever, &deadline); e != 0) return e;
  if (int64_t e = swap_mask(task, sigmask); e != 0) return e;
  return do_poll(task, fds, nfds, forever, deadline);
}

int64_t sys_select(Task& task, int32_t nfds, uint64_t readfds, uint64_t writefds,
                   uint64_t exceptfds, uint64_t timeout) {
  bool forever = timeout == 0;
  uint64_t deadline = 0;
  if (timeout != 0) {
    int64_t tv[2];
    if (!task.process.mm.copy_in(tv, timeout, sizeof(tv))) return -kEFAULT;
    if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1'000'000) return -kEINVAL;
    const uint64_t ns =
        static_cast<uint64_t>(tv[0]) * kNsPerSec + static_cast<uint64_t>(tv[1]) * 1000;
    if (ns > 0) deadline = shim_services().now() + ns;
  }
  const int64_t r = do_select(task, nfds, readfds, writefds, exceptfds, forever, deadline);
  if (timeout != 0 && r >= 0) {  // Linux writes back the time left
    const uint64_t now = shim_services().now();
    const uint64_t left = deadline > now ? deadline - now : 0;
    const int64_t tv[2] = {static_cast<int64_t>(left / kNsPerSec),
                           static_cast<int64_t>(left % kNsPerSec / 1000)};
    (void)task.process.mm.copy_out(timeout, tv, sizeof(tv));
  }
  return r;
}

int64_t sys_pselect6(Task& task, int32_t nfds, uint64_t readfds, uint64_t writefds,
                     uint64_t exceptfds, uint64_t timeout, uint64_t sigmask) {
  bool forever = false;
  uint64_t deadline = 0;
  if (int64_t e = timespec_deadline(task, timeout, &forever, &deadline); e != 0) return e;
  if (sigmask != 0) {
    uint64_t pair[2];  // {const sigset_t* ss, size_t ss_len}
    if (!task.process.mm.copy_in(pair, sigmask, sizeof(pair))) return -kEFAULT;
    if (pair[0] != 0 && pair[1] != sizeof(uint64_t)) return -kEINVAL;
    if (int64_t e = swap_mask(task, pair[0]); e != 0) return e;
  }
  return do_select(task, nfds, readfds, writefds, exceptfds, forever, deadline);
}

}  // namespace hmk::lx
