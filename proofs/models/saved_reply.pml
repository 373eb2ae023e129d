/* saved_reply.pml: saved replies of kernel-served (IC0) calls, with deadlines and kills.
 *
 * Abstracts (HMK at eddc08d):
 *   core/kernel_service.cc  kernel_service_call (g_current: the call the domain handles; after
 *                           the domain's call: an immediate answer, the answer given within the
 *                           call that saved it, the caller blocked on kernel, or, when the call
 *                           ended its own caller, the slot freed and the domain's cancel),
 *                           kernel_service_save_reply (kOutOfMemory when full, the lowest free
 *                           slot, its generation incremented), slot_of (slot and generation),
 *                           free_slot, kernel_service_resume (kNotFound for a used-up or stale
 *                           token; within the saving call: the answer; else the reply written
 *                           and the waiter runnable), kernel_service_set_deadline,
 *                           expire_saved_replies (slot order, each disarmed before the domain's
 *                           expire), cancel_saved_reply (the waiter's slot, freed, then cancel)
 *   core/thread.h           Thread::block_on_kernel, saved_reply_slot_ (never cleared)
 *   core/ipc.cc             Thread::detach's kBlockedOnKernel case, kill_thread
 *   core/syscall.cc         handle_syscall (a blocked thread's status comes from its waker)
 *   core/entry.cc           timer_entry / timer_tick_while_idle (expire_saved_replies), the idle
 *                           loop (saved_reply_deadline_pending: a pending deadline is no
 *                           deadlock: here the timer is enabled while g_deadlines > 0)
 *   proofs/invariants.cc    invariant 17's saved-reply part, checked after every kernel entry
 *
 * The model: NC client threads each make CALLS calls to a kernel-served endpoint; a table of
 * NSLOT saved-reply slots (fewer than the clients, so that it fills). The IC0 domain is a
 * model too (a pipe and a sleep service, as the Linux shim would place in the kernel): for each
 * call it chooses to answer at once, to save the reply as a "read" (answered by a later write,
 * perhaps with a deadline, perhaps within the same call), as a "sleep" (answered only by its
 * deadline), or to save it and then end the caller's own process within the call. It remembers
 * each token it saved (dtok) until it answers it or hears of its cancel. An answering thread
 * (ANS) makes the "write" calls: each resumes one read token the domain remembers (the domain
 * drops the token whatever the answer); and, as a buggy domain that failed to forget would, up
 * to REPLAYS times a used-up token (the last one of a slot that was answered or cancelled, even
 * after the slot was taken again), which must be kNotFound. The timer ticks while deadlines are
 * pending: each tick expires every armed deadline in slot order; the domain's expire answers
 * the token or (REARMS times in all) sets a new deadline. A killer ends up to KILLS clients at
 * any moment (running between calls, or waiting); a client's call may instead use that kill to
 * end its own caller's process. Each kernel entry is one d_step; the choices the domain and the
 * threads make are taken in the atomic prefix of the entry; any runnable thread may run next
 * (the scheduler is abstracted). Ghosts: the token each call was saved under (mine), whether a
 * thread was killed (gone), the last used-up token of each slot (used).
 *
 * Left out: the words, labels and lengths of messages (a reply's word 0 is the token it
 * answers, or 0 for an immediate answer: enough to tell whose reply it is), write_reply's
 * kBufferTooSmall (the token is used up either way, as for kOk), quotas
 * (kernel_service_charge), badges and bindings, foreign threads' calls, time itself (a deadline
 * is armed or not; every armed one is due at the next tick), a domain's call ending the
 * process of another waiting thread (the same as the killer's kill between two entries, up to
 * the domain's own state), generations wrapping after 2^32 takes of one slot, and the domain's
 * real data structures. The answering thread's calls are never saved.
 *
 * Properties:
 *   - assertions: a reply reaches only its caller, for the call it answers (the client checks
 *     word 0 against the token it was saved under), even after its slot was taken again; a
 *     stale or used-up token resumes nobody (kNotFound); no answer goes to a thread that is not
 *     waiting (dead or running); after every entry, invariant 17's saved-reply part: every slot
 *     in use names a thread blocked on kernel in that slot, every such thread owns its slot, the
 *     count and the deadline count match; at the end (every thread finished): every slot free,
 *     no deadline pending, the domain remembers nothing
 *   - invalid end states: every thread finishes: no client waits for ever (no deadlock)
 *   - ltl answered: a client blocked on kernel is eventually answered or ends
 */

