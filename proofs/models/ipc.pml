/* ipc.pml: the IPC call / reply_recv handshake, slow path and fast path, with deaths.
 *
 * Abstracts (HMK at aa12d06):
 *   core/ipc.cc       send (sys_call, sys_send), receive (sys_recv), reply (sys_reply),
 *                     sys_reply_recv, wake_with_status, kill_thread, Thread::detach,
 *                     make_runnable / make_runnable_direct
 *   core/fastpath.cc  fastpath_call, fastpath_reply_recv (every guard, then the commit)
 *   core/endpoint.h   Endpoint::enqueue / dequeue, Thread::block_on_receive, leave_queue,
 *                     leave_send_queue; core/endpoint.cc Endpoint::wake_all (close)
 *   core/thread.h     block_on_send, block_on_reply, release_caller (the reply relation:
 *                     Thread::caller_ / replier_, the one-shot "reply capability")
 *   core/syscall.cc   handle_syscall: a thread that did not block gets the call's status
 *   core/init.cc      retire_domain: when the server's domain ends, init closes the endpoint
 *                     (PeerClosed to its queue) and revokes every capability to it
 *
 * The model: one endpoint; NS server threads (0 .. NS-1), each receiving, then answering with
 * reply_recv, or reply + recv, or a recv that abandons its caller; two clients (NS, NS + 1),
 * each sending MSGS messages by call or send through its own capability (badge = its
 * number). models.toml checks NS = 1, MSGS = 2 (a stale reply to an earlier call would show)
 * and NS = 2, MSGS = 1 (replies could cross between servers). Each message is register-only
 * (fast-path eligible), long (IPC buffer, slow path only) or one the receiver cannot take
 * (BufferTooSmall). Each call and reply_recv chooses the fast path or the slow one; the fast
 * path is taken only when its guards hold, and the choice stands for the guards the model
 * does not have (the priority check against the run queues, the stub's flag check). A killer
 * causes at most one death, at any moment: the servers' domain ends (all server threads; then
 * init retires the endpoint), one server thread ends while another serves on (NS > 1), or the
 * first client's process ends.
 *
 * One kernel entry is one d_step: one CPU, interrupts off in the kernel, so entries do not
 * interleave. The scheduler is abstracted: any runnable thread may make the next system call
 * (kReady and kRunning are one state), which includes every order priorities and time slices
 * allow.
 *
 * Left out: message contents beyond two words, capability transfer (Grant), IPC buffers
 * (only the BufferTooSmall outcome), the kernel-served (IC0) endpoints, badges beyond one per
 * client, priorities and the run queues (the fast path's priority guard is a free choice),
 * tag errors (InvalidArgument, BadAddress: the sender's own fault, nothing changes), send's
 * non-blocking flag, foreign callers (foreign.pml), capability deletion while queued
 * (deletion.pml), restarts.
 *
 * Properties:
 *   - assertions: a reply reaches only its caller and only for the call it answers (the
 *     client checks the words: the server answers word0 + 100 and word1 unchanged); a server
 *     hears each message with the badge of the capability it was sent through; the reply
 *     relation is mutual and queues hold only threads blocked on them, one kind at a time
 *     (proofs/README.md invariants 17 and 19), checked after every kernel entry
 *   - invalid end states (deadlock): every client finishes; only servers may wait for ever
 *   - ltl no_lost_wakeup: a caller blocked on reply is eventually woken (with the reply,
 *     BufferTooSmall or PeerClosed) or dies
 */

/* The configuration (check_models.py passes -D): NS server threads receiving on the endpoint
 * (threads 0 .. NS-1), two clients (NS, NS+1), MSGS messages per client. */
#ifndef NS
#define NS 1
#endif
#ifndef MSGS
#define MSGS 2
#endif
#define NT (NS + 2)
#define CLIENT_A NS        /* the client the killer may end */
#define NONE 255

/* ThreadState (core/thread.h); kReady and kRunning are one state. */
#define RUNNABLE 1
#define BLK_SEND 2
#define BLK_RECV 3
#define BLK_REPLY 4
#define DEAD 5

/* Status (core/lib/status.h), those the model produces. */
#define OK 0
#define PEERCLOSED 1
#define BUFTOOSMALL 2
#define INVALIDCAP 3
#define NOTFOUND 4

/* Endpoint::QueueKind */
#define IDLE 0
#define SENDERS 1
#define RECEIVERS 2

