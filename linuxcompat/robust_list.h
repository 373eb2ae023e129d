// Robust futexes at a task's end: the walk Linux makes of each dying (or exec'ing) task's robust
// list (set_robust_list), marking the locks the task still holds FUTEX_OWNER_DIED so that the
// next owner learns of it (kernel/futex/core.c, exit_robust_list).
#pragma once

#include <stdint.h>

#include "linuxcompat/task.h"

namespace hmk::lx {

// Wakes one waiter of the futex word at `address` in `task`'s memory (FUTEX_WAKE of 1, a
// shared futex: waiters in any process mapping that memory).
using FutexWake = void (*)(Task& task, uint64_t address);

// Walks `task`'s robust list, then forgets it (task.robust_list = 0), as Linux does when a task
// ends (each thread of an ending process) or execs. Call it while the task's memory is still
// there. The list is read through the task's memory as Linux reads it (struct robust_list_head:
// list.next, futex_offset, list_op_pending; bit 0 of a pointer marks a PI futex), at most 2048
// entries, stopping at the first fault. Every futex word whose owner (its low 30 bits,
// FUTEX_TID_MASK) is the task's tid becomes FUTEX_OWNER_DIED, keeping FUTEX_WAITERS, by an
// atomic compare-and-exchange; if FUTEX_WAITERS was set (and it is not a PI futex), `wake`
// wakes one waiter. The pending entry (list_op_pending) is handled once, after the list; if
// its word has no owner, one waiter is woken and the word left alone. `wake` may be null (no
// futexes to wake).
void release_robust_list(Task& task, FutexWake wake = nullptr);

}  // namespace hmk::lx