#ifndef NC
#define NC 3          /* client threads 0 .. NC-1 (2 or 3) */
#endif
#ifndef NSLOT
#define NSLOT 2       /* kMaxSavedReplies (1 or 2) */
#endif
#ifndef CALLS
#define CALLS 1       /* calls per client (1 or 2) */
#endif
#define ANS NC        /* the answering thread */
#define NT (NC + 1)
#define KILLS 1       /* clients the killer (or a client's own call) may end */
#define REPLAYS 1     /* used-up tokens the buggy domain replays */
#ifndef REARMS
#define REARMS 0      /* new deadlines the domain's expire may set, in all */
#endif
#define NONE 255

/* ThreadState (core/thread.h); kReady and kRunning are one state. */
#define RUNNABLE 1
#define BLK_KERNEL 2
#define DEAD 3

/* What the domain does with a call (its choice). */
#define H_NOW 1        /* answers at once */
#define H_READ 2       /* saves it; a later write answers it */
#define H_READ_DL 3    /* saves it with a deadline; a write or the deadline answers it */
#define H_READ_SELF 4  /* saves it, then answers it within the same call */
#define H_SLEEP 5      /* saves it with a deadline; only the deadline answers it */
#define H_EXIT 6       /* saves it, then the call ends the caller's own process */

/* The domain's remembered tokens: what kind of call each is. */
#define K_READ 1
#define K_SLEEP 2

/* ---- kernel state ---- */
byte st[NT];
byte saved_slot[NC];   /* Thread::saved_reply_slot_ */
byte rword[NC];        /* the reply's word 0 in the client's registers */

/* g_saved: a token is gen * NSLOT + slot (generation 0 is never issued: 0 is no token) */
byte waiter[NSLOT];    /* NONE: the slot is free */
byte gen[NSLOT];
bool armed[NSLOT];     /* deadline != 0 */
byte count;            /* g_saved_count */
byte deadlines;        /* g_deadlines */

/* ---- the domain's state ---- */
byte dtok[NC];         /* the tokens it remembers (0: none) */
byte dkind[NC];
byte rearms = REARMS;  /* how many more times an expire may set a new deadline */

/* ---- the environment ---- */
byte replays = REPLAYS;
byte kills = KILLS;
byte finished;         /* client processes that ended */

/* ghosts: the token the client's current call was saved under (0: not saved); whether the
 * thread was killed (whatever its state says after) */
byte mine[NC];
bool gone[NC];
/* ghost: the last token of each slot that was used up (answered or cancelled), 0 for none: what
 * a buggy domain may still hold */
byte used[NSLOT];

/* temporaries of one kernel entry: not part of the state */
hidden byte k_i, k_s, k_t, k_tok, k_n;
hidden byte k_ok;
/* g_current and g_answer: reset at the end of every call */
hidden byte cur_caller = NONE, cur_saved = NONE, cur_answer;
hidden byte cur_answered;

#define TOKEN(s) (gen[s] * NSLOT + (s))

/* ---- the domain's memory ---- */
inline remember(tok, kind) {
  k_i = 0;
  do
  :: k_i < NC && dtok[k_i] != 0 -> k_i++
  :: k_i < NC && dtok[k_i] == 0 -> dtok[k_i] = tok; dkind[k_i] = kind; break
  :: k_i >= NC -> assert(false)  /* more remembered than clients */
  od
}

inline forget(tok) {
  k_i = 0;
  do
  :: k_i < NC && dtok[k_i] == tok -> dtok[k_i] = 0; dkind[k_i] = 0; break
  :: k_i < NC && dtok[k_i] != tok -> k_i++
  :: k_i >= NC -> break
  od
}