/* What a message needs (the tag and the receiver's IPC buffer). */
#define SHORT 0   /* at most kRegisterWords words, no capabilities: fast path eligible */
#define LONG 1    /* words in the IPC buffer: slow path, the receiver has a buffer */
#define NOROOM 2  /* slow path, and the receiver cannot take it: kBufferTooSmall */

#define REPLYMARK 100

/* ---- kernel state ---- */
byte st[NT];
byte caller[NT];     /* Thread::caller_: blocked on our reply (we took its call) */
byte replier[NT];    /* Thread::replier_: kBlockedOnReply, we are its caller */
bool send_wait[NT];  /* Thread::send_reply_ == Reply::kWait (a call, not a send) */
byte q[NT];          /* the endpoint's queue, front first */
byte qlen;
byte qkind;
bool ep_alive = true;  /* the capabilities to the endpoint still exist */

/* ---- each thread's message registers (what the kernel reads and writes) ---- */
byte status[NT];  /* kSysNumber: the system call's status */
byte badge[NT];   /* kSysHandle on receipt: the sender's badge (0 for a reply) */
byte w0[NT];
byte w1[NT];
byte kind[NT];    /* SHORT, LONG or NOROOM, as above */

/* temporaries of one kernel entry: not part of the state */
hidden byte k_i, k_r, k_c, k_s, k_st, k_x;
hidden byte k_done;

/* ---- endpoint queue (core/endpoint.h) ---- */
inline ep_enqueue(t, k) {
  q[qlen] = t;
  qlen++;
  qkind = k
}

