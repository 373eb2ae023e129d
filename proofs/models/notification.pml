/* notification.pml: notifications with an interrupt line bound to them.
 *
 * Abstracts (HMK at aa12d06):
 *   core/ipc.cc           sys_signal, sys_wait, sys_poll (take_bits), wake_with_status
 *   core/endpoint.cc      Notification::signal (OR the bits in; the first waiter takes the
 *                         whole word), Thread::block_on_notification
 *   core/notification.h   Notification::take
 *   core/irq.cc           Irq::bind (unmask), Irq::ack (unmask), Irq::deliver (mask the line,
 *                         signal the bound notification with the binding's bits)
 *   core/entry.cc         irq_entry: one interrupt is one kernel entry
 *   the PIC (platform/x86_64): a request raised while the line is masked stays pending and is
 *   delivered when the line is unmasked
 *
 * The model: one notification; one Irq bound to it with bit IRQBIT (the driver binds it
 * first, which unmasks the line); a device raising DEVN requests; a thread signalling SIGN
 * times with its capability's badge SIGBIT; two driver threads, each waiting or polling and,
 * when it gets IRQBIT, serving the device (it reads every request the device has pending) and
 * acknowledging the line. Each kernel entry (a system call, an interrupt) is one d_step; any
 * runnable thread may run next (the scheduler is abstracted).
 *
 * Left out: notification timers (set_timer, expire_timers: the tick signals like sys_signal),
 * the notification's deletion (the binding holds a reference; deletion.pml has deleted
 * objects), rebinding and deleting the Irq, several lines, the deadlock detection
 * (interrupt_could_wake_someone), the words of the badge beyond two bits.
 *
 * Properties:
 *   - assertions: no lost signal bits (a bit signalled and not yet taken is in the word,
 *     checked after every kernel entry); a take returns only bits signalled since the last
 *     take of them (none twice); wait returns non-zero bits and leaves the word clear; a
 *     notification with waiters has no pending bits (proofs/README.md invariant 19)
 *   - invalid end states: the signaller and the device finish; drivers may wait for ever
 *   - ltl served: every device request is eventually served and every signal taken
 */

#define NW 2          /* driver threads 0 and 1; thread 2 signals */
#define SIGNALLER 2
#define NT 3
#define DEVN 2        /* device requests */
#define SIGN 2        /* signals */
#define NONE 255

#define IRQBIT 1      /* the Irq binding's bits (irq_bind: the notification capability's badge) */
#define SIGBIT 2      /* the signaller's capability's badge */

#define RUNNABLE 1
#define BLK_NTFN 2

/* ---- kernel state ---- */
byte st[NT];
byte word;            /* Notification::word_ */
byte wq[NW];          /* Notification::waiters_, front first */
byte wqlen;
byte result[NT];      /* kSysArg0: wait's and poll's bits */

/* the interrupt line */
bool bound;           /* Irq::bound_ != nullptr */
bool masked = true;   /* the line masked in the PIC (arch::irq_mask / irq_unmask) */
bool requested;       /* the PIC's pending request for the line */

/* the device */
byte dev_pending;     /* requests not yet served by a driver */
byte dev_raised;

/* ghosts: signals of each bit not yet taken by a wait or poll */
byte pend_irq;
byte pend_sig;
byte sig_sent;

hidden byte k_i, k_t, k_bits;

/* Notification::take, with the ghost bookkeeping: every bit taken was signalled since it was
 * last taken, and is now taken. */
inline take(bits) {
  bits = word;
  word = 0;
  if
  :: bits & IRQBIT -> assert(pend_irq > 0); pend_irq = 0
  :: else
  fi;
  if
  :: bits & SIGBIT -> assert(pend_sig > 0); pend_sig = 0
  :: else
  fi
}

inline wq_pop(t) {
  t = wq[0];
  k_i = 0;
  do
  :: k_i + 1 < wqlen -> wq[k_i] = wq[k_i + 1]; k_i++
  :: else -> break
  od;
  wqlen--;
  wq[wqlen] = NONE
}

