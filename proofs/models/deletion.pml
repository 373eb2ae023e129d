/* deletion.pml: capabilities and endpoints deleted while threads are queued on them.
 *
 * Abstracts (HMK at 10561da):
 *   core/cap.cc       cap_delete (cancel the sends and receives blocked on this very capability
 *                     unless it is the endpoint's last reference, then drop the reference),
 *                     cap_revoke (one child deleted per bounded step; the system call restarts
 *                     in between, so other threads run between the steps)
 *   core/endpoint.cc  Endpoint::cancel_waits_through (InvalidCapability to every sender and
 *                     receiver queued through the capability), Endpoint::destroy and close /
 *                     wake_all (PeerClosed to every waiter)
 *   core/endpoint.h   Thread::block_on_receive (records the capability: recv_cap), leave_queue
 *                     and leave_send_queue (forget it)
 *   core/object.cc    release / reap_objects: the endpoint dies with its last capability, in the
 *                     same kernel entry
 *   core/init.cc      retire_domain: close, revoke, delete the root, in one entry
 *   core/ipc.cc       send, receive, reply, sys_reply_recv, wake_with_status, Thread::detach,
 *                     kill_thread (thread_exit); core/fastpath.cc fastpath_call and
 *                     fastpath_reply_recv with their capability guards (a deleted capability
 *                     sends them to the slow path, which answers InvalidCapability)
 *
 * The model: one endpoint and four capabilities to it: the root (held by the endpoint's owner,
 * init's holder for a domain), the server's (Receive), client A's (Send, badge 1) and client
 * B's (Send, badge 2), all children of the root (listed B, A, server: the newest child first,
 * the order cap_revoke deletes them in). The server receives and answers with reply_recv;
 * client A calls, client B sends, MSGS times each. The owner does, at any moment: nothing, or
 * deletes A's capability (a server revoking one client), or deletes the server's capability
 * (while the root keeps the endpoint alive), or deletes the root (its children live on), and
 * then nothing (only if the server still has its capability), or revokes the root step by
 * step and deletes it (the endpoint dies; without the root, the holders delete the others one
 * at a time in the same order, the last one's deletion killing the endpoint), or retires it
 * as init retires a domain (only with the root).
 * Kernel entries are d_steps; any runnable thread may run next.
 *
 * Left out: capability tables, handles and generations (a deleted capability is one a lookup
 * does not find), children moving up (every capability here is a root's child; deleting the
 * root first leaves them alive, as if they had moved up), copies of capabilities in messages,
 * the bounded step's work budget (one deletion per step), a thread's death while queued
 * (ipc.pml), message kinds (all register-only), notifications (their deletion wakes waiters
 * the same way, Notification::destroy).
 *
 * The owner's "delete the server's capability" step deletes the capability a waiting receive
 * went through while the endpoint lives on (the root keeps it): until 10561da the receiver
 * stayed queued and took the next message through the deleted capability (proofs/README.md,
 * "What the models showed"); now cap_delete cancels that receive too.
 *
 * Properties:
 *   - assertions: no message reaches a deleted endpoint, nor a receiver through a capability
 *     deleted before the message was taken: neither the sender's (the server never hears a
 *     badge whose capability is gone: cancel-on-revoke) nor the receiver's own (a receive
 *     waiting through a deleted capability takes nothing: transfer); a thread fails with
 *     InvalidCapability only if its own capability was deleted (sender or receiver), with
 *     PeerClosed only if the endpoint died; the reply relation and the queue as in
 *     proofs/README.md invariants 17 and 19
 *   - invalid end states: every client finishes
 *   - ltl woken: once the endpoint is deleted, every thread that was queued on it is
 *     eventually woken (nobody stays blocked on a deleted endpoint)
 */

#define SERVER 0
#define CLIENT_A 1
#define CLIENT_B 2
#define NT 3
#define MSGS 2
#define NONE 255

/* capabilities */
#define ROOT 0
#define SERVER_CAP 1
#define A_CAP 2       /* badge 1 */
#define B_CAP 3       /* badge 2 */
#define NC 4