/* ---- core/kernel_service.cc ---- */
inline slot_of(tok, s) {
  s = (tok) % NSLOT;
  if
  :: waiter[s] == NONE -> s = NONE
  :: else ->
     if
     :: gen[s] != (tok) / NSLOT -> s = NONE
     :: else
     fi
  fi
}

inline free_slot(s) {
  if
  :: armed[s] -> deadlines--
  :: else
  fi;
  waiter[s] = NONE;
  armed[s] = false;
  count--;
  used[s] = TOKEN(s)
}

/* kernel_service_save_reply: tok is the token, or 0 (kOutOfMemory). Only ever called once per
 * call from the domain's call, so the kInvalidArgument cases do not arise. */
inline save_reply(tok) {
  if
  :: count == NSLOT -> tok = 0  /* kOutOfMemory */
  :: else ->
     k_s = 0;  /* the lowest free slot (one exists: at worst the last) */
     do
     :: k_s + 1 < NSLOT && waiter[k_s] != NONE -> k_s++
     :: else -> break
     od;
     waiter[k_s] = cur_caller;
     gen[k_s] = gen[k_s] + 1;
     armed[k_s] = false;
     count++;
     cur_saved = k_s;
     tok = TOKEN(k_s)
  fi
}

/* kernel_service_resume: k_ok is false for kNotFound. */
inline resume(tok) {
  slot_of(tok, k_s);
  if
  :: k_s == NONE -> k_ok = false
  :: else ->
     k_ok = true;
     k_t = waiter[k_s];
     free_slot(k_s);  /* the token is used up */
     if
     :: k_s == cur_saved ->  /* answered within the call that saved it */
        cur_saved = NONE;
        cur_answered = true;
        cur_answer = tok
     :: else ->
        assert(k_t < NC && st[k_t] == BLK_KERNEL && !gone[k_t]);  /* only to a waiter */
        rword[k_t] = tok;  /* write_reply */
        st[k_t] = RUNNABLE  /* make_runnable */
     fi
  fi
}

inline set_deadline(tok) {
  slot_of(tok, k_s);
  if
  :: k_s != NONE ->
     if
     :: !armed[k_s] -> deadlines++
     :: else
     fi;
     armed[k_s] = true
  :: else
  fi
}

/* The domain's cancel(token): it forgets the call. */
inline domain_cancel(tok) {
  forget(tok)
}

/* cancel_saved_reply, from Thread::detach of a thread blocked on kernel */
inline cancel_saved_reply(t) {
  k_s = saved_slot[t];
  if
  :: k_s < NSLOT && waiter[k_s] == t ->
     k_tok = TOKEN(k_s);
     free_slot(k_s);
     domain_cancel(k_tok)  /* domain->cancel(token) */
  :: else
  fi
}

/* kill_thread (its process ending is the same for this protocol) */
inline kill(t) {
  if
  :: st[t] == BLK_KERNEL -> cancel_saved_reply(t)  /* Thread::detach */
  :: else
  fi;
  st[t] = DEAD;
  gone[t] = true;
  rword[t] = 0;
  mine[t] = 0;
  saved_slot[t] = 0  /* the thread is gone */
}

/* The domain's call for a client's call (its choice `how`). */
inline domain_call(me, how) {
  if
  :: how == H_NOW -> skip
  :: else ->
     save_reply(k_tok);
     mine[me] = k_tok;
     if
     :: k_tok == 0 -> skip  /* kOutOfMemory: it answers at once with an error */
     :: else ->
        if
        :: how == H_SLEEP -> remember(k_tok, K_SLEEP)
        :: else -> remember(k_tok, K_READ)
        fi;
        if
        :: how == H_READ_DL || how == H_SLEEP -> set_deadline(k_tok)
        :: how == H_READ_SELF -> resume(k_tok); assert(k_ok); forget(k_tok)
        :: how == H_EXIT -> kills--; kill(me)  /* it ends its caller's process */
        :: else
        fi
     fi
  fi
}

