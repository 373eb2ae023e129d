/* foreign.pml: the foreign-personality fault and system-call path with a user-level pager.
 *
 * Abstracts (HMK at aa12d06):
 *   core/foreign.cc    forward (via forward_syscall, forward_fault): begin_foreign_call, then
 *                      sys_call on the handler capability; finish_foreign_call: a kForeignResume
 *                      answer puts the saved frame back (word 0 is a system call's result),
 *                      anything else (no answer: PeerClosed) ends the process
 *   core/entry.cc      page_fault_entry (kernel paging resolves the fault unless the space has
 *                      a user-level pager), fault_entry (a thread with a handler forwards the
 *                      fault), foreign_syscall_entry, resume_next (a thread whose foreign call
 *                      ended is finished before it runs: finish_foreign_call)
 *   core/fastpath.cc   fastpath_reply_recv, whose guard leaves a foreign caller to the slow path
 *                      (its switch_to would run the thread without resume_next)
 *   core/ipc.cc        send, receive, reply (slow paths), kill_thread, Thread::detach
 *   core/space.cc      Space::resolve_fault (sys_space_resolve_fault), Space::terminate
 *   core/syscall.cc    sys_space_resolve_fault
 *
 * The model: a process of two foreign threads (F1, F2) with a handler endpoint, and a handler
 * thread H (the Linux shim: it receives with reply_recv, resolves a page fault with
 * space_resolve_fault, answers kForeignResume; a system call's answer is its result in word
 * 0). The process pages through H (space_set_pager kPagerHandler) or the kernel (kPagerKernel),
 * chosen at the start. Each foreign thread makes STEPS steps, each an access to one lazy page
 * (which faults until it is mapped) or a system call. H answers each call kForeignResume or
 * kForeignExit (which ends the foreign process). The shim's process may end at any moment: the
 * foreign process, its child, ends first (Space::terminate, deepest first), then H. Kernel
 * entries are d_steps; any runnable thread may run next. A thread that a fast path switched to
 * runs without resume_next (`direct`).
 *
 * Left out: which page and access (one page, one kind of access), the fault message's words,
 * kForeignThreadExit (it ends the thread as kForeignExit ends the process),
 * thread_read/write_registers, the handler's own native calls, other callers of the handler
 * endpoint, unmapping (a resolved page stays), quotas (resolve_fault cannot fail here), a
 * handler thread that ends while its process lives on, or a handler process that is not the
 * foreign process's ancestor (a foreign thread still queued on the handler endpoint then waits:
 * the thread's own process holds a copy of the handler capability, so the endpoint lives, and
 * the send went through that copy, so no deletion in the shim cancels it).
 *
 * Properties:
 *   - assertions: a foreign thread never runs user code while its foreign call is in progress
 *     (before the handler's answer is applied); after a fault and a kForeignResume the retried
 *     access finds the page (the handler resolved it); a system call's result is the handler's
 *     answer; under the user-level pager the kernel never resolves a fault itself; the reply
 *     relation is mutual
 *   - invalid end states: every foreign thread finishes or its process ends
 *   - ltl answered: a foreign call in progress eventually ends (answered, or the process ends)
 */

#define F1 0
#define F2 1
#define H 2
#define NT 3
#define STEPS 2
#define NONE 255

#define RUNNABLE 1
#define BLK_SEND 2
#define BLK_RECV 3
#define BLK_REPLY 4
#define DEAD 5

#define OK 0
#define PEERCLOSED 1
#define NOTFOUND 4

/* ForeignCall */
#define FC_NONE 0
#define FC_SYSCALL 1
#define FC_FAULT 2

/* message labels */
#define LABEL_SYSCALL 1  /* abi::kForeignSyscallLabel */
#define LABEL_FAULT 2    /* abi::kForeignFaultLabel */
#define RESUME 3         /* abi::kForeignResume */
#define EXIT 4           /* abi::kForeignExit */

#define IDLE 0
#define SENDERS 1
#define RECEIVERS 2

#define RESULT(t) (40 + t)  /* what the handler answers thread t's system call with */

/* ---- kernel state ---- */
byte st[NT];
byte caller[NT];
byte replier[NT];
byte q[NT];
byte qlen;
byte qkind;
byte fcall[NT];       /* Thread::foreign_call_ */
bool process_alive = true;
bool user_pager;      /* Space::user_pager_ of the foreign process */
bool mapped;          /* the lazy page is in the page tables */
bool kernel_mapped;   /* ghost: the kernel resolved a fault of the process itself */

/* ---- registers ---- */
byte status[NT];
byte label[NT];       /* the tag's label */
byte w0[NT];
byte result[NT];      /* the result register a foreign system call returns in */
byte badge[NT];
bool direct[NT];      /* ghost: activated by a fast path's switch_to, not by resume_next */