#define RUNNABLE 1
#define BLK_SEND 2
#define BLK_RECV 3
#define BLK_REPLY 4
#define DEAD 5

#define OK 0
#define PEERCLOSED 1
#define INVALIDCAP 3

#define IDLE 0
#define SENDERS 1
#define RECEIVERS 2

/* ---- kernel state ---- */
byte st[NT];
byte caller[NT];
byte replier[NT];
bool send_wait[NT];
byte send_cap[NT];   /* Thread::send_cap_: the capability a blocked send went through */
byte recv_cap[NT];   /* Thread::recv_cap_: the capability a waiting receive went through */
byte q[NT];
byte qlen;
byte qkind;
bool ep_alive = true;
bool cap_alive[NC];

/* ---- registers ---- */
byte status[NT];
byte badge[NT];
byte w0[NT];

hidden byte k_i, k_r, k_rc, k_c, k_s, k_st, k_x, k_n, k_refs;
hidden byte k_done;

/* ---- endpoint queue ---- */
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

/* Thread::leave_queue: off the queue, the receive's capability forgotten (leave_send_queue
 * forgets the send's as well) */
inline leave_queue(t) {
  ep_dequeue(t);
  recv_cap[t] = NONE
}

inline detach(t) {
  if
  :: st[t] == BLK_SEND -> leave_queue(t); send_cap[t] = NONE; send_wait[t] = false
  :: st[t] == BLK_RECV -> leave_queue(t)
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
  st[t] = RUNNABLE
}

/* Thread::block_on_receive(ep, cap) */
inline block_on_receive(t, c) {
  st[t] = BLK_RECV;
  recv_cap[t] = c;
  ep_enqueue(t, RECEIVERS)
}

inline block_on_reply(t, server) {
  st[t] = BLK_REPLY;
  replier[t] = server;
  caller[server] = t
}

/* A message (one word) reaches a receiver with the badge of capability c: never through a
 * deleted endpoint, never through a capability deleted before the receiver took it, neither
 * the sender's (c) nor the one the receiver went through (rc). */
inline transfer(from, to, c, rc) {
  assert(ep_alive && cap_alive[c]);
  assert(cap_alive[rc]);  /* the receiver's own capability */
  badge[to] = c - 1;
  w0[to] = w0[from];
  status[to] = OK
}

/* ---- deletion (core/cap.cc, core/endpoint.cc) ---- */
inline cancel_waits_through(c) {
  if
  :: qkind != IDLE ->
     k_n = 0;
     do
     :: k_n < qlen && (send_cap[q[k_n]] == c || recv_cap[q[k_n]] == c) ->
        k_x = q[k_n]; wake_with_status(k_x, INVALIDCAP)
     :: k_n >= qlen -> break
     :: else -> k_n++
     od
  :: else
  fi
}

/* close_queue / Endpoint::wake_all(kPeerClosed) */
inline close_queue() {
  do
  :: qlen > 0 -> k_x = q[0]; wake_with_status(k_x, PEERCLOSED)
  :: else -> break
  od
}

inline endpoint_destroy() {
  close_queue();  /* Endpoint::destroy: waiting threads fail with kPeerClosed */
  ep_alive = false
}

inline cap_delete(c) {
  assert(cap_alive[c]);
  k_refs = 0;  /* Endpoint::refs(): its capabilities */
  k_i = 0;
  do
  :: k_i < NC -> k_refs = k_refs + cap_alive[k_i]; k_i++
  :: else -> break
  od;
  if
  :: k_refs > 1 -> cancel_waits_through(c)
  :: else
  fi;
  cap_alive[c] = false;
  if
  :: k_refs == 1 -> endpoint_destroy()  /* the last reference: reaped in this entry */
  :: else
  fi
}