/* Notification::signal */
inline signal(bits) {
  if
  :: bits & IRQBIT -> pend_irq++
  :: else
  fi;
  if
  :: bits & SIGBIT -> pend_sig++
  :: else
  fi;
  word = word | bits;
  if
  :: wqlen > 0 ->
     wq_pop(k_t);
     take(k_bits);
     result[k_t] = k_bits;  /* wait's result */
     st[k_t] = RUNNABLE     /* wake_with_status(t, kOk) */
  :: else
  fi
}

/* Irq::deliver, from irq_entry */
inline irq_deliver() {
  masked = true;  /* arch::irq_mask */
  if
  :: bound -> signal(IRQBIT)
  :: else
  fi
}

/* Irq::ack */
inline irq_ack() {
  masked = false  /* arch::irq_unmask */
}

inline check_invariants() {
  /* no lost bits: what was signalled and not taken is in the word */
  assert(pend_irq == 0 || (word & IRQBIT));
  assert(pend_sig == 0 || (word & SIGBIT));
  /* waiters only while the word is clear; every waiter blocked, every blocked thread waits */
  assert(wqlen == 0 || word == 0);
  k_i = 0;
  do
  :: k_i < wqlen -> assert(st[wq[k_i]] == BLK_NTFN); k_i++
  :: else -> break
  od;
  k_i = 0;
  k_t = 0;
  do
  :: k_i < NT ->
     if
     :: st[k_i] == BLK_NTFN -> k_t++
     :: else
     fi;
     k_i++
  :: else -> break
  od;
  assert(k_t == wqlen)
}

/* A driver thread: waits (or polls), serves the device when the line's bit comes, acks. */
proctype Driver(byte me) {
  byte bits;
  bool serve;
  if
  :: me == 0 -> d_step { bound = true; irq_ack(); check_invariants() }  /* irq_bind: unmasks */
  :: else
  fi;
  do
  :: d_step {  /* wait */
       st[me] == RUNNABLE ->
       if
       :: word != 0 -> take(bits); assert(bits != 0 && word == 0)
       :: else ->
          bits = 0;
          st[me] = BLK_NTFN;  /* block_on_notification */
          wq[wqlen] = me;
          wqlen++
       fi;
       check_invariants()
     };
     if
     :: bits != 0 -> skip  /* took the bits at once */
     :: else ->
end_wait:
        d_step { st[me] == RUNNABLE -> bits = result[me]; result[me] = 0 }
     fi;
     assert(bits != 0);  /* wait returns only with bits */
     serve = (bits & IRQBIT) != 0;
     bits = 0;
     if
     :: serve ->
        d_step { dev_pending = 0 };  /* user code: read the device's status, clearing it */
        d_step { st[me] == RUNNABLE -> irq_ack(); check_invariants() };
        serve = false
     :: else
     fi
  :: d_step {  /* poll */
       st[me] == RUNNABLE && word != 0 ->  /* (a poll that finds nothing changes nothing) */
       take(bits);
       check_invariants()
     };
     serve = (bits & IRQBIT) != 0;
     bits = 0;
     if
     :: serve ->
        d_step { dev_pending = 0 };
        d_step { st[me] == RUNNABLE -> irq_ack(); check_invariants() };
        serve = false
     :: else
     fi
  od
}

proctype Signaller() {
  do
  :: sig_sent < SIGN ->
     d_step { sig_sent++; signal(SIGBIT); check_invariants() }  /* sys_signal */
  :: else -> break
  od
}

proctype Device() {
  do
  :: dev_raised < DEVN -> d_step { dev_raised++; dev_pending++; requested = true }
  :: else -> break
  od
}

/* The CPU takes the interrupt when the line is unmasked and requested: irq_entry. */
proctype Cpu() {
end:
  do
  :: d_step { requested && !masked -> requested = false; irq_deliver(); check_invariants() }
  od
}

init {
  d_step {
    st[0] = RUNNABLE;
    st[1] = RUNNABLE;
    st[2] = RUNNABLE;
    wq[0] = NONE;
    wq[1] = NONE
  };
  atomic {
    run Driver(0);
    run Driver(1);
    run Signaller();
    run Device();
    run Cpu()
  }
}

/* Every request the device raised is served and every signal is taken, eventually. */
ltl served {
  [] ((dev_pending > 0 || pend_sig > 0) -> <> (dev_pending == 0 && pend_sig == 0))
}