hidden byte k_i, k_r, k_c, k_s, k_x, k_st;

inline ep_enqueue(t, k) {
  q[qlen] = t;
  qlen++;
  qkind = k
}

inline ep_dequeue(t) {
  k_i = 0;
  do
  :: k_i < qlen && q[k_i] != t -> k_i++
  :: k_i < qlen && q[k_i] == t -> break
  :: k_i >= qlen -> assert(false)
  od;
  do
  :: k_i + 1 < qlen -> q[k_i] = q[k_i + 1]; k_i++
  :: else -> break
  od;
  qlen--;
  q[qlen] = NONE;
  if
  :: qlen == 0 -> qkind = IDLE
  :: else
  fi
}

inline detach(t) {
  if
  :: st[t] == BLK_SEND || st[t] == BLK_RECV -> ep_dequeue(t)
  :: st[t] == BLK_REPLY ->
     if
     :: replier[t] != NONE -> caller[replier[t]] = NONE
     :: else
     fi;
     replier[t] = NONE
  :: else
  fi
}

inline wake_with_status(t, s) {
  detach(t);
  status[t] = s;
  st[t] = RUNNABLE;
  direct[t] = false
}

inline kill_thread(t) {
  if
  :: st[t] != DEAD ->
     detach(t);
     if
     :: caller[t] != NONE -> k_x = caller[t]; wake_with_status(k_x, PEERCLOSED)
     :: else
     fi;
     st[t] = DEAD
  :: else
  fi
}

/* Space::terminate of the foreign process: its threads stop at once. */
inline terminate_process() {
  process_alive = false;
  kill_thread(F1);
  kill_thread(F2)
}

inline transfer(from, to, b) {
  badge[to] = b;
  label[to] = label[from];
  w0[to] = w0[from];
  status[to] = OK
}

/* forward: begin_foreign_call, then sys_call on the handler capability (slow path) */
inline forward(self, kind) {
  fcall[self] = kind;
  label[self] = (kind == FC_FAULT -> LABEL_FAULT : LABEL_SYSCALL);
  w0[self] = 0;
  if
  :: qkind == RECEIVERS ->
     k_r = q[0];
     ep_dequeue(k_r);
     transfer(self, k_r, self + 1);
     st[self] = BLK_REPLY;
     replier[self] = k_r;
     caller[k_r] = self;
     st[k_r] = RUNNABLE;
     direct[k_r] = false
  :: else ->
     st[self] = BLK_SEND;
     ep_enqueue(self, SENDERS)
  fi
}

inline receive(self) {
  if
  :: caller[self] != NONE -> k_c = caller[self]; wake_with_status(k_c, PEERCLOSED)
  :: else
  fi;
  if
  :: qkind == SENDERS ->
     k_s = q[0];
     ep_dequeue(k_s);
     transfer(k_s, self, k_s + 1);
     st[k_s] = BLK_REPLY;  /* every foreign call waits for its answer */
     replier[k_s] = self;
     caller[self] = k_s
  :: else ->
     st[self] = BLK_RECV;
     ep_enqueue(self, RECEIVERS)
  fi
}

/* resume_next, for a thread chosen to run: a finished foreign call is applied first. Returns in
 * k_st whether the thread runs (its process may end instead). */
inline finish_foreign_call(t) {
  if
  :: fcall[t] != FC_NONE && !direct[t] ->
     if
     :: status[t] == OK && label[t] == RESUME ->
        if
        :: fcall[t] == FC_SYSCALL -> result[t] = w0[t]  /* the result register gets word 0 */
        :: else
        fi;
        fcall[t] = FC_NONE;  /* end_foreign_call: the saved frame back */
        k_st = 1
     :: else ->
        fcall[t] = FC_NONE;
        terminate_process();  /* kForeignExit, or no answer (the handler went away) */
        k_st = 0
     fi
  :: else -> k_st = 1
  fi;
  direct[t] = false
}


inline check_invariants() {
  assert(!(user_pager && kernel_mapped));  /* a user-level pager resolves every fault */
  k_i = 0;
  do
  :: k_i < NT ->
     if
     :: caller[k_i] != NONE ->
        assert(st[caller[k_i]] == BLK_REPLY && replier[caller[k_i]] == k_i)
     :: else
     fi;
     if
     :: st[k_i] == BLK_REPLY -> assert(replier[k_i] != NONE && caller[replier[k_i]] == k_i)
     :: else -> assert(replier[k_i] == NONE)
     fi;
     k_i++
  :: else -> break
  od;
  k_i = 0  /* (a d_step must not end in a loop's break) */
}