/* ---- IPC (core/ipc.cc, core/fastpath.cc) ---- */
inline send(self, c, wait) {
  if
  :: !cap_alive[c] -> k_st = INVALIDCAP
  :: cap_alive[c] && qkind == RECEIVERS ->
     k_r = q[0];
     k_rc = recv_cap[k_r];  /* the model's record, for transfer's assertion */
     leave_queue(k_r);
     transfer(self, k_r, c, k_rc);
     if
     :: wait -> block_on_reply(self, k_r)
     :: else
     fi;
     st[k_r] = RUNNABLE;
     k_st = OK
  :: cap_alive[c] && qkind != RECEIVERS ->
     st[self] = BLK_SEND;
     send_wait[self] = wait;
     send_cap[self] = c;
     ep_enqueue(self, SENDERS);
     k_st = OK
  fi
}

inline receive(self, c) {
  if
  :: !cap_alive[c] -> k_st = INVALIDCAP
  :: else ->
     if
     :: caller[self] != NONE -> k_c = caller[self]; wake_with_status(k_c, PEERCLOSED)
     :: else
     fi;
     if
     :: qkind == SENDERS ->
        k_s = q[0];
        ep_dequeue(k_s);
        transfer(k_s, self, send_cap[k_s], c);
        if
        :: send_wait[k_s] -> block_on_reply(k_s, self)
        :: else -> status[k_s] = OK; st[k_s] = RUNNABLE
        fi;
        send_cap[k_s] = NONE;
        send_wait[k_s] = false
     :: else -> block_on_receive(self, c)
     fi;
     k_st = OK
  fi
}

inline reply(self) {
  k_c = caller[self];
  detach(k_c);
  badge[k_c] = 0;
  w0[k_c] = w0[self];
  status[k_c] = OK;
  st[k_c] = RUNNABLE
}

inline finish_syscall(self) {
  if
  :: st[self] == RUNNABLE -> status[self] = k_st
  :: else
  fi;
  check_invariants()
}

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
  assert((qlen == 0) == (qkind == IDLE))
}

#define blocked_on_endpoint(t) (st[t] == BLK_SEND || st[t] == BLK_RECV)

/* ---- the threads ---- */

/* thread_exit: kill_thread on the server */
inline kill_server() {
  detach(SERVER);
  if
  :: caller[SERVER] != NONE -> k_x = caller[SERVER]; wake_with_status(k_x, PEERCLOSED)
  :: else
  fi;
  st[SERVER] = DEAD;
  check_invariants()
}

proctype Client(byte me; byte c; bool wait) {
  byte seq = 1;
  bool fast;
  do
  :: seq > MSGS -> break
  :: seq <= MSGS ->
     if
     :: wait -> fast = true
     :: fast = false
     fi;
     d_step {
       st[me] == RUNNABLE ->
       w0[me] = seq;
       if
       :: fast && cap_alive[c] && qkind == RECEIVERS ->  /* fastpath_call */
          k_r = q[0];
          k_rc = recv_cap[k_r];
          leave_queue(k_r);
          block_on_reply(me, k_r);
          transfer(me, k_r, c, k_rc);
          st[k_r] = RUNNABLE;
          k_st = OK
       :: else -> send(me, c, wait)
       fi;
       finish_syscall(me);
       fast = false
     };
     d_step {
       st[me] == RUNNABLE ->
       if
       :: status[me] == OK -> seq++
       :: status[me] == INVALIDCAP ->
          assert(!cap_alive[c]);  /* cancelled only when its own capability went */
          seq = MSGS + 1
       :: status[me] == PEERCLOSED ->
          assert(!ep_alive);  /* the server neither dies nor abandons calls here */
          seq = MSGS + 1
       :: else -> assert(false)
       fi;
       status[me] = 0;
       badge[me] = 0;
       w0[me] = 0
     }
  od
}