/* kernel_service_call */
inline kernel_service_call(me, how) {
  cur_caller = me;
  cur_saved = NONE;
  cur_answered = false;
  cur_answer = 0;
  domain_call(me, how);
  if
  :: cur_saved != NONE ->
     if
     :: st[me] == DEAD ->  /* the call ended its own caller: nobody waits for the reply */
        k_tok = TOKEN(cur_saved);
        free_slot(cur_saved);
        domain_cancel(k_tok)
     :: else ->
        st[me] = BLK_KERNEL;  /* block_on_kernel */
        saved_slot[me] = cur_saved
     fi
  :: else ->
     if
     :: st[me] != DEAD -> rword[me] = cur_answer  /* write_reply: the answer, at once */
     :: else
     fi
  fi;
  cur_caller = NONE;
  cur_saved = NONE;
  cur_answered = false;
  cur_answer = 0
}

/* The domain's expire(token): it answers the call, or sets a new deadline if `again` (and it
 * still may). */
inline domain_expire(tok, again) {
  k_tok = tok;
  k_i = 0;
  do
  :: k_i < NC && dtok[k_i] != k_tok -> k_i++
  :: else -> break
  od;
  if
  :: k_i < NC && (again) && rearms > 0 ->
     rearms--;
     set_deadline(k_tok)
  :: k_i < NC && !((again) && rearms > 0) ->
     resume(k_tok);
     assert(k_ok);
     forget(k_tok)
  :: else  /* a token it does not know: the caller waits on */
  fi
}

/* expire_saved_replies; `mask`: for which slots the domain's expire sets a new deadline
 * instead of answering (while it may) */
inline expire_saved_replies(mask) {
  k_n = 0;
  do
  :: k_n < NSLOT ->
     if
     :: waiter[k_n] != NONE && armed[k_n] ->
        armed[k_n] = false;
        deadlines--;
        domain_expire(TOKEN(k_n), mask & (1 << k_n))  /* domain->expire(token_of(slot)) */
     :: else
     fi;
     k_n++
  :: else -> break
  od;
  k_n = 0
}

/* Invariant 17, saved replies (proofs/invariants.cc check_thread_links, check_threads) */
inline check_invariants() {
  k_n = 0;
  k_t = 0;
  k_i = 0;
  do
  :: k_n < NSLOT ->
     if
     :: waiter[k_n] != NONE ->
        k_t++;
        assert(waiter[k_n] < NC && st[waiter[k_n]] == BLK_KERNEL && !gone[waiter[k_n]] &&
               saved_slot[waiter[k_n]] == k_n);
        if
        :: armed[k_n] -> k_i++
        :: else
        fi
     :: else -> assert(!armed[k_n])
     fi;
     k_n++
  :: else -> break
  od;
  k_n = 0;
  k_s = 0;
  do
  :: k_n < NC ->
     if
     :: st[k_n] == BLK_KERNEL ->
        assert(saved_slot[k_n] < NSLOT && waiter[saved_slot[k_n]] == k_n); k_s++
     :: else
     fi;
     k_n++
  :: else -> break
  od;
  assert(k_t == count && k_s == count && k_i == deadlines);
  k_n = 0
}

proctype Client(byte me) {
  byte n;
  byte how;
  do
  :: atomic {
       n < CALLS && st[me] == RUNNABLE ->
       if
       :: how = H_NOW
       :: how = H_READ
       :: how = H_READ_DL
       :: how = H_READ_SELF
       :: how = H_SLEEP
       :: kills > 0 -> how = H_EXIT
       fi;
       d_step { kernel_service_call(me, how); check_invariants() };
       how = 0
     };
     if
     :: d_step {  /* runs again: answered (the reply names its own call) */
          st[me] == RUNNABLE ->
          assert(rword[me] == mine[me]);
          rword[me] = 0;
          mine[me] = 0
        }
     :: st[me] == DEAD -> break
     fi;
     n++
  :: n >= CALLS -> break
  :: st[me] == DEAD -> break
  od;
  finished++
}