/* A foreign thread: STEPS accesses to the lazy page or system calls. */
proctype Foreign(byte me) {
  byte steps = 0;
  bool faulted;  /* the step in progress faulted and is retried */
  bool runs;
  do
  :: steps == STEPS -> break
  :: steps < STEPS ->
     if
     :: d_step {  /* the access (again, after a fault) */
          st[me] == RUNNABLE ->
          assert(fcall[me] == FC_NONE);  /* user code runs only outside a foreign call */
          /* retried after a fault and kForeignResume: the handler has resolved the page */
          assert(!faulted || mapped);
          if
          :: mapped ->
             steps++;
             faulted = false
          :: else ->
             /* page_fault_entry: kernel paging resolves it, unless the space has a pager */
             if
             :: !user_pager -> mapped = true; kernel_mapped = true  /* resolve_fault; retried */
             :: else -> faulted = true; forward(me, FC_FAULT)  /* fault_entry, forward_fault */
             fi
          fi;
          check_invariants()
        }
     :: d_step {  /* a system call: foreign_syscall_entry, forward_syscall */
          st[me] == RUNNABLE && !faulted ->
          assert(fcall[me] == FC_NONE);
          forward(me, FC_SYSCALL);
          check_invariants()
        }
     :: st[me] == DEAD -> break
     fi;
     /* chosen to run again: resume_next applies the foreign call's end first */
     if
     :: d_step {
          st[me] == RUNNABLE ->
          finish_foreign_call(me);
          if
          :: k_st && fcall[me] == FC_NONE && label[me] == RESUME && !faulted ->
             assert(result[me] == RESULT(me));  /* the system call's result is the answer */
             steps++
          :: else
          fi;
          label[me] = 0;
          w0[me] = 0;
          result[me] = 0;
          status[me] = 0;
          badge[me] = 0;
          check_invariants()
        }
     :: st[me] == DEAD -> break
     fi
  od
}

/* The handler (the shim): reply_recv on its endpoint, resolving faults and answering calls. */
proctype Handler() {
  byte answer;
  bool fast;
  d_step { receive(H); check_invariants() };
end_wait:
  do
  :: st[H] == DEAD -> break
  :: st[H] == RUNNABLE ->
     if
     :: answer = RESUME
     :: answer = EXIT
     fi;
     if
     :: answer == RESUME -> fast = true
     :: fast = false
     fi;
     if
     :: d_step {
          st[H] == RUNNABLE ->
          if
          :: caller[H] != NONE && label[H] == LABEL_FAULT && answer == RESUME ->
             mapped = true  /* space_resolve_fault */
          :: else
          fi;
          check_invariants()
        }
     :: st[H] == DEAD -> break
     fi;
     if
     :: d_step {
          st[H] == RUNNABLE ->
          /* the answer: kForeignResume (word 0: a system call's result) or kForeignExit */
          if
          :: caller[H] != NONE && label[H] == LABEL_SYSCALL -> w0[H] = RESULT(caller[H])
          :: else -> w0[H] = 0
          fi;
          label[H] = answer;
          if
          :: fast && caller[H] != NONE && fcall[caller[H]] == FC_NONE && qkind != SENDERS ->
             /* fastpath_reply_recv: its commit, switching straight to the caller */
             k_c = caller[H];
             replier[k_c] = NONE;
             caller[H] = NONE;
             st[H] = BLK_RECV;
             ep_enqueue(H, RECEIVERS);
             transfer(H, k_c, 0);
             st[k_c] = RUNNABLE;
             direct[k_c] = true
          :: else ->
             /* sys_reply_recv: reply, then receive */
             if
             :: caller[H] != NONE ->
                k_c = caller[H];
                detach(k_c);
                transfer(H, k_c, 0);
                st[k_c] = RUNNABLE;
                direct[k_c] = false
             :: else
             fi;
             label[H] = 0;
             w0[H] = 0;
             badge[H] = 0;
             receive(H)
          fi;
          check_invariants();
          fast = false;
          answer = 0
        }
     :: st[H] == DEAD -> break
     fi
  od
}

/* The shim's process may end at any moment: its child, the foreign process, ends first
 * (Space::terminate, deepest first), then the handler thread. */
proctype HandlerDeath() {
  if
  :: skip
  :: d_step { terminate_process(); kill_thread(H); check_invariants() }
  fi
}

init {
  d_step {
    k_i = 0;
    do
    :: k_i < NT ->
       st[k_i] = RUNNABLE;
       caller[k_i] = NONE;
       replier[k_i] = NONE;
       q[k_i] = NONE;
       k_i++
    :: else -> break
    od
  };
  if
  :: user_pager = true  /* space_set_pager(kPagerHandler) */
  :: user_pager = false
  fi;
  atomic {
    run Handler();
    run Foreign(F1);
    run Foreign(F2);
    run HandlerDeath()
  }
}

#define in_call(t) (fcall[t] != FC_NONE && st[t] != DEAD)
ltl answered {
  [] (in_call(F1) -> <> !in_call(F1)) && [] (in_call(F2) -> <> !in_call(F2))
}