inline ep_dequeue(t) {  /* ThreadQueue::remove, then idle when empty */
  k_i = 0;
  do
  :: k_i < qlen && q[k_i] != t -> k_i++
  :: k_i < qlen && q[k_i] == t -> break
  :: k_i >= qlen -> assert(false)  /* not in the queue it names */
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

/* ---- thread transitions (core/thread.h, core/ipc.cc) ---- */
inline block_on_send(t, wait) {
  st[t] = BLK_SEND;
  send_wait[t] = wait;
  ep_enqueue(t, SENDERS)
}

inline block_on_receive(t) {
  st[t] = BLK_RECV;
  ep_enqueue(t, RECEIVERS)
}

inline block_on_reply(t, server) {
  st[t] = BLK_REPLY;
  replier[t] = server;
  caller[server] = t
}

inline release_caller(server, c) {  /* c = the caller, returned */
  c = caller[server];
  replier[c] = NONE;
  caller[server] = NONE
}

inline detach(t) {
  if
  :: st[t] == BLK_SEND -> ep_dequeue(t); send_wait[t] = false
  :: st[t] == BLK_RECV -> ep_dequeue(t)
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
  st[t] = RUNNABLE  /* make_runnable */
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

/* commit_transfer / copy_message: the words and the badge, and status Ok */
inline transfer(from, to, b) {
  badge[to] = b;
  w0[to] = w0[from];
  w1[to] = w1[from];
  status[to] = OK
}

/* ---- the slow paths (core/ipc.cc); k_st is the call's status ---- */
inline slow_send(self, wait) {
  if
  :: !ep_alive -> k_st = INVALIDCAP
  :: ep_alive && qkind == RECEIVERS ->
     k_r = q[0];
     if
     :: kind[self] == NOROOM -> k_st = BUFTOOSMALL  /* plan_transfer: the receiver keeps waiting */
     :: else ->
        /* POINT OF NO RETURN */
        ep_dequeue(k_r);
        transfer(self, k_r, self);
        if
        :: wait -> block_on_reply(self, k_r); st[k_r] = RUNNABLE  /* make_runnable_direct */
        :: else -> st[k_r] = RUNNABLE
        fi;
        k_st = OK
     fi
  :: ep_alive && qkind != RECEIVERS -> block_on_send(self, wait); k_st = OK
  fi
}

inline receive(self) {
  if
  :: !ep_alive -> k_st = INVALIDCAP
  :: else ->
     /* A server that receives again without replying abandons its caller. */
     if
     :: caller[self] != NONE -> k_c = caller[self]; wake_with_status(k_c, PEERCLOSED)
     :: else
     fi;
     k_done = false;
     do
     :: qkind == SENDERS ->
        k_s = q[0];
        if
        :: kind[k_s] == NOROOM -> wake_with_status(k_s, BUFTOOSMALL)  /* and try the next */
        :: else ->
           /* POINT OF NO RETURN */
           ep_dequeue(k_s);
           transfer(k_s, self, k_s);
           if
           :: send_wait[k_s] -> block_on_reply(k_s, self)
           :: else -> status[k_s] = OK; st[k_s] = RUNNABLE
           fi;
           send_wait[k_s] = false;  /* meaningful only while queued */
           k_done = true;
           break
        fi
     :: qkind != SENDERS -> break
     od;
     if
     :: !k_done -> block_on_receive(self)
     :: else
     fi;
     k_st = OK
  fi
}

inline reply(self) {
  if
  :: caller[self] == NONE -> k_st = NOTFOUND
  :: else ->
     k_c = caller[self];
     if
     :: kind[self] == NOROOM -> wake_with_status(k_c, BUFTOOSMALL); k_st = BUFTOOSMALL
     :: else ->
        /* POINT OF NO RETURN */
        detach(k_c);  /* unlinks caller and server */
        transfer(self, k_c, 0);
        st[k_c] = RUNNABLE;
        k_st = OK
     fi
  fi
}

/* ---- the fast paths (core/fastpath.cc): guards, then the commit ---- */
#define fast_call_guards(self, fast) \
  (fast && kind[self] == SHORT && ep_alive && qkind == RECEIVERS)

inline fastpath_call(self) {
  k_r = q[0];
  /* POINT OF NO RETURN: the caller waits for the reply, the server runs with the message. */
  ep_dequeue(k_r);
  block_on_reply(self, k_r);
  transfer(self, k_r, self);  /* copy_message, with the capability's badge */
  st[k_r] = RUNNABLE  /* switch_to */
}

inline fastpath_reply_recv(self) {
  /* POINT OF NO RETURN: the server waits for the next message, the caller runs with the reply. */
  release_caller(self, k_c);
  block_on_receive(self);
  transfer(self, k_c, 0);
  st[k_c] = RUNNABLE  /* switch_to */
}

/* handle_syscall: a thread that neither blocked nor died gets the status. */
inline finish_syscall(self) {
  if
  :: st[self] == RUNNABLE -> status[self] = k_st
  :: else
  fi;
  check_invariants()
}

/* ---- proofs/README.md invariants 17 and 19, after every kernel entry ---- */
inline check_invariants() {
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
  k_i = 0;
  do
  :: k_i < qlen ->
     assert((qkind == SENDERS && st[q[k_i]] == BLK_SEND) ||
            (qkind == RECEIVERS && st[q[k_i]] == BLK_RECV));
     k_i++
  :: else -> break
  od;
  assert((qlen == 0) == (qkind == IDLE));
  /* as many queued as blocked on send or receive */
  k_x = 0;
  k_i = 0;
  do
  :: k_i < NT ->
     if
     :: st[k_i] == BLK_SEND || st[k_i] == BLK_RECV -> k_x++
     :: else
     fi;
     k_i++
  :: else -> break
  od;
  assert(k_x == qlen)
}

/* ---- the threads ---- */

/* What a client sends: a call or a send, and what the message needs. */
#define CALL_FAST 0    /* register-only call: the fast path if its guards let it */
#define CALL_SLOW 1    /* a call the fast path declines (long message, or a guard) */
#define CALL_NOROOM 2  /* a call the server cannot take (BufferTooSmall) */
#define SEND 3
#define SEND_NOROOM 4
#define is_call(m) (m <= CALL_NOROOM)
#define kind_of(m) ((m == CALL_NOROOM || m == SEND_NOROOM) -> NOROOM : (m == CALL_FAST -> SHORT : LONG))

/* Registers a thread no longer needs are cleared, so that states differ only in what matters. */
inline clear_regs(t) {
  status[t] = 0;
  badge[t] = 0;
  w0[t] = 0;
  w1[t] = 0;
  kind[t] = 0
}

proctype Client(byte me) {
  byte seq = 1;
  byte mode;
  do
  :: seq > MSGS -> break
  :: seq <= MSGS ->
     if
     :: mode = CALL_FAST
     :: mode = CALL_SLOW
     :: mode = CALL_NOROOM
     :: mode = SEND
     :: mode = SEND_NOROOM
     fi;
     if
     :: d_step {
          st[me] == RUNNABLE ->
          w0[me] = me;
          w1[me] = seq;
          kind[me] = kind_of(mode);
          if
          :: fast_call_guards(me, mode == CALL_FAST) -> fastpath_call(me); k_st = OK
          :: else -> slow_send(me, is_call(mode))
          fi;
          finish_syscall(me)
        }
     :: st[me] == DEAD -> break
     fi;
     /* Blocked until the kernel wakes it (or it dies); then the result. */
     if
     :: d_step {
          st[me] == RUNNABLE ->
          if
          :: status[me] == OK && is_call(mode) ->
             /* the reply to this very call, and from the server that took it */
             assert(w0[me] == REPLYMARK + me && w1[me] == seq);
             seq++
          :: status[me] == OK && !is_call(mode) -> seq++
          :: status[me] == BUFTOOSMALL -> seq++
          :: status[me] == PEERCLOSED || status[me] == INVALIDCAP -> seq = MSGS + 1  /* gone */
          :: else -> assert(false)
          fi;
          clear_regs(me);
          mode = 0
        }
     :: st[me] == DEAD -> break
     fi
  od
}

/* What the server does after a message: reply_recv (fast path if its guards let it, slow, or a
 * reply the caller cannot take), reply then recv, or recv (abandoning the caller). */
#define RR_FAST 0
#define RR_SLOW 1
#define RR_NOROOM 2
#define REPLY_RECV 3
#define RECV 4

proctype Server(byte SERVER) {
  byte op = RECV;
  do
  :: if
     :: d_step {
          st[SERVER] == RUNNABLE ->
          w0[SERVER] = w0[SERVER] + REPLYMARK;
          kind[SERVER] = (op == RR_NOROOM -> NOROOM : (op == RR_FAST -> SHORT : LONG));
          if
          :: op <= RR_NOROOM ->
             if
             :: op == RR_FAST && caller[SERVER] != NONE && kind[SERVER] == SHORT && ep_alive &&
                qkind != SENDERS -> fastpath_reply_recv(SERVER); k_st = OK
             :: else ->
                if
                :: caller[SERVER] != NONE -> reply(SERVER)
                :: else
                fi;
                clear_regs(SERVER);
                receive(SERVER)
             fi
          :: op == REPLY_RECV -> reply(SERVER)
          :: op == RECV -> clear_regs(SERVER); receive(SERVER)
          fi;
          finish_syscall(SERVER)
        }
     :: st[SERVER] == DEAD -> break
     fi;
     if
     :: op == REPLY_RECV ->
        if
        :: d_step {
             st[SERVER] == RUNNABLE ->
             clear_regs(SERVER);
             receive(SERVER);
             finish_syscall(SERVER)
           }
        :: st[SERVER] == DEAD -> break
        fi
     :: else
     fi;
     /* Blocked until a message comes (or the endpoint goes, or it dies). */
end_wait:
     if
     :: d_step {
          st[SERVER] == RUNNABLE && status[SERVER] == OK ->
          /* a message through the sender's own capability */
          assert(badge[SERVER] == w0[SERVER] && badge[SERVER] >= NS && badge[SERVER] < NT);
          badge[SERVER] = 0;
          op = 0
        }
     :: st[SERVER] == RUNNABLE && status[SERVER] != OK -> break  /* the endpoint is gone */
     :: st[SERVER] == DEAD -> break
     fi;
     if
     :: op = RR_FAST
     :: op = RR_SLOW
     :: op = RR_NOROOM
     :: op = REPLY_RECV
     :: op = RECV
     fi
  od
}

/* Kills all server threads (the domain's process ends), then retires the endpoint as init
 * does (retire_domain): Endpoint::close wakes the queue with PeerClosed, then the revoke deletes
 * every capability and the endpoint dies. */
inline domain_ends() {
  d_step {
    k_r = 0;
    do
    :: k_r < NS -> kill_thread(k_r); k_r++
    :: else -> break
    od;
    check_invariants()
  };
  d_step {
    do
    :: qlen > 0 -> k_x = q[0]; wake_with_status(k_x, PEERCLOSED)
    :: else -> break
    od;
    ep_alive = false;
    check_invariants()
  }
}

/* At most one death, at any moment: the servers' domain ends, one server thread ends while
 * others serve on, or a client's process ends. */
proctype Killer() {
  if
  :: skip
  :: domain_ends()
#if NS > 1
  :: d_step { kill_thread(0); check_invariants() }
#endif
  :: d_step { kill_thread(CLIENT_A); check_invariants() }
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
  atomic {
    k_i = 0;
    do
    :: k_i < NS -> run Server(k_i); k_i++
    :: else -> break
    od;
    run Client(NS);
    run Client(NS + 1);
    run Killer()
  }
}

#define waits_for_reply(t) (st[t] == BLK_REPLY)
ltl no_lost_wakeup {
  [] (waits_for_reply(NS) -> <> !waits_for_reply(NS)) &&
  [] (waits_for_reply(NS + 1) -> <> !waits_for_reply(NS + 1))
}