#define ALLDONE (finished == NC)

/* The answering thread: each of its calls ("write") resumes a read the domain remembers; a
 * buggy domain also replays tokens it should have forgotten. Its own calls are answered at
 * once. */
proctype Answerer() {
  byte i;
  do
  :: atomic {
       (dkind[0] == K_READ || dkind[1] == K_READ
#if NC > 2
        || dkind[2] == K_READ
#endif
       ) ->
       if
       :: dkind[0] == K_READ -> i = 0
       :: dkind[1] == K_READ -> i = 1
#if NC > 2
       :: dkind[2] == K_READ -> i = 2
#endif
       fi;
       d_step {
         cur_caller = ANS;
         resume(dtok[i]);  /* (kNotFound for a call cancelled meanwhile) */
         forget(dtok[i]);
         cur_caller = NONE;
         check_invariants()
       };
       i = 0
     }
  :: atomic {
       replays > 0 && (used[0] != 0 || used[NSLOT - 1] != 0) ->
       replays--;
       if
       :: used[0] != 0 -> i = 0
#if NSLOT > 1
       :: used[1] != 0 -> i = 1
#endif
       fi;
       d_step {
         cur_caller = ANS;
         resume(used[i]);
         assert(!k_ok);  /* a used-up or stale token answers nobody */
         cur_caller = NONE;
         check_invariants()
       };
       i = 0
     }
  :: ALLDONE -> break
  od
}

/* The timer: ticks while a deadline is pending (the idle loop waits for it). */
proctype Timer() {
  byte mask;
  do
  :: atomic {
       deadlines > 0 ->
       if
       :: rearms > 0 -> if
                         :: mask = 0
                         :: mask = 1
#if NSLOT > 1
                         :: mask = 2
                         :: mask = 3
#endif
                         fi
       :: else -> mask = 0
       fi;
       d_step { expire_saved_replies(mask); check_invariants() };
       mask = 0
     }
  :: ALLDONE -> break
  od
}

/* The killer: ends a client (its thread or its process) at any moment. */
proctype Killer() {
  byte v;
  do
  :: atomic {
       kills > 0 ->
       if
       :: v = 0
       :: v = 1
#if NC > 2
       :: v = 2
#endif
       fi;
       d_step {
         if
         :: st[v] != DEAD -> kills--; kill(v); check_invariants()
         :: else
         fi
       };
       v = 0
     }
  :: break
  od
}

init {
  d_step {
    k_i = 0;
    do
    :: k_i < NC -> st[k_i] = RUNNABLE; k_i++
    :: else -> break
    od;
    st[ANS] = RUNNABLE;
    k_i = 0;
    do
    :: k_i < NSLOT -> waiter[k_i] = NONE; k_i++
    :: else -> break
    od;
    k_i = 0
  };
  atomic {
    k_n = 0;
    do
    :: k_n < NC -> run Client(k_n); k_n++
    :: else -> break
    od;
    k_n = 0;
    run Answerer();
    run Timer();
    run Killer()
  };
  /* Everything has ended: no slot leaked, no deadline left, the domain remembers nothing. */
  d_step {
    _nr_pr == 1 ->
    assert(count == 0 && deadlines == 0);
    k_i = 0;
    do
    :: k_i < NSLOT -> assert(waiter[k_i] == NONE); k_i++
    :: else -> break
    od;
    k_i = 0;
    do
    :: k_i < NC -> assert(dtok[k_i] == 0); assert(st[k_i] != BLK_KERNEL); k_i++
    :: else -> break
    od;
    k_i = 0
  }
}

/* A client blocked on kernel is eventually answered or ends. */
ltl answered {
  [] ((st[0] == BLK_KERNEL -> <> (st[0] != BLK_KERNEL)) &&
      (st[1] == BLK_KERNEL -> <> (st[1] != BLK_KERNEL))
#if NC > 2
      && (st[2] == BLK_KERNEL -> <> (st[2] != BLK_KERNEL))
#endif
     )
}