proctype Server() {
  bool fast;
  d_step { receive(SERVER, SERVER_CAP); finish_syscall(SERVER) };
end_wait:
  do
  :: d_step {
       st[SERVER] == RUNNABLE && status[SERVER] != OK ->
       if
       :: status[SERVER] == INVALIDCAP ->
          assert(!cap_alive[SERVER_CAP])  /* cancelled only when its own capability went */
       :: status[SERVER] == PEERCLOSED -> assert(!ep_alive)
       :: else -> assert(false)
       fi;
       kill_server()  /* thread_exit */
     };
     break
  :: d_step {
       st[SERVER] == RUNNABLE && status[SERVER] == OK ->
       /* a client's badge (the capability was alive when the message was taken: transfer) */
       assert(badge[SERVER] == 1 || badge[SERVER] == 2);
       badge[SERVER] = 0
     };
     if
     :: fast = true
     :: fast = false
     fi;
     d_step {
       st[SERVER] == RUNNABLE ->
       if
       :: fast && caller[SERVER] != NONE && cap_alive[SERVER_CAP] && qkind != SENDERS ->
          /* fastpath_reply_recv */
          k_c = caller[SERVER];
          replier[k_c] = NONE;
          caller[SERVER] = NONE;
          block_on_receive(SERVER, SERVER_CAP);
          badge[k_c] = 0;
          w0[k_c] = w0[SERVER];
          status[k_c] = OK;
          st[k_c] = RUNNABLE;
          k_st = OK
       :: else ->
          if
          :: caller[SERVER] != NONE -> reply(SERVER)
          :: else
          fi;
          w0[SERVER] = 0;
          receive(SERVER, SERVER_CAP)
       fi;
       finish_syscall(SERVER);
       fast = false
     }
  od
}

/* The endpoint's owner. */
proctype Owner() {
  bool must_retire;  /* the server is gone: without an end of the endpoint clients would wait */
  if
  :: skip
  :: d_step { cap_delete(A_CAP); check_invariants() }  /* a server revokes one client */
  :: d_step { cap_delete(SERVER_CAP); check_invariants() };  /* the receiver's capability */
     must_retire = true
  :: d_step { cap_delete(ROOT); check_invariants() }  /* the owner drops its capability */
  fi;
  if
  :: !must_retire
  :: /* cap_revoke(root) in bounded steps (one deletion each), then cap_delete(root); or, the
      * root deleted already (its children moved up and live on), the others one at a time,
      * newest first, as their holders delete them: the last one's deletion kills the endpoint
      * while a thread may still be queued through it (now that cancel-on-delete wakes the
      * threads queued through every other capability, the only way the endpoint's death finds
      * a waiter outside retire_domain) */
     d_step {
       if
       :: cap_alive[B_CAP] -> cap_delete(B_CAP)
       :: else
       fi;
       check_invariants()
     };
     d_step {
       if
       :: cap_alive[A_CAP] -> cap_delete(A_CAP)
       :: else
       fi;
       check_invariants()
     };
     d_step {
       if
       :: cap_alive[SERVER_CAP] -> cap_delete(SERVER_CAP)
       :: else
       fi;
       check_invariants()
     };
     d_step {
       if
       :: cap_alive[ROOT] -> cap_delete(ROOT)
       :: else
       fi;
       check_invariants()
     }
  :: /* retire_domain: close, revoke, delete the root, in one entry */
     d_step {
       cap_alive[ROOT] ->  /* init holds the root */
       close_queue();  /* Endpoint::close: callers learn that the service is gone */
       if
       :: cap_alive[B_CAP] -> cap_delete(B_CAP)
       :: else
       fi;
       if
       :: cap_alive[A_CAP] -> cap_delete(A_CAP)
       :: else
       fi;
       if
       :: cap_alive[SERVER_CAP] -> cap_delete(SERVER_CAP)
       :: else
       fi;
       cap_delete(ROOT);
       check_invariants()
     }
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
       send_cap[k_i] = NONE;
       recv_cap[k_i] = NONE;
       q[k_i] = NONE;
       k_i++
    :: else -> break
    od;
    k_i = 0;
    do
    :: k_i < NC -> cap_alive[k_i] = true; k_i++
    :: else -> break
    od
  };
  atomic {
    run Server();
    run Client(CLIENT_A, A_CAP, true);
    run Client(CLIENT_B, B_CAP, false);
    run Owner()
  }
}

/* Once the endpoint is gone, nobody stays blocked on it. */
ltl woken {
  [] (!ep_alive -> <> !(blocked_on_endpoint(SERVER) || blocked_on_endpoint(CLIENT_A) ||
                        blocked_on_endpoint(CLIENT_B)))
}
