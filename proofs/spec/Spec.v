(* HMK core kernel: an abstract specification (proofs/spec/README.md).

   What this file models, against docs/kernel.md ("Kernel objects", "Capabilities",
   "Quotas", the system call table):

   - Kernel objects live in a finite map from object ids to (kind, quota account charged).
     Kinds: Space (with its own quota account), Thread (of a space), Endpoint,
     Notification, Memory (a page count), IoPorts (a port range; no call makes one, the
     boot manifest does), IrqControl (no call makes it; it never dies), Irq (a line).
   - A thread's syscall handler (thread_set_syscall_handler), a notification's timer
     (set_timer: armed or not, with its bits; time is not modelled), an Irq's binding
     (irq_bind: the notification and bits; a binding holds its notification alive), a
     space's pager mode (space_set_pager: kernel, the default, or a user-level handler;
     what the mode decides, who resolves a page fault, is not modelled).
   - Quota accounts map an account id to (limit, used). Creating an object charges the
     creating space's account first; past the limit the call fails with QuotaExceeded and
     changes nothing. A destroyed object's charge goes back.
   - Capabilities: one list across all tables. A capability has a unique id (its handle:
     the generation scheme of docs/kernel.md is abstracted into ids that are never reused,
     so a stale handle names nothing), the space whose table holds it, the object, a
     rights set and a badge (0 = none). The derivation tree is kept as the list of
     ancestor ids, nearest first: the parent is the head. cap_derive / cap_copy_to make a
     child; cap_delete removes one capability and moves its children up to its parent
     (its id leaves every ancestor list); cap_revoke deletes every capability that has the
     revoked one among its ancestors.
   - Memory mappings (s_maps): ranges of pages of memory objects mapped into spaces (map,
     unmap, protect; core/space.cc). A mapping holds its memory object (held), which
     outlives its last capability while mapped; the charge for mapping records and page
     tables, the page tables themselves, lazy and copy-on-write pages are not modelled.
   - Threads have a scheduler/IPC state; endpoints and notifications a FIFO of waiting
     threads (one map from object to queue); notifications a word of signal bits; a server
     thread its caller (the reply relation).

   Simplified or abstracted away (said again in README.md):
   - Calls are atomic: the bounded steps and restarts of cap_delete, cap_revoke,
     memory_create and memory_clone are not modelled (each call is its whole work).
   - The running thread is the caller; the scheduler's choice of the next thread and the
     run queues are not modelled (a woken thread becomes Ready). Each thread has a priority
     (thread_set_priority, thread_create), which nothing here reads.
   - A memory object is its page count: its frames and what they hold (and so the frames
     memory_clone shares copy-on-write) are not in the state.
   - Object sizes in bytes are fixed placeholder numbers (obj_size); capability-table
     pages are not charged; the table size limit (1023 handles) is not modelled.
   - Signal bits: a badge is ORed into the word (Nat.lor); the value a woken waiter
     receives is not recorded in the state.
   - IPC: message words, IPC buffers (BufferTooSmall) and capability transfer are not
     modelled; the status and badge a woken thread receives are not recorded; the fast
     path has the slow path's effect; kernel-served endpoints and foreign calls are out;
     sends blocked through a deleted capability are not cancelled (cancel-on-delete).
   - Dying objects: an endpoint, notification, memory, IoPorts or Irq object is destroyed when
     its last capability goes and (a notification) no Irq is bound to it; a dying Irq releases
     its notification, which dies too if nothing else holds it; a mapping holds its memory
     object (`held`), which dies when its last mapping goes (unmap, a process's teardown)
     if no capability names it;
     threads waiting on a destroyed endpoint or notification become Ready (docs: they get
     PeerClosed).
   - Ending: thread_exit, process_exit and process_terminate kill threads (Dead) and end
     spaces (their s_tstate entry Dead: space_ended) with their descendants (the process
     tree is read from the accounts: parent_of), and the teardown (every capability of the
     ended tables deleted, what nothing holds reaped) is part of the same step. A Dead thread
     or ended space stays in the state (the kernel reaps it once nothing names it).
   - The last reference to a thread or a space (drop_ref): cap_delete of the last capability
     to an unstarted thread kills it (Dead; the kernel destroys it), which releases its
     space; a live space no capability and no living thread object holds any more ends as
     terminate ends it (Space::destroy: terminate(0)), its live descendants with it. A started
     thread holds itself. cap_revoke never deletes the last capability to an object (the
     revoked one stays). Not followed: the last reference to another thread or space that the
     teardown of a space ending this way (or of an ending call) deletes.
   - The decoder's "rights within all rights" check (InvalidArgument) cannot fail: a
     rights set here is a list of the seven named rights.
   - A call made by anything but a Running thread is refused with InvalidCapability and
     changes nothing (the kernel only ever runs calls of the running thread).
   - Registers, FPU state, TLS bases, IPC buffers, user memory, the console and the clock
     are not in the state, nor the ports' devices: thread_set_tls, thread_set_ipc_buffer,
     debug_print, clock_read, the register and FPU reads and writes and io_port_in/out are
     their checks and reply only, with each address check a flag of the call, and leave the
     state as it was.
*)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.

(* ---------- Rights ---------- *)

Inductive right := RRead | RWrite | RExecute | RSend | RReceive | RGrant | RManage.

Definition right_eq_dec (a b : right) : {a = b} + {a <> b}.
Proof. decide equality. Defined.

Definition rights := list right.

Definition has_right (r : right) (rs : rights) : bool :=
  if in_dec right_eq_dec r rs then true else false.

Definition subset_b (a b : rights) : bool := forallb (fun r => has_right r b) a.

Lemma subset_b_incl : forall a b, subset_b a b = true -> incl a b.
Proof.
  unfold subset_b, has_right, incl. intros a b H r Hr.
  rewrite forallb_forall in H. specialize (H r Hr).
  destruct (in_dec right_eq_dec r b); [assumption | discriminate].
Qed.

(* ---------- Errors and replies (names as core/lib/status.h and docs/kernel.md) ---------- *)

Inductive error :=
  | InvalidCapability | PermissionDenied | InvalidArgument | QuotaExceeded | PeerClosed
  | WouldBlock | NotFound | Busy | BadAddress
  | OutOfRange | AlreadyExists.  (* map and irq_create return these *)

Inductive otype :=
  | TSpace | TThread | TEndpoint | TNotification | TMemory | TIoPorts | TIrqControl | TIrq.

Inductive value :=
  | VNone
  | VNum (n : nat)                             (* a handle, bits, ... *)
  | VInfo (t : otype) (r : rights) (badge : nat) (* cap_info *)
  | VQuota (limit used : nat).                  (* quota_info *)

Inductive reply :=
  | ROk (v : value)
  | RErr (e : error)
  | RBlocked.         (* the caller blocked; its result comes when it is woken *)

(* ---------- Objects ---------- *)

Inductive kind :=
  | KSpace (acct : nat)    (* the space's own quota account *)
  | KThread (space : nat)
  | KEndpoint
  | KNotification
  | KMemory (pages : nat)
  | KIoPorts (base count : nat)  (* ports [base, base + count); only the boot manifest makes one *)
  | KIrqControl                  (* the authority to make Irqs; no call makes it, it never dies *)
  | KIrq (line : nat).           (* an interrupt line (irq_create); its binding is s_irq *)

Record obj := mkObj { o_kind : kind; o_acct : nat (* the account it is charged to *) }.

Definition type_of (k : kind) : otype :=
  match k with
  | KSpace _ => TSpace
  | KThread _ => TThread
  | KEndpoint => TEndpoint
  | KNotification => TNotification
  | KMemory _ => TMemory
  | KIoPorts _ _ => TIoPorts
  | KIrqControl => TIrqControl
  | KIrq _ => TIrq
  end.

Definition otype_eqb (a b : otype) : bool :=
  match a, b with
  | TSpace, TSpace | TThread, TThread | TEndpoint, TEndpoint
  | TNotification, TNotification | TMemory, TMemory | TIoPorts, TIoPorts
  | TIrqControl, TIrqControl | TIrq, TIrq => true
  | _, _ => false
  end.

Lemma otype_eqb_eq : forall a b, otype_eqb a b = true -> a = b.
Proof. destruct a, b; simpl; congruence. Qed.

(* Placeholder byte counts: the slab block of each object, plus frames for memory. *)
Definition page_size := 4096.
Definition obj_size (k : kind) : nat :=
  match k with
  | KMemory p => 64 + p * page_size
  | _ => 64
  end.

(* Objects whose last capability is their last reference. *)
Definition reapable (k : kind) : bool :=
  match k with
  | KEndpoint | KNotification | KMemory _ | KIoPorts _ _ | KIrq _ => true
  | _ => false
  end.

(* ---------- Threads ---------- *)

Inductive tstate :=
  | Inactive | Running | Ready
  | BlockedSend (e : nat) (is_call : bool)   (* queued on endpoint e; a call waits for a reply *)
  | BlockedRecv (e : nat)
  | BlockedReply (server : nat)               (* its call was taken by server *)
  | BlockedNotif (n : nat)
  | Dead.

(* The object whose queue a thread is in. *)
Definition blocked_on (st : tstate) : option nat :=
  match st with
  | BlockedSend e _ | BlockedRecv e | BlockedNotif e => Some e
  | _ => None
  end.

Definition is_recv (st : tstate) : bool :=
  match st with BlockedRecv _ => true | _ => false end.

(* ---------- Capabilities ---------- *)

Record cap := mkCap {
  c_id : nat;          (* the handle; never reused *)
  c_space : nat;       (* whose table holds it *)
  c_obj : nat;
  c_rights : rights;
  c_badge : nat;       (* 0: unbadged *)
  c_anc : list nat     (* ancestor ids, parent first *)
}.

(* ---------- Memory mappings ---------- *)

(* A mapping of pages of a memory object into a space (core/space.h, Mapping; README.md,
   "Mappings"): what map, unmap and protect (below) add, remove and change. It holds a
   reference to its memory object (Space::map's memory.acquire(), released by unmap_mapping),
   so a mapped object is `held` and outlives its last capability. *)
Record mapping := mkMapping {
  m_space : nat;      (* the space whose address space it is in *)
  m_vaddr : nat;      (* its first byte, page-aligned *)
  m_pages : nat;
  m_mem : nat;        (* the memory object *)
  m_first : nat;      (* its first page in the memory object *)
  m_rights : rights;  (* a subset of Read, Write, Execute, with Read, never Write and Execute *)
  m_max : rights      (* the memory capability's page rights at map time: protect's limit *)
}.

(* ---------- The state ---------- *)

Record state := mkState {
  s_objs : nat -> option obj;
  s_accts : nat -> option (nat * nat);  (* (limit, used) *)
  s_caps : list cap;
  s_tstate : nat -> tstate;
  s_word : nat -> nat;                  (* notification bits *)
  s_waiters : nat -> list nat;          (* the FIFO of threads waiting on a notification,
                                           or queued on an endpoint (senders or receivers) *)
  s_caller : nat -> option nat;         (* a server thread's caller, waiting for its reply *)
  s_next : nat;                         (* the next fresh id (objects, caps, accounts) *)
  s_prio : nat -> nat;                  (* a thread's priority, 0..255 *)
  s_handler : nat -> option nat;        (* a thread's syscall handler: the handle, in its
                                           space's table, of the Send capability its
                                           syscalls go to (thread_set_syscall_handler) *)
  s_timer : nat -> option nat;          (* a notification's armed timer (set_timer): the
                                           bits it will signal; the deadline abstracted *)
  s_irq : nat -> option (nat * nat);   (* an Irq's binding (irq_bind): the notification its
                                           line signals and the bits *)
  s_pager : nat -> nat;                 (* a space's pager mode (space_set_pager):
                                           pager_kernel (0, a new space's) or pager_handler (1) *)
  s_maps : list mapping;                (* every space's mappings (map, unmap, protect) *)
  s_via : nat -> option nat             (* a thread blocked on send or receive: the id of
                                           the capability it went through *)
}.

Definition upd {A : Type} (f : nat -> A) (k : nat) (v : A) : nat -> A :=
  fun x => if Nat.eqb x k then v else f x.
Arguments upd : simpl never.

Definition with_caps (s : state) (cs : list cap) : state :=
  mkState (s_objs s) (s_accts s) cs (s_tstate s) (s_word s) (s_waiters s) (s_caller s) (s_next s)
          (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s).

Definition with_maps (s : state) (ms : list mapping) : state :=
  mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s) (s_caller s)
          (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) ms (s_via s).

Definition with_threads (s : state) (ts : nat -> tstate) (wq : nat -> list nat)
    (cl : nat -> option nat) : state :=
  mkState (s_objs s) (s_accts s) (s_caps s) ts (s_word s) wq cl (s_next s) (s_prio s)
          (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s).

(* ---------- Lookups (the dispatcher's checks) ---------- *)

Definition find_cap (cs : list cap) (h : nat) : option cap :=
  find (fun c => Nat.eqb (c_id c) h) cs.

(* A handle of the caller's own table. *)
Definition lookup (s : state) (sp h : nat) : option cap :=
  match find_cap (s_caps s) h with
  | Some c => if Nat.eqb (c_space c) sp then Some c else None
  | None => None
  end.

Definition obj_type (s : state) (o : nat) : option otype :=
  match s_objs s o with
  | Some ob => Some (type_of (o_kind ob))
  | None => None
  end.

(* A handle naming an object of type t with at least the rights need:
   InvalidCapability if empty or another type, PermissionDenied if a right is missing. *)
Definition lookup_typed (s : state) (sp h : nat) (t : otype) (need : rights)
    : option cap + error :=
  match lookup s sp h with
  | None => inr InvalidCapability
  | Some c =>
      match obj_type s (c_obj c) with
      | Some t' =>
          if otype_eqb t' t then
            if subset_b need (c_rights c) then inl (Some c) else inr PermissionDenied
          else inr InvalidCapability
      | None => inr InvalidCapability
      end
  end.

(* ---------- Capability calls ---------- *)

(* 21 cap_derive(source, rights, badge): a child in the caller's table with a subset of
   the source's rights; a non-zero badge needs an unbadged endpoint or notification
   capability; badge 0 keeps the source's. *)
Definition cap_derive (s : state) (sp h : nat) (r : rights) (badge : nat) : reply * state :=
  match lookup s sp h with
  | None => (RErr InvalidCapability, s)
  | Some src =>
      if negb (subset_b r (c_rights src)) then (RErr PermissionDenied, s)
      else if negb (Nat.eqb badge 0) &&
              (negb (Nat.eqb (c_badge src) 0) ||
               negb (match obj_type s (c_obj src) with
                     | Some TEndpoint | Some TNotification => true
                     | _ => false end))
      then (RErr InvalidArgument, s)
      else
        let n := s_next s in
        let c := mkCap n sp (c_obj src) r
                       (if Nat.eqb badge 0 then c_badge src else badge)
                       (c_id src :: c_anc src) in
        (ROk (VNum n),
         mkState (s_objs s) (s_accts s) (c :: s_caps s) (s_tstate s) (s_word s)
                 (s_waiters s) (s_caller s) (S n) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
  end.

(* Whether space sp has ended (Space::alive() false: process_exit, process_terminate, the
   last thread's thread_exit). A space's entry of the per-object state map s_tstate is
   otherwise unused (only threads run, block and die); an ended space's is Dead (terminate
   below), a new space's Inactive (space_create). *)
Definition space_ended (s : state) (sp : nat) : bool :=
  match s_tstate s sp with Dead => true | _ => false end.

(* 25 cap_copy_to(space, source, rights): a child of source, rights a subset, with the
   source's badge, in the table of the space the first capability names (Manage); an ended
   space: PeerClosed (core/syscall.cc, sys_cap_copy_to, after the rights check). *)
Definition cap_copy_to (s : state) (sp hsp h : nat) (r : rights) : reply * state :=
  match lookup_typed s sp hsp TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some target) =>
      match lookup s sp h with
      | None => (RErr InvalidCapability, s)
      | Some src =>
          if negb (subset_b r (c_rights src)) then (RErr PermissionDenied, s)
          else if space_ended s (c_obj target) then (RErr PeerClosed, s)
          else
            let n := s_next s in
            let c := mkCap n (c_obj target) (c_obj src) r (c_badge src)
                           (c_id src :: c_anc src) in
            (ROk (VNum n),
             mkState (s_objs s) (s_accts s) (c :: s_caps s) (s_tstate s) (s_word s)
                     (s_waiters s) (s_caller s) (S n) (s_prio s)
                     (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
      end
  end.

(* Deleting capability d: it goes, its children move up to its parent. *)
Definition strip (d : nat) (c : cap) : cap :=
  mkCap (c_id c) (c_space c) (c_obj c) (c_rights c) (c_badge c)
        (remove Nat.eq_dec d (c_anc c)).

Definition del_caps (d : nat) (cs : list cap) : list cap :=
  map (strip d) (filter (fun c => negb (Nat.eqb (c_id c) d)) cs).

Definition named (cs : list cap) (o : nat) : bool :=
  existsb (fun c => Nat.eqb (c_obj c) o) cs.

Definition refund (accts : nat -> option (nat * nat)) (a n : nat) :=
  fun a' => if Nat.eqb a' a then
              match accts a with Some (l, u) => Some (l, u - n) | None => None end
            else accts a'.

(* An object without capabilities dies (if nothing else references it): its charge goes
   back, and threads waiting on it are woken (docs: with PeerClosed). *)
Definition destroy (s : state) (o : nat) : state :=
  match s_objs s o with
  | Some ob =>
      if reapable (o_kind ob) then
        mkState (upd (s_objs s) o None)
                (refund (s_accts s) (o_acct ob) (obj_size (o_kind ob)))
                (s_caps s)
                (fun t => match blocked_on (s_tstate s t) with
                          | Some o' => if Nat.eqb o' o then Ready else s_tstate s t
                          | None => s_tstate s t
                          end)
                (upd (s_word s) o 0)
                (upd (s_waiters s) o [])
                (s_caller s)
                (s_next s)
                (s_prio s) (s_handler s) (upd (s_timer s) o None) (upd (s_irq s) o None)
                (s_pager s) (s_maps s) (s_via s)
      else s
  | None => s
  end.

(* Whether an Irq is bound to n (irq_bind): the binding holds a reference to the
   notification (core/irq.cc, Irq::bind), so it outlives its last capability. *)
Definition irq_bound (s : state) (n : nat) : bool :=
  existsb (fun i => match s_irq s i with Some (n', _) => Nat.eqb n' n | None => false end)
          (seq 0 (s_next s)).

(* Whether a mapping of o exists: each holds a reference to its memory object (Space::map,
   memory.acquire(); unmap_mapping releases it), so a mapped object outlives its last
   capability. *)
Definition mapped (s : state) (o : nat) : bool :=
  existsb (fun m => Nat.eqb (m_mem m) o) (s_maps s).

(* An object with neither a capability nor a binding nor a mapping dies. *)
Definition held (s : state) (o : nat) : bool :=
  named (s_caps s) o || irq_bound s o || mapped s o.

(* A dying Irq releases the notification it was bound to (Irq::destroy), which dies in turn
   if nothing else holds it (the reap at the end of the same kernel entry). *)
Definition release (s : state) (b : option (nat * nat)) : state :=
  match b with
  | Some (n, _) => if held s n then s else destroy s n
  | None => s
  end.

(* Whether thread x waits, blocked on send or receive on e, through a capability v with
   gone v e. *)
Definition cancelled (s : state) (gone : nat -> nat -> bool) (x : nat) : bool :=
  match s_tstate s x with
  | BlockedSend e _ | BlockedRecv e =>
      match s_via s x with Some v => gone v e | None => false end
  | _ => false
  end.

(* Deleting a capability cancels every send or receive blocked through it
   (Endpoint::cancel_waits_through, from core/cap.cc's cap_delete): the thread leaves the
   endpoint's queue and is woken (with InvalidCapability, not kept, as for the other wakes). *)
Definition cancel_through (s : state) (gone : nat -> nat -> bool) : state :=
  with_threads s (fun x => if cancelled s gone x then Ready else s_tstate s x)
               (fun o => filter (fun x => negb (cancelled s gone x)) (s_waiters s o))
               (s_caller s).

(* Whether v is the id of a capability to e that revoke_caps r removes (a descendant of r,
   which names r's object o). *)
Definition revoked (r o : nat) (cs : list cap) (v e : nat) : bool :=
  Nat.eqb e o &&
  existsb (fun d => Nat.eqb (c_id d) v && Nat.eqb (c_obj d) e &&
                    (if in_dec Nat.eq_dec r (c_anc d) then true else false)) cs.

Definition revoke_caps (r : nat) (cs : list cap) : list cap :=
  filter (fun c => if in_dec Nat.eq_dec r (c_anc c) then false else true) cs.

(* 23 cap_revoke(handle): every descendant goes; the capability itself stays, so its
   object stays alive. *)
Definition cap_revoke (s : state) (sp h : nat) : reply * state :=
  match lookup s sp h with
  | None => (RErr InvalidCapability, s)
  | Some c => (ROk VNone,
               with_caps (cancel_through s (revoked (c_id c) (c_obj c) (s_caps s)))
                         (revoke_caps (c_id c) (s_caps s)))
  end.

(* 24 cap_info(handle): type, rights, badge. *)
Definition cap_info (s : state) (sp h : nat) : reply * state :=
  match lookup s sp h with
  | None => (RErr InvalidCapability, s)
  | Some c =>
      match obj_type s (c_obj c) with
      | Some t => (ROk (VInfo t (c_rights c) (c_badge c)), s)
      | None => (RErr InvalidCapability, s)
      end
  end.

(* ---------- Creating objects ---------- *)

Definition all_rights : rights := [RRead; RWrite; RExecute; RSend; RReceive; RGrant; RManage].

(* The object and its first capability (no parent) in the caller's table, charged to the
   caller's own account first. A new thread is Inactive, at priority p (thread_create: the
   caller's; the other calls pass 0, which means nothing for an object that is no thread). *)
Definition create (s : state) (sp : nat) (k : kind) (rts : rights) (p : nat)
    : reply * state :=
  match s_objs s sp with
  | Some (mkObj (KSpace a) _) =>
      match s_accts s a with
      | Some (l, u) =>
          if Nat.ltb l (u + obj_size k) then (RErr QuotaExceeded, s)
          else
            let o := s_next s in
            let h := S o in
            (ROk (VNum h),
             mkState (upd (s_objs s) o (Some (mkObj k a)))
                     (upd (s_accts s) a (Some (l, u + obj_size k)))
                     (mkCap h sp o rts 0 [] :: s_caps s)
                     (upd (s_tstate s) o Inactive) (upd (s_word s) o 0) (s_waiters s)
                     (s_caller s) (S h) (upd (s_prio s) o p) (upd (s_handler s) o None)
                     (upd (s_timer s) o None) (upd (s_irq s) o None)
                (s_pager s) (s_maps s) (s_via s))
      | None => (RErr InvalidCapability, s)
      end
  | _ => (RErr InvalidCapability, s)
  end.

(* 19 endpoint_create: Send, Receive, Grant, Manage. *)
Definition endpoint_create (s : state) (sp : nat) : reply * state :=
  create s sp KEndpoint [RSend; RReceive; RGrant; RManage] 0.

(* 20 notification_create: Send, Receive, Manage. *)
Definition notification_create (s : state) (sp : nat) : reply * state :=
  create s sp KNotification [RSend; RReceive; RManage] 0.

(* 15 memory_create(pages, flags): 1..16384 pages, charged in full (flags: the lazy flag
   changes nothing this model sees; other bits are InvalidArgument). *)
Definition memory_create (s : state) (sp pages : nat) (lazy_flag_ok : bool) : reply * state :=
  if negb lazy_flag_ok || Nat.eqb pages 0 || Nat.ltb 16384 pages then (RErr InvalidArgument, s)
  else create s sp (KMemory pages) [RRead; RWrite; RExecute; RManage] 0.

(* 41 memory_clone(source): Memory with Read (the decoder's lookup: InvalidCapability,
   PermissionDenied); then a new memory object with the source's page count, charged in full
   to the caller's account first (QuotaExceeded changes nothing), and a capability with Read,
   Write, Execute and Manage (memory_create's rights); core/syscall.cc, sys_memory_clone,
   core/memory_object.cc, MemoryObject::create_clone and clone_step. The model keeps a memory
   object as its page count, not its pages: the frames the clone shares copy-on-write with
   the source (each page the source's as the call reached it) are abstracted as every
   object's contents are, so the source is unchanged and the clone is KMemory of the same
   count. Not modelled: the steps of 1024 pages and the restarts between them (one call here,
   as memory_create is); the table room the core checks first (the 1023-handle limit and a
   new table page's charge, as for every creation); a half-made source (InvalidArgument in
   the core: no capability names one, only the thread making it holds it); no frame for the
   index (OutOfMemory) or a frame's holder count full (OutOfRange). *)
Definition memory_clone (s : state) (sp h : nat) : reply * state :=
  match lookup_typed s sp h TMemory [RRead] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      match s_objs s (c_obj c) with
      | Some (mkObj (KMemory pages) _) =>
          create s sp (KMemory pages) [RRead; RWrite; RExecute; RManage] 0
      | _ => (RErr InvalidCapability, s)
      end
  end.

(* ---------- Notifications ---------- *)

Definition sig_bits (c : cap) : nat := if Nat.eqb (c_badge c) 0 then 1 else c_badge c.

(* 5 signal(notification): with waiters, the first one is woken (it gets the bits);
   otherwise the badge (1 if none) is ORed into the word. *)
Definition signal (s : state) (sp h : nat) : reply * state :=
  match lookup_typed s sp h TNotification [RSend] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      let n := c_obj c in
      match s_waiters s n with
      | t :: rest =>
          (ROk VNone,
           mkState (s_objs s) (s_accts s) (s_caps s) (upd (s_tstate s) t Ready)
                   (s_word s) (upd (s_waiters s) n rest) (s_caller s) (s_next s) (s_prio s)
                   (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
      | [] =>
          (ROk VNone,
           mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s)
                   (upd (s_word s) n (Nat.lor (s_word s n) (sig_bits c)))
                   (s_waiters s) (s_caller s) (s_next s) (s_prio s)
                   (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
      end
  end.

(* 6 wait(notification): a non-zero word is returned and cleared; otherwise the caller
   blocks at the end of the waiters. *)
Definition wait (s : state) (t sp h : nat) : reply * state :=
  match lookup_typed s sp h TNotification [RReceive] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      let n := c_obj c in
      if Nat.eqb (s_word s n) 0 then
        (RBlocked,
         mkState (s_objs s) (s_accts s) (s_caps s) (upd (s_tstate s) t (BlockedNotif n))
                 (s_word s) (upd (s_waiters s) n (s_waiters s n ++ [t])) (s_caller s)
                 (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
      else
        (ROk (VNum (s_word s n)),
         mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (upd (s_word s) n 0)
                 (s_waiters s) (s_caller s) (s_next s) (s_prio s)
                 (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
  end.

(* 7 poll(notification): return the word (maybe 0) and clear it. *)
Definition poll (s : state) (sp h : nat) : reply * state :=
  match lookup_typed s sp h TNotification [RReceive] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      let n := c_obj c in
      (ROk (VNum (s_word s n)),
       mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (upd (s_word s) n 0)
               (s_waiters s) (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
  end.

(* 32 set_timer(notification, deadline): Notification with Send (the decoder's lookup); a
   deadline of 0 disarms the notification's timer, any other arms it (replacing an armed one)
   to signal the capability's bits (its badge, 1 if none: sig_bits) at the first timer tick
   at or after the deadline; core/syscall.cc, sys_set_timer, Notification::set_timer. Time
   is not modelled: the deadline's value, the tick and the signal when it expires
   (expire_timers) are not; what is kept is whether a timer is armed and the bits it will
   signal. A destroyed notification's timer is disarmed (destroy). *)
Definition set_timer (s : state) (sp h deadline : nat) : reply * state :=
  match lookup_typed s sp h TNotification [RSend] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      (ROk VNone,
       mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
               (s_caller s) (s_next s) (s_prio s) (s_handler s)
               (upd (s_timer s) (c_obj c)
                    (if Nat.eqb deadline 0 then None else Some (sig_bits c))) (s_irq s)
               (s_pager s) (s_maps s) (s_via s))
  end.

(* ---------- Interrupts ---------- *)

(* Whether an Irq owns the line (one Irq per line: core/irq.cc's g_owner). *)
Definition line_owned (s : state) (line : nat) : bool :=
  existsb (fun o => match s_objs s o with
                    | Some (mkObj (KIrq l) _) => Nat.eqb l line
                    | _ => false
                    end) (seq 0 (s_next s)).

(* 26 irq_create(irq_control, line): IrqControl with Manage (the decoder's lookup); a line
   the platform does not have for user space: OutOfRange (available: line < kIrqLines and
   arch::irq_line_available, a flag of the call as the address checks are: the platform's
   lines are not in the state); a line an Irq owns: AlreadyExists; then the Irq, charged to
   the caller's account (QuotaExceeded), unbound, and a capability with Manage only;
   core/syscall.cc, sys_irq_create, core/irq.cc, Irq::create. *)
Definition irq_create (s : state) (sp h line : nat) (available : bool) : reply * state :=
  match lookup_typed s sp h TIrqControl [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some _) =>
      if negb available then (RErr OutOfRange, s)
      else if line_owned s line then (RErr AlreadyExists, s)
      else create s sp (KIrq line) [RManage] 0
  end.

(* 27 irq_bind(irq, notification): Irq with Manage, then Notification with Send; the line
   now signals the notification with the capability's bits (its badge, 1 if none), replacing
   an earlier binding; the binding keeps the notification alive (held), and the notification
   of the binding it replaces is released: it dies if nothing holds it any more (Irq::bind
   releases its reference; the reap at the end of the entry). The line is unmasked: masking
   and delivery are not modelled (no interrupt arrives here); core/syscall.cc, sys_irq_bind,
   Irq::bind. *)
Definition irq_bind (s : state) (sp hi hn : nat) : reply * state :=
  match lookup_typed s sp hi TIrq [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some ci) =>
      match lookup_typed s sp hn TNotification [RSend] with
      | inr e => (RErr e, s)
      | inl None => (RErr InvalidCapability, s)
      | inl (Some cn) =>
          (ROk VNone,
           release
             (mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
                      (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s)
                      (upd (s_irq s) (c_obj ci) (Some (c_obj cn, sig_bits cn))) (s_pager s) (s_maps s) (s_via s))
             (s_irq s (c_obj ci)))
      end
  end.

(* 28 irq_ack(irq): Irq with Manage; Busy if it is not bound; otherwise the line is
   unmasked, which is not modelled: the state is unchanged; core/irq.cc, Irq::ack. *)
Definition irq_ack (s : state) (sp h : nat) : reply :=
  match lookup_typed s sp h TIrq [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some c) => match s_irq s (c_obj c) with Some _ => ROk VNone | None => RErr Busy end
  end.

(* space_set_pager's modes (core/abi/syscall.h): who resolves a space's page faults. *)
Definition pager_kernel : nat := 0.   (* kPagerKernel: the kernel, from its mappings *)
Definition pager_handler : nat := 1.  (* kPagerHandler: the faulting thread's foreign handler *)

(* 42 space_set_pager(space, mode): Space with Manage (the decoder's lookup), then the mode:
   pager_kernel or pager_handler, any other InvalidArgument; the space's pager mode becomes
   mode. core/syscall.cc, sys_space_set_pager, Space::set_user_pager. What the mode decides
   (who resolves a page fault: core/entry.cc) is not modelled: faults and foreign calls are
   not in step; the mode is kept. *)
Definition space_set_pager (s : state) (sp h mode : nat) : reply * state :=
  match lookup_typed s sp h TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      if Nat.eqb mode pager_kernel || Nat.eqb mode pager_handler then
        (ROk VNone,
         mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
                 (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s)
                 (upd (s_pager s) (c_obj c) mode) (s_maps s) (s_via s))
      else (RErr InvalidArgument, s)
  end.

(* ---------- Memory mappings: map, unmap, protect ---------- *)

(* Rules, from core/syscall.cc (sys_map, sys_unmap, sys_protect), core/space.cc (Space::map,
   Space::unmap, unmap_mapping, Space::protect, covered, check_protect_wx) and docs/kernel.md's
   table, in the kernel's order. The decoder first looks up the space (Space with Manage)
   and, for map, the memory object (Memory, any rights); its "rights within all rights" check
   cannot fail here (a rights set is a list of the seven rights). Addresses are byte
   addresses. A space that has ended (space_ended) is PeerClosed where the kernel checks it
   (Space::map, unmap, protect: after the range checks); its mappings went with its teardown
   (terminate). Not modelled (README.md, "Mappings"): the charge for the mapping record and
   page tables (QuotaExceeded) and running out of frames for page tables; the page tables
   themselves, lazy and copy-on-write pages. *)

(* core/arch_types.h: kUserLowest = 0x1000, kUserHighest = 0x7fff'ffff'f000. *)
Definition user_lowest := page_size.
(* 2^35 - 1 pages, written as a product of small numerals: the extracted OCaml then computes it
   with int multiplications (a numeral this large becomes a digit-by-digit Peano conversion,
   and Nat.pow Peano additions, either of which the runner would evaluate at start-up for
   minutes or overflow its stack). A notation, not a constant: Coq's vm_compute evaluates a
   constant that is no function when it links the code that names it (here: `step`), in
   unary, which would exhaust memory (Integrity.v's examples compute `step`). *)
Notation user_highest := ((32 * 1024 * 1024 * 1024 - 1) * page_size) (only parsing).

Definition page_rights : rights := [RRead; RWrite; RExecute].

Definition m_end (m : mapping) : nat := m_vaddr m + m_pages m * page_size.

(* The page-rights argument checks of map and protect (InvalidArgument): only page rights,
   with Read, not Write with Execute. *)
Definition rights_ok (r : rights) : bool :=
  subset_b r page_rights && has_right RRead r &&
  negb (has_right RWrite r && has_right RExecute r).

(* The range checks: InvalidArgument for no pages or an unaligned address, BadAddress
   outside user space (the kernel's u64 overflow of pages * page size is also outside). *)
Definition range_error (vaddr pages : nat) : option error :=
  if Nat.eqb pages 0 || negb (Nat.eqb (vaddr mod page_size) 0) then Some InvalidArgument
  else None.

Definition range_bad (vaddr pages : nat) : bool :=
  Nat.ltb vaddr user_lowest || Nat.ltb user_highest (vaddr + pages * page_size).

(* m lies across [vaddr, e) at all; inside it entirely. *)
Definition overlaps_b (m : mapping) (vaddr e : nat) : bool :=
  Nat.ltb vaddr (m_end m) && Nat.ltb (m_vaddr m) e.
Definition inside_b (m : mapping) (vaddr e : nat) : bool :=
  Nat.leb vaddr (m_vaddr m) && Nat.leb (m_end m) e.
(* The kernel's "m->vaddr >= vaddr && m->vaddr < end": the mappings unmap and protect change
   (after `covered`, exactly those overlapping the range). *)
Definition starts_in (sp vaddr e : nat) (m : mapping) : bool :=
  Nat.eqb (m_space m) sp && Nat.leb vaddr (m_vaddr m) && Nat.ltb (m_vaddr m) e.

(* Space::covered: InvalidArgument if a mapping of the space is only partly inside the
   range, NotFound if none is inside it. *)
Definition covered (ms : list mapping) (sp vaddr e : nat) : option error :=
  if existsb (fun m => Nat.eqb (m_space m) sp && overlaps_b m vaddr e &&
                       negb (inside_b m vaddr e)) ms
  then Some InvalidArgument
  else if existsb (fun m => Nat.eqb (m_space m) sp && overlaps_b m vaddr e) ms then None
  else Some NotFound.

(* The right a mapping with rights r may not meet in another mapping of its object (W^X
   across mappings: MemoryObject::conflicting_mappings). *)
Definition conflict (r : rights) : option right :=
  if has_right RWrite r then Some RExecute
  else if has_right RExecute r then Some RWrite
  else None.

Definition has_conflict (r : rights) (m : mapping) : bool :=
  match conflict r with Some c => has_right c (m_rights m) | None => false end.

Definition inter (a b : rights) : rights := filter (fun x => has_right x b) a.

(* 16 map(space, memory, vaddr, first_page, pages, rights): the new mapping, with the memory
   capability's page rights as its limit, holds the object (Space::map: memory.acquire()). *)
Definition map_call (s : state) (sp hs hm vaddr first pages : nat) (r : rights)
    : reply * state :=
  match lookup_typed s sp hs TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some cs) =>
      match lookup_typed s sp hm TMemory [] with
      | inr e => (RErr e, s)
      | inl None => (RErr InvalidCapability, s)
      | inl (Some cm) =>
          let ms := s_maps s in
          let target := c_obj cs in
          let mem := c_obj cm in
          let e := vaddr + pages * page_size in
          if negb (subset_b r (c_rights cm)) then (RErr PermissionDenied, s)
          else match range_error vaddr pages with
          | Some er => (RErr er, s)
          | None =>
          if negb (rights_ok r) then (RErr InvalidArgument, s)
          else if range_bad vaddr pages then (RErr BadAddress, s)
          else match s_objs s mem with
          | Some (mkObj (KMemory mp) _) =>
              if Nat.ltb mp first || Nat.ltb (mp - first) pages then (RErr OutOfRange, s)
              else if space_ended s target then (RErr PeerClosed, s)
              else if existsb (fun m => Nat.eqb (m_space m) target && overlaps_b m vaddr e) ms
              then (RErr AlreadyExists, s)
              else if existsb (fun m => Nat.eqb (m_mem m) mem && has_conflict r m) ms
              then (RErr PermissionDenied, s)
              else (ROk VNone,
                    with_maps s (mkMapping target vaddr pages mem first r
                                           (inter page_rights (c_rights cm)) :: ms))
          | _ => (RErr InvalidCapability, s)
          end
          end
      end
  end.

(* The objects os, in order, each dying if nothing holds it any more (the reap at the end of
   the entry). *)
Definition reap (os : list nat) (s : state) : state :=
  fold_left (fun s o => if held s o then s else destroy s o) os s.

(* 17 unmap(space, vaddr, pages): the whole mappings inside the range go; each releases its
   memory object (unmap_mapping: m->memory->release()), which dies, its charge going back,
   if that was its last reference: no capability, no other mapping (reap). *)
Definition unmap_call (s : state) (sp hs vaddr pages : nat) : reply * state :=
  match lookup_typed s sp hs TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some cs) =>
      let ms := s_maps s in
      let target := c_obj cs in
      let e := vaddr + pages * page_size in
      match range_error vaddr pages with
      | Some er => (RErr er, s)
      | None =>
      if range_bad vaddr pages then (RErr BadAddress, s)
      else if space_ended s target then (RErr PeerClosed, s)
      else match covered ms target vaddr e with
      | Some er => (RErr er, s)
      | None =>
          (ROk VNone,
           reap (map m_mem (filter (starts_in target vaddr e) ms))
                (with_maps s (filter (fun m => negb (starts_in target vaddr e m)) ms)))
      end
      end
  end.

Definition set_rights (r : rights) (m : mapping) : mapping :=
  mkMapping (m_space m) (m_vaddr m) (m_pages m) (m_mem m) (m_first m) r (m_max m).

(* 18 protect(space, vaddr, pages, rights): every whole mapping inside the range gets the
   rights, each within its own limit (PermissionDenied); W^X as for map, except against the
   mappings this call changes: check_protect_wx's count of an object's conflicting mappings
   against those in the range is the same as "no conflicting mapping of that object outside
   the range". *)
Definition protect_call (s : state) (sp hs vaddr pages : nat) (r : rights) : reply * state :=
  match lookup_typed s sp hs TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some cs) =>
      let ms := s_maps s in
      let target := c_obj cs in
      let e := vaddr + pages * page_size in
      let inr_ := starts_in target vaddr e in
      match range_error vaddr pages with
      | Some er => (RErr er, s)
      | None =>
      if negb (rights_ok r) then (RErr InvalidArgument, s)
      else if range_bad vaddr pages then (RErr BadAddress, s)
      else if space_ended s target then (RErr PeerClosed, s)
      else match covered ms target vaddr e with
      | Some er => (RErr er, s)
      | None =>
          if existsb (fun m => inr_ m && negb (subset_b r (m_max m))) ms
          then (RErr PermissionDenied, s)
          else if existsb (fun m => inr_ m &&
                      existsb (fun m' => Nat.eqb (m_mem m') (m_mem m) && negb (inr_ m') &&
                                         has_conflict r m') ms) ms
          then (RErr PermissionDenied, s)
          else (ROk VNone, with_maps s (map (fun m => if inr_ m then set_rights r m else m) ms))
      end
      end
  end.

(* 31 quota_info(space): limit and use of the space's account. *)
Definition quota_info (s : state) (sp h : nat) : reply * state :=
  match lookup_typed s sp h TSpace [] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      match s_objs s (c_obj c) with
      | Some (mkObj (KSpace a) _) =>
          match s_accts s a with
          | Some (l, u) => (ROk (VQuota l u), s)
          | None => (RErr InvalidCapability, s)
          end
      | _ => (RErr InvalidCapability, s)
      end
  end.

(* ---------- IPC (message contents abstracted away) ---------- *)

(* A thread blocking on send or receive remembers the capability it went through (its id:
   Thread::send_cap, Thread::recv_cap, set by block_on_send and the receive's blocking). The
   entry means something only while the thread is BlockedSend or BlockedRecv. *)
Definition set_via (s : state) (t v : nat) : state :=
  mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s) (s_caller s)
          (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s)
          (upd (s_via s) t (Some v)).

(* The first thread queued on e, if it is a receiver. *)
Definition receiver_head (s : state) (e : nat) : option (nat * list nat) :=
  match s_waiters s e with
  | r :: rest => if is_recv (s_tstate s r) then Some (r, rest) else None
  | [] => None
  end.

(* The first thread queued on e, if it is a sender, and whether it calls. *)
Definition sender_head (s : state) (e : nat) : option (nat * bool * list nat) :=
  match s_waiters s e with
  | x :: rest => match s_tstate s x with
                 | BlockedSend _ b => Some (x, b, rest)
                 | _ => None
                 end
  | [] => None
  end.

(* 2 send(endpoint, message): a waiting receiver takes the message; otherwise the sender
   waits at the end of the queue (WouldBlock with the non-blocking flag). *)
Definition send (s : state) (t sp h : nat) (nonblocking : bool) : reply * state :=
  match lookup_typed s sp h TEndpoint [RSend] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      let e := c_obj c in
      match receiver_head s e with
      | Some (r, rest) =>
          (ROk VNone, with_threads s (upd (s_tstate s) r Ready) (upd (s_waiters s) e rest)
                                   (s_caller s))
      | None =>
          if nonblocking then (RErr WouldBlock, s)
          else (RBlocked, with_threads (set_via s t (c_id c)) (upd (s_tstate s) t (BlockedSend e false))
                                       (upd (s_waiters s) e (s_waiters s e ++ [t]))
                                       (s_caller s))
      end
  end.

(* 0 call(endpoint, message): as send, and the caller then waits for the reply of the
   thread that takes the message. *)
Definition ipc_call (s : state) (t sp h : nat) : reply * state :=
  match lookup_typed s sp h TEndpoint [RSend] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      let e := c_obj c in
      match receiver_head s e with
      | Some (r, rest) =>
          (RBlocked, with_threads s (upd (upd (s_tstate s) r Ready) t (BlockedReply r))
                                    (upd (s_waiters s) e rest)
                                    (upd (s_caller s) r (Some t)))
      | None =>
          (RBlocked, with_threads (set_via s t (c_id c)) (upd (s_tstate s) t (BlockedSend e true))
                                    (upd (s_waiters s) e (s_waiters s e ++ [t]))
                                    (s_caller s))
      end
  end.

(* The server t drops its caller, who is woken (reply: with the reply; recv: PeerClosed). *)
Definition drop_caller (s : state) (t : nat) : state :=
  match s_caller s t with
  | Some c => with_threads s (upd (s_tstate s) c Ready) (s_waiters s) (upd (s_caller s) t None)
  | None => s
  end.

(* The receiving half of recv: the first queued sender's message is taken (a caller now
   waits for t's reply), or t waits at the end of the queue (WouldBlock with the
   non-blocking flag). *)
Definition take_sender (s : state) (t e v : nat) (nonblocking : bool) : reply * state :=
  match sender_head s e with
  | Some (x, is_call, rest) =>
      let ts := upd (s_tstate s) x Ready in
      let wq := upd (s_waiters s) e rest in
      (ROk VNone,
       if is_call then with_threads s (upd ts x (BlockedReply t)) wq (upd (s_caller s) t (Some x))
       else with_threads s ts wq (s_caller s))
  | None =>
      if nonblocking then (RErr WouldBlock, s)
      else (RBlocked, with_threads (set_via s t v) (upd (s_tstate s) t (BlockedRecv e))
                                   (upd (s_waiters s) e (s_waiters s e ++ [t]))
                                   (s_caller s))
  end.

(* 3 recv(endpoint): after the lookup, a caller not yet replied to gets PeerClosed; then
   take_sender. *)
Definition recv (s : state) (t sp h : nat) (nonblocking : bool) : reply * state :=
  match lookup_typed s sp h TEndpoint [RReceive] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) => take_sender (drop_caller s t) t (c_obj c) (c_id c) nonblocking
  end.

(* 4 reply(message): the caller is woken with the reply; NotFound if there is none. *)
Definition reply_call (s : state) (t : nat) : reply * state :=
  match s_caller s t with
  | Some _ => (ROk VNone, drop_caller s t)
  | None => (RErr NotFound, s)
  end.

(* 1 reply_recv(endpoint, message): the reply (if t has a caller) is delivered before the
   endpoint is looked up, then recv. *)
Definition reply_recv (s : state) (t sp h : nat) (nonblocking : bool) : reply * state :=
  recv (drop_caller s t) t sp h nonblocking.

(* ---------- Processes and threads ---------- *)


(* 14 space_create(quota_bytes): a new process with its own account of that limit, carved
   out of the caller's: the caller's account is charged the limit and the Space object
   (QuotaExceeded changes nothing); the caller gets a capability with all rights. The new
   space is alive (its s_tstate entry Inactive: space_ended false). The process tree is
   not kept apart: the creator's account pays for the Space object, so a space's parent is
   the space whose own account it is charged to (parent_of, below). *)
Definition space_create (s : state) (sp bytes : nat) : reply * state :=
  match s_objs s sp with
  | Some (mkObj (KSpace a) _) =>
      match s_accts s a with
      | Some (l, u) =>
          let cost := bytes + obj_size (KSpace 0) in
          if Nat.ltb l (u + cost) then (RErr QuotaExceeded, s)
          else
            let o := s_next s in
            let na := S o in
            let h := S na in
            (ROk (VNum h),
             mkState (upd (s_objs s) o (Some (mkObj (KSpace na) a)))
                     (upd (upd (s_accts s) a (Some (l, u + cost))) na (Some (bytes, 0)))
                     (mkCap h sp o all_rights 0 [] :: s_caps s)
                     (upd (s_tstate s) o Inactive) (s_word s) (s_waiters s) (s_caller s) (S h)
                     (s_prio s) (s_handler s) (s_timer s) (s_irq s) (upd (s_pager s) o pager_kernel) (s_maps s) (s_via s))
      | None => (RErr InvalidCapability, s)
      end
  | _ => (RErr InvalidCapability, s)
  end.

(* 9 thread_create(space, entry, stack, arg): a new inactive thread of that space (Space
   with Manage), at the caller t's priority (core/syscall.cc: self->priority()), charged to
   the caller's account; the caller gets a capability with all rights. entry_ok abstracts
   the address checks (BadAddress), after the ended-space check (PeerClosed); registers are
   not modelled. *)
Definition thread_create (s : state) (t sp h : nat) (entry_ok : bool) : reply * state :=
  match lookup_typed s sp h TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      if space_ended s (c_obj c) then (RErr PeerClosed, s)
      else if entry_ok then create s sp (KThread (c_obj c)) all_rights (s_prio s t)
      else (RErr BadAddress, s)
  end.

(* 10 thread_start(thread): an inactive thread becomes Ready; Busy for any other. *)
Definition thread_start (s : state) (sp h : nat) : reply * state :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      match s_tstate s (c_obj c) with
      | Inactive =>
          (ROk VNone,
           with_threads s (upd (s_tstate s) (c_obj c) Ready) (s_waiters s) (s_caller s))
      | _ => (RErr Busy, s)
      end
  end.

(* 12 thread_set_priority(thread, priority): Thread with Manage (the decoder's lookup:
   InvalidCapability, PermissionDenied), then priority 0..255 (InvalidArgument), then at
   most the caller t's own priority (PermissionDenied): a thread can never be raised above
   the priority of whoever sets it (core/syscall.cc, sys_thread_set_priority). Any state of
   the target: the run queues it may move between are not modelled. *)
Definition prio_count := 256.

Definition thread_set_priority (s : state) (t sp h p : nat) : reply * state :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      if Nat.leb prio_count p then (RErr InvalidArgument, s)
      else if Nat.ltb (s_prio s t) p then (RErr PermissionDenied, s)
      else
        (ROk VNone,
         mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
                 (s_caller s) (s_next s) (upd (s_prio s) (c_obj c) p)
                 (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
  end.

(* 36 thread_set_syscall_handler(thread, handler): the dispatcher's lookups in argument
   order (Thread with Manage, then Endpoint with Send: InvalidCapability, PermissionDenied);
   then AlreadyExists if the thread has a handler (even one whose capability has gone since:
   the thread keeps the handle); then a thread of an ended process: PeerClosed; then a
   child of the handler capability with Send only and its badge goes into the table of the
   thread's own space (as cap_copy_to would put it there), and the thread keeps its handle;
   core/syscall.cc,
   sys_thread_set_syscall_handler. The reply carries no value (the thread holds the handle).
   The charge for a new capability-table page (QuotaExceeded) is not modelled, nor whether the
   endpoint is kernel-served. From then on the thread's syscalls are foreign calls, not
   native ones: `step` is the native entry and refuses them (caller_space). *)
Definition thread_set_syscall_handler (s : state) (sp ht he : nat) : reply * state :=
  match lookup_typed s sp ht TThread [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some ct) =>
      match lookup_typed s sp he TEndpoint [RSend] with
      | inr e => (RErr e, s)
      | inl None => (RErr InvalidCapability, s)
      | inl (Some src) =>
          match s_handler s (c_obj ct), s_objs s (c_obj ct) with
          | Some _, _ => (RErr AlreadyExists, s)
          | None, Some (mkObj (KThread tsp) _) =>
              if space_ended s tsp then (RErr PeerClosed, s) else
              let n := s_next s in
              let c := mkCap n tsp (c_obj src) [RSend] (c_badge src) (c_id src :: c_anc src) in
              (ROk VNone,
               mkState (s_objs s) (s_accts s) (c :: s_caps s) (s_tstate s) (s_word s)
                       (s_waiters s) (s_caller s) (S n) (s_prio s)
                       (upd (s_handler s) (c_obj ct) (Some n)) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
          | None, _ => (RErr InvalidCapability, s)
          end
      end
  end.

(* 8 yield: the caller goes to the end of its priority's run queue; run queues are not
   modelled, so nothing this state holds changes. *)
Definition yield (s : state) : reply * state := (ROk VNone, s).

(* ---------- Ending threads and processes ---------- *)

(* kill_thread (core/ipc.cc) of every thread x with dies x, at once: x leaves the queue it is
   in (Thread::detach), a thread waiting for x's reply is woken (with PeerClosed: the status is
   not kept) and the link is cut, the server x waited for (BlockedReply) loses its caller, and
   x is Dead; a Dead thread never runs again (caller_space). A half-made memory_create is not
   modelled (memory_create is one step). terminate also passes the ended spaces, whose entry
   becomes Dead (space_ended); a space is in no queue and no reply link. *)
Definition kill_threads (s : state) (dies : nat -> bool) : state :=
  with_threads s
    (fun x => if dies x then Dead
              else match s_tstate s x with
                   | BlockedReply srv => if dies srv then Ready else BlockedReply srv
                   | st => st
                   end)
    (fun o => filter (fun x => negb (dies x)) (s_waiters s o))
    (fun srv => if dies srv then None
                else match s_caller s srv with
                     | Some c => if dies c then None else Some c
                     | None => None
                     end).

(* A space's own account. *)
Definition space_acct (s : state) (sp : nat) : option nat :=
  match s_objs s sp with Some (mkObj (KSpace a) _) => Some a | _ => None end.

(* The parent of space o in the process tree (Space::parent, set by space_create's adopt):
   the other space whose own account o is charged to (space_create charges the new Space
   object to the creator's own account, and every space has an account of its own). The
   first process (init, or a host test's) is charged to its own account: no parent. *)
Definition parent_of (s : state) (o : nat) : option nat :=
  match s_objs s o with
  | Some (mkObj (KSpace _) q) =>
      find (fun p => negb (Nat.eqb p o) &&
                     match space_acct s p with Some a => Nat.eqb a q | None => false end)
           (seq 0 (s_next s))
  | _ => None
  end.

(* o is root or below it in the process tree (fuel: the tree's depth is below s_next). *)
Fixpoint below (s : state) (fuel root o : nat) : bool :=
  Nat.eqb o root ||
  match fuel with
  | 0 => false
  | S f => match parent_of s o with Some p => below s f root p | None => false end
  end.

(* The spaces Space::terminate(root) ends: root and its descendants that are alive (an ended
   space has left the tree, and so have its descendants, which ended with it). *)
Definition doomed (s : state) (root o : nat) : bool :=
  match s_objs s o with
  | Some (mkObj (KSpace _) _) => negb (space_ended s o) && below s (s_next s) root o
  | _ => false
  end.

(* What terminate kills: the doomed spaces and their threads. *)
Definition dies_with (s : state) (root x : nat) : bool :=
  doomed s root x ||
  match s_objs s x with Some (mkObj (KThread sp) _) => doomed s root sp | _ => false end.

(* Deleting capabilities one after another (the teardown's clear_step deletes its table's
   capabilities as cap_delete does: each goes, its children move up). *)
Definition del_all (ids : list nat) (cs : list cap) : list cap :=
  fold_left (fun cs d => del_caps d cs) ids cs.

(* The reap at the end of the entry: every object nothing holds any more dies (destroy:
   endpoints, notifications, memory, I/O ports and Irqs; waiters woken, the charge back, an
   Irq's binding gone). Run twice by terminate: a notification an Irq bound is held until that
   Irq dies (release). `reap` over every id below the counter. *)
Definition reap_pass (s : state) : state := reap (seq 0 (s_next s)) s.

(* Space::terminate(root) and the teardown of the spaces it ends (core/space.cc: terminate,
   end_self, teardown_step, run_space_teardown), as one step: root and every live descendant
   end (deepest first in the core; the result is the same) with all their threads killed
   (kill_threads); then their mappings go (teardown_step unmaps everything of an ended
   space: Space::unmap_mapping releases each memory object), every capability of their
   tables is deleted (del_all: children move up, in other tables too) and what nothing holds
   any more dies (reap_pass: a memory object mapped only there and named by no capability
   that stays; one mapped in a space that stays lives on). The ended spaces
   and their Dead threads stay in the state while capabilities name them (the core reaps a
   Dead thread or an ended space no capability and no thread holds; the spec keeps them: they
   never run or change again, and quota use is not compared). Not modelled: the exit code and init hearing of the end (init_space_ended: init's part), the
   teardown's bounded steps (the driver drains them after every call, README.md), the last
   capability to a live thread or space that a teardown deletes (Space::destroy ends a
   never-started space, an unstarted thread dies: not followed here, the driver does not make
   such a call; cap_delete's own last capability is modelled: drop_ref, below). *)
Definition terminate (s : state) (root : nat) : state :=
  let s1 := kill_threads s (dies_with s root) in
  let s2 := with_maps s1 (filter (fun m => negb (doomed s root (m_space m))) (s_maps s1)) in
  let gone := map c_id (filter (fun c => doomed s root (c_space c)) (s_caps s2)) in
  reap_pass (reap_pass (with_caps s2 (del_all gone (s_caps s2)))).

(* ---------- The last reference to a thread or a space ---------- *)

(* Whether thread x's object lives on without capabilities: a started thread holds a reference
   to itself until it dies (core/syscall.cc, sys_thread_start: t.acquire(); core/ipc.cc,
   kill_thread: t->release()). An unstarted (Inactive) or Dead thread lives only while a
   capability names it (the spec keeps a Dead thread in the state, but it holds nothing). *)
Definition thread_held (s : state) (x : nat) : bool :=
  named (s_caps s) x || match s_tstate s x with Inactive | Dead => false | _ => true end.

(* Whether space sp is referenced: by a capability, or by a thread object of it that lives
   (Thread::create: space.acquire(); Thread::destroy: space->release()). The teardown queue's
   reference (end_self) is only ever an ended space's. *)
Definition space_held (s : state) (sp : nat) : bool :=
  named (s_caps s) sp ||
  existsb (fun x => match s_objs s x with
                    | Some (mkObj (KThread sp') _) => Nat.eqb sp' sp && thread_held s x
                    | _ => false
                    end) (seq 0 (s_next s)).

(* An unstarted thread destroyed (Thread::destroy: "it is in no queue and no IPC relation"):
   in the spec it is Dead, as a killed thread is, and stays in the state. *)
Definition set_dead (s : state) (x : nat) : state :=
  with_threads s (upd (s_tstate s) x Dead) (s_waiters s) (s_caller s).

(* The last capability to o went (cap_delete), and nothing else holds it (held false):
   - an endpoint, notification, memory, IoPorts or Irq object dies (destroy), and a dying Irq
     releases its notification (release);
   - an unstarted thread is destroyed (its last reference: core/object.cc, reap_all_objects,
     Thread::destroy), which releases its space: if that was the space's last reference and
     the space is alive, the space ends (Space::destroy: "Never started, and its last
     capability went away: end it first", terminate(0)), which kills the thread with the rest
     of it; otherwise the thread alone is Dead (set_dead). A started thread holds itself: no
     change;
   - a live space no thread holds ends (Space::destroy, terminate(0): its live descendants
     with it, and its teardown); an ended space, or one a thread holds: no change.
   The teardown of a space that ends this way deletes capabilities in turn (del_all); the last
   reference to another thread or space that this deletes is not followed further here (the
   driver skips such a call: README.md). *)
Definition drop_ref (s : state) (o : nat) : state :=
  match s_objs s o with
  | Some (mkObj (KThread tsp) _) =>
      match s_tstate s o with
      | Inactive => if space_ended s tsp || space_held s tsp then set_dead s o
                    else terminate s tsp
      | _ => s
      end
  | Some (mkObj (KSpace _) _) => if space_ended s o || space_held s o then s else terminate s o
  | _ => release (destroy s o) (s_irq s o)
  end.

(* 22 cap_delete(handle): the capability goes (del_caps: its children move up); sends and
   receives blocked through it are cancelled if its object lives on (cancel_through; core/cap.cc,
   cap_delete: if it was the endpoint's last reference, the endpoint's death wakes them all
   instead); if nothing holds its object any more, drop_ref (core/syscall.cc, sys_cap_delete; CapTable::remove
   releases the object; the reap at the end of the entry). *)
Definition cap_delete (s : state) (sp h : nat) : reply * state :=
  match lookup s sp h with
  | None => (RErr InvalidCapability, s)
  | Some c =>
      let s1 := with_caps s (del_caps (c_id c) (s_caps s)) in
      (ROk VNone, if held s1 (c_obj c) then cancel_through s1 (fun v e => Nat.eqb v (c_id c) && Nat.eqb e (c_obj c))
                  else drop_ref s1 (c_obj c))
  end.

(* A thread of sp that was started and has not died (Space::live_threads). *)
Definition live_thread (s : state) (sp x : nat) : bool :=
  match s_objs s x with
  | Some (mkObj (KThread sp') _) =>
      Nat.eqb sp' sp && match s_tstate s x with Inactive | Dead => false | _ => true end
  | _ => false
  end.

(* 11 thread_exit: kill_thread(self) (core/syscall.cc, sys_thread_exit; core/ipc.cc): the
   caller is Dead, its caller (if any) woken; if it was the last live thread of its live
   space, the space terminates (with code 0). The caller never returns: RBlocked. *)
Definition thread_exit (s : state) (t sp : nat) : reply * state :=
  let s1 := kill_threads s (Nat.eqb t) in
  (RBlocked,
   if existsb (live_thread s1 sp) (seq 0 (s_next s1)) || space_ended s1 sp then s1
   else terminate s1 sp).

(* 29 process_exit(code): the caller's space terminates (core/syscall.cc, sys_process_exit);
   the caller, one of its threads, does not return. The code is init's business. *)
Definition process_exit (s : state) (sp : nat) : reply * state := (RBlocked, terminate s sp).

(* 39 process_terminate(space, code): Space with Manage (the decoder's lookup:
   InvalidCapability, PermissionDenied); an ended space: PeerClosed; otherwise it terminates
   (core/syscall.cc, sys_process_terminate). The reply is ok, unless the caller ended with it
   (its own space or an ancestor's): then it does not return (RBlocked). *)
Definition process_terminate (s : state) (t sp h : nat) : reply * state :=
  match lookup_typed s sp h TSpace [RManage] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      if space_ended s (c_obj c) then (RErr PeerClosed, s)
      else
        let s' := terminate s (c_obj c) in
        (match s_tstate s' t with Dead => RBlocked | _ => ROk VNone end, s')
  end.

(* ---------- Calls on what this state does not hold ---------- *)

(* These calls change only what the model abstracts away (a thread's registers, FPU and SSE
   registers, TLS bases and IPC buffer; the caller's memory; the console; the clock) or
   nothing at all. Each is specified as its checks, in the handler's order, and its reply;
   `step` pairs the reply with the state as it was. Addresses are abstracted into flags, as
   thread_create's entry_ok: each says whether the address passes the check it names (what
   decides it, the mappings and the pages behind them, is abstracted into the flag). *)

(* 35 thread_set_tls(thread, fs_base, gs_base): Thread with Manage (the decoder's lookup),
   then each base a user address below abi::kUserAddressEnd or 0 (BadAddress: bases_ok is
   that check); core/syscall.cc, sys_thread_set_tls. The bases are not modelled. *)
Definition thread_set_tls (s : state) (sp h : nat) (bases_ok : bool) : reply :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some _) => if bases_ok then ROk VNone else RErr BadAddress
  end.

Definition thread_space_ended (s : state) (x : nat) : bool :=
  match s_objs s x with Some (mkObj (KThread sp) _) => space_ended s sp | _ => false end.

(* 13 thread_set_ipc_buffer(thread, address): Thread with Manage; a thread of an ended
   process: PeerClosed (thread_space_ended); then an address other
   than 0 must be 8-aligned with the buffer inside one page (InvalidArgument: placed_ok),
   then writable in the thread's space (BadAddress: writable; a lazy or copy-on-write page
   is faulted in, not modelled); core/syscall.cc, sys_thread_set_ipc_buffer. The buffer is
   not modelled. *)
Definition thread_set_ipc_buffer (s : state) (sp h : nat) (placed_ok writable : bool)
    : reply :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some c) =>
      if thread_space_ended s (c_obj c) then RErr PeerClosed
      else if negb placed_ok then RErr InvalidArgument
      else if negb writable then RErr BadAddress
      else ROk VNone
  end.

(* 30 debug_print(text, length): no capability; a length over 4,096 (abi::kDebugPrintMax):
   InvalidArgument (length_ok); then text past the end of user space or not readable in
   the caller's memory: BadAddress (text_ok); core/syscall.cc, sys_debug_print. The console
   is not modelled. *)
Definition debug_print (length_ok text_ok : bool) : reply :=
  if negb length_ok then RErr InvalidArgument
  else if negb text_ok then RErr BadAddress
  else ROk VNone.

(* 40 clock_read: the monotonic clock. Time is not modelled: the reply carries no value
   here (the nanoseconds are not compared). *)
Definition clock_read : reply := ROk VNone.

(* 37 thread_read_registers(thread, registers), 44 thread_read_fpu(thread, fpu): Thread with
   Manage, then BadAddress if the buffer is not writable in the caller's memory (dest_ok);
   core/syscall.cc, sys_thread_read_registers, sys_thread_read_fpu. The registers and the
   caller's memory are not modelled. *)
Definition thread_read_registers (s : state) (sp h : nat) (dest_ok : bool) : reply :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some _) => if dest_ok then ROk VNone else RErr BadAddress
  end.

Definition thread_read_fpu (s : state) (sp h : nat) (dest_ok : bool) : reply :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some _) => if dest_ok then ROk VNone else RErr BadAddress
  end.

(* 38 thread_write_registers(thread, registers): Thread with Manage; then Busy unless the
   thread is Inactive (the kernel also lets a thread in a foreign call be written: foreign
   calls are not modelled); then BadAddress (regs_ok): the buffer not readable in the
   caller's memory, or rip, rsp or a TLS base not a user address; core/syscall.cc,
   sys_thread_write_registers. The registers are not modelled. *)
Definition thread_write_registers (s : state) (sp h : nat) (regs_ok : bool) : reply :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some c) =>
      match s_tstate s (c_obj c) with
      | Inactive => if regs_ok then ROk VNone else RErr BadAddress
      | _ => RErr Busy
      end
  end.

(* 45 thread_write_fpu(thread, fpu): Thread with Manage; Busy unless Inactive (as
   thread_write_registers); then BadAddress if the buffer is not readable in the caller's
   memory (src_ok); then InvalidArgument for an mxcsr with a bit the CPU does not have
   (mxcsr_ok); core/syscall.cc, sys_thread_write_fpu. The FPU state is not modelled. *)
Definition thread_write_fpu (s : state) (sp h : nat) (src_ok mxcsr_ok : bool) : reply :=
  match lookup_typed s sp h TThread [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some c) =>
      match s_tstate s (c_obj c) with
      | Inactive =>
          if negb src_ok then RErr BadAddress
          else if negb mxcsr_ok then RErr InvalidArgument
          else ROk VNone
      | _ => RErr Busy
      end
  end.

(* 33 io_port_in(ports, port, width), 34 io_port_out(ports, port, width, value): IoPorts with
   Read (in) or Write (out); a width other than 1, 2, 4: InvalidArgument; [port, port + width)
   outside the object's range: OutOfRange; then (out) a value wider than the access:
   InvalidArgument; core/syscall.cc, check_port_access, sys_io_port_in, sys_io_port_out. The
   ports and devices are not modelled: the value read is not kept. *)
Definition port_access (s : state) (sp h port width : nat) (need : rights) : option error :=
  match lookup_typed s sp h TIoPorts need with
  | inr e => Some e
  | inl None => Some InvalidCapability
  | inl (Some c) =>
      if negb (Nat.eqb width 1 || Nat.eqb width 2 || Nat.eqb width 4) then Some InvalidArgument
      else match s_objs s (c_obj c) with
           | Some (mkObj (KIoPorts base count) _) =>
               if Nat.leb base port && Nat.ltb (port - base) count &&
                  Nat.leb width (count - (port - base))
               then None else Some OutOfRange
           | _ => Some InvalidCapability
           end
  end.

(* 43 space_resolve_fault(space, address, access): Space with Manage (the decoder's lookup);
   an access that is empty or holds a right other than Read, Write and Execute:
   InvalidArgument; then the fault is resolved as kernel paging would: ok if a mapping of the
   space allows the access (the page is put in place), BadAddress if none does (`resolvable`,
   a flag of the call as the address checks are: the page tables, lazy and copy-on-write
   pages that decide it with the mappings are not in this state).
   core/syscall.cc, sys_space_resolve_fault, Space::resolve_fault. What it changes (the page
   put in place, a private copy of a shared one for a write, page tables and their charge to
   the space's account) is what the state abstracts: frames, page tables and quota use in
   bytes; OutOfMemory and QuotaExceeded (no frame or page table could be had) are not
   modelled. Whatever it replies, the state is unchanged (step). *)
Definition page_right (r : right) : bool :=
  match r with RRead | RWrite | RExecute => true | _ => false end.

Definition space_resolve_fault (s : state) (sp h : nat) (access : rights) (resolvable : bool)
    : reply :=
  match lookup_typed s sp h TSpace [RManage] with
  | inr e => RErr e
  | inl None => RErr InvalidCapability
  | inl (Some c) =>
      match access with
      | [] => RErr InvalidArgument
      | _ => if forallb page_right access then
               (if resolvable then ROk VNone else RErr BadAddress)
             else RErr InvalidArgument
      end
  end.

Definition io_port_in (s : state) (sp h port width : nat) : reply :=
  match port_access s sp h port width [RRead] with
  | Some e => RErr e
  | None => ROk VNone
  end.

Definition io_port_out (s : state) (sp h port width value : nat) : reply :=
  match port_access s sp h port width [RWrite] with
  | Some e => RErr e
  | None => if Nat.eqb (Nat.shiftr value (8 * width)) 0 then ROk VNone else RErr InvalidArgument
  end.

(* ---------- The kernel entry ---------- *)

Inductive call :=
  | CapDerive (src : nat) (r : rights) (badge : nat)
  | CapCopyTo (space src : nat) (r : rights)
  | CapDelete (h : nat)
  | CapRevoke (h : nat)
  | CapInfo (h : nat)
  | EndpointCreate
  | NotificationCreate
  | MemoryCreate (pages : nat) (flags_ok : bool)
  | MemoryClone (source : nat)
  | Signal (h : nat)
  | Wait (h : nat)
  | Poll (h : nat)
  | QuotaInfo (space : nat)
  | Call (h : nat)
  | ReplyRecv (h : nat) (nonblocking : bool)
  | Send (h : nat) (nonblocking : bool)
  | Recv (h : nat) (nonblocking : bool)
  | Reply
  | SpaceCreate (quota_bytes : nat)
  | ThreadCreate (space : nat) (entry_ok : bool)
  | ThreadStart (h : nat)
  | Yield
  | ThreadSetPriority (h p : nat)
  | ThreadSetSyscallHandler (h handler : nat)
  | SetTimer (h deadline : nat)
  | IrqCreate (h line : nat) (available : bool)
  | IrqBind (h notification : nat)
  | IrqAck (h : nat)
  | SpaceSetPager (h mode : nat)
  | SpaceResolveFault (h : nat) (access : rights) (resolvable : bool)
  | Map (space memory vaddr first pages : nat) (r : rights)
  | Unmap (space vaddr pages : nat)
  | Protect (space vaddr pages : nat) (r : rights)
  (* calls on what the state does not hold: their checks and reply only *)
  | ThreadSetTls (h : nat) (bases_ok : bool)
  | ThreadSetIpcBuffer (h : nat) (placed_ok writable : bool)
  | DebugPrint (length_ok text_ok : bool)
  | ClockRead
  | ThreadReadRegisters (h : nat) (dest_ok : bool)
  | ThreadWriteRegisters (h : nat) (regs_ok : bool)
  | ThreadReadFpu (h : nat) (dest_ok : bool)
  | ThreadWriteFpu (h : nat) (src_ok mxcsr_ok : bool)
  | IoPortIn (h port width : nat)
  | IoPortOut (h port width value : nat)
  (* ending threads and processes (exit codes are not modelled: init's business) *)
  | ThreadExit
  | ProcessExit
  | ProcessTerminate (space : nat).

(* The caller's space, if t is a running thread making a native call: a thread with a
   syscall handler makes none (its syscall instructions are foreign calls on the handler,
   core/foreign.h, not modelled), so `step` refuses its calls as it refuses a thread that is
   not running. *)
Definition caller_space (s : state) (t : nat) : option nat :=
  match s_objs s t with
  | Some (mkObj (KThread sp) _) =>
      match s_tstate s t, s_handler s t with Running, None => Some sp | _, _ => None end
  | _ => None
  end.

Definition step (s : state) (t : nat) (k : call) : reply * state :=
  match caller_space s t with
  | None => (RErr InvalidCapability, s)
  | Some sp =>
      match k with
      | CapDerive h r b => cap_derive s sp h r b
      | CapCopyTo hs h r => cap_copy_to s sp hs h r
      | CapDelete h => cap_delete s sp h
      | CapRevoke h => cap_revoke s sp h
      | CapInfo h => cap_info s sp h
      | EndpointCreate => endpoint_create s sp
      | NotificationCreate => notification_create s sp
      | MemoryCreate p f => memory_create s sp p f
      | MemoryClone h => memory_clone s sp h
      | Signal h => signal s sp h
      | Wait h => wait s t sp h
      | Poll h => poll s sp h
      | QuotaInfo h => quota_info s sp h
      | Call h => ipc_call s t sp h
      | ReplyRecv h nb => reply_recv s t sp h nb
      | Send h nb => send s t sp h nb
      | Recv h nb => recv s t sp h nb
      | Reply => reply_call s t
      | SpaceCreate b => space_create s sp b
      | ThreadCreate hs ok => thread_create s t sp hs ok
      | ThreadStart h => thread_start s sp h
      | Yield => yield s
      | ThreadSetPriority h p => thread_set_priority s t sp h p
      | ThreadSetSyscallHandler h e => thread_set_syscall_handler s sp h e
      | SetTimer h d => set_timer s sp h d
      | IrqCreate h line ok => irq_create s sp h line ok
      | IrqBind h n => irq_bind s sp h n
      | IrqAck h => (irq_ack s sp h, s)
      | SpaceSetPager h m => space_set_pager s sp h m
      | SpaceResolveFault h a ok => (space_resolve_fault s sp h a ok, s)
      | Map hs hm va first pages r => map_call s sp hs hm va first pages r
      | Unmap hs va pages => unmap_call s sp hs va pages
      | Protect hs va pages r => protect_call s sp hs va pages r
      | ThreadSetTls h ok => (thread_set_tls s sp h ok, s)
      | ThreadSetIpcBuffer h placed w => (thread_set_ipc_buffer s sp h placed w, s)
      | DebugPrint len_ok text_ok => (debug_print len_ok text_ok, s)
      | ClockRead => (clock_read, s)
      | ThreadReadRegisters h ok => (thread_read_registers s sp h ok, s)
      | ThreadWriteRegisters h ok => (thread_write_registers s sp h ok, s)
      | ThreadReadFpu h ok => (thread_read_fpu s sp h ok, s)
      | ThreadWriteFpu h ok mx => (thread_write_fpu s sp h ok mx, s)
      | IoPortIn h port width => (io_port_in s sp h port width, s)
      | IoPortOut h port width v => (io_port_out s sp h port width v, s)
      | ThreadExit => thread_exit s t sp
      | ProcessExit => process_exit s sp
      | ProcessTerminate h => process_terminate s t sp h
      end
  end.

(* ---------- An initial state: one process with one running thread ---------- *)

(* Space 0 with account 1 (limit: the root quota, 16 MiB by default in docs/kernel.md;
   a parameter here, at least the 128 bytes the two objects use), thread 2;
   capabilities 3 (the space, Manage) and 4 (the thread, Manage); space 0 and thread 2
   are charged to account 1. Thread 2 runs at priority 100 (abi::kDefaultPriority, boot
   init's in docs/kernel.md). *)
Definition init_objs : nat -> option obj :=
  fun o => match o with
           | 0 => Some (mkObj (KSpace 1) 1)
           | 2 => Some (mkObj (KThread 0) 1)
           | _ => None
           end.

Definition init (limit : nat) : state :=
  mkState init_objs
          (fun a => if Nat.eqb a 1 then Some (limit, 128) else None)
          [mkCap 3 0 0 [RManage] 0 []; mkCap 4 0 2 [RManage] 0 []]
          (fun t => if Nat.eqb t 2 then Running else Inactive)
          (fun _ => 0) (fun _ => []) (fun _ => None) 5
          (fun t => if Nat.eqb t 2 then 100 else 0) (fun _ => None) (fun _ => None)
          (fun _ => None) (fun _ => 0) [] (fun _ => None).
