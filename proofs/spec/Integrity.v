(* Integrity (proofs/spec/README.md): a call by a thread of space sp changes only what sp's
   capabilities allow it to change, in the ways their rights allow (seL4's integrity, over
   Spec.v's state).

   The state is cut into locations (`loc`): an object's record, a quota account, a space's
   capability table, a thread (its state and its caller), an endpoint's or notification's
   queue, a notification's word, the fresh-id counter, a thread's priority, its syscall
   handler, a notification's timer, an Irq's binding, and a space's pager mode with its
   mappings. `changed s s' l` says location l
   differs after the call; `authorised s s' t sp l` says which changes of l a call by
   thread t of space sp may make, from what sp held BEFORE the call:

   - LObj o: o is new (its id was fresh), charged to sp's own account, and if a thread,
     of a space sp holds with Manage; or o died: sp held a capability to it (any rights:
     deleting needs none), it was an endpoint, notification or memory object, and no
     capability names it afterwards; or, instead of a capability, sp held an Irq bound to it
     (EXCEPTION 4, below) or a Manage capability to a space it was mapped in, and unmap
     released it (EXCEPTION 5 in README.md: bound_held).
   - LAcct a: sp's own account (charged; its limit kept), or a new account, or the account
     an object that died was charged to, refunded exactly that object's size. This last
     one is the exception to "objects it holds a capability to": the account belongs to
     whoever created the object, which need not be sp (EXCEPTION 1 in README.md).
   - LTable sp': sp's own table; another space's table only gains a child of one of sp's
     capabilities (at most its rights, its badge) placed there through a capability to
     that space with Manage (cap_copy_to), and loses or alters only capabilities that
     descend from one of sp's own capabilities (cap_revoke removes them; cap_delete takes
     the deleted id out of their ancestor lists: EXCEPTION 2, the derivation tree).
   - LThread x: the caller t itself; a new thread; a thread sp holds with Manage, started
     (Inactive to Ready); a thread queued on an object sp holds with Send or Receive (or
     on an object that died), which becomes Ready or waits for t's reply, its caller
     unchanged or t; a thread that waited for t's reply (the reply relation), made Ready; an
     unstarted thread sp held a capability to (any rights) and that no capability names
     afterwards, made Dead (cap_delete of its last capability: Spec.drop_ref).
   - LQueue o: with Send or Receive on o, the queue loses its head or gains t at its end;
     an object that died has its queue emptied.
   - LWord n: with Send on n through capability c, the word gains c's bits (sig_bits c:
     its badge, 1 if none); with Receive, it is cleared; a new or dead object's word is 0.
   - LNext: the counter only grows (the allocator).
   - LPrio x: never above the caller t's own priority, and only of a new thread or of one sp
     holds with Manage (thread_create, thread_set_priority).
   - LHandler x: set once, from none, by a thread sp holds with Manage, to a fresh capability
     (thread_set_syscall_handler, which puts it in the thread's space's table: EXCEPTION 3).
   - LTimer n: with Send on n through c, disarmed or armed with c's bits; cleared when n is
     new or dies.
   - LIrq i: with Manage on the Irq, bound to a notification sp holds with Send through c, with
     c's bits; cleared when i is new or dies. A notification an Irq sp holds was bound to may
     die with that Irq, or when it is bound elsewhere (EXCEPTION 4); an account may then get
     two refunds, so a refund is stated as "limit kept, used only goes down".
   - LPager x: with Manage on the space, its pager mode becomes one of the two modes
     (space_set_pager), or its mappings change with the mode kept (map, unmap, protect); a new
     space's mode is the kernel's and it has no mappings (space_create).

   `integrity` proves that every call of `step` makes only authorised changes (in a `wf`
   state: the reply relation and unique capability ids are used; with `no_garbage`, which
   Garbage.v proves of every state reached from `init`, for the reap), or, for a call that ends a
   process, only the changes that the authority of the subtree it ends allows. The calls
   that may end one (`ending_call`) are thread_exit, process_exit and process_terminate; a
   thread_exit ends its process only when the caller was the last live thread of its space
   (one that leaves it alive is covered by `authorised`: the caller Dead, the thread waiting
   for its reply Ready), and a refused process_terminate changes nothing. An ending call ends
   a root r that sp may end
   (`ends`: r = sp for process_exit and thread_exit; a space sp holds with Manage for
   process_terminate). Ending r acts with the authority of every doomed space (r and its
   live descendants: Spec.doomed): as if each unmapped all its mappings, deleted all its
   capabilities and each of their threads exited. `authorised_end s s' r l`, again judged from the state before the call:

   - LObj o: o died (`ended_obj`): it was an endpoint, notification, memory, IoPorts or Irq
     object, every capability that named it was a doomed space's, every mapping of it was in
     a doomed space, every Irq bound to it lost its binding, no capability names it
     afterwards, and a doomed space held it before the call: a capability to it, an Irq
     bound to it or a space it is mapped in with Manage (`bound_held`, what `killed` asks of
     sp), or a mapping of it in its own address space (`doomed_held`). The reap destroys
     every live object nothing holds; that this is only what the doomed spaces held rests on
     `no_garbage` (Garbage.v: no live object that can die is unheld), which `integrity`
     assumes beside `wf` (item 6 of README.md's exceptions).
   - LAcct a: the account an object that died was charged to: limit kept, used only goes
     down (the refunds).
   - LTable x: a doomed space's table is emptied; any other table keeps its capabilities,
     in order, except that ids of doomed spaces' capabilities leave their ancestor lists
     (`map (strip_all ids)`, every id in ids a doomed space's capability's: cap_delete's
     effect on the derivation tree, EXCEPTION 2).
   - LThread x: its state is kept, or Dead if x dies with r (`dies_with`: a doomed space's
     entry, or a thread of a doomed space), or Ready if it waited for a dying thread's reply
     or was queued on an object that died; its caller is kept, or none if x or its caller
     dies.
   - LQueue o: loses only dying threads (the rest in order); a queue of an object that died
     is emptied.
   - LWord n, LTimer n, LIrq i: cleared (0, none) when the object died.
   - LPager x: a doomed space's mappings are emptied (the teardown unmaps everything of an
     ended space), its pager mode kept; any other space's mode and mappings are unchanged.
   - LNext, LPrio, LHandler: unchanged.

   A third case (`dropped_last`): cap_delete of sp's capability c after which a live space r
   is held by nothing (c was its last capability, or the last one to the last unstarted
   thread holding it: Spec.drop_ref, Space::destroy's terminate(0)). The deletion itself is
   authorised (the state after it, `after_delete s c`), and the rest is r's end, judged by
   `authorised_end` from that state: deleting the last reference is the authority to end it.

   The corollaries say it the other way round: what sp holds no capability to is unchanged,
   and after a call that ends a process, also what the end of every subtree sp may end
   spares (`spared`, `held_outside`: an object a space outside the subtree holds or maps);
   after a dropped_last deletion, what r's end spares in the state after the deletion. *)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.
From HMK Require Import Spec Invariant Properties Garbage.

(* ---------- Locations and the diff ---------- *)

Inductive loc :=
  | LObj (o : nat)       (* s_objs o: the kind and the account charged *)
  | LAcct (a : nat)      (* s_accts a: limit and used *)
  | LTable (sp : nat)    (* the capabilities of sp's table *)
  | LThread (x : nat)    (* s_tstate x and s_caller x *)
  | LQueue (o : nat)     (* s_waiters o *)
  | LWord (n : nat)      (* s_word n *)
  | LNext                (* s_next *)
  | LPrio (x : nat)      (* s_prio x: a thread's priority *)
  | LHandler (x : nat)   (* s_handler x: a thread's syscall handler *)
  | LTimer (n : nat)     (* s_timer n: a notification's timer *)
  | LIrq (i : nat)       (* s_irq i: an Irq's binding *)
  | LPager (x : nat).    (* s_pager x and maps_of x: a space's pager mode and mappings *)

Definition table (s : state) (sp : nat) : list cap :=
  filter (fun c => Nat.eqb (c_space c) sp) (s_caps s).

(* The mappings of space x (map, unmap, protect; a teardown). *)
Definition in_space (x : nat) (m : mapping) : bool := Nat.eqb (m_space m) x.
Definition maps_of (s : state) (x : nat) : list mapping := filter (in_space x) (s_maps s).

Definition changed (s s' : state) (l : loc) : Prop :=
  match l with
  | LObj o => s_objs s' o <> s_objs s o
  | LAcct a => s_accts s' a <> s_accts s a
  | LTable sp => table s' sp <> table s sp
  | LThread x => s_tstate s' x <> s_tstate s x \/ s_caller s' x <> s_caller s x
  | LQueue o => s_waiters s' o <> s_waiters s o
  | LWord n => s_word s' n <> s_word s n
  | LNext => s_next s' <> s_next s
  | LPrio x => s_prio s' x <> s_prio s x
  | LHandler x => s_handler s' x <> s_handler s x
  | LTimer n => s_timer s' n <> s_timer s n
  | LIrq i => s_irq s' i <> s_irq s i
  | LPager x => s_pager s' x <> s_pager s x \/ maps_of s' x <> maps_of s x
  end.

(* ---------- Authority: what sp holds before the call ---------- *)

(* sp's table holds capability c to o, with at least the rights need. *)
Definition holds_cap (s : state) (sp o : nat) (need : rights) (c : cap) : Prop :=
  In c (s_caps s) /\ c_space c = sp /\ c_obj c = o /\ incl need (c_rights c).

Definition holds (s : state) (sp o : nat) (need : rights) : Prop :=
  exists c, holds_cap s sp o need c.

(* d is the id of a capability in sp's table. *)
Definition owns (s : state) (sp d : nat) : Prop :=
  exists c, In c (s_caps s) /\ c_space c = sp /\ c_id c = d.

Definition own_acct (s : state) (sp a : nat) : Prop :=
  exists q, s_objs s sp = Some (mkObj (KSpace a) q).

(* An id the call may allocate. *)
Definition fresh (s : state) (x : nat) : Prop := s_next s <= x.

(* sp holds an Irq bound to o (a notification the Irq's binding keeps alive), or o is mapped
   in a space sp holds with Manage (a memory object its mapping keeps alive, which unmap
   may release). *)
Definition bound_held (s : state) (sp o : nat) : Prop :=
  (exists i b, holds s sp i [] /\ s_irq s i = Some (o, b)) \/
  (exists m, In m (s_maps s) /\ m_mem m = o /\ holds s sp (m_space m) [RManage]).

(* o died in the call: sp held a capability to it (or an Irq bound to it, whose death
   released it: EXCEPTION 4 in README.md; or o was mapped in a space sp holds with Manage,
   and unmapped: EXCEPTION 5), it was an object that dies with its last capability, and none
   names it afterwards. *)
Definition killed (s s' : state) (sp o : nat) : Prop :=
  (holds s sp o [] \/ bound_held s sp o) /\
  (exists ob, s_objs s o = Some ob /\ reapable (o_kind ob) = true) /\
  s_objs s' o = None /\ (forall c, In c (s_caps s') -> c_obj c <> o).

(* x waits in o's queue (by the queue, or by its state). *)
Definition queued_on (s : state) (x o : nat) : Prop :=
  In x (s_waiters s o) \/ blocked_on (s_tstate s x) = Some o.

(* How a call by sp may change another space sp''s table. *)
Definition table_change (s s' : state) (sp sp' : nat) : Prop :=
  (forall x, In x (table s' sp') ->
     In x (table s sp') \/
     (* moved up: an id of sp's table left its ancestor list *)
     (exists y d, In y (table s sp') /\ owns s sp d /\ x = strip d y) \/
     (* a new child of one of sp's capabilities, put there with Manage on sp' *)
     (* ... or, with Manage on a thread of sp', as that thread's syscall handler *)
     ((holds s sp sp' [RManage] \/
       exists th q, holds s sp th [RManage] /\ s_objs s th = Some (mkObj (KThread sp') q)) /\
      fresh s (c_id x) /\
      exists src, In src (table s sp) /\ c_obj x = c_obj src /\
                  incl (c_rights x) (c_rights src) /\ c_badge x = c_badge src /\
                  c_anc x = c_id src :: c_anc src)) /\
  (* what leaves or changes descends from one of sp's capabilities *)
  (forall y, In y (table s sp') -> In y (table s' sp') \/ exists d, owns s sp d /\ In d (c_anc y)).

(* x waited, blocked on send or receive, through capability c (its id s_via x), which sp
   deleted (c in sp's table) or revoked (c a descendant of one of sp's capabilities). *)
Definition via_dropped (s : state) (sp x : nat) : Prop :=
  exists c, s_via s x = Some (c_id c) /\ In c (s_caps s) /\
    blocked_on (s_tstate s x) = Some (c_obj c) /\
    holds s sp (c_obj c) [] /\ (c_space c = sp \/ exists d, owns s sp d /\ In d (c_anc c)).

Definition authorised (s s' : state) (t sp : nat) (l : loc) : Prop :=
  match l with
  | LObj o =>
      (* created: charged to sp's own account; a new thread runs in a space sp holds with
         Manage *)
      (fresh s o /\ forall ob, s_objs s' o = Some ob ->
         own_acct s sp (o_acct ob) /\
         forall sp', o_kind ob = KThread sp' -> holds s sp sp' [RManage]) \/
      killed s s' sp o
  | LAcct a =>
      (own_acct s sp a /\ exists lim u u', s_accts s a = Some (lim, u) /\
                                           s_accts s' a = Some (lim, u')) \/
      fresh s a \/
      (* refunded (a dying Irq may refund its notification too: used only goes down) *)
      (exists o ob, killed s s' sp o /\ s_objs s o = Some ob /\ o_acct ob = a /\
         exists lim u u', s_accts s a = Some (lim, u) /\ s_accts s' a = Some (lim, u') /\
                          u' <= u)
  | LTable sp' => sp' = sp \/ table_change s s' sp sp'
  | LThread x =>
      x = t \/ fresh s x \/
      (* thread_start *)
      (holds s sp x [RManage] /\ s_tstate s x = Inactive /\ s_tstate s' x = Ready /\
       s_caller s' x = s_caller s x) \/
      (* taken from the queue of an object sp may send to or receive from, or that died *)
      (exists o, queued_on s x o /\
         (holds s sp o [RSend] \/ holds s sp o [RReceive] \/ killed s s' sp o) /\
         (s_tstate s' x = Ready \/ s_tstate s' x = BlockedReply t) /\
         (s_caller s' x = s_caller s x \/ s_caller s' x = Some t)) \/
      (* it waited for t's reply *)
      (s_tstate s x = BlockedReply t /\ s_tstate s' x = Ready /\ s_caller s' x = s_caller s x) \/
      (* an unstarted thread whose last capability sp deleted: destroyed, Dead in the spec
         (cap_delete, Spec.drop_ref) *)
      (holds s sp x [] /\ s_tstate s x = Inactive /\ s_tstate s' x = Dead /\
       s_caller s' x = s_caller s x /\ (forall c, In c (s_caps s') -> c_obj c <> x)) \/
      (* its send or receive was cancelled: sp deleted or revoked the capability it went
         through (Endpoint::cancel_waits_through) *)
      (via_dropped s sp x /\ s_tstate s' x = Ready /\ s_caller s' x = s_caller s x)
  | LQueue o =>
      ((holds s sp o [RSend] \/ holds s sp o [RReceive]) /\
       (s_waiters s' o = tl (s_waiters s o) \/ s_waiters s' o = s_waiters s o ++ [t])) \/
      (killed s s' sp o /\ s_waiters s' o = []) \/
      (* loses the threads whose send or receive sp cancelled, the rest in order *)
      (holds s sp o [] /\ exists keep, s_waiters s' o = filter keep (s_waiters s o) /\
         forall x, In x (s_waiters s o) -> keep x = false -> via_dropped s sp x)
  | LWord n =>
      (exists c, holds_cap s sp n [RSend] c /\
                 s_word s' n = Nat.lor (s_word s n) (sig_bits c)) \/
      (holds s sp n [RReceive] /\ s_word s' n = 0) \/
      ((fresh s n \/ killed s s' sp n) /\ s_word s' n = 0)
  | LNext => s_next s < s_next s'
  | LPrio x =>
      (* never above the caller's own; a new thread, or one sp holds with Manage *)
      s_prio s' x <= s_prio s t /\ (fresh s x \/ holds s sp x [RManage])
  | LHandler x =>
      (* a new thread's is none; otherwise set once (from none), to a capability the call
         made, of a thread sp holds with Manage (thread_set_syscall_handler) *)
      fresh s x \/
      (holds s sp x [RManage] /\ s_handler s x = None /\
       exists n, fresh s n /\ s_handler s' x = Some n)
  | LTimer n =>
      (* with Send on n through capability c: disarmed, or armed with c's bits; a new or
         dead notification's is disarmed (set_timer, creations, cap_delete) *)
      (exists c, holds_cap s sp n [RSend] c /\
                 (s_timer s' n = None \/ s_timer s' n = Some (sig_bits c))) \/
      ((fresh s n \/ killed s s' sp n) /\ s_timer s' n = None)
  | LIrq i =>
      (* with Manage on the Irq, bound to a notification sp holds with Send through c, with
         c's bits; a new or dead Irq's is none (irq_bind, irq_create, cap_delete) *)
      (holds s sp i [RManage] /\
       exists n c, holds_cap s sp n [RSend] c /\ s_irq s' i = Some (n, sig_bits c)) \/
      ((fresh s i \/ killed s s' sp i) /\ s_irq s' i = None)
  | LPager x =>
      (* with Manage on the space: one of the two modes (space_set_pager); a new space's is
         the kernel's, with no mappings (space_create); with Manage on the space, its mappings
         change, its mode kept (map, unmap, protect) *)
      (holds s sp x [RManage] /\
       (s_pager s' x = pager_kernel \/ s_pager s' x = pager_handler)) \/
      (fresh s x /\ s_pager s' x = pager_kernel /\ maps_of s' x = maps_of s x) \/
      (holds s sp x [RManage] /\ s_pager s' x = s_pager s x)
  end.

Definition changed_only_authorised (s s' : state) (t sp : nat) : Prop :=
  forall l, changed s s' l -> authorised s s' t sp l.

(* ---------- Small facts ---------- *)

Lemma in_table : forall s sp x, In x (table s sp) <-> In x (s_caps s) /\ c_space x = sp.
Proof.
  intros. unfold table. rewrite filter_In. rewrite Nat.eqb_eq. tauto.
Qed.

Lemma holds_lookup_typed : forall s sp h ty need c,
  lookup_typed s sp h ty need = inl (Some c) -> holds_cap s sp (c_obj c) need c.
Proof.
  intros s sp h ty need c E. apply lookup_typed_some in E.
  destruct E as [H1 [_ [H3 [_ H5]]]]. repeat split; auto.
Qed.

Lemma holds_lookup : forall s sp h c, lookup s sp h = Some c -> holds_cap s sp (c_obj c) [] c.
Proof.
  intros s sp h c E. apply lookup_some in E. destruct E as [H1 [_ H3]].
  repeat split; auto. intros r [].
Qed.

Lemma strip_notin : forall d y, ~ In d (c_anc y) -> strip d y = y.
Proof. intros d [] H. unfold strip. simpl in *. rewrite notin_remove; auto. Qed.

(* Nothing changed: every location is authorised (vacuously). *)
Lemma coa_refl : forall s t sp, changed_only_authorised s s t sp.
Proof.
  intros s t sp l. destruct l; simpl; intros Hch; exfalso; try tauto.
Qed.

(* A field that is the same before and after. *)
Ltac unch :=
  exfalso;
  match goal with
  | H : ?a <> ?b \/ ?c <> ?d |- _ => destruct H as [H|H]; apply H; reflexivity
  | H : _ <> _ |- _ => apply H; reflexivity
  end.

(* A priority that is the same before and after (every call but the creations and
   thread_set_priority): the LPrio case of a proof by locations is done. *)
Ltac prio_unch :=
  lazymatch goal with
  | |- _ <= _ /\ _ =>
      exfalso;
      match goal with
      | H : s_prio _ _ <> s_prio _ _ |- _ =>
          apply H; rewrite ?drop_caller_prio, ?destroy_prio; first [reflexivity|congruence]
      end
  end.

Lemma drop_caller_handler : forall s t, s_handler (drop_caller s t) = s_handler s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma destroy_handler : forall s o, s_handler (destroy s o) = s_handler s.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

Lemma drop_caller_irq : forall s t, s_irq (drop_caller s t) = s_irq s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma drop_caller_timer : forall s t, s_timer (drop_caller s t) = s_timer s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Ltac upd_rw :=
  repeat first [ rewrite upd_eq in * | rewrite upd_neq in * by assumption ].

(* A syscall handler that is the same before and after (every call but
   thread_set_syscall_handler and the creations): the LHandler case is done. *)
Ltac hd_unch :=
  match goal with
  | H : s_handler _ _ <> s_handler _ _ |- _ =>
      exfalso; apply H; rewrite ?drop_caller_handler, ?destroy_handler;
      first [reflexivity|congruence]
  end.

(* A binding that is the same before and after. *)
Ltac ir_unch :=
  match goal with
  | H : s_irq _ _ <> s_irq _ _ |- _ =>
      exfalso; apply H; rewrite ?drop_caller_irq; first [reflexivity|congruence]
  end.

Lemma drop_caller_pager : forall s t, s_pager (drop_caller s t) = s_pager s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma destroy_pager : forall s o, s_pager (destroy s o) = s_pager s.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

Lemma release_pager : forall s b, s_pager (release s b) = s_pager s.
Proof.
  intros s [[n x]|]; unfold release; [|reflexivity].
  destruct (held s n); [reflexivity|apply destroy_pager].
Qed.

Lemma destroy_maps_of : forall s o x, maps_of (destroy s o) x = maps_of s x.
Proof. intros. unfold maps_of. rewrite destroy_maps. reflexivity. Qed.

Lemma release_maps_of : forall s b x, maps_of (release s b) x = maps_of s x.
Proof.
  intros s [[n y]|] x; unfold release; [|reflexivity].
  destruct (held s n); [reflexivity|apply destroy_maps_of].
Qed.

Lemma drop_caller_maps : forall s t, s_maps (drop_caller s t) = s_maps s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma drop_caller_maps_of : forall s t x, maps_of (drop_caller s t) x = maps_of s x.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

(* A pager mode and mappings that are the same before and after (every call but
   space_set_pager, space_create, map, unmap and protect). *)
Ltac pg_unch :=
  match goal with
  | H : s_pager _ _ <> s_pager _ _ \/ maps_of _ _ <> maps_of _ _ |- _ =>
      exfalso; destruct H as [H|H]; apply H;
      rewrite ?drop_caller_pager, ?destroy_pager, ?release_pager, ?drop_caller_maps_of,
        ?destroy_maps_of, ?release_maps_of;
      first [reflexivity|congruence]
  end.

(* A timer that is the same before and after. *)
Ltac tm_unch :=
  match goal with
  | H : s_timer _ _ <> s_timer _ _ |- _ =>
      exfalso; apply H; rewrite ?drop_caller_timer; first [reflexivity|congruence]
  end.

(* Calls that change nothing. *)
Lemma coa_same : forall s s' t sp, s' = s -> changed_only_authorised s s' t sp.
Proof. intros s s' t sp ->. apply coa_refl. Qed.

(* ---------- Capability calls ---------- *)

(* Only the caller's own table changes, and the counter grows. *)
Lemma coa_own_cap : forall s t sp c,
  c_space c = sp ->
  changed_only_authorised s
    (mkState (s_objs s) (s_accts s) (c :: s_caps s) (s_tstate s) (s_word s) (s_waiters s)
             (s_caller s) (S (s_next s)) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s)) t sp.
Proof.
  intros s t sp c Hc l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch; try unch.
  - destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|].
    exfalso. apply Hch. unfold table. simpl.
    destruct (Nat.eqb_spec (c_space c) sp'); [congruence|reflexivity].
  - lia.
Qed.

Lemma int_cap_derive : forall s t sp h rr b r s',
  cap_derive s sp h rr b = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h rr b r s' H. unfold cap_derive in H.
  destruct (lookup s sp h) as [src|] eqn:E; [|inversion H; subst; apply coa_refl].
  destruct (negb (subset_b rr (c_rights src))); [inversion H; subst; apply coa_refl|].
  destruct (negb (Nat.eqb b 0) && _); [inversion H; subst; apply coa_refl|].
  inversion H; subst; clear H. apply coa_own_cap. reflexivity.
Qed.

Lemma int_cap_copy_to : forall s t sp hs h rr r s',
  cap_copy_to s sp hs h rr = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp hs h rr r s' H. unfold cap_copy_to in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[tg|]|e] eqn:Et;
    try (inversion H; subst; apply coa_refl).
  apply holds_lookup_typed in Et.
  destruct (lookup s sp h) as [src|] eqn:E; [|inversion H; subst; apply coa_refl].
  apply holds_lookup in E.
  destruct (subset_b rr (c_rights src)) eqn:Es; simpl in H;
    [|inversion H; subst; apply coa_refl].
  destruct (space_ended s (c_obj tg)); [inversion H; subst; apply coa_refl|].
  inversion H; subst; clear H.
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch; try unch.
  - destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|right].
    destruct E as [Es1 [Es2 _]].
    split.
    + intros x Hx. apply in_table in Hx. simpl in Hx. destruct Hx as [[<-|Hx] Hxs].
      * right; right. simpl in Hxs. subst sp'. split; [left; exists tg; auto|].
        split; [unfold fresh; simpl; lia|].
        exists src. simpl. repeat split; auto.
        -- apply in_table. auto.
        -- apply subset_b_incl. auto.
      * left. apply in_table. auto.
    + intros y Hy. left. apply in_table in Hy. apply in_table. simpl. tauto.
  - lia.
Qed.

(* Table changes of cap_delete. *)
Lemma table_change_del : forall s s' sp c, wf s -> In c (s_caps s) -> c_space c = sp ->
  s_caps s' = del_caps (c_id c) (s_caps s) ->
  forall sp', sp' <> sp -> table_change s s' sp sp'.
Proof.
  intros s s' sp c W Hc Hsp Hs' sp' N.
  assert (Own : owns s sp (c_id c)) by (exists c; auto).
  split.
  - intros x Hx. apply in_table in Hx. rewrite Hs' in Hx. destruct Hx as [Hx Hxs].
    apply in_del_caps in Hx. destruct Hx as [y [Hy [_ ->]]].
    right; left. exists y, (c_id c). split; auto. apply in_table. split; auto.
  - intros y Hy. apply in_table in Hy. destruct Hy as [Hy Hys].
    destruct (in_dec Nat.eq_dec (c_id c) (c_anc y)) as [Hin|Hnin]; [right; eauto|left].
    apply in_table. rewrite Hs'. split; auto. apply in_del_caps. exists y.
    split; auto. split; [|symmetry; apply strip_notin; auto].
    intros E. assert (y = c) as ->.
    { apply (Properties.nodup_ids_eq (s_caps s)); auto. apply (cw_nodup _ (proj1 W)). }
    congruence.
Qed.

Definition obj_eq_dec (a b : option obj) : {a = b} + {a <> b}.
Proof. repeat decide equality. Defined.
Definition tstate_eq_dec (a b : tstate) : {a = b} + {a <> b}.
Proof. repeat decide equality. Defined.
Definition onat_eq_dec (a b : option nat) : {a = b} + {a <> b}.
Proof. repeat decide equality. Defined.
Definition acct_eq_dec (a b : option (nat * nat)) : {a = b} + {a <> b}.
Proof. repeat decide equality. Defined.
Definition nats_eq_dec (a b : list nat) : {a = b} + {a <> b}.
Proof. apply list_eq_dec, Nat.eq_dec. Defined.
Definition option_eq_dec (a b : option (nat * nat)) : {a = b} + {a <> b}.
Proof. repeat decide equality. Defined.
Definition cap_eq_dec (a b : cap) : {a = b} + {a <> b}.
Proof.
  decide equality; try apply Nat.eq_dec; apply list_eq_dec;
    first [apply Nat.eq_dec|apply right_eq_dec].
Defined.

(* What s0 authorised (relative to s) stays authorised after o dies in s0 (its record, queue,
   word, timer and binding cleared, its waiters made Ready, its charge refunded): o itself
   is killed, authorised by a capability to it or an Irq bound to it. *)
Lemma killed_destroy : forall s s0 sp o o', killed s s0 sp o' -> killed s (destroy s0 o) sp o'.
Proof.
  intros s s0 sp o o' [A [B [C D]]]. split; [exact A|]. split; [exact B|]. split.
  - apply Properties.destroy_objs_none. exact C.
  - rewrite Properties.destroy_caps. exact D.
Qed.

Lemma coa_destroy : forall s s0 t sp o,
  changed_only_authorised s s0 t sp ->
  (holds s sp o [] \/ bound_held s sp o) ->
  named (s_caps s0) o = false ->
  s_objs s0 o = s_objs s o -> s_waiters s0 o = s_waiters s o ->
  (forall x, blocked_on (s_tstate s0 x) = Some o -> s_tstate s0 x = s_tstate s x) ->
  (forall x, s_caller s0 x = s_caller s x) ->
  changed_only_authorised s (destroy s0 o) t sp.
Proof.
  intros s s0 t sp o I0 Ho En Eobj Ewq Ets Ecl.
  assert (KT : forall o', killed s s0 sp o' -> killed s (destroy s0 o) sp o')
    by (intros; apply killed_destroy; auto).
  unfold destroy in *. rewrite Eobj in *.
  destruct (s_objs s o) as [ob|] eqn:Eo; [|exact I0].
  destruct (reapable (o_kind ob)) eqn:Er; [|exact I0].
  assert (K : killed s (mkState (upd (s_objs s0) o None)
                 (refund (s_accts s0) (o_acct ob) (obj_size (o_kind ob))) (s_caps s0)
                 (fun t0 => match blocked_on (s_tstate s0 t0) with
                            | Some o' => if Nat.eqb o' o then Ready else s_tstate s0 t0
                            | None => s_tstate s0 t0
                            end)
                 (upd (s_word s0) o 0) (upd (s_waiters s0) o []) (s_caller s0) (s_next s0)
                 (s_prio s0) (s_handler s0) (upd (s_timer s0) o None) (upd (s_irq s0) o None) (s_pager s0) (s_maps s0) (s_via s0))
                sp o).
  { split; [exact Ho|]. split; [exists ob; auto|]. simpl. split; [apply upd_eq|].
    apply named_false. exact En. }
  intros l Hch. destruct l as [x|a|sp'|x|q|n| |x|x|n|i|x]; simpl in Hch |- *.
  - destruct (Nat.eq_dec x o) as [->|N]; [right; exact K|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LObj x) Hch) as [[F A]|Kx]; [left; split; [exact F|]|right; apply KT; exact Kx].
    intros ob' E. apply A. exact E.
  - unfold refund in Hch |- *. destruct (Nat.eqb_spec a (o_acct ob)) as [Ea|N]; [rewrite Ea in *|].
    + destruct (acct_eq_dec (s_accts s0 (o_acct ob)) (s_accts s (o_acct ob))) as [E0|N0].
      * rewrite E0 in Hch |- *. destruct (s_accts s (o_acct ob)) as [[lim u]|] eqn:Eac;
          [|exfalso; apply Hch; reflexivity].
        right; right. exists o, ob. split; [exact K|]. split; [exact Eo|]. split; [reflexivity|].
        exists lim, u, (u - obj_size (o_kind ob)). repeat split; auto. lia.
      * destruct (I0 (LAcct (o_acct ob)) N0) as [[Ow [lim [u [u' [E1 E2]]]]]|[F|[o' [ob' [Ko [Eo' [Ea2 [lim [u [u' [E1 [E2 Le]]]]]]]]]]]].
        -- left. split; [exact Ow|]. exists lim, u, (u' - obj_size (o_kind ob)).
           rewrite E2. auto.
        -- right; left. exact F.
        -- right; right. exists o', ob'. split; [apply KT; exact Ko|]. split; [exact Eo'|].
           split; [exact Ea2|]. exists lim, u, (u' - obj_size (o_kind ob)). rewrite E2.
           repeat split; auto. lia.
    + destruct (I0 (LAcct a) Hch) as [A|[F|[o' [ob' [Ko R]]]]]; [left; exact A|right; left; exact F|].
      right; right. exists o', ob'. split; [apply KT; exact Ko|exact R].
  - exact (I0 (LTable sp') Hch).
  - destruct (blocked_on (s_tstate s0 x)) as [o'|] eqn:Eb.
    + destruct (Nat.eqb_spec o' o) as [->|N].
      * right; right; right; left. exists o. split.
        { right. rewrite <- (Ets x Eb). exact Eb. }
        split; [right; right; exact K|]. split; [left; reflexivity|]. left. apply Ecl.
      * destruct (I0 (LThread x) Hch) as [A|[A|[A|[[o2 [Q [R [S1 S2]]]]|A]]]];
          [left; exact A|right; left; exact A|right; right; left; exact A| |right; right; right; right; exact A].
        right; right; right; left. exists o2. split; [exact Q|]. split; [|split; [exact S1|exact S2]].
        destruct R as [R|[R|R]]; [left; exact R|right; left; exact R|right; right; apply KT; exact R].
    + destruct (I0 (LThread x) Hch) as [A|[A|[A|[[o2 [Q [R [S1 S2]]]]|A]]]];
        [left; exact A|right; left; exact A|right; right; left; exact A| |right; right; right; right; exact A].
      right; right; right; left. exists o2. split; [exact Q|]. split; [|split; [exact S1|exact S2]].
      destruct R as [R|[R|R]]; [left; exact R|right; left; exact R|right; right; apply KT; exact R].
  - destruct (Nat.eq_dec q o) as [->|N]; [right; left; split; [exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LQueue q) Hch) as [A|[[Kq E]|A]];
      [left; exact A|right; left; split; [apply KT; exact Kq|exact E]|right; right; exact A].
  - destruct (Nat.eq_dec n o) as [->|N]; [right; right; split; [right; exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LWord n) Hch) as [A|[A|[[F|Kn] E]]]; [left; exact A|right; left; exact A| |].
    + right; right. split; [left; exact F|exact E].
    + right; right. split; [right; apply KT; exact Kn|exact E].
  - exact (I0 LNext Hch).
  - exact (I0 (LPrio x) Hch).
  - exact (I0 (LHandler x) Hch).
  - destruct (Nat.eq_dec n o) as [->|N]; [right; split; [right; exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LTimer n) Hch) as [A|[[F|Kn] E]]; [left; exact A| |].
    + right. split; [left; exact F|exact E].
    + right. split; [right; apply KT; exact Kn|exact E].
  - destruct (Nat.eq_dec i o) as [->|N]; [right; split; [right; exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LIrq i) Hch) as [A|[[F|Ki] E]]; [left; exact A| |].
    + right. split; [left; exact F|exact E].
    + right. split; [right; apply KT; exact Ki|exact E].
  - exact (I0 (LPager x) Hch).
Qed.

Lemma destroy_objs_some : forall s o x ob, s_objs (destroy s o) x = Some ob ->
  s_objs s x = Some ob /\ s_waiters (destroy s o) x = s_waiters s x.
Proof.
  intros s o x ob E. unfold destroy in *. destruct (s_objs s o) as [ob0|] eqn:Eo; auto.
  destruct (reapable (o_kind ob0)); auto. simpl in *.
  destruct (Nat.eq_dec x o) as [->|N]; [rewrite upd_eq in E; discriminate|].
  rewrite upd_neq in * by exact N. auto.
Qed.

Lemma destroy_blocked : forall s o x n, blocked_on (s_tstate (destroy s o) x) = Some n ->
  s_tstate (destroy s o) x = s_tstate s x.
Proof.
  intros s o x n E. unfold destroy in *. destruct (s_objs s o) as [ob0|] eqn:Eo; auto.
  destruct (reapable (o_kind ob0)); auto. simpl in *.
  destruct (blocked_on (s_tstate s x)) as [o'|]; auto.
  destruct (Nat.eqb o' o); auto. discriminate E.
Qed.

(* Cancelling the sends and receives blocked through capabilities gone after a change of
   the capabilities alone: each cancelled thread's capability was sp's or descended from one
   of sp's. *)
Lemma coa_cancel : forall s cs t sp g, wf s ->
  changed_only_authorised s (with_caps s cs) t sp ->
  (forall x, cancelled s g x = true -> via_dropped s sp x) ->
  changed_only_authorised s (cancel_through (with_caps s cs) g) t sp.
Proof.
  intros s cs t sp g W I1 Hv l Hch.
  destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x].
  1-3,6-12: match goal with |- authorised _ _ _ _ ?l => exact (I1 l Hch) end.
  - change (cancelled (with_caps s cs) g) with (cancelled s g) in *.
    simpl in Hch |- *. change (cancelled (with_caps s cs) g) with (cancelled s g) in *.
    destruct (cancelled s g x) eqn:Ec.
    + right; right; right; right; right; right. split; [apply Hv; exact Ec|split; reflexivity].
    + exfalso. destruct Hch as [Hch|Hch]; apply Hch; reflexivity.
  - simpl in Hch |- *. change (cancelled (with_caps s cs) g) with (cancelled s g) in *.
    right; right. split.
    + destruct (existsb (cancelled s g) (s_waiters s o)) eqn:Ex.
      * apply existsb_exists in Ex. destruct Ex as [x [Hin Hx]].
        destruct (Hv x Hx) as [c [_ [Hc [Hb [Hh _]]]]].
        destruct (tw_waiters _ _ _ _ (wf_tw s W) o x Hin) as [_ Hb'].
        rewrite Hb in Hb'. injection Hb' as <-. exact Hh.
      * exfalso. apply Hch. clear Hch. induction (s_waiters s o) as [|y l IH]; [reflexivity|].
        simpl in Ex |- *. apply orb_false_iff in Ex. destruct Ex as [Ey El].
        rewrite Ey. simpl. rewrite IH; auto.
    + exists (fun x => negb (cancelled s g x)). split; [reflexivity|].
      intros x _ Hk. apply Hv. apply negb_false_iff in Hk. exact Hk.
Qed.

(* cap_delete: every change is sp's to make (the capability, its object's death, an
   unstarted thread's), or the last reference to a live space went (the space, or the last
   unstarted thread holding it: Spec.drop_ref) and the space ends: then the state after the
   deletion has no garbage and the rest is terminate's (int_cap_delete_all, below). *)
Lemma int_cap_delete : forall s t sp h r s', wf s -> no_garbage s ->
  cap_delete s sp h = (r, s') -> changed_only_authorised s s' t sp \/
  exists c root, lookup s sp h = Some c /\
    changed_only_authorised s (with_caps s (del_caps (c_id c) (s_caps s))) t sp /\
    no_garbage (with_caps s (del_caps (c_id c) (s_caps s))) /\
    space_ended (with_caps s (del_caps (c_id c) (s_caps s))) root = false /\
    space_held (with_caps s (del_caps (c_id c) (s_caps s))) root = false /\
    s' = terminate (with_caps s (del_caps (c_id c) (s_caps s))) root.
Proof.
  intros s t sp h r s' W [IG AG] H. unfold cap_delete in H.
  destruct (lookup s sp h) as [c|] eqn:E; [|inversion H; subst; left; apply coa_refl].
  pose proof (holds_lookup _ _ _ _ E) as Hh. pose proof E as El.
  apply lookup_some in E. destruct E as [Hc [_ Hsp]].
  injection H as _ Hs'.
  set (s1 := with_caps s (del_caps (c_id c) (s_caps s))) in *.
  assert (I1 : changed_only_authorised s s1 t sp).
  { pose proof (table_change_del s s1 sp c W Hc Hsp eq_refl) as Tb.
    intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch;
      try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch; try unch.
    destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|right; auto]. }
  destruct (held s1 (c_obj c)) eqn:Eh.
  { left. subst s'. unfold s1. apply coa_cancel; [exact W|exact I1|].
    intros x Hx. unfold cancelled in Hx.
    destruct (s_tstate s x) eqn:Et; try discriminate;
      (destruct (s_via s x) as [v|] eqn:Ev; [|discriminate]);
      apply andb_true_iff in Hx; destruct Hx as [E1 E2]; apply Nat.eqb_eq in E1;
      apply Nat.eqb_eq in E2; subst;
      exists c; (split; [exact Ev|]); (split; [exact Hc|]);
      (split; [rewrite Et; reflexivity|]);
      (split; [exists c; exact Hh|left; auto]). }
  pose proof (held_false_named _ _ Eh) as En.
  destruct (drop_ref_cases s1 (c_obj c)) as [E0|[[ob0 [Eo0 Nr]] Cs]].
  2:{ destruct Cs as [E1|[[tsp [q [Eo [Ei E1]]]]|[root [Ee [Eh' E1]]]]]; rewrite E1 in Hs'.
      - left. subst s'. exact I1.
      - left. subst s'. intros l Hch.
        destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x];
          try (match goal with |- authorised _ _ _ _ ?l => exact (I1 l Hch) end).
        destruct (Nat.eq_dec x (c_obj c)) as [->|N].
        + simpl. right; right; right; right; right; left. split; [exists c; exact Hh|].
          split; [exact Ei|]. split; [apply upd_eq|]. split; [reflexivity|].
          exact (named_false _ _ En).
        + exfalso. simpl in Hch. rewrite upd_neq in Hch by exact N.
          destruct Hch as [Hch|Hch]; apply Hch; reflexivity.
      - right. exists c, root. split; [reflexivity|]. split; [exact I1|].
        split; [|split; [exact Ee|split; [exact Eh'|symmetry; exact Hs']]].
        split; [apply (irq_ok_ext s); auto|].
        intros y ob E R. simpl in E.
        destruct (proj1 (held_iff s y) (AG y ob E R))
          as [[c' [Hc' Ec']]|[[i [b [Hlt Ei]]]|[m [Hm Em]]]].
        + destruct (Nat.eq_dec (c_id c') (c_id c)) as [Eid|Nid].
          * rewrite (Properties.nodup_ids_eq _ _ _ (cw_nodup _ (proj1 W)) Hc' Hc Eid) in Ec'.
            subst y. change (s_objs s1) with (s_objs s) in Eo0. rewrite Eo0 in E.
            injection E as <-. rewrite Nr in R. discriminate R.
          * apply held_iff. left. exists (strip (c_id c) c'). split; [|exact Ec'].
            simpl. apply in_del_caps. exists c'. auto.
        + apply held_iff. right; left. exists i, b. auto.
        + apply held_iff. right; right. exists m. auto. }
  left. rewrite E0 in Hs'.
  assert (I2 : changed_only_authorised s (destroy s1 (c_obj c)) t sp).
  { apply coa_destroy; auto. left. exact (ex_intro _ c Hh). }
  subst s'. unfold release. simpl (s_irq s1 _).
  destruct (s_irq s (c_obj c)) as [[n b]|] eqn:Eb; [|exact I2].
  set (s2 := destroy s1 (c_obj c)) in *.
  destruct (held s2 n) eqn:Eh2; [exact I2|].
  pose proof (held_false_named _ _ Eh2) as En2.
  destruct (s_objs s2 n) as [ob|] eqn:Eo2.
  2:{ unfold destroy at 1. rewrite Eo2. exact I2. }
  destruct (destroy_objs_some _ _ _ _ Eo2) as [Eo1 Ew].
  apply coa_destroy; [exact I2| |exact En2| | | |].
  - right. left. exists (c_obj c), b. split; [exact (ex_intro _ c Hh)|exact Eb].
  - rewrite Eo2. symmetry. exact Eo1.
  - exact Ew.
  - intros x Bx. unfold s2. rewrite (destroy_blocked _ _ _ _ Bx). reflexivity.
  - intros x. unfold s2, destroy. destruct (s_objs s1 (c_obj c)) as [ob0|]; auto.
    destruct (reapable (o_kind ob0)); auto.
Qed.

Lemma int_cap_revoke : forall s t sp h r s', wf s ->
  cap_revoke s sp h = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h r s' W H. unfold cap_revoke in H.
  destruct (lookup s sp h) as [c|] eqn:E; [|inversion H; subst; apply coa_refl].
  apply lookup_some in E. destruct E as [Hc [_ Hsp]].
  injection H as _ <-. rewrite cancel_with_caps. apply coa_cancel; [exact W| |].
  2:{ assert (Hg : forall v e, revoked (c_id c) (c_obj c) (s_caps s) v e = true ->
                 exists d, In d (s_caps s) /\ c_id d = v /\ c_obj d = e /\ e = c_obj c /\
                           In (c_id c) (c_anc d)).
      { intros v e Hr. unfold revoked in Hr. apply andb_true_iff in Hr. destruct Hr as [Eo Hr].
        apply Nat.eqb_eq in Eo. apply existsb_exists in Hr. destruct Hr as [d [Hd Ed]].
        apply andb_true_iff in Ed. destruct Ed as [Ed Ea]. apply andb_true_iff in Ed.
        destruct Ed as [Ei Eo']. apply Nat.eqb_eq in Ei. apply Nat.eqb_eq in Eo'.
        destruct (in_dec Nat.eq_dec (c_id c) (c_anc d)) as [Ha|]; [|discriminate Ea].
        exists d. auto. }
      intros x Hx. unfold cancelled in Hx.
      destruct (s_via s x) as [v|] eqn:Ev; [|destruct (s_tstate s x); discriminate].
      destruct (s_tstate s x) as [| | |e b|e|srv|n|] eqn:Et; try discriminate Hx.
      all: destruct (Hg v e Hx) as [d [Hd [Ei [Eo' [Ee Ha]]]]].
      all: subst v; exists d; split; [exact Ev|]; split; [exact Hd|].
      all: split; [rewrite Et; simpl; congruence|].
      all: split; [exists c; split; [exact Hc|split; [auto|split; [congruence|intros ? []]]]|].
      all: right; exists (c_id c); split; [exists c; auto|exact Ha]. }
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch; try unch.
  destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|right]. split.
  - intros x Hx. left. apply in_table in Hx. simpl in Hx. apply in_table.
    rewrite in_revoke_caps in Hx. tauto.
  - intros y Hy. apply in_table in Hy. destruct Hy as [Hy Hys].
    destruct (in_dec Nat.eq_dec (c_id c) (c_anc y)) as [Hin|Hnin].
    + right. exists (c_id c). split; auto. exists c. auto.
    + left. apply in_table. simpl. rewrite in_revoke_caps. auto.
Qed.

(* ---------- Creating objects ---------- *)

Lemma int_create : forall s t sp k rts p r s',
  (forall sp', k = KThread sp' -> holds s sp sp' [RManage]) -> p <= s_prio s t ->
  create s sp k rts p = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp k rts p r s' Hk Hp H. unfold create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q]|] eqn:Esp;
    try (injection H as _ <-; apply coa_refl).
  destruct (s_accts s a) as [[lim u]|] eqn:Ea; [|injection H as _ <-; apply coa_refl].
  destruct (Nat.ltb lim (u + obj_size k)); [injection H as _ <-; apply coa_refl|].
  injection H as _ <-.
  intros l. destruct l as [o|a'|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - destruct (Nat.eq_dec o (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. split; [unfold fresh; lia|]. intros ob E. rewrite upd_eq in E.
    injection E as <-. simpl. split; [exists q; auto|exact Hk].
  - destruct (Nat.eq_dec a' a) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. split; [exists q; auto|]. exists lim, u, (u + obj_size k). rewrite upd_eq. auto.
  - destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|].
    exfalso. apply Hch. unfold table. simpl.
    destruct (Nat.eqb_spec sp sp'); [congruence|reflexivity].
  - destruct Hch as [Hch|Hch]; [|unch].
    destruct (Nat.eq_dec x (s_next s)) as [->|N]; [right; left; unfold fresh; lia|].
    rewrite upd_neq in Hch by auto. unch.
  - unch.
  - destruct (Nat.eq_dec n (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right; right. rewrite upd_eq. split; auto. left. unfold fresh. lia.
  - lia.
  - destruct (Nat.eq_dec x (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    rewrite upd_eq. split; [exact Hp|left; unfold fresh; lia].
  - destruct (Nat.eq_dec x (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. unfold fresh. lia.
  - destruct (Nat.eq_dec n (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right. rewrite upd_eq. split; auto. left. unfold fresh. lia.
  - destruct (Nat.eq_dec i (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right. rewrite upd_eq. split; auto. left. unfold fresh. lia.
Qed.

Lemma int_space_create : forall s t sp bytes r s',
  space_create s sp bytes = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp bytes r s' H. unfold space_create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q]|] eqn:Esp;
    try (injection H as _ <-; apply coa_refl).
  destruct (s_accts s a) as [[lim u]|] eqn:Ea; [|injection H as _ <-; apply coa_refl].
  destruct (Nat.ltb lim (u + (bytes + obj_size (KSpace 0))));
    [injection H as _ <-; apply coa_refl|].
  injection H as _ <-.
  intros l. destruct l as [o|a'|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - destruct (Nat.eq_dec o (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. split; [unfold fresh; lia|]. intros ob E. rewrite upd_eq in E.
    injection E as <-. simpl. split; [exists q; auto|intros sp' E; discriminate E].
  - destruct (Nat.eq_dec a' (S (s_next s))) as [->|N]; [right; left; unfold fresh; lia|].
    rewrite upd_neq in Hch by auto.
    destruct (Nat.eq_dec a' a) as [->|N']; [|rewrite upd_neq in Hch by auto; unch].
    left. split; [exists q; auto|]. eexists lim, u, _. rewrite upd_neq by auto.
    rewrite upd_eq. auto.
  - destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|].
    exfalso. apply Hch. unfold table. simpl.
    destruct (Nat.eqb_spec sp sp'); [congruence|reflexivity].
  - destruct (Nat.eq_dec x (s_next s)) as [->|N]; [right; left; unfold fresh; lia|].
    rewrite upd_neq in Hch by auto. unch.
  - unch.
  - unch.
  - lia.
  - destruct (Nat.eq_dec x (s_next s)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right; left. rewrite upd_eq. split; [unfold fresh; lia|split; reflexivity].
Qed.

Lemma int_thread_start : forall s t sp h r s',
  thread_start s sp h = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h r s' H. unfold thread_start in H.
  destruct (lookup_typed s sp h TThread [RManage]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (s_tstate s (c_obj c)) eqn:Es; injection H as _ <-; try apply coa_refl.
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - unch.
  - unch.
  - unch.
  - destruct Hch as [Hch|Hch]; [|unch].
    destruct (Nat.eq_dec x (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right; right; left. rewrite upd_eq. repeat split; auto. exists c. auto.
  - unch.
  - unch.
  - unch.
Qed.

(* thread_set_priority: only the priority of a thread sp holds with Manage, and never above
   the caller's own. *)
Lemma int_thread_set_priority : forall s t sp h p r s',
  thread_set_priority s t sp h p = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h p r s' H. unfold thread_set_priority in H.
  destruct (lookup_typed s sp h TThread [RManage]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (Nat.leb prio_count p); [injection H as _ <-; apply coa_refl|].
  destruct (Nat.ltb (s_prio s t) p) eqn:Elt; [injection H as _ <-; apply coa_refl|].
  apply Nat.ltb_ge in Elt. injection H as _ <-.
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try unch.
  destruct (Nat.eq_dec x (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
  rewrite upd_eq. split; [exact Elt|right; exists c; exact E].
Qed.

(* ---------- Notifications ---------- *)

Lemma int_signal : forall s t sp h r s',
  signal s sp h = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h r s' H. unfold signal in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (s_waiters s (c_obj c)) as [|w rest] eqn:Ew; injection H as _ <-;
    intros l; destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - destruct (Nat.eq_dec n (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. exists c. rewrite upd_eq. auto.
  - unch.
  - unch.
  - unch.
  - unch.
  - destruct Hch as [Hch|Hch]; [|unch].
    destruct (Nat.eq_dec x w) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right; right; right; left. exists (c_obj c). rewrite upd_eq.
    split; [left; rewrite Ew; left; auto|]. split; [left; exists c; auto|]. auto.
  - destruct (Nat.eq_dec o (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. rewrite upd_eq, Ew. split; [left; exists c; auto|left; auto].
  - unch.
  - unch.
Qed.

Lemma int_wait : forall s t sp h r s',
  wait s t sp h = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h r s' H. unfold wait in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (Nat.eqb (s_word s (c_obj c)) 0); injection H as _ <-;
    intros l; destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - unch.
  - unch.
  - unch.
  - destruct Hch as [Hch|Hch]; [|unch].
    destruct (Nat.eq_dec x t) as [->|N]; [left; auto|rewrite upd_neq in Hch by auto; unch].
  - destruct (Nat.eq_dec o (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. rewrite upd_eq. split; [right; exists c; auto|right; auto].
  - unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - destruct (Nat.eq_dec n (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right; left. rewrite upd_eq. split; auto. exists c. auto.
  - unch.
Qed.

Lemma int_poll : forall s t sp h r s',
  poll s sp h = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h r s' H. unfold poll in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E. injection H as _ <-.
  intros l; destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - unch.
  - destruct (Nat.eq_dec n (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right; left. rewrite upd_eq. split; auto. exists c. auto.
  - unch.
Qed.

(* ---------- IPC ---------- *)

(* What an IPC call may do: only threads, the queue of e (its head leaves, or t joins its
   end), with Send or Receive on e; a thread other than t is taken from e's queue, or was
   waiting for t's reply, or is unchanged. *)
Lemma coa_threads : forall s s' t sp e,
  (holds s sp e [RSend] \/ holds s sp e [RReceive]) ->
  s_objs s' = s_objs s -> s_accts s' = s_accts s -> s_caps s' = s_caps s ->
  s_word s' = s_word s -> s_next s' = s_next s -> s_prio s' = s_prio s ->
  s_handler s' = s_handler s -> s_timer s' = s_timer s -> s_irq s' = s_irq s ->
  s_pager s' = s_pager s -> s_maps s' = s_maps s ->
  (forall o, o <> e -> s_waiters s' o = s_waiters s o) ->
  (s_waiters s' e = s_waiters s e \/ s_waiters s' e = tl (s_waiters s e) \/
   s_waiters s' e = s_waiters s e ++ [t]) ->
  (forall x, x <> t ->
     (s_tstate s' x = s_tstate s x /\ s_caller s' x = s_caller s x) \/
     (queued_on s x e /\ (s_tstate s' x = Ready \/ s_tstate s' x = BlockedReply t) /\
      (s_caller s' x = s_caller s x \/ s_caller s' x = Some t)) \/
     (s_tstate s x = BlockedReply t /\ s_tstate s' x = Ready /\
      s_caller s' x = s_caller s x)) ->
  changed_only_authorised s s' t sp.
Proof.
  intros s s' t sp e Hh Ho Ha Hc Hw Hn Hp Hhd Htm Hir Hpg Hmp Hq He Ht l.
  destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try prio_unch;
    try (exfalso; rewrite Hhd in Hch; auto; fail); try (exfalso; rewrite Htm in Hch; auto; fail);
    try (exfalso; rewrite Hir in Hch; auto; fail);
    try (exfalso; unfold maps_of in Hch; rewrite Hpg, Hmp in Hch; tauto).
  - exfalso. rewrite Ho in Hch. auto.
  - exfalso. rewrite Ha in Hch. auto.
  - exfalso. unfold table in Hch. rewrite Hc in Hch. auto.
  - destruct (Nat.eq_dec x t) as [->|N]; [left; auto|].
    destruct (Ht x N) as [[E1 E2]|[[Q [T1 T2]]|[T1 [T2 T3]]]].
    + exfalso. destruct Hch as [Hch|Hch]; auto.
    + right; right; right; left. exists e. split; [auto|]. split; [|auto].
      destruct Hh; auto.
    + right; right; right; right; left. auto.
  - destruct (Nat.eq_dec o e) as [->|N]; [|exfalso; apply Hch; auto].
    left. split; auto. destruct He as [E|E]; [exfalso; auto|auto].
  - exfalso. rewrite Hw in Hch. auto.
  - exfalso. auto.
Qed.

Lemma int_send : forall s t sp h nb r s',
  send s t sp h nb = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h nb r s' H. unfold send in H.
  destruct (lookup_typed s sp h TEndpoint [RSend]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (receiver_head s (c_obj c)) as [[w rest]|] eqn:Er.
  - apply receiver_head_some in Er. destruct Er as [Ew _].
    injection H as _ <-. apply (coa_threads _ _ _ _ (c_obj c)); try reflexivity.
    + left. exists c. auto.
    + intros o N. simpl. rewrite upd_neq; auto.
    + right; left. simpl. rewrite upd_eq, Ew. reflexivity.
    + intros x Nt. simpl. destruct (Nat.eq_dec x w) as [->|N].
      * right; left. rewrite upd_eq. split; [left; rewrite Ew; left; auto|auto].
      * left. rewrite upd_neq; auto.
  - destruct nb; injection H as _ <-; [apply coa_refl|].
    apply (coa_threads _ _ _ _ (c_obj c)); try reflexivity.
    + left. exists c. auto.
    + intros o N. simpl. rewrite upd_neq; auto.
    + right; right. simpl. rewrite upd_eq. reflexivity.
    + intros x Nt. simpl. left. rewrite upd_neq; auto.
Qed.

Lemma int_ipc_call : forall s t sp h r s',
  ipc_call s t sp h = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h r s' H. unfold ipc_call in H.
  destruct (lookup_typed s sp h TEndpoint [RSend]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (receiver_head s (c_obj c)) as [[w rest]|] eqn:Er.
  - apply receiver_head_some in Er. destruct Er as [Ew _].
    injection H as _ <-. apply (coa_threads _ _ _ _ (c_obj c)); try reflexivity.
    + left. exists c. auto.
    + intros o N. simpl. rewrite upd_neq; auto.
    + right; left. simpl. rewrite upd_eq, Ew. reflexivity.
    + intros x Nt. simpl. rewrite (upd_neq _ _ t) by auto.
      destruct (Nat.eq_dec x w) as [->|N].
      * right; left. rewrite !upd_eq. split; [left; rewrite Ew; left; auto|auto].
      * left. rewrite !upd_neq; auto.
  - injection H as _ <-.
    apply (coa_threads _ _ _ _ (c_obj c)); try reflexivity.
    + left. exists c. auto.
    + intros o N. simpl. rewrite upd_neq; auto.
    + right; right. simpl. rewrite upd_eq. reflexivity.
    + intros x Nt. simpl. left. rewrite upd_neq; auto.
Qed.

(* The server t lets its caller go: the caller waited for t's reply. *)
Lemma drop_caller_facts : forall s t, wf s ->
  s_objs (drop_caller s t) = s_objs s /\ s_accts (drop_caller s t) = s_accts s /\
  s_caps (drop_caller s t) = s_caps s /\ s_word (drop_caller s t) = s_word s /\
  s_next (drop_caller s t) = s_next s /\ s_waiters (drop_caller s t) = s_waiters s /\
  s_caller (drop_caller s t) t = None /\
  forall x, x <> t ->
    (s_tstate (drop_caller s t) x = s_tstate s x /\
     s_caller (drop_caller s t) x = s_caller s x) \/
    (s_tstate s x = BlockedReply t /\ s_tstate (drop_caller s t) x = Ready /\
     s_caller (drop_caller s t) x = s_caller s x).
Proof.
  intros s t W. unfold drop_caller.
  destruct (s_caller s t) as [c|] eqn:Ec; simpl.
  - repeat split; auto; [apply upd_eq|]. intros x Nt. rewrite (upd_neq _ _ t) by auto.
    destruct (Nat.eq_dec x c) as [->|N].
    + right. rewrite upd_eq. split; auto. apply (tw_reply _ _ _ _ (wf_tw s W)). auto.
    + left. rewrite upd_neq; auto.
  - repeat split; auto.
Qed.

Lemma int_drop_caller : forall s t sp, wf s ->
  changed_only_authorised s (drop_caller s t) t sp.
Proof.
  intros s t sp W.
  destruct (drop_caller_facts s t W) as [Ho [Ha [Hc [Hw [Hn [Hq [_ Ht]]]]]]].
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try hd_unch; try prio_unch.
  - exfalso. rewrite Ho in Hch. auto.
  - exfalso. rewrite Ha in Hch. auto.
  - exfalso. unfold table in Hch. rewrite Hc in Hch. auto.
  - destruct (Nat.eq_dec x t) as [->|N]; [left; auto|].
    destruct (Ht x N) as [[E1 E2]|[T1 [T2 T3]]].
    + exfalso. destruct Hch as [Hch|Hch]; auto.
    + right; right; right; right; left. auto.
  - exfalso. rewrite Hq in Hch. auto.
  - exfalso. rewrite Hw in Hch. auto.
  - exfalso. auto.
Qed.

(* The receiving half, after the caller (if any) was let go. *)
Lemma int_take_sender : forall s t sp e v nb r s', wf s -> holds s sp e [RReceive] ->
  take_sender (drop_caller s t) t e v nb = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp e v nb r s' W Hh H.
  destruct (drop_caller_facts s t W) as [Ho [Ha [Hc [Hw [Hn [Hq [Hct Ht]]]]]]].
  unfold take_sender in H. set (s1 := drop_caller s t) in *.
  destruct (sender_head s1 e) as [[[w b] rest]|] eqn:Esh.
  - apply sender_head_some in Esh. rewrite Hq in Esh.
    destruct b; injection H as _ <-;
      (apply (coa_threads _ _ _ _ e);
         [right; exact Hh|simpl; auto|simpl; auto|simpl; auto|simpl; auto|simpl; auto|
          simpl; apply drop_caller_prio|simpl; apply drop_caller_handler|
          simpl; apply drop_caller_timer|simpl; apply drop_caller_irq|
          simpl; apply drop_caller_pager|simpl; apply drop_caller_maps| | | ]).
    (* a caller taken: it now waits for t's reply *)
    + intros o N. simpl. rewrite upd_neq by auto. rewrite Hq. reflexivity.
    + right; left. simpl. rewrite upd_eq, Esh. reflexivity.
    + intros x Nt. simpl. rewrite (upd_neq _ _ t) by auto.
      destruct (Nat.eq_dec x w) as [->|N].
      * right; left. split; [left; rewrite Esh; left; auto|]. rewrite !upd_eq.
        split; [right; auto|]. left.
        destruct (Ht w Nt) as [[_ E]|[_ [_ E]]]; exact E.
      * rewrite !upd_neq by auto. destruct (Ht x Nt) as [E|E]; [left|right; right]; exact E.
    (* a sender taken: it is Ready *)
    + intros o N. simpl. rewrite upd_neq by auto. rewrite Hq. reflexivity.
    + right; left. simpl. rewrite upd_eq, Esh. reflexivity.
    + intros x Nt. simpl. destruct (Nat.eq_dec x w) as [->|N].
      * right; left. split; [left; rewrite Esh; left; auto|]. rewrite !upd_eq.
        split; [left; auto|]. left.
        destruct (Ht w Nt) as [[_ E]|[_ [_ E]]]; exact E.
      * rewrite !upd_neq by auto. destruct (Ht x Nt) as [E|E]; [left|right; right]; exact E.
  - destruct nb; injection H as _ <-; [apply int_drop_caller; auto|].
    apply (coa_threads _ _ _ _ e); simpl; auto.
    + unfold s1. apply drop_caller_prio.
    + unfold s1. apply drop_caller_handler.
    + unfold s1. apply drop_caller_timer.
    + unfold s1. apply drop_caller_irq.
    + unfold s1. apply drop_caller_pager.
    + unfold s1. apply drop_caller_maps.
    + intros o N. rewrite upd_neq by auto. rewrite Hq. reflexivity.
    + right; right. rewrite upd_eq, Hq. reflexivity.
    + intros x Nt. rewrite upd_neq by auto. destruct (Ht x Nt) as [E|E]; [left|right; right];
        exact E.
Qed.

Lemma lookup_typed_drop : forall s t sp h ty need,
  lookup_typed (drop_caller s t) sp h ty need = lookup_typed s sp h ty need.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma drop_caller_twice : forall s t, drop_caller (drop_caller s t) t = drop_caller s t.
Proof.
  intros. unfold drop_caller at 1. destruct (s_caller s t) as [c|] eqn:Ec.
  - unfold drop_caller at 1. rewrite Ec. simpl. rewrite upd_eq.
    unfold drop_caller. rewrite Ec. reflexivity.
  - unfold drop_caller at 1. rewrite Ec. unfold drop_caller. rewrite Ec. reflexivity.
Qed.

Lemma int_recv : forall s t sp h nb r s', wf s ->
  recv s t sp h nb = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h nb r s' W H. unfold recv in H.
  destruct (lookup_typed s sp h TEndpoint [RReceive]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E. eapply int_take_sender; eauto. exists c. auto.
Qed.

Lemma int_reply_call : forall s t sp r s', wf s ->
  reply_call s t = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp r s' W H. unfold reply_call in H.
  destruct (s_caller s t); injection H as _ <-; [apply int_drop_caller; auto|apply coa_refl].
Qed.

Lemma int_reply_recv : forall s t sp h nb r s', wf s ->
  reply_recv s t sp h nb = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h nb r s' W H. unfold reply_recv, recv in H.
  rewrite lookup_typed_drop in H.
  destruct (lookup_typed s sp h TEndpoint [RReceive]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply int_drop_caller; auto).
  apply holds_lookup_typed in E. rewrite drop_caller_twice in H.
  eapply int_take_sender; eauto. exists c. auto.
Qed.

(* ---------- Syscall handlers ---------- *)

(* The handler capability goes into the table of the thread's space (which sp need not hold
   at all: Manage on the thread is the authority), and the thread's handler is set once. *)
Lemma int_thread_set_syscall_handler : forall s t sp ht he r s',
  thread_set_syscall_handler s sp ht he = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp ht he r s' H. unfold thread_set_syscall_handler in H.
  destruct (lookup_typed s sp ht TThread [RManage]) as [[ct|]|e] eqn:Et;
    try (injection H as _ <-; apply coa_refl).
  destruct (lookup_typed s sp he TEndpoint [RSend]) as [[src|]|e] eqn:Ee;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in Et. apply holds_lookup_typed in Ee.
  destruct (s_handler s (c_obj ct)) eqn:Eh; [injection H as _ <-; apply coa_refl|].
  destruct (s_objs s (c_obj ct)) as [[[| tsp | | | | | |] q]|] eqn:Eo;
    try (injection H as _ <-; apply coa_refl).
  destruct (space_ended s tsp); [injection H as _ <-; apply coa_refl|].
  injection H as _ <-.
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch; try tm_unch; try prio_unch; try unch.
  - destruct (Nat.eq_dec sp' sp) as [->|N]; [left; auto|right].
    destruct Ee as [Es1 [Es2 [_ Es4]]].
    split.
    + intros x Hx. apply in_table in Hx. simpl in Hx. destruct Hx as [[<-|Hx] Hxs].
      * right; right. simpl in Hxs. subst sp'.
        split; [right; exists (c_obj ct), q; split; [exists ct; exact Et|exact Eo]|].
        split; [unfold fresh; simpl; lia|].
        exists src. simpl. repeat split; auto. apply in_table. auto.
      * left. apply in_table. auto.
    + intros y Hy. left. apply in_table in Hy. apply in_table. simpl. tauto.
  - lia.
  - destruct (Nat.eq_dec x (c_obj ct)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    right. split; [exists ct; exact Et|]. split; [exact Eh|].
    exists (s_next s). split; [unfold fresh; lia|apply upd_eq].
Qed.

(* ---------- Timers ---------- *)

Lemma int_set_timer : forall s t sp h d r s',
  set_timer s sp h d = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h d r s' H. unfold set_timer in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E. injection H as _ <-.
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch;
    try hd_unch; try prio_unch; try unch.
  destruct (Nat.eq_dec n (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
  left. exists c. split; [exact E|]. rewrite upd_eq. destruct (Nat.eqb d 0); auto.
Qed.

(* ---------- Interrupts ---------- *)

Lemma int_irq_bind : forall s t sp hi hn r s',
  irq_bind s sp hi hn = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp hi hn r s' H. unfold irq_bind in H.
  destruct (lookup_typed s sp hi TIrq [RManage]) as [[ci|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  destruct (lookup_typed s sp hn TNotification [RSend]) as [[cn|]|e] eqn:E2;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E. apply holds_lookup_typed in E2. injection H as _ <-.
  set (s1 := mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
                     (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s)
                     (upd (s_irq s) (c_obj ci) (Some (c_obj cn, sig_bits cn))) (s_pager s) (s_maps s) (s_via s)).
  assert (I1 : changed_only_authorised s s1 t sp).
  { intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch;
      try tm_unch; try hd_unch; try prio_unch; try unch.
    destruct (Nat.eq_dec i (c_obj ci)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
    left. split; [exists ci; exact E|]. exists (c_obj cn), cn. split; [exact E2|].
    apply upd_eq. }
  (* the notification of the binding replaced dies if nothing holds it any more *)
  unfold release. destruct (s_irq s (c_obj ci)) as [[n b]|] eqn:Eb; [|exact I1].
  destruct (held s1 n) eqn:Eh; [exact I1|].
  pose proof (held_false_named _ _ Eh) as En.
  apply coa_destroy; auto.
  right. left. exists (c_obj ci), b. split; [exists ci; destruct E as [A [B [C _]]]|exact Eb].
  repeat split; auto. intros x [].
Qed.

(* ---------- Paging ---------- *)

Lemma int_space_set_pager : forall s t sp h m r s',
  space_set_pager s sp h m = (r, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp h m r s' H. unfold space_set_pager in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (Nat.eqb m pager_kernel || Nat.eqb m pager_handler) eqn:Em;
    [|injection H as _ <-; apply coa_refl].
  injection H as _ <-.
  intros l. destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try ir_unch;
    try tm_unch; try hd_unch; try prio_unch; try unch.
  destruct (Nat.eq_dec x (c_obj c)) as [->|N]; [|rewrite upd_neq in Hch by auto; unch].
  left. split; [exists c; exact E|]. rewrite upd_eq.
  apply orb_true_iff in Em. destruct Em as [Em|Em]; apply Nat.eqb_eq in Em; auto.
Qed.

(* ---------- Mappings ---------- *)

Lemma destroy_caller : forall s o x, s_caller (destroy s o) x = s_caller s x.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

(* The reap after an unmap (Spec.reap): each object of l that nothing holds any more dies;
   each is one sp may see die (a capability to it, or a mapping of it in a space sp holds with
   Manage: bound_held). The states in between differ from s only by objects that died. *)
Lemma coa_reap : forall l s s0 t sp,
  changed_only_authorised s s0 t sp ->
  (forall o, In o l -> holds s sp o [] \/ bound_held s sp o) ->
  (forall x, s_caller s0 x = s_caller s x) ->
  (forall x ob, s_objs s0 x = Some ob -> s_objs s x = Some ob /\ s_waiters s0 x = s_waiters s x) ->
  (forall x n, blocked_on (s_tstate s0 x) = Some n -> s_tstate s0 x = s_tstate s x) ->
  changed_only_authorised s (reap l s0) t sp.
Proof.
  unfold reap. induction l as [|o l IH]; intros s s0 t sp I0 Hl Hc Ho Hb; simpl; auto.
  destruct (held s0 o) eqn:Eh; [apply IH; auto; intros; apply Hl; right; auto|].
  destruct (s_objs s0 o) as [ob|] eqn:Eo.
  2:{ assert (destroy s0 o = s0) as -> by (unfold destroy; rewrite Eo; reflexivity).
      apply IH; auto. intros; apply Hl; right; auto. }
  destruct (Ho o ob Eo) as [Eo' Ew].
  apply IH.
  - apply coa_destroy; auto.
    + apply Hl. left. auto.
    + apply held_false_named. auto.
    + congruence.
    + intros x Bx. exact (Hb x o Bx).
  - intros; apply Hl; right; auto.
  - intros x. rewrite destroy_caller. auto.
  - intros x ob' E. destruct (destroy_objs_some _ _ _ _ E) as [E1 E2].
    destruct (Ho x ob' E1) as [E3 E4]. split; auto. congruence.
  - intros x n Bx. rewrite (destroy_blocked _ _ _ _ Bx).
    apply (Hb x n). rewrite <- (destroy_blocked _ _ _ _ Bx). exact Bx.
Qed.

Lemma filter_map_keep : forall (f : mapping -> mapping) y ms,
  (forall m, in_space y (f m) = in_space y m) -> (forall m, in_space y m = true -> f m = m) ->
  filter (in_space y) (map f ms) = filter (in_space y) ms.
Proof.
  intros f y ms H1 H2. induction ms as [|m ms IH]; simpl; auto. rewrite H1.
  destruct (in_space y m) eqn:E; [rewrite (H2 m E); f_equal|]; auto.
Qed.

Lemma filter_filter_keep : forall p y ms, (forall m, in_space y m = true -> p m = true) ->
  filter (in_space y) (filter p ms) = filter (in_space y) ms.
Proof.
  intros p y ms H. induction ms as [|m ms IH]; simpl; auto.
  destruct (p m) eqn:Ep; simpl; destruct (in_space y m) eqn:E; auto.
  - f_equal. auto.
  - rewrite (H m E) in Ep. discriminate.
Qed.

(* Only space x's mappings changed, through a Manage capability to x; the pager modes are
   kept. *)
Lemma coa_with_maps : forall s t sp x ms, holds s sp x [RManage] ->
  (forall y, y <> x -> filter (in_space y) ms = maps_of s y) ->
  changed_only_authorised s (with_maps s ms) t sp.
Proof.
  intros s t sp x ms Hx Ho l.
  destruct l as [o|a|sp'|y|o|n| |y|y|n|i|y]; simpl; intros Hch; try unch.
  destruct (Nat.eq_dec y x) as [->|N].
  - right; right. split; auto.
  - exfalso. destruct Hch as [Hch|Hch]; apply Hch; [reflexivity|]. apply (Ho y N).
Qed.

Lemma in_space_starts_in : forall x y vaddr e m, y <> x ->
  in_space y m = true -> starts_in x vaddr e m = false.
Proof.
  unfold in_space, starts_in. intros x y vaddr e m N E. apply Nat.eqb_eq in E.
  rewrite E. apply Nat.eqb_neq in N. rewrite N. reflexivity.
Qed.

Lemma int_map_call : forall s t sp hs hm vaddr first pages r res s',
  map_call s sp hs hm vaddr first pages r = (res, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp hs hm vaddr first pages r res s' H. unfold map_call in H. cbv zeta in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  split_matches H; injection H as _ <-; try apply coa_refl.
  apply (coa_with_maps _ _ _ (c_obj cs)); [exists cs; exact E|].
  intros y N. cbn [filter]. unfold in_space at 1. cbn [m_space].
  apply Nat.eqb_neq in N. rewrite Nat.eqb_sym, N. reflexivity.
Qed.

Lemma int_protect_call : forall s t sp hs vaddr pages r res s',
  protect_call s sp hs vaddr pages r = (res, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp hs vaddr pages r res s' H. unfold protect_call in H. cbv zeta in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  split_matches H; injection H as _ <-; try apply coa_refl.
  apply (coa_with_maps _ _ _ (c_obj cs)); [exists cs; exact E|].
  intros y N. unfold maps_of. apply filter_map_keep.
  - intros m. destruct (starts_in _ _ _ m); reflexivity.
  - intros m Ei. rewrite (in_space_starts_in _ _ _ _ _ N Ei). reflexivity.
Qed.

Lemma int_unmap_call : forall s t sp hs vaddr pages res s',
  unmap_call s sp hs vaddr pages = (res, s') -> changed_only_authorised s s' t sp.
Proof.
  intros s t sp hs vaddr pages res s' H. unfold unmap_call in H. cbv zeta in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|e] eqn:E;
    try (injection H as _ <-; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (range_error vaddr pages); [injection H as _ <-; apply coa_refl|].
  destruct (range_bad vaddr pages); [injection H as _ <-; apply coa_refl|].
  destruct (space_ended s (c_obj cs)); [injection H as _ <-; apply coa_refl|].
  destruct (covered _ _ _ _); injection H as _ <-; [apply coa_refl|].
  set (inr_ := starts_in (c_obj cs) vaddr (vaddr + pages * page_size)) in *.
  apply coa_reap; simpl; auto.
  - apply (coa_with_maps _ _ _ (c_obj cs)); [exists cs; exact E|].
    intros y N. unfold maps_of. apply filter_filter_keep.
    intros m Ei. unfold inr_. rewrite (in_space_starts_in _ _ _ _ _ N Ei). reflexivity.
  - intros o Ho. right. right. apply in_map_iff in Ho. destruct Ho as [m [Em Hm]].
    apply filter_In in Hm. destruct Hm as [Hm Es]. exists m. split; [exact Hm|].
    split; [exact Em|]. unfold inr_, starts_in in Es.
    apply andb_true_iff in Es. destruct Es as [Es _]. apply andb_true_iff in Es.
    destruct Es as [Es _]. apply Nat.eqb_eq in Es. rewrite Es. exists cs. exact E.
Qed.

(* ---------- Every call ---------- *)

(* ---------- Ending threads and processes ---------- *)

Lemma filter_notin : forall t l, ~ In t l -> filter (fun x => negb (Nat.eqb t x)) l = l.
Proof.
  intros t l. induction l as [|y l IH]; intros N; simpl; auto.
  destruct (Nat.eqb_spec t y) as [->|Ny]; [exfalso; apply N; left; auto|].
  simpl. rewrite IH; auto. intros Hin. apply N. right. auto.
Qed.

(* thread_exit of a thread whose space lives on: the caller is Dead (the caller itself), and
   the thread that waited for its reply is Ready (the reply relation). *)
Lemma int_kill_self : forall s t sp, wf s -> s_tstate s t = Running ->
  changed_only_authorised s (kill_threads s (Nat.eqb t)) t sp.
Proof.
  intros s t sp W Hr. destruct W as [C [O [T Bw]]].
  assert (Nq : forall o, ~ In t (s_waiters s o)).
  { intros o Hin. destruct (tw_waiters _ _ _ _ T o t Hin) as [_ Hb]. rewrite Hr in Hb.
    discriminate. }
  assert (Nc : forall x, s_caller s x <> Some t).
  { intros x E. apply (tw_reply _ _ _ _ T) in E. rewrite Hr in E. discriminate. }
  intros l. unfold kill_threads, with_threads.
  destruct l as [o|a|sp'|x|o|n| |x|x|n|i|x]; simpl; intros Hch; try pg_unch; try ir_unch;
    try tm_unch; try hd_unch; try prio_unch; try (rewrite filter_notin in Hch by auto); try unch.
  revert Hch. destruct (Nat.eqb t x) eqn:E; intros Hch.
  - apply Nat.eqb_eq in E. subst. left. reflexivity.
  - assert (Hcl : match s_caller s x with
                  | Some c => if Nat.eqb t c then None else Some c
                  | None => None
                  end = s_caller s x).
    { destruct (s_caller s x) as [c|] eqn:Ecl; auto.
      destruct (Nat.eqb t c) eqn:Ec; auto. apply Nat.eqb_eq in Ec. subst.
      exfalso. apply (Nc x). auto. }
    rewrite Hcl in *.
    destruct (s_tstate s x) as [| | |e b|e|srv|n|] eqn:Es; try unch.
    destruct (Nat.eqb t srv) eqn:Esrv; [|unch].
    apply Nat.eqb_eq in Esrv. subst srv. right; right; right; right; left. auto.
Qed.

(* ---------- Ending a process: the doomed subtree's authority ---------- *)

(* c with each of ids taken out of its ancestor list (deleting those capabilities: their
   children move up). *)
Definition strip_all (ids : list nat) (c : cap) : cap := fold_left (fun c d => strip d c) ids c.

(* A doomed space held o before the call: a capability to it, or an Irq bound to it, or a
   mapping of it in a space it holds with Manage (bound_held: as `killed` asks of sp), or a
   mapping of it in its own address space. *)
Definition doomed_held (s : state) (root o : nat) : Prop :=
  exists sp, doomed s root sp = true /\
    (holds s sp o [] \/ bound_held s sp o \/
     exists m, In m (s_maps s) /\ m_space m = sp /\ m_mem m = o).

(* d is the id of a capability of a space that ending root ends. *)
Definition doomed_id (s : state) (root d : nat) : Prop :=
  exists y, In y (s_caps s) /\ doomed s root (c_space y) = true /\ c_id y = d.

(* o died when root's subtree ended: an object that dies with its last capability, every
   capability that named it was a doomed space's, every mapping of it was in a doomed space,
   every Irq bound to it lost its binding, none names it afterwards, and a doomed space held
   it (coe_reap_fold proves this last part from no_garbage: the reap destroys what nothing
   holds, and before the call everything that can die was held). *)
Definition ended_obj (s s' : state) (root o : nat) : Prop :=
  (exists ob, s_objs s o = Some ob /\ reapable (o_kind ob) = true) /\
  s_objs s' o = None /\ (forall c, In c (s_caps s') -> c_obj c <> o) /\
  (forall c, In c (s_caps s) -> c_obj c = o -> doomed s root (c_space c) = true) /\
  (forall m, In m (s_maps s) -> m_mem m = o -> doomed s root (m_space m) = true) /\
  (forall i b, i < s_next s -> s_irq s i = Some (o, b) -> s_irq s' i = None) /\
  doomed_held s root o.

(* The changes that ending root's subtree may make (the header). *)
Definition authorised_end (s s' : state) (root : nat) (l : loc) : Prop :=
  match l with
  | LObj o => ended_obj s s' root o
  | LAcct a =>
      exists o ob, ended_obj s s' root o /\ s_objs s o = Some ob /\ o_acct ob = a /\
        exists lim u u', s_accts s a = Some (lim, u) /\ s_accts s' a = Some (lim, u') /\ u' <= u
  | LTable x =>
      (doomed s root x = true /\ table s' x = []) \/
      (exists ids, (forall d, In d ids -> doomed_id s root d) /\
                   table s' x = map (strip_all ids) (table s x))
  | LThread x =>
      (s_tstate s' x = s_tstate s x \/
       (dies_with s root x = true /\ s_tstate s' x = Dead) \/
       (s_tstate s' x = Ready /\
        ((exists y, s_tstate s x = BlockedReply y /\ dies_with s root y = true) \/
         (exists o, queued_on s x o /\ ended_obj s s' root o)))) /\
      (s_caller s' x = s_caller s x \/
       (s_caller s' x = None /\
        (dies_with s root x = true \/ exists c, s_caller s x = Some c /\ dies_with s root c = true)))
  | LQueue o =>
      (exists keep, (forall x, In x (s_waiters s o) -> keep x = false -> dies_with s root x = true) /\
                    s_waiters s' o = filter keep (s_waiters s o)) \/
      (ended_obj s s' root o /\ s_waiters s' o = [])
  | LWord n => ended_obj s s' root n /\ s_word s' n = 0
  | LTimer n => ended_obj s s' root n /\ s_timer s' n = None
  | LIrq i => ended_obj s s' root i /\ s_irq s' i = None
  | LPager x =>
      (* a doomed space's mappings go (the teardown unmaps them), its pager mode kept *)
      doomed s root x = true /\ s_pager s' x = s_pager s x /\ maps_of s' x = []
  | LNext | LPrio _ | LHandler _ => False
  end.

Definition changed_only_ended (s s' : state) (root : nat) : Prop :=
  forall l, changed s s' l -> authorised_end s s' root l.

(* ---------- list facts ---------- *)

Lemma filter_filter' : forall A (f g : A -> bool) l,
  filter g (filter f l) = filter (fun x => f x && g x) l.
Proof.
  intros A f g l. induction l as [|a l IH]; simpl; auto.
  destruct (f a); simpl; auto. destruct (g a); simpl; rewrite IH; auto.
Qed.

Lemma filter_true' : forall A (l : list A), filter (fun _ => true) l = l.
Proof. intros A l. induction l; simpl; congruence. Qed.

Lemma filter_all_true : forall A (f : A -> bool) l, (forall x, In x l -> f x = true) -> filter f l = l.
Proof.
  intros A f l. induction l as [|a l IH]; intros H; simpl; auto.
  rewrite (H a (or_introl eq_refl)). rewrite IH; auto. intros x Hx. apply H. right; auto.
Qed.

Lemma filter_all_false : forall A (f : A -> bool) l, (forall x, In x l -> f x = false) -> filter f l = [].
Proof.
  intros A f l. induction l as [|a l IH]; intros H; simpl; auto.
  rewrite (H a (or_introl eq_refl)). apply IH. intros x Hx. apply H. right; auto.
Qed.

Lemma strip_all_fields : forall ids c,
  c_id (strip_all ids c) = c_id c /\ c_space (strip_all ids c) = c_space c /\
  c_obj (strip_all ids c) = c_obj c.
Proof.
  induction ids as [|d ids IH]; intros c; simpl; auto.
  destruct (IH (strip d c)) as [A [B C]]. unfold strip_all in *. rewrite A, B, C. simpl. auto.
Qed.

Lemma map_strip_nil : forall l, map (strip_all []) l = l.
Proof. induction l; simpl; congruence. Qed.

Definition not_in_ids (ids : list nat) (c : cap) : bool := negb (existsb (Nat.eqb (c_id c)) ids).

Lemma del_all_eq : forall ids cs,
  del_all ids cs = map (strip_all ids) (filter (not_in_ids ids) cs).
Proof.
  induction ids as [|d ids IH]; intros cs.
  - unfold del_all, not_in_ids. simpl. rewrite filter_true', map_strip_nil. reflexivity.
  - unfold del_all. simpl. fold (del_all ids (del_caps d cs)). rewrite IH.
    unfold del_caps. clear IH. induction cs as [|c cs IH]; simpl; auto.
    unfold not_in_ids at 2. simpl. destruct (Nat.eqb (c_id c) d) eqn:E; simpl; auto.
    unfold not_in_ids at 1. simpl. destruct (existsb (Nat.eqb (c_id c)) ids); simpl; auto.
    rewrite IH. reflexivity.
Qed.

Lemma table_map_strip : forall ids x cs,
  filter (fun c => Nat.eqb (c_space c) x) (map (strip_all ids) (filter (not_in_ids ids) cs)) =
  map (strip_all ids) (filter (not_in_ids ids) (filter (fun c => Nat.eqb (c_space c) x) cs)).
Proof.
  intros ids x cs. induction cs as [|c cs IH]; simpl; auto.
  destruct (strip_all_fields ids c) as [_ [Hs _]].
  destruct (not_in_ids ids c) eqn:E1; destruct (Nat.eqb (c_space c) x) eqn:E2; simpl;
    rewrite ?Hs, ?E1, ?E2; simpl; rewrite ?IH; auto.
Qed.

Lemma doomed_id_cap : forall s root c, wf s -> In c (s_caps s) -> doomed_id s root (c_id c) ->
  doomed s root (c_space c) = true.
Proof.
  intros s root c W Hc [y [Hy [Hd Ei]]].
  assert (y = c) as -> by (apply (Properties.nodup_ids_eq (s_caps s)); auto; apply (cw_nodup _ (proj1 W))).
  exact Hd.
Qed.

(* ---------- monotone facts ---------- *)

Lemma ended_mono : forall s s0 s1 r o, ended_obj s s0 r o ->
  (s_objs s0 o = None -> s_objs s1 o = None) ->
  (forall c, In c (s_caps s1) -> exists c0, In c0 (s_caps s0) /\ c_obj c0 = c_obj c) ->
  (forall i, s_irq s0 i = None -> s_irq s1 i = None) -> ended_obj s s1 r o.
Proof.
  intros s s0 s1 r o [A [B [C [D [M [E G]]]]]] Ho Hc Hi. split; [exact A|]. split; [auto|].
  split; [|split; [exact D|split; [exact M|split; [|exact G]]]].
  - intros c Hc1 Eo. destruct (Hc c Hc1) as [c0 [Hc0 Ec0]]. apply (C c0 Hc0). congruence.
  - intros i b Hi1 Eb. apply Hi. apply (E i b Hi1 Eb).
Qed.

Lemma coe_refl : forall s r, changed_only_ended s s r.
Proof. intros s r l. destruct l; simpl; intros Hch; exfalso; try tauto. Qed.

(* Total forms: a thread's and a queue's rule holds whether or not it changed. *)
Lemma coe_thread : forall s s0 r x, changed_only_ended s s0 r -> authorised_end s s0 r (LThread x).
Proof.
  intros s s0 r x I0.
  destruct (tstate_eq_dec (s_tstate s0 x) (s_tstate s x)) as [E1|N1];
    [destruct (onat_eq_dec (s_caller s0 x) (s_caller s x)) as [E2|N2]|].
  - split; left; auto.
  - apply I0. simpl. auto.
  - apply I0. simpl. auto.
Qed.

Lemma coe_queue : forall s s0 r o, changed_only_ended s s0 r -> authorised_end s s0 r (LQueue o).
Proof.
  intros s s0 r o I0.
  destruct (nats_eq_dec (s_waiters s0 o) (s_waiters s o)) as [E|N]; [|apply I0; exact N].
  left. exists (fun _ => true). split; [intros x _ F; discriminate F|]. rewrite filter_true'. exact E.
Qed.

Lemma coe_blocked : forall s s0 r x o, changed_only_ended s s0 r ->
  blocked_on (s_tstate s0 x) = Some o -> s_tstate s0 x = s_tstate s x.
Proof.
  intros s s0 r x o I0 B. destruct (coe_thread s s0 r x I0) as [T _].
  destruct T as [E|[[_ E]|[E _]]]; auto; rewrite E in B; discriminate B.
Qed.

Lemma coe_next : forall s s0 r, changed_only_ended s s0 r -> s_next s0 = s_next s.
Proof.
  intros s s0 r I0. destruct (Nat.eq_dec (s_next s0) (s_next s)) as [E|N]; auto.
  destruct (I0 LNext N).
Qed.

Lemma coe_irq : forall s s0 r i, changed_only_ended s s0 r ->
  s_irq s0 i = s_irq s i \/ s_irq s0 i = None.
Proof.
  intros s s0 r i I0. destruct (option_eq_dec (s_irq s0 i) (s_irq s i)) as [E|N]; auto.
  right. exact (proj2 (I0 (LIrq i) N)).
Qed.

Lemma coe_objs : forall s s0 r o, changed_only_ended s s0 r ->
  s_objs s0 o = s_objs s o \/ s_objs s0 o = None.
Proof.
  intros s s0 r o I0. destruct (obj_eq_dec (s_objs s0 o) (s_objs s o)) as [E|N]; auto.
  right. exact (proj1 (proj2 (I0 (LObj o) N))).
Qed.

Lemma coe_kill : forall s s0 r f, changed_only_ended s s0 r ->
  (forall x, f x = true -> dies_with s r x = true) ->
  changed_only_ended s (kill_threads s0 f) r.
Proof.
  intros s s0 r f I0 Hf l.
  assert (KT : forall o, ended_obj s s0 r o -> ended_obj s (kill_threads s0 f) r o).
  { intros o K. apply (ended_mono _ _ _ _ _ K); simpl; auto. intros c Hc. exists c. auto. }
  destruct l as [o|a|x|x|o|n| |x|x|n|i|x]; intros Hch.
  - apply KT. exact (I0 (LObj o) Hch).
  - destruct (I0 (LAcct a) Hch) as [o [ob [K R]]]. exists o, ob. split; [apply KT; exact K|exact R].
  - destruct (I0 (LTable x) Hch) as [A|B]; [left; exact A|right; exact B].
  - destruct (coe_thread s s0 r x I0) as [T0 C0]. unfold kill_threads, with_threads. simpl. split.
    + destruct (f x) eqn:Fx; [right; left; split; auto|].
      remember (s_tstate s0 x) as st0 eqn:E0. symmetry in E0.
      destruct st0 as [| | |e b|e|srv|n|];
        try (destruct T0 as [T0|[T0|[T0 [T1|[o [Q K]]]]]];
             [left; exact T0|right; left; exact T0|right; right; split; [exact T0|left; exact T1]
             |right; right; split; [exact T0|right; exists o; split; [exact Q|apply KT; exact K]]]).
      destruct (f srv) eqn:Fs.
      * right; right. split; [reflexivity|]. left. exists srv. split; [|apply Hf; exact Fs].
        destruct T0 as [T0|[[_ T0]|[T0 _]]]; [congruence|discriminate|discriminate].
      * destruct T0 as [T0|[T0|[T0 [T1|[o [Q K]]]]]];
          [left; exact T0|right; left; exact T0|right; right; split; [exact T0|left; exact T1]
          |right; right; split; [exact T0|right; exists o; split; [exact Q|apply KT; exact K]]].
    + destruct (f x) eqn:Fx; [right; split; [reflexivity|left; apply Hf; exact Fx]|].
      destruct (s_caller s0 x) as [c|] eqn:E0.
      * destruct (f c) eqn:Fc; [|exact C0].
        right. split; [reflexivity|]. right. exists c. split; [|apply Hf; exact Fc].
        destruct C0 as [C0|[C0 _]]; congruence.
      * exact C0.
  - destruct (coe_queue s s0 r o I0) as [[keep [Hk E]]|[K E]]; simpl.
    + left. exists (fun x => keep x && negb (f x)). split.
      * intros x Hx F. apply andb_false_iff in F. destruct F as [F|F]; [apply Hk; auto|].
        apply Hf. destruct (f x); [reflexivity|discriminate F].
      * rewrite E. apply filter_filter'.
    + right. split; [apply KT; exact K|]. rewrite E. reflexivity.
  - destruct (I0 (LWord n) Hch) as [K E]. split; [apply KT; exact K|exact E].
  - exact (I0 LNext Hch).
  - exact (I0 (LPrio x) Hch).
  - exact (I0 (LHandler x) Hch).
  - destruct (I0 (LTimer n) Hch) as [K E]. split; [apply KT; exact K|exact E].
  - destruct (I0 (LIrq i) Hch) as [K E]. split; [apply KT; exact K|exact E].
  - exact (I0 (LPager x) Hch).
Qed.

Lemma coe_del_all : forall s s0 r ids, wf s -> changed_only_ended s s0 r ->
  s_caps s0 = s_caps s ->
  (forall d, In d ids -> doomed_id s r d) ->
  (forall c, In c (s_caps s) -> doomed s r (c_space c) = true -> In (c_id c) ids) ->
  changed_only_ended s (with_caps s0 (del_all ids (s_caps s0))) r.
Proof.
  intros s s0 r ids W I0 Ec Hids Hin l.
  assert (KT : forall o, ended_obj s s0 r o -> ended_obj s (with_caps s0 (del_all ids (s_caps s0))) r o).
  { intros o K. apply (ended_mono _ _ _ _ _ K); simpl; auto. intros c Hc.
    rewrite del_all_eq in Hc. apply in_map_iff in Hc. destruct Hc as [c0 [<- Hc0]].
    apply filter_In in Hc0. exists c0. split; [tauto|]. symmetry. apply strip_all_fields. }
  destruct l as [o|a|x|x|o|n| |x|x|n|i|x]; intros Hch.
  - apply KT. exact (I0 (LObj o) Hch).
  - destruct (I0 (LAcct a) Hch) as [o [ob [K R]]]. exists o, ob. split; [apply KT; exact K|exact R].
  - assert (Et : table (with_caps s0 (del_all ids (s_caps s0))) x =
                 map (strip_all ids) (filter (not_in_ids ids) (table s x))).
    { unfold table at 1. simpl. rewrite del_all_eq, table_map_strip, Ec. reflexivity. }
    simpl. rewrite Et.
    destruct (doomed s r x) eqn:Dx.
    + left. split; [reflexivity|]. rewrite filter_all_false; [reflexivity|].
      intros c Hc. apply in_table in Hc. destruct Hc as [Hc Hs]. unfold not_in_ids.
      apply negb_false_iff. apply existsb_exists. exists (c_id c). split; [|apply Nat.eqb_refl].
      apply Hin; auto. subst x; auto.
    + right. exists ids. split; [exact Hids|]. rewrite filter_all_true; [reflexivity|].
      intros c Hc. apply in_table in Hc. destruct Hc as [Hc Hs]. unfold not_in_ids.
      apply negb_true_iff. destruct (existsb _ ids) eqn:Ex; [|reflexivity].
      apply existsb_exists in Ex. destruct Ex as [d [Hd Ed]]. apply Nat.eqb_eq in Ed. subst d.
      pose proof (doomed_id_cap s r c W Hc (Hids _ Hd)). congruence.
  - destruct (coe_thread s s0 r x I0) as [T0 C0]. split; [|exact C0].
    destruct T0 as [T0|[T0|[T0 [T1|[o [Q K]]]]]];
      [left; exact T0|right; left; exact T0|right; right; split; [exact T0|left; exact T1]
      |right; right; split; [exact T0|right; exists o; split; [exact Q|apply KT; exact K]]].
  - destruct (coe_queue s s0 r o I0) as [A|[K E]]; [left; exact A|right; split; [apply KT; exact K|exact E]].
  - destruct (I0 (LWord n) Hch) as [K E]. split; [apply KT; exact K|exact E].
  - exact (I0 LNext Hch).
  - exact (I0 (LPrio x) Hch).
  - exact (I0 (LHandler x) Hch).
  - destruct (I0 (LTimer n) Hch) as [K E]. split; [apply KT; exact K|exact E].
  - destruct (I0 (LIrq i) Hch) as [K E]. split; [apply KT; exact K|exact E].
  - exact (I0 (LPager x) Hch).
Qed.

Lemma coe_destroy : forall s s0 r o, changed_only_ended s s0 r ->
  (forall c, In c (s_caps s) -> c_obj c = o -> doomed s r (c_space c) = true) ->
  (forall m, In m (s_maps s) -> m_mem m = o -> doomed s r (m_space m) = true) ->
  (forall i b, i < s_next s -> s_irq s i = Some (o, b) -> s_irq s0 i = None) ->
  named (s_caps s0) o = false ->
  (forall ob, s_objs s0 o = Some ob -> reapable (o_kind ob) = true -> doomed_held s r o) ->
  changed_only_ended s (destroy s0 o) r.
Proof.
  intros s s0 r o I0 Hd Hm Hi En Hdh.
  assert (KT : forall o', ended_obj s s0 r o' -> ended_obj s (destroy s0 o) r o').
  { intros o' K. apply (ended_mono _ _ _ _ _ K).
    - apply Properties.destroy_objs_none.
    - intros c Hc. rewrite Properties.destroy_caps in Hc. exists c. auto.
    - intros i E. unfold destroy. destruct (s_objs s0 o) as [ob|]; [|exact E].
      destruct (reapable (o_kind ob)); [|exact E]. simpl. unfold upd.
      destruct (Nat.eqb i o); auto. }
  assert (Bl : forall x o', blocked_on (s_tstate s0 x) = Some o' -> s_tstate s0 x = s_tstate s x)
    by (intros; eapply coe_blocked; eauto).
  destruct (s_objs s0 o) as [ob|] eqn:Eo0.
  2:{ unfold destroy. rewrite Eo0. exact I0. }
  assert (Eo : s_objs s o = Some ob).
  { destruct (coe_objs s s0 r o I0) as [E|E]; congruence. }
  destruct (reapable (o_kind ob)) eqn:Er.
  2:{ unfold destroy. rewrite Eo0, Er. exact I0. }
  assert (K : ended_obj s (destroy s0 o) r o).
  { split; [exists ob; auto|]. unfold destroy. rewrite Eo0, Er. simpl.
    split; [apply upd_eq|]. split; [apply named_false; exact En|]. split; [exact Hd|].
    split; [exact Hm|]. split; [|exact (Hdh ob eq_refl Er)].
    intros i b Hlt Eb. unfold upd. destruct (Nat.eqb i o); [reflexivity|]. apply (Hi i b Hlt Eb). }
  revert K KT. unfold destroy. rewrite Eo0, Er. intros K KT.
  intros l Hch. destruct l as [x|a|x|x|q|n| |x|x|n|i|x]; simpl in Hch |- *.
  - destruct (Nat.eq_dec x o) as [->|N]; [exact K|].
    rewrite upd_neq in Hch by exact N. apply KT. exact (I0 (LObj x) Hch).
  - unfold refund in Hch |- *. destruct (Nat.eqb_spec a (o_acct ob)) as [Ea|N]; [rewrite Ea in *|].
    + destruct (acct_eq_dec (s_accts s0 (o_acct ob)) (s_accts s (o_acct ob))) as [E0|N0].
      * rewrite E0 in Hch |- *. destruct (s_accts s (o_acct ob)) as [[lim u]|] eqn:Eac;
          [|exfalso; apply Hch; reflexivity].
        exists o, ob. split; [exact K|]. split; [exact Eo|]. split; [reflexivity|].
        exists lim, u, (u - obj_size (o_kind ob)). repeat split; auto. lia.
      * destruct (I0 (LAcct (o_acct ob)) N0) as [o' [ob' [Ko [Eo' [Ea2 [lim [u [u' [E1 [E2 Le]]]]]]]]]].
        exists o', ob'. split; [apply KT; exact Ko|]. split; [exact Eo'|].
        split; [exact Ea2|]. exists lim, u, (u' - obj_size (o_kind ob)). rewrite E2.
        repeat split; auto. lia.
    + destruct (I0 (LAcct a) Hch) as [o' [ob' [Ko R]]]. exists o', ob'. split; [apply KT; exact Ko|exact R].
  - destruct (I0 (LTable x) Hch) as [A|B]; [left; exact A|right; exact B].
  - destruct (coe_thread s s0 r x I0) as [T0 C0]. split; [|exact C0].
    destruct (blocked_on (s_tstate s0 x)) as [o'|] eqn:Eb.
    + destruct (Nat.eqb_spec o' o) as [->|N].
      * right; right. split; [reflexivity|]. right. exists o. split; [|exact K].
        right. rewrite <- (Bl x o Eb). exact Eb.
      * destruct T0 as [T0|[T0|[T0 [T1|[o2 [Q K2]]]]]];
          [left; exact T0|right; left; exact T0|right; right; split; [exact T0|left; exact T1]
          |right; right; split; [exact T0|right; exists o2; split; [exact Q|apply KT; exact K2]]].
    + destruct T0 as [T0|[T0|[T0 [T1|[o2 [Q K2]]]]]];
        [left; exact T0|right; left; exact T0|right; right; split; [exact T0|left; exact T1]
        |right; right; split; [exact T0|right; exists o2; split; [exact Q|apply KT; exact K2]]].
  - destruct (Nat.eq_dec q o) as [->|N]; [right; split; [exact K|apply upd_eq]|].
    rewrite upd_neq by exact N.
    destruct (coe_queue s s0 r q I0) as [A|[Kq E]]; [left; exact A|right; split; [apply KT; exact Kq|exact E]].
  - destruct (Nat.eq_dec n o) as [->|N]; [split; [exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LWord n) Hch) as [Kn E]. split; [apply KT; exact Kn|exact E].
  - exact (I0 LNext Hch).
  - exact (I0 (LPrio x) Hch).
  - exact (I0 (LHandler x) Hch).
  - destruct (Nat.eq_dec n o) as [->|N]; [split; [exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LTimer n) Hch) as [Kn E]. split; [apply KT; exact Kn|exact E].
  - destruct (Nat.eq_dec i o) as [->|N]; [split; [exact K|apply upd_eq]|].
    rewrite upd_neq in Hch |- * by exact N.
    destruct (I0 (LIrq i) Hch) as [Kn E]. split; [apply KT; exact Kn|exact E].
  - exact (I0 (LPager x) Hch).
Qed.

Lemma irq_bound_false : forall s n i b, irq_bound s n = false -> i < s_next s ->
  s_irq s i = Some (n, b) -> False.
Proof.
  intros s n i b H Hlt E. unfold irq_bound in H.
  assert (existsb (fun i => match s_irq s i with Some (n', _) => Nat.eqb n' n | None => false end)
                  (seq 0 (s_next s)) = true).
  { apply existsb_exists. exists i. split; [apply in_seq; lia|]. rewrite E. apply Nat.eqb_refl. }
  congruence.
Qed.

Lemma coe_reap_fold : forall s r C M, wf s -> no_garbage s ->
  (forall o, named C o = false -> forall c, In c (s_caps s) -> c_obj c = o ->
     doomed s r (c_space c) = true) ->
  (forall m, In m (s_maps s) -> doomed s r (m_space m) = false -> In m M) ->
  forall l s0, changed_only_ended s s0 r -> s_caps s0 = C -> s_maps s0 = M ->
  changed_only_ended s (fold_left (fun s o => if held s o then s else destroy s o) l s0) r /\
  s_caps (fold_left (fun s o => if held s o then s else destroy s o) l s0) = C /\
  s_maps (fold_left (fun s o => if held s o then s else destroy s o) l s0) = M.
Proof.
  intros s r C M W G HC HM l. induction l as [|o l IH]; intros s0 I0 Ec Em; simpl; [auto|].
  destruct (held s0 o) eqn:Eh; [apply IH; auto|].
  unfold held in Eh. apply orb_false_iff in Eh. destruct Eh as [Enb Ema].
  apply orb_false_iff in Enb. destruct Enb as [En Eb].
  assert (HMo : forall m, In m (s_maps s) -> m_mem m = o -> doomed s r (m_space m) = true).
  { intros m Hm Emo. destruct (doomed s r (m_space m)) eqn:D; [reflexivity|exfalso].
    pose proof (HM m Hm D) as HmM. rewrite <- Em in HmM. unfold mapped in Ema.
    assert (X : existsb (fun m => Nat.eqb (m_mem m) o) (s_maps s0) = true).
    { apply existsb_exists. exists m. split; [exact HmM|apply Nat.eqb_eq; exact Emo]. }
    congruence. }
  apply IH; [|rewrite Properties.destroy_caps; exact Ec|rewrite Garbage.destroy_maps; exact Em].
  apply coe_destroy; [exact I0| |exact HMo| |exact En|].
  - apply HC. rewrite <- Ec. exact En.
  - intros i b Hlt E. destruct (coe_irq s s0 r i I0) as [E0|E0]; [|exact E0].
    exfalso. apply (irq_bound_false s0 o i b Eb); [rewrite (coe_next s s0 r I0); exact Hlt|congruence].
  - (* no garbage: o was held, by a capability (a doomed space's: HC), by an Irq's binding,
       which went, so the Irq died, and a doomed space held that Irq, or by a mapping, which
       went, so it was a doomed space's (HM) *)
    intros ob Eo0 R.
    assert (Eo : s_objs s o = Some ob) by (destruct (coe_objs s s0 r o I0) as [E|E]; congruence).
    destruct G as [Ig Ag].
    destruct (proj1 (held_iff s o) (Ag o ob Eo R)) as [[c [Hc Hco]]|[[i [b [Hlt Hi]]]|[m [Hm Hmo]]]].
    + exists (c_space c). split; [apply (HC o); [rewrite <- Ec; exact En|exact Hc|exact Hco]|].
      left. exists c. split; [exact Hc|split; [reflexivity|split; [exact Hco|intros x []]]].
    + destruct (coe_irq s s0 r i I0) as [E0|E0].
      * exfalso. apply (irq_bound_false s0 o i b Eb);
          [rewrite (coe_next s s0 r I0); exact Hlt|congruence].
      * assert (Ch : changed s s0 (LIrq i)) by (simpl; rewrite E0, Hi; discriminate).
        destruct (I0 (LIrq i) Ch) as [[_ [_ [_ [Di _]]]] _].
        destruct (Ig i o b Hi) as [_ [_ [[l0 [q Eli]] _]]].
        destruct (proj1 (held_iff s i) (Ag i _ Eli eq_refl))
          as [[c [Hc Hci]]|[[j [b' [_ Hj]]]|[m [Hm Hmi]]]].
        -- exists (c_space c). split; [exact (Di c Hc Hci)|]. right; left; left. exists i, b.
           split; [|exact Hi].
           exists c. split; [exact Hc|split; [reflexivity|split; [exact Hci|intros x []]]].
        -- exfalso. destruct (Ig j i b' Hj) as [_ [_ [_ [q' Eq']]]]. congruence.
        -- exfalso. pose proof (mapped_unbound s m W Ig Hm) as U. rewrite Hmi in U. congruence.
    + exists (m_space m). split; [exact (HMo m Hm Hmo)|]. right; right. exists m. auto.
Qed.

(* The teardown's unmapping: the doomed spaces' mappings go. *)
Lemma coe_drop_maps : forall s s0 r f, changed_only_ended s s0 r -> s_maps s0 = s_maps s ->
  (forall m, f m = negb (doomed s r (m_space m))) ->
  changed_only_ended s (with_maps s0 (filter f (s_maps s0))) r.
Proof.
  intros s s0 r f I0 Em Hf l Hch.
  destruct l as [o|a|x|x|o|n| |x|x|n|i|x];
    [exact (I0 (LObj o) Hch)|exact (I0 (LAcct a) Hch)|exact (I0 (LTable x) Hch)
    |exact (I0 (LThread x) Hch)|exact (I0 (LQueue o) Hch)|exact (I0 (LWord n) Hch)
    |exact (I0 LNext Hch)|exact (I0 (LPrio x) Hch)|exact (I0 (LHandler x) Hch)
    |exact (I0 (LTimer n) Hch)|exact (I0 (LIrq i) Hch)|].
  assert (P0 : s_pager s0 x = s_pager s x).
  { destruct (Nat.eq_dec (s_pager s0 x) (s_pager s x)) as [E|N]; [exact E|].
    exact (proj1 (proj2 (I0 (LPager x) (or_introl N)))). }
  simpl in Hch |- *. unfold maps_of in *. simpl in *. rewrite Em in *.
  rewrite filter_filter' in *.
  assert (Ef : forall m, f m && in_space x m = if doomed s r x then false else in_space x m).
  { intros m. rewrite Hf. unfold in_space. destruct (Nat.eqb_spec (m_space m) x) as [<-|];
      [destruct (doomed s r (m_space m)); reflexivity|].
    rewrite andb_false_r. destruct (doomed s r x); reflexivity. }
  destruct (doomed s r x) eqn:Dx.
  - split; [reflexivity|]. split; [exact P0|]. apply filter_all_false. intros m _. apply Ef.
  - exfalso. rewrite P0 in Hch. destruct Hch as [Hch|Hch]; [apply Hch; reflexivity|].
    apply Hch. apply filter_ext. exact Ef.
Qed.

Lemma coe_terminate : forall s s0 r, wf s -> no_garbage s -> changed_only_ended s s0 r ->
  s_caps s0 = s_caps s -> s_maps s0 = s_maps s ->
  (forall x, doomed s0 r x = doomed s r x) ->
  (forall x, dies_with s0 r x = true -> dies_with s r x = true) ->
  changed_only_ended s (terminate s0 r) r.
Proof.
  intros s s0 r W G I0 Ec Em Ed Edw. unfold terminate.
  set (s1 := kill_threads s0 (dies_with s0 r)).
  assert (I1 : changed_only_ended s s1 r) by (apply coe_kill; auto).
  set (s2 := with_maps s1 (filter (fun m => negb (doomed s0 r (m_space m))) (s_maps s1))).
  assert (I1' : changed_only_ended s s2 r).
  { apply coe_drop_maps; [exact I1|exact Em|]. intros m. rewrite Ed. reflexivity. }
  set (gone := map c_id (filter (fun c => doomed s0 r (c_space c)) (s_caps s2))).
  assert (Ec1 : s_caps s2 = s_caps s) by exact Ec.
  assert (I2 : changed_only_ended s (with_caps s2 (del_all gone (s_caps s2))) r).
  { apply coe_del_all; auto.
    - intros d Hd. unfold gone in Hd. apply in_map_iff in Hd. destruct Hd as [y [<- Hy]].
      apply filter_In in Hy. rewrite Ec1 in Hy. exists y. rewrite <- Ed. tauto.
    - intros c Hc Hdc. unfold gone. apply in_map. apply filter_In. rewrite Ec1, Ed. auto. }
  set (C := del_all gone (s_caps s2)).
  assert (HC : forall o, named C o = false -> forall c, In c (s_caps s) -> c_obj c = o ->
                 doomed s r (c_space c) = true).
  { intros o En c Hc Eo. destruct (doomed s r (c_space c)) eqn:Dc; [reflexivity|exfalso].
    apply (named_false _ _ En (strip_all gone c)); [|rewrite (proj2 (proj2 (strip_all_fields gone c))); exact Eo].
    unfold C. rewrite del_all_eq. apply in_map. apply filter_In. rewrite Ec1. split; [exact Hc|].
    unfold not_in_ids. apply negb_true_iff. destruct (existsb _ gone) eqn:Ex; [|reflexivity].
    apply existsb_exists in Ex. destruct Ex as [d [Hd E]]. apply Nat.eqb_eq in E. subst d.
    unfold gone in Hd. apply in_map_iff in Hd. destruct Hd as [y [Ey Hy]].
    apply filter_In in Hy. rewrite Ec1, Ed in Hy.
    rewrite (doomed_id_cap s r c W Hc (ex_intro _ y (conj (proj1 Hy) (conj (proj2 Hy) Ey)))) in Dc.
    discriminate Dc. }
  set (M := s_maps s2).
  assert (HM : forall m, In m (s_maps s) -> doomed s r (m_space m) = false -> In m M).
  { intros m Hm Dm. unfold M, s2. simpl. apply filter_In. split.
    - unfold s1. simpl. rewrite Em. exact Hm.
    - rewrite Ed, Dm. reflexivity. }
  destruct (coe_reap_fold s r C M W G HC HM (seq 0 (s_next (with_caps s2 C))) _ I2 eq_refl eq_refl)
    as [I3 [E3 M3]].
  unfold reap_pass, reap. fold C.
  exact (proj1 (coe_reap_fold s r C M W G HC HM _ _ I3 E3 M3)).
Qed.

Lemma below_objs : forall s s', s_objs s' = s_objs s -> s_next s' = s_next s ->
  forall fuel r o, below s' fuel r o = below s fuel r o.
Proof.
  intros s s' Eo En.
  assert (Hp : forall o, parent_of s' o = parent_of s o).
  { intros o. unfold parent_of, space_acct. rewrite Eo, En. reflexivity. }
  induction fuel as [|f IH]; intros r o; simpl; auto. rewrite Hp.
  destruct (parent_of s o); auto. rewrite IH. reflexivity.
Qed.

(* The caller's own death (thread_exit's first half) leaves every space's entry as it was:
   t is a thread, not a space. *)
Lemma space_ended_kill_self : forall s t x sp q a q',
  s_objs s t = Some (mkObj (KThread sp) q) -> s_objs s x = Some (mkObj (KSpace a) q') ->
  space_ended (kill_threads s (Nat.eqb t)) x = space_ended s x.
Proof.
  intros s t x sp q a q' Et Ex. unfold space_ended, kill_threads, with_threads. simpl.
  destruct (Nat.eqb_spec t x) as [->|N]; [congruence|].
  destruct (s_tstate s x); auto. destruct (Nat.eqb t server); auto.
Qed.

Lemma doomed_kill_self : forall s t sp q r x,
  s_objs s t = Some (mkObj (KThread sp) q) ->
  doomed (kill_threads s (Nat.eqb t)) r x = doomed s r x.
Proof.
  intros s t sp q r x Et. unfold doomed.
  change (s_objs (kill_threads s (Nat.eqb t))) with (s_objs s).
  destruct (s_objs s x) as [[k q']|] eqn:Ex; auto. destruct k; auto.
  rewrite (space_ended_kill_self s t x sp q acct q' Et Ex).
  rewrite (below_objs s (kill_threads s (Nat.eqb t)) eq_refl eq_refl). reflexivity.
Qed.

Lemma dies_with_kill_self : forall s t sp q r x,
  s_objs s t = Some (mkObj (KThread sp) q) ->
  dies_with (kill_threads s (Nat.eqb t)) r x = dies_with s r x.
Proof.
  intros s t sp q r x Et. unfold dies_with. rewrite (doomed_kill_self s t sp q r x Et).
  change (s_objs (kill_threads s (Nat.eqb t))) with (s_objs s).
  destruct (s_objs s x) as [[k q']|]; auto. destruct k; auto.
  rewrite (doomed_kill_self s t sp q r space Et). reflexivity.
Qed.

(* cap_delete of the last reference to a live space (its last capability, or the last
   capability to the last unstarted thread holding it): the deletion is sp's to make, and the
   space ends from the state after it (Spec.drop_ref: Space::destroy's terminate(0)), every
   further change one the ending of that subtree allows. *)
Lemma int_cap_delete_all : forall s t sp h r s', wf s -> no_garbage s ->
  cap_delete s sp h = (r, s') -> changed_only_authorised s s' t sp \/
  exists c, lookup s sp h = Some c /\
    changed_only_authorised s (with_caps s (del_caps (c_id c) (s_caps s))) t sp /\
    exists root, space_ended (with_caps s (del_caps (c_id c) (s_caps s))) root = false /\
      space_held (with_caps s (del_caps (c_id c) (s_caps s))) root = false /\
      changed_only_ended (with_caps s (del_caps (c_id c) (s_caps s))) s' root.
Proof.
  intros s t sp h r s' W G H.
  destruct (int_cap_delete s t sp h r s' W G H) as [I|[c [root [El [I1 [G1 [Ee [Eh ->]]]]]]]];
    [left; exact I|right].
  exists c. split; [exact El|]. split; [exact I1|]. exists root. split; [exact Ee|].
  split; [exact Eh|]. apply coe_terminate; auto using coe_refl.
  apply wf_with_caps; [exact (proj2 W)|apply caps_wf_del; exact (proj1 W)].
Qed.

(* Who may end which process: its own (process_exit, the last thread_exit), or one it holds
   with Manage (process_terminate). *)
Definition ends (s : state) (sp root : nat) : Prop := root = sp \/ holds s sp root [RManage].

Lemma int_process_exit : forall s sp r s', wf s -> no_garbage s -> process_exit s sp = (r, s') ->
  changed_only_ended s s' sp.
Proof.
  intros s sp r s' W G H. injection H as _ <-.
  apply coe_terminate; auto using coe_refl.
Qed.

Lemma int_process_terminate : forall s t sp h r s', wf s -> no_garbage s -> process_terminate s t sp h = (r, s') ->
  changed_only_authorised s s' t sp \/ exists root, ends s sp root /\ changed_only_ended s s' root.
Proof.
  intros s t sp h r s' W G H. unfold process_terminate in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|e] eqn:E;
    try (injection H as _ <-; left; apply coa_refl).
  apply holds_lookup_typed in E.
  destruct (space_ended s (c_obj c)); [injection H as _ <-; left; apply coa_refl|].
  injection H as _ <-. right. exists (c_obj c). split; [right; exists c; exact E|].
  apply coe_terminate; auto using coe_refl.
Qed.

Lemma int_thread_exit_all : forall s t sp r s', wf s -> no_garbage s -> caller_space s t = Some sp ->
  thread_exit s t sp = (r, s') ->
  changed_only_authorised s s' t sp \/ changed_only_ended s s' sp.
Proof.
  intros s t sp r s' W G Hc H. unfold thread_exit in H. injection H as _ <-.
  apply caller_space_some in Hc. destruct Hc as [Hr [q Et]].
  destruct (_ || _) eqn:E; [left; apply int_kill_self; auto|right].
  apply orb_false_iff in E. destruct E as [_ Ee].
  destruct (ow_thread_space _ (proj1 (proj2 W)) t sp q Et) as [a [q' Es]].
  rewrite (space_ended_kill_self s t sp sp q a q' Et Es) in Ee.
  apply coe_terminate; auto.
  - apply coe_kill; [apply coe_refl|]. intros x Hx. apply Nat.eqb_eq in Hx. subst x.
    unfold dies_with. rewrite Et. apply orb_true_iff. right.
    unfold doomed. rewrite Es, Ee. simpl.
    destruct (s_next s); simpl; rewrite Nat.eqb_refl; reflexivity.
  - intros x. apply (doomed_kill_self s t sp q). exact Et.
  - intros x. rewrite (dies_with_kill_self s t sp q sp x Et). auto.
Qed.

(* The calls that may end a process: thread_exit (by the last live thread of its space),
   process_exit, process_terminate. *)
Definition ending_call (k : call) : bool :=
  match k with ThreadExit | ProcessExit | ProcessTerminate _ => true | _ => false end.

(* cap_delete of the last reference to a live space (dropped_last): sp deleted its capability
   c (every change up to there is sp's to make) and the space root, alive, is then held by
   nothing (no capability names it, no started or named thread of it is left: Spec.space_held),
   so it ends (Space::destroy) and every further change is one the ending of root's subtree
   allows, from the state after the deletion (`s1`). *)
Definition after_delete (s : state) (c : cap) : state :=
  with_caps s (del_caps (c_id c) (s_caps s)).

Definition dropped_last (s s' : state) (t sp : nat) (k : call) : Prop :=
  exists h c, k = CapDelete h /\ lookup s sp h = Some c /\
    changed_only_authorised s (after_delete s c) t sp /\
    exists root, space_ended (after_delete s c) root = false /\
      space_held (after_delete s c) root = false /\
      changed_only_ended (after_delete s c) s' root.

(* Integrity: every change a call by the running thread t of space sp makes is one that
   sp's capabilities (before the call) authorise, in the way their rights allow; or the call
   ends a process sp may end (its own, or one it holds with Manage: `ends`), and every change
   is one that the doomed subtree's authority allows (`authorised_end`). In a state that is
   wf and has no garbage (Invariant.init_wf, step_preserves_wf, Garbage.init_no_garbage,
   step_preserves_no_garbage: every state reached from init). *)
Theorem integrity : forall s t k r s' sp, wf s -> no_garbage s ->
  caller_space s t = Some sp -> step s t k = (r, s') ->
  changed_only_authorised s s' t sp \/
  (ending_call k = true /\ exists root, ends s sp root /\ changed_only_ended s s' root) \/
  dropped_last s s' t sp k.
Proof.
  intros s t k r s' sp W G Hc H. unfold step in H. rewrite Hc in H.
  destruct k; simpl in H; [left|left|idtac|left .. | idtac | idtac | idtac].
  - eapply int_cap_derive; eauto.
  - eapply int_cap_copy_to; eauto.
  - destruct (int_cap_delete_all s t sp h r s' W G H) as [I|[c X]]; [left; exact I|].
    right; right. exists h, c. split; [reflexivity|exact X].
  - eapply int_cap_revoke; eauto.
  - unfold cap_info in H. split_matches H; injection H as _ <-; apply coa_refl.
  - revert H. apply int_create; [intros sp' E; discriminate E|lia].
  - revert H. apply int_create; [intros sp' E; discriminate E|lia].
  - unfold memory_create in H. destruct (_ || _ || _);
      [injection H as _ <-; apply coa_refl|].
    revert H. apply int_create; [intros sp' E; discriminate E|lia].
  - unfold memory_clone in H.
    destruct (lookup_typed s sp source TMemory [RRead]) as [[c|]|e];
      try (injection H as _ <-; apply coa_refl).
    destruct (s_objs s (c_obj c)) as [[[| | | |pages| | |] q]|];
      try (injection H as _ <-; apply coa_refl).
    revert H. apply int_create; [intros sp' E; discriminate E|lia].
  - eapply int_signal; eauto.
  - eapply int_wait; eauto.
  - eapply int_poll; eauto.
  - unfold quota_info in H. split_matches H; injection H as _ <-; apply coa_refl.
  - eapply int_ipc_call; eauto.
  - eapply int_reply_recv; eauto.
  - eapply int_send; eauto.
  - eapply int_recv; eauto.
  - eapply int_reply_call; eauto.
  - eapply int_space_create; eauto.
  - unfold thread_create in H.
    destruct (lookup_typed s sp space TSpace [RManage]) as [[c|]|e] eqn:E;
      try (injection H as _ <-; apply coa_refl).
    apply holds_lookup_typed in E.
    destruct (space_ended s (c_obj c)); [injection H as _ <-; apply coa_refl|].
    destruct entry_ok; [|injection H as _ <-; apply coa_refl].
    eapply int_create; [| |exact H]; [|lia]. intros sp' Ek. injection Ek as <-. exists c.
    exact E.
  - eapply int_thread_start; eauto.
  - unfold yield in H. injection H as _ <-. apply coa_refl.
  - eapply int_thread_set_priority; eauto.
  - eapply int_thread_set_syscall_handler; eauto.
  - eapply int_set_timer; eauto.
  - unfold irq_create in H.
    destruct (lookup_typed s sp h TIrqControl [RManage]) as [[c|]|e];
      try (injection H as _ <-; apply coa_refl).
    destruct (negb available); [injection H as _ <-; apply coa_refl|].
    destruct (line_owned s line); [injection H as _ <-; apply coa_refl|].
    revert H. apply int_create; [intros sp' E; discriminate E|lia].
  - eapply int_irq_bind; eauto.
  - injection H as _ <-. apply coa_refl.
  - eapply int_space_set_pager; eauto.
  - injection H as _ <-. apply coa_refl.
  - eapply int_map_call; eauto.
  - eapply int_unmap_call; eauto.
  - eapply int_protect_call; eauto.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - injection H as _ <-. apply coa_refl.
  - destruct (int_thread_exit_all s t sp r s' W G Hc H) as [I|I]; [left; exact I|right; left].
    split; [reflexivity|]. exists sp. split; [left; reflexivity|exact I].
  - right; left. split; [reflexivity|]. exists sp. split; [left; reflexivity|].
    eapply int_process_exit; eauto.
  - destruct (int_process_terminate s t sp space r s' W G H) as [I|I]; [left; exact I|right; left].
    split; [reflexivity|exact I].
Qed.

(* A call by a thread that is not running changes nothing. *)
Theorem integrity_refused : forall s t k r s',
  caller_space s t = None -> step s t k = (r, s') -> s' = s.
Proof. intros s t k r s' Hc H. unfold step in H. rewrite Hc in H. congruence. Qed.

(* ---------- The other way round: what sp cannot reach is unchanged ---------- *)


(* The diff sees every field of the state: a pair of states that differ at no location
   agree on every object, account, table, thread, queue, word and the counter (tables as
   lists; only the interleaving of different tables in the one list of capabilities is
   not a location). *)
Lemma diff_complete : forall s s', (forall l, ~ changed s s' l) ->
  (forall o, s_objs s' o = s_objs s o) /\ (forall a, s_accts s' a = s_accts s a) /\
  (forall sp, table s' sp = table s sp) /\
  (forall x, s_tstate s' x = s_tstate s x /\ s_caller s' x = s_caller s x) /\
  (forall o, s_waiters s' o = s_waiters s o) /\ (forall n, s_word s' n = s_word s n) /\
  s_next s' = s_next s /\ (forall x, s_prio s' x = s_prio s x) /\
  (forall x, s_handler s' x = s_handler s x) /\ (forall n, s_timer s' n = s_timer s n) /\
  (forall i, s_irq s' i = s_irq s i) /\ (forall x, s_pager s' x = s_pager s x) /\
  (forall x, maps_of s' x = maps_of s x).
Proof.
  intros s s' H.
  split; [|split; [|split; [|split; [|split; [|split; [|split; [|split; [|split; [|split; [|split; [|split]]]]]]]]]]].
  - intros o. destruct (obj_eq_dec (s_objs s' o) (s_objs s o)) as [E|N]; [exact E|].
    exfalso. exact (H (LObj o) N).
  - intros a. destruct (acct_eq_dec (s_accts s' a) (s_accts s a)) as [E|N]; [exact E|].
    exfalso. exact (H (LAcct a) N).
  - intros sp. destruct (list_eq_dec cap_eq_dec (table s' sp) (table s sp)) as [E|N];
      [exact E|].
    exfalso. exact (H (LTable sp) N).
  - intros x. split.
    + destruct (tstate_eq_dec (s_tstate s' x) (s_tstate s x)) as [E|N]; [exact E|].
      exfalso. exact (H (LThread x) (or_introl N)).
    + destruct (onat_eq_dec (s_caller s' x) (s_caller s x)) as [E|N]; [exact E|].
      exfalso. exact (H (LThread x) (or_intror N)).
  - intros o. destruct (nats_eq_dec (s_waiters s' o) (s_waiters s o)) as [E|N]; [exact E|].
    exfalso. exact (H (LQueue o) N).
  - intros n. destruct (Nat.eq_dec (s_word s' n) (s_word s n)) as [E|N]; [exact E|].
    exfalso. exact (H (LWord n) N).
  - destruct (Nat.eq_dec (s_next s') (s_next s)) as [E|N]; [exact E|].
    exfalso. exact (H LNext N).
  - intros x. destruct (Nat.eq_dec (s_prio s' x) (s_prio s x)) as [E|N]; [exact E|].
    exfalso. exact (H (LPrio x) N).
  - intros x. destruct (onat_eq_dec (s_handler s' x) (s_handler s x)) as [E|N]; [exact E|].
    exfalso. exact (H (LHandler x) N).
  - intros n. destruct (onat_eq_dec (s_timer s' n) (s_timer s n)) as [E|N]; [exact E|].
    exfalso. exact (H (LTimer n) N).
  - intros i. destruct (option_eq_dec (s_irq s' i) (s_irq s i)) as [E|N]; [exact E|].
    exfalso. exact (H (LIrq i) N).
  - intros x. destruct (Nat.eq_dec (s_pager s' x) (s_pager s x)) as [E|N]; [exact E|].
    exfalso. exact (H (LPager x) (or_introl N)).
  - intros x. destruct (list_eq_dec mapping_eq_dec (maps_of s' x) (maps_of s x)) as [E|N];
      [exact E|].
    exfalso. exact (H (LPager x) (or_intror N)).
Qed.

Lemma holds_any : forall s sp o need, holds s sp o need -> holds s sp o [].
Proof. intros s sp o need [c [H1 [H2 [H3 _]]]]. exists c. repeat split; auto. intros x []. Qed.

Lemma holds_cap_any : forall s sp o need c, holds_cap s sp o need c -> holds s sp o [].
Proof. intros. apply (holds_any _ _ _ need). exists c. auto. Qed.

Lemma killed_holds : forall s s' sp o, killed s s' sp o -> holds s sp o [] \/ bound_held s sp o.
Proof. intros s s' sp o [H _]. exact H. Qed.

(* An existing object that sp holds no capability to (nor an Irq bound to it), that is not
   the caller, not waiting on (queued on) anything sp holds a capability to (or an Irq bound
   to), and not waiting for the caller's reply, is unchanged by the call: its record, its
   state, caller and priority as a thread, its queue, word and timer, its pager mode as a
   space. *)
Lemma coa_object_unchanged : forall s s' t sp o, changed_only_authorised s s' t sp ->
  o < s_next s -> o <> t -> ~ holds s sp o [] -> ~ bound_held s sp o ->
  (forall o', queued_on s o o' -> ~ holds s sp o' [] /\ ~ bound_held s sp o') ->
  s_tstate s o <> BlockedReply t ->
  s_objs s' o = s_objs s o /\ s_tstate s' o = s_tstate s o /\
  s_caller s' o = s_caller s o /\ s_waiters s' o = s_waiters s o /\
  s_word s' o = s_word s o /\ s_prio s' o = s_prio s o /\ s_handler s' o = s_handler s o /\
  s_timer s' o = s_timer s o /\ s_pager s' o = s_pager s o.
Proof.
  intros s s' t sp o I Hlt Ht Hno Hnb Hq Hr.
  assert (Nf : ~ fresh s o) by (unfold fresh; lia).
  split; [|split; [|split; [|split; [|split; [|split; [|split; [|split]]]]]]].
  - destruct (obj_eq_dec (s_objs s' o) (s_objs s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LObj o) N) as [[F _]|K];
      [exact (Nf F)|destruct (killed_holds _ _ _ _ K) as [X|X]; [exact (Hno X)|exact (Hnb X)]].
  - destruct (tstate_eq_dec (s_tstate s' o) (s_tstate s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LThread o) (or_introl N))
      as [E|[F|[[Hm _]|[[o' [Q [R _]]]|[[Hb _]|[[Hd _]|[[c [_ [_ [Hbv [Hh _]]]]] _]]]]]]].
    + exact (Ht E).
    + exact (Nf F).
    + exact (Hno (holds_any _ _ _ _ Hm)).
    + destruct (Hq o' Q) as [Hq1 Hq2]. destruct R as [R|[R|R]];
        [exact (Hq1 (holds_any _ _ _ _ R))|exact (Hq1 (holds_any _ _ _ _ R))|].
      destruct (killed_holds _ _ _ _ R) as [X|X]; [exact (Hq1 X)|exact (Hq2 X)].
    + exact (Hr Hb).
    + exact (Hno (holds_any _ _ _ _ Hd)).
    + exact (proj1 (Hq (c_obj c) (or_intror Hbv)) Hh).
  - destruct (onat_eq_dec (s_caller s' o) (s_caller s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LThread o) (or_intror N))
      as [E|[F|[[Hm _]|[[o' [Q [R _]]]|[[Hb _]|[[Hd _]|[[c [_ [_ [Hbv [Hh _]]]]] _]]]]]]].
    + exact (Ht E).
    + exact (Nf F).
    + exact (Hno (holds_any _ _ _ _ Hm)).
    + destruct (Hq o' Q) as [Hq1 Hq2]. destruct R as [R|[R|R]];
        [exact (Hq1 (holds_any _ _ _ _ R))|exact (Hq1 (holds_any _ _ _ _ R))|].
      destruct (killed_holds _ _ _ _ R) as [X|X]; [exact (Hq1 X)|exact (Hq2 X)].
    + exact (Hr Hb).
    + exact (Hno (holds_any _ _ _ _ Hd)).
    + exact (proj1 (Hq (c_obj c) (or_intror Hbv)) Hh).
  - destruct (nats_eq_dec (s_waiters s' o) (s_waiters s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LQueue o) N) as [[R _]|[[K _]|[Hh _]]].
    + destruct R as [R|R]; exact (Hno (holds_any _ _ _ _ R)).
    + destruct (killed_holds _ _ _ _ K) as [X|X]; [exact (Hno X)|exact (Hnb X)].
    + exact (Hno Hh).
  - destruct (Nat.eq_dec (s_word s' o) (s_word s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LWord o) N) as [[c [R _]]|[[R _]|[[F|K] _]]].
    + exact (Hno (holds_cap_any _ _ _ _ _ R)).
    + exact (Hno (holds_any _ _ _ _ R)).
    + exact (Nf F).
    + destruct (killed_holds _ _ _ _ K) as [X|X]; [exact (Hno X)|exact (Hnb X)].
  - destruct (Nat.eq_dec (s_prio s' o) (s_prio s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LPrio o) N) as [_ [F|R]]; [exact (Nf F)|exact (Hno (holds_any _ _ _ _ R))].
  - destruct (onat_eq_dec (s_handler s' o) (s_handler s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LHandler o) N) as [F|[R _]]; [exact (Nf F)|exact (Hno (holds_any _ _ _ _ R))].
  - destruct (onat_eq_dec (s_timer s' o) (s_timer s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LTimer o) N) as [[c [R _]]|[[F|K] _]].
    + exact (Hno (holds_cap_any _ _ _ _ _ R)).
    + exact (Nf F).
    + destruct (killed_holds _ _ _ _ K) as [X|X]; [exact (Hno X)|exact (Hnb X)].
  - destruct (Nat.eq_dec (s_pager s' o) (s_pager s o)) as [E|N]; [exact E|exfalso].
    destruct (I (LPager o) (or_introl N)) as [[R _]|[[F _]|[R _]]];
      [exact (Hno (holds_any _ _ _ _ R))|exact (Nf F)|exact (Hno (holds_any _ _ _ _ R))].
Qed.

(* Another space's table, that sp holds no Manage capability to, nor to any of its threads,
   and none of whose capabilities descends from one of sp's, holds the same capabilities
   after the call. *)
Lemma coa_table_unchanged : forall s s' t sp sp', changed_only_authorised s s' t sp ->
  sp' <> sp -> ~ holds s sp sp' [RManage] ->
  (forall th q, s_objs s th = Some (mkObj (KThread sp') q) -> ~ holds s sp th [RManage]) ->
  (forall y d, In y (table s sp') -> owns s sp d -> ~ In d (c_anc y)) ->
  forall x, In x (table s' sp') <-> In x (table s sp').
Proof.
  intros s s' t sp sp' I Nsp Hm Hth Hd.
  destruct (list_eq_dec cap_eq_dec (table s' sp') (table s sp')) as [E|N];
    [intros x; rewrite E; tauto|].
  destruct (I (LTable sp') N) as [E|[Fw Bw]]; [contradiction|].
  intros x. split.
  - intros Hx. destruct (Fw x Hx) as [Old|[[y [d [Hy [Ho ->]]]]|[Hm' _]]].
    + exact Old.
    + rewrite strip_notin; [exact Hy|]. exact (Hd y d Hy Ho).
    + destruct Hm' as [Hm'|[th [q [Hm' Eq]]]]; [contradiction|].
      exact (False_ind _ (Hth th q Eq Hm')).
  - intros Hy. destruct (Bw x Hy) as [New|[d [Ho Hin]]]; [exact New|].
    exfalso. exact (Hd x d Hy Ho Hin).
Qed.

(* An account that is not sp's own, and that no object sp holds a capability to is charged
   to, is unchanged. *)
Lemma coa_account_unchanged : forall s s' t sp a, changed_only_authorised s s' t sp ->
  a < s_next s -> ~ own_acct s sp a ->
  (forall o ob, s_objs s o = Some ob -> o_acct ob = a -> ~ holds s sp o [] /\ ~ bound_held s sp o) ->
  s_accts s' a = s_accts s a.
Proof.
  intros s s' t sp a I Hlt Hown Hch.
  destruct (acct_eq_dec (s_accts s' a) (s_accts s a)) as [E|N]; [exact E|exfalso].
  destruct (I (LAcct a) N) as [[Ho _]|[F|[o [ob [K [Eo [Ea _]]]]]]].
  - exact (Hown Ho).
  - unfold fresh in F. lia.
  - destruct (Hch o ob Eo Ea) as [H1 H2].
    destruct (killed_holds _ _ _ _ K) as [X|X]; [exact (H1 X)|exact (H2 X)].
Qed.

(* What ending root's subtree cannot touch: an object a space outside the subtree holds a
   capability to, or that is mapped in a space outside the subtree. *)
Definition held_outside (s : state) (root o : nat) : Prop :=
  (exists c, In c (s_caps s) /\ c_obj c = o /\ doomed s root (c_space c) = false) \/
  (exists m, In m (s_maps s) /\ m_mem m = o /\ doomed s root (m_space m) = false).

Lemma ended_not_outside : forall s s' root o,
  ended_obj s s' root o -> held_outside s root o -> False.
Proof.
  intros s s' root o [_ [_ [_ [D [M _]]]]] [[c [Hc [Eo Dc]]]|[m [Hm [Eo Dm]]]].
  - rewrite (D c Hc Eo) in Dc. discriminate Dc.
  - rewrite (M m Hm Eo) in Dm. discriminate Dm.
Qed.

(* o is spared by the end of root's subtree: it does not die with it (as a space or a
   thread), waits for no dying thread's reply and in no queue of an object only the subtree
   holds, has no dying caller and no dying thread in its queue, and if it is an object that
   dies with its last capability, a space outside the subtree holds one or maps it. *)
Definition spared (s : state) (root o : nat) : Prop :=
  dies_with s root o = false /\
  (forall y, s_tstate s o = BlockedReply y -> dies_with s root y = false) /\
  (forall c, s_caller s o = Some c -> dies_with s root c = false) /\
  (forall x, In x (s_waiters s o) -> dies_with s root x = false) /\
  (forall o', queued_on s o o' -> held_outside s root o') /\
  (forall ob, s_objs s o = Some ob -> reapable (o_kind ob) = true -> held_outside s root o).

Lemma coe_object_unchanged : forall s s' root o, changed_only_ended s s' root -> spared s root o ->
  s_objs s' o = s_objs s o /\ s_tstate s' o = s_tstate s o /\
  s_caller s' o = s_caller s o /\ s_waiters s' o = s_waiters s o /\
  s_word s' o = s_word s o /\ s_prio s' o = s_prio s o /\ s_handler s' o = s_handler s o /\
  s_timer s' o = s_timer s o /\ s_pager s' o = s_pager s o.
Proof.
  intros s s' root o I [D1 [D2 [D3 [D4 [D5 D6]]]]].
  assert (NK : ~ ended_obj s s' root o).
  { intros K. apply (ended_not_outside _ _ _ _ K). destruct K as [[ob [Eo R]] _].
    exact (D6 ob Eo R). }
  destruct (coe_thread s s' root o I) as [T C].
  split; [|split; [|split; [|split; [|split; [|split; [|split; [|split]]]]]]].
  - destruct (obj_eq_dec (s_objs s' o) (s_objs s o)) as [E|N]; [exact E|].
    exfalso. exact (NK (I (LObj o) N)).
  - destruct T as [T|[[Dx _]|[_ [[y [By Dy]]|[o' [Q K]]]]]]; [exact T|congruence| |].
    + rewrite (D2 y By) in Dy. discriminate Dy.
    + exfalso. exact (ended_not_outside _ _ _ _ K (D5 o' Q)).
  - destruct C as [C|[_ [Dx|[c [Ec Dc]]]]]; [exact C|congruence|].
    rewrite (D3 c Ec) in Dc. discriminate Dc.
  - destruct (coe_queue s s' root o I) as [[keep [Hk E]]|[K _]]; [|exfalso; exact (NK K)].
    rewrite E. apply filter_all_true. intros x Hx. destruct (keep x) eqn:Kx; [reflexivity|].
    pose proof (Hk x Hx Kx) as Dx. rewrite (D4 x Hx) in Dx. discriminate Dx.
  - destruct (Nat.eq_dec (s_word s' o) (s_word s o)) as [E|N]; [exact E|].
    exfalso. exact (NK (proj1 (I (LWord o) N))).
  - destruct (Nat.eq_dec (s_prio s' o) (s_prio s o)) as [E|N]; [exact E|].
    exfalso. exact (I (LPrio o) N).
  - destruct (onat_eq_dec (s_handler s' o) (s_handler s o)) as [E|N]; [exact E|].
    exfalso. exact (I (LHandler o) N).
  - destruct (onat_eq_dec (s_timer s' o) (s_timer s o)) as [E|N]; [exact E|].
    exfalso. exact (NK (proj1 (I (LTimer o) N))).
  - destruct (Nat.eq_dec (s_pager s' o) (s_pager s o)) as [E|N]; [exact E|].
    exact (proj1 (proj2 (I (LPager o) (or_introl N)))).
Qed.

Lemma strip_all_notin : forall ids c, (forall d, In d ids -> ~ In d (c_anc c)) ->
  strip_all ids c = c.
Proof.
  induction ids as [|d ids IH]; intros c H; [reflexivity|].
  unfold strip_all. simpl. rewrite strip_notin by (apply H; left; reflexivity).
  apply IH. intros d' Hd'. apply H. right. exact Hd'.
Qed.

Lemma coe_table_unchanged : forall s s' root sp', changed_only_ended s s' root ->
  doomed s root sp' = false ->
  (forall y d, In y (table s sp') -> In d (c_anc y) -> ~ doomed_id s root d) ->
  table s' sp' = table s sp'.
Proof.
  intros s s' root sp' I Dn Hd.
  destruct (list_eq_dec cap_eq_dec (table s' sp') (table s sp')) as [E|N]; [exact E|].
  destruct (I (LTable sp') N) as [[Dx _]|[ids [Hids E]]]; [congruence|].
  rewrite E.
  assert (G : forall l, (forall y, In y l -> In y (table s sp')) -> map (strip_all ids) l = l).
  { induction l as [|y l IH]; intros Hl; simpl; [reflexivity|].
    rewrite IH by (intros; apply Hl; right; auto). rewrite strip_all_notin; [reflexivity|].
    intros d Hd1 Ha. exact (Hd y d (Hl y (or_introl eq_refl)) Ha (Hids d Hd1)). }
  apply G. auto.
Qed.

Lemma coe_account_unchanged : forall s s' root a, changed_only_ended s s' root ->
  (forall o ob, s_objs s o = Some ob -> o_acct ob = a -> reapable (o_kind ob) = true ->
     held_outside s root o) ->
  s_accts s' a = s_accts s a.
Proof.
  intros s s' root a I Hh.
  destruct (acct_eq_dec (s_accts s' a) (s_accts s a)) as [E|N]; [exact E|exfalso].
  destruct (I (LAcct a) N) as [o [ob [K [Eo [Ea _]]]]].
  apply (ended_not_outside _ _ _ _ K). destruct K as [[ob' [Eo' R]] _].
  rewrite Eo in Eo'. injection Eo' as <-. exact (Hh o ob Eo Ea R).
Qed.

(* What the end of root's subtree destroys, a doomed space held before the call: a capability
   to it, an Irq bound to it, or a mapping of it (the last part of ended_obj, which no_garbage makes provable:
   the reap destroys only what nothing holds, and nothing else dies). *)
Lemma coe_destroyed_doomed_held : forall s s' root o, changed_only_ended s s' root ->
  s_objs s o <> None -> s_objs s' o = None -> doomed_held s root o.
Proof.
  intros s s' root o I Hs Hs'. assert (Ch : changed s s' (LObj o)) by (simpl; congruence).
  exact (proj2 (proj2 (proj2 (proj2 (proj2 (proj2 (I (LObj o) Ch))))))).
Qed.

(* An existing object that sp holds no capability to (nor an Irq bound to it), that is not
   the caller, not waiting on (queued on) anything sp holds a capability to (or an Irq bound
   to), and not waiting for the caller's reply, is unchanged by the call: its record, its
   state, caller and priority as a thread, its queue, word and timer, its pager mode as a
   space; for a call that ends a process, it must also be spared by the end of every
   process sp may end. *)
Corollary unreachable_object_unchanged : forall s t k r s' sp o, wf s -> no_garbage s ->
  caller_space s t = Some sp -> step s t k = (r, s') ->
  o < s_next s -> o <> t -> ~ holds s sp o [] -> ~ bound_held s sp o ->
  (forall o', queued_on s o o' -> ~ holds s sp o' [] /\ ~ bound_held s sp o') ->
  s_tstate s o <> BlockedReply t ->
  (ending_call k = true -> forall root, ends s sp root -> spared s root o) ->
  (forall h c root, k = CapDelete h -> lookup s sp h = Some c ->
     space_held (after_delete s c) root = false -> spared (after_delete s c) root o) ->
  s_objs s' o = s_objs s o /\ s_tstate s' o = s_tstate s o /\
  s_caller s' o = s_caller s o /\ s_waiters s' o = s_waiters s o /\
  s_word s' o = s_word s o /\ s_prio s' o = s_prio s o /\ s_handler s' o = s_handler s o /\
  s_timer s' o = s_timer s o /\ s_pager s' o = s_pager s o.
Proof.
  intros s t k r s' sp o W G Hc H Hlt Ht Hno Hnb Hq Hr Hsp Hdl.
  destruct (integrity s t k r s' sp W G Hc H)
    as [I|[[Ek [root [Er I]]]|[h [c [Ek [El [I1 [root [Ee [Eh I2]]]]]]]]]].
  - exact (coa_object_unchanged s s' t sp o I Hlt Ht Hno Hnb Hq Hr).
  - exact (coe_object_unchanged s s' root o I (Hsp Ek root Er)).
  - destruct (coa_object_unchanged s _ t sp o I1 Hlt Ht Hno Hnb Hq Hr)
      as (A1 & A2 & A3 & A4 & A5 & A6 & A7 & A8 & A9).
    destruct (coe_object_unchanged _ s' root o I2 (Hdl h c root Ek El Eh))
      as (B1 & B2 & B3 & B4 & B5 & B6 & B7 & B8 & B9).
    repeat split; congruence.
Qed.

(* Another space's table, that sp holds no Manage capability to, nor to any of its threads,
   and none of whose capabilities descends from one of sp's, holds the same capabilities
   after the call; after a call that ends a process, if the space is outside the subtree of
   every process sp may end and none of its capabilities descends from one of that
   subtree's. *)
Corollary unreachable_table_unchanged : forall s t k r s' sp sp', wf s -> no_garbage s ->
  caller_space s t = Some sp -> step s t k = (r, s') ->
  sp' <> sp -> ~ holds s sp sp' [RManage] ->
  (forall th q, s_objs s th = Some (mkObj (KThread sp') q) -> ~ holds s sp th [RManage]) ->
  (forall y d, In y (table s sp') -> owns s sp d -> ~ In d (c_anc y)) ->
  (ending_call k = true -> forall root, ends s sp root ->
     doomed s root sp' = false /\
     forall y d, In y (table s sp') -> In d (c_anc y) -> ~ doomed_id s root d) ->
  (forall h c root, k = CapDelete h -> lookup s sp h = Some c ->
     space_held (after_delete s c) root = false ->
     doomed (after_delete s c) root sp' = false /\
     forall y d, In y (table (after_delete s c) sp') -> In d (c_anc y) ->
       ~ doomed_id (after_delete s c) root d) ->
  forall x, In x (table s' sp') <-> In x (table s sp').
Proof.
  intros s t k r s' sp sp' W G Hc H Nsp Hm Hth Hd Hsp Hdl.
  destruct (integrity s t k r s' sp W G Hc H)
    as [I|[[Ek [root [Er I]]]|[h [c [Ek [El [I1 [root [Ee [Eh I2]]]]]]]]]].
  - exact (coa_table_unchanged s s' t sp sp' I Nsp Hm Hth Hd).
  - destruct (Hsp Ek root Er) as [Dn Hn]. rewrite (coe_table_unchanged s s' root sp' I Dn Hn).
    tauto.
  - destruct (Hdl h c root Ek El Eh) as [Dn Hn].
    rewrite (coe_table_unchanged _ s' root sp' I2 Dn Hn).
    exact (coa_table_unchanged s _ t sp sp' I1 Nsp Hm Hth Hd).
Qed.

(* An account that is not sp's own, and that no object sp holds a capability to is charged
   to, is unchanged; after a call that ends a process, if every object charged to it that
   could die is held by a space outside the subtree of every process sp may end. *)
Corollary unreachable_account_unchanged : forall s t k r s' sp a, wf s -> no_garbage s ->
  caller_space s t = Some sp -> step s t k = (r, s') ->
  a < s_next s -> ~ own_acct s sp a ->
  (forall o ob, s_objs s o = Some ob -> o_acct ob = a -> ~ holds s sp o [] /\ ~ bound_held s sp o) ->
  (ending_call k = true -> forall root, ends s sp root ->
     forall o ob, s_objs s o = Some ob -> o_acct ob = a -> reapable (o_kind ob) = true ->
       held_outside s root o) ->
  (forall h c root, k = CapDelete h -> lookup s sp h = Some c ->
     space_held (after_delete s c) root = false ->
     forall o ob, s_objs s o = Some ob -> o_acct ob = a -> reapable (o_kind ob) = true ->
       held_outside (after_delete s c) root o) ->
  s_accts s' a = s_accts s a.
Proof.
  intros s t k r s' sp a W G Hc H Hlt Hown Hch Hsp Hdl.
  destruct (integrity s t k r s' sp W G Hc H)
    as [I|[[Ek [root [Er I]]]|[h [c [Ek [El [I1 [root [Ee [Eh I2]]]]]]]]]].
  - exact (coa_account_unchanged s s' t sp a I Hlt Hown Hch).
  - exact (coe_account_unchanged s s' root a I (Hsp Ek root Er)).
  - rewrite (coe_account_unchanged _ s' root a I2 (Hdl h c root Ek El Eh)).
    exact (coa_account_unchanged s _ t sp a I1 Hlt Hown Hch).
Qed.

(* ---------- Not vacuous ---------- *)

(* A reachable state: from the initial one, thread 2 of space 0 creates a notification
   (object 5, capability 6), derives capability 7 to it with Receive only, and deletes
   capability 6. Space 0 can now wait on the notification but not signal it. *)
Definition ex_state : state :=
  snd (step (snd (step (snd (step (init 1000) 2 NotificationCreate)) 2
                       (CapDerive 6 [RReceive] 0))) 2 (CapDelete 6)).

Lemma ex_wf : wf ex_state.
Proof.
  unfold ex_state.
  eapply step_preserves_wf; [|apply surjective_pairing].
  eapply step_preserves_wf; [|apply surjective_pairing].
  eapply step_preserves_wf; [|apply surjective_pairing].
  apply init_wf. lia.
Qed.

Lemma ex_ng : no_garbage ex_state.
Proof.
  assert (W1 : wf (snd (step (init 1000) 2 NotificationCreate)))
    by (eapply step_preserves_wf; [|apply surjective_pairing]; apply init_wf; lia).
  assert (G1 : no_garbage (snd (step (init 1000) 2 NotificationCreate))).
  { eapply step_preserves_no_garbage; [| |apply surjective_pairing];
      [apply init_wf; lia|apply init_no_garbage]. }
  unfold ex_state. eapply step_preserves_no_garbage; [| |apply surjective_pairing].
  - eapply step_preserves_wf; [|apply surjective_pairing]. exact W1.
  - eapply step_preserves_no_garbage; [| |apply surjective_pairing]; [exact W1|exact G1].
Qed.

Lemma ex_caps : s_caps ex_state =
  [mkCap 7 0 5 [RReceive] 0 []; mkCap 3 0 0 [RManage] 0 []; mkCap 4 0 2 [RManage] 0 []].
Proof. vm_compute. reflexivity. Qed.

Lemma ex_caller : caller_space ex_state 2 = Some 0.
Proof. vm_compute. reflexivity. Qed.

Lemma ex_no_send : ~ holds ex_state 0 5 [RSend].
Proof.
  intros [c [Hin [_ [Ho Hr]]]]. rewrite ex_caps in Hin.
  destruct Hin as [<-|[<-|[<-|[]]]]; simpl in Ho; try discriminate.
  destruct (Hr RSend (or_introl eq_refl)) as [E|[]]. discriminate.
Qed.

(* The theorem speaks of real changes: wait through capability 7 queues thread 2 on the
   notification (its queue and the thread change), and that is authorised (Receive). *)
Lemma integrity_not_vacuous : exists r s',
  step ex_state 2 (Wait 7) = (r, s') /\
  changed ex_state s' (LQueue 5) /\ changed ex_state s' (LThread 2) /\
  changed_only_authorised ex_state s' 2 0.
Proof.
  exists (fst (step ex_state 2 (Wait 7))), (snd (step ex_state 2 (Wait 7))).
  split; [apply surjective_pairing|]. split; [|split].
  - unfold changed. vm_compute. intros E. discriminate E.
  - unfold changed. left. vm_compute. intros E. discriminate E.
  - destruct (integrity ex_state 2 (Wait 7) _ _ 0 ex_wf ex_ng ex_caller (surjective_pairing _))
      as [I|[[Ek _]|[h [c [Ek _]]]]]; [exact I|discriminate Ek|discriminate Ek].
Qed.

(* The rules for ending are not vacuous either: process_exit by thread 2 of ex_state ends
   space 0 (its entry becomes Dead), empties its table, kills its notification 5 (held only
   by space 0) and refunds account 1; every change is one the ending of space 0's subtree
   allows. *)
Lemma integrity_end_not_vacuous : exists r s',
  step ex_state 2 ProcessExit = (r, s') /\
  changed ex_state s' (LObj 5) /\ changed ex_state s' (LTable 0) /\
  changed ex_state s' (LThread 0) /\ changed ex_state s' (LThread 2) /\
  changed ex_state s' (LAcct 1) /\ changed_only_ended ex_state s' 0.
Proof.
  exists (fst (step ex_state 2 ProcessExit)), (snd (step ex_state 2 ProcessExit)).
  split; [apply surjective_pairing|].
  split; [unfold changed; vm_compute; intros E; discriminate E|].
  split; [unfold changed; vm_compute; intros E; discriminate E|].
  split; [unfold changed; left; vm_compute; intros E; discriminate E|].
  split; [unfold changed; left; vm_compute; intros E; discriminate E|].
  split; [unfold changed; vm_compute; intros E; discriminate E|].
  assert (E : step ex_state 2 ProcessExit = process_exit ex_state 0)
    by (unfold step; rewrite ex_caller; reflexivity).
  rewrite E. apply (int_process_exit ex_state 0 RBlocked); [exact ex_wf|exact ex_ng|reflexivity].
Qed.

(* The predicate is not trivially true: signal without its rights check (the mutation of
   Spec.v's `signal` that README.md reports the proof failing on) would set the word of
   a notification space 0 holds only with Receive, and that change is not authorised. The
   real `signal` refuses it. *)
Definition signal_unchecked (s : state) (sp h : nat) : reply * state :=
  match lookup_typed s sp h TNotification [] with
  | inr e => (RErr e, s)
  | inl None => (RErr InvalidCapability, s)
  | inl (Some c) =>
      let n := c_obj c in
      match s_waiters s n with
      | t :: rest =>
          (ROk VNone,
           mkState (s_objs s) (s_accts s) (s_caps s) (upd (s_tstate s) t Ready)
                   (s_word s) (upd (s_waiters s) n rest) (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
      | [] =>
          (ROk VNone,
           mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s)
                   (upd (s_word s) n (Nat.lor (s_word s n) (sig_bits c)))
                   (s_waiters s) (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
      end
  end.

Lemma integrity_not_trivial :
  fst (step ex_state 2 (Signal 7)) = RErr PermissionDenied /\
  ~ changed_only_authorised ex_state (snd (signal_unchecked ex_state 0 7)) 2 0.
Proof.
  split; [vm_compute; reflexivity|].
  intros I. assert (Ch : changed ex_state (snd (signal_unchecked ex_state 0 7)) (LWord 5)).
  { unfold changed. vm_compute. intros E. discriminate E. }
  destruct (I (LWord 5) Ch) as [[c [R _]]|[[_ E]|[[F|[_ [_ [E _]]]] _]]].
  - apply ex_no_send. exists c. exact R.
  - revert E. vm_compute. intros E. discriminate E.
  - revert F. unfold fresh. vm_compute. lia.
  - revert E. vm_compute. intros E. discriminate E.
Qed.

(* The priority rule is needed too: thread 2 (priority 100) holds its own thread with Manage
   (capability 4). Raising itself to 200 is refused (PermissionDenied: above the caller's
   own); thread_set_priority without that check would make the change, and it is not
   authorised. *)
Definition set_priority_unchecked (s : state) (sp h p : nat) : reply * state :=
  match lookup_typed s sp h TThread [RManage] with
  | inl (Some c) =>
      (ROk VNone,
       mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
               (s_caller s) (s_next s) (upd (s_prio s) (c_obj c) p) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s))
  | _ => (RErr InvalidCapability, s)
  end.

Lemma integrity_prio_not_trivial :
  fst (step ex_state 2 (ThreadSetPriority 4 200)) = RErr PermissionDenied /\
  ~ changed_only_authorised ex_state (snd (set_priority_unchecked ex_state 0 4 200)) 2 0.
Proof.
  split; [vm_compute; reflexivity|].
  intros I.
  assert (Ch : changed ex_state (snd (set_priority_unchecked ex_state 0 4 200)) (LPrio 2)).
  { unfold changed. vm_compute. intros E. discriminate E. }
  destruct (I (LPrio 2) Ch) as [Hle _]. revert Hle. vm_compute. lia.
Qed.

(* EXCEPTION 1 is real: in this well-formed state space 0 (thread 2) holds the only
   capability (9, Send) to endpoint 8, which space 5 made and pays for (account 6);
   space 0 holds no capability to space 5 and account 6 is not its own. Deleting
   capability 9 kills the endpoint and refunds account 6. *)
Definition ex2_objs : nat -> option obj :=
  fun o => match o with
           | 0 => Some (mkObj (KSpace 1) 1)
           | 2 => Some (mkObj (KThread 0) 1)
           | 5 => Some (mkObj (KSpace 6) 1)
           | 8 => Some (mkObj KEndpoint 6)
           | _ => None
           end.

Definition ex2_state : state :=
  mkState ex2_objs
          (fun a => if Nat.eqb a 1 then Some (1000, 400)
                    else if Nat.eqb a 6 then Some (200, 64) else None)
          [mkCap 3 0 0 [RManage] 0 []; mkCap 4 0 2 [RManage] 0 []; mkCap 9 0 8 [RSend] 0 []]
          (fun t => if Nat.eqb t 2 then Running else Inactive)
          (fun _ => 0) (fun _ => []) (fun _ => None) 10 (fun _ => 100)
          (fun _ => None) (fun _ => None) (fun _ => None) (fun _ => 0) [] (fun _ => None).

Lemma ex2_wf : wf ex2_state.
Proof.
  split; [|split; [|split]]; [constructor; simpl|constructor; simpl|constructor; simpl|].
  - intros c [<-|[<-|[<-|[]]]]; simpl; discriminate.
  - intros c [<-|[<-|[<-|[]]]]; simpl; exists 1, 1; reflexivity.
  - intros c [<-|[<-|[<-|[]]]]; simpl; lia.
  - repeat constructor; simpl; intuition lia.
  - intros c [<-|[<-|[<-|[]]]]; unfold parent_ok; simpl; auto.
  - intros c a [<-|[<-|[<-|[]]]]; simpl; intros [].
  - intros c [<-|[<-|[<-|[]]]]; simpl; congruence.
  - intros o ob. do 9 (destruct o as [|o]; [simpl; try discriminate; lia|]).
    simpl. discriminate.
  - intros o ob. do 9 (destruct o as [|o];
      [simpl; try discriminate; intros E; inversion E; subst; simpl;
       unfold acct_live; simpl; eauto|]).
    simpl. discriminate.
  - intros o a q. do 9 (destruct o as [|o];
      [simpl; try discriminate; intros E; inversion E; subst;
       unfold acct_live; simpl; eauto|]).
    simpl. discriminate.
  - intros a l u. destruct (Nat.eqb a 1); [intros E; inversion E; lia|].
    destruct (Nat.eqb a 6); [intros E; inversion E; lia|discriminate].
  - intros a l u. destruct (Nat.eqb_spec a 1); [lia|].
    destruct (Nat.eqb_spec a 6); [lia|discriminate].
  - intros t sp q. do 9 (destruct t as [|t];
      [simpl; try discriminate; intros E; inversion E; subst; exists 1, 1; reflexivity|]).
    simpl. discriminate.
  - intros t. simpl. unfold prio_count. lia.
  - apply maps_ok_nil.
  - intros t o. destruct (Nat.eqb t 2); discriminate.
  - intros o t [].
  - intros o. constructor.
  - intros o t1 t2 [].
  - intros t srv. destruct (Nat.eqb t 2); split; discriminate.
  - intros srv e. destruct (Nat.eqb srv 2); discriminate.
  - intros srv t E. discriminate.
  - intros n Hn. exfalso. apply Hn. reflexivity.
Qed.

Lemma refund_exception_real :
  wf ex2_state /\ caller_space ex2_state 2 = Some 0 /\
  ~ own_acct ex2_state 0 6 /\ ~ holds ex2_state 0 5 [] /\ 6 < s_next ex2_state /\
  s_accts ex2_state 6 = Some (200, 64) /\
  s_accts (snd (step ex2_state 2 (CapDelete 9))) 6 = Some (200, 0).
Proof.
  split; [exact ex2_wf|]. split; [reflexivity|]. split; [|split; [|split; [|split]]].
  - intros [q E]. simpl in E. discriminate.
  - intros [c [Hin [_ [Ho _]]]]. simpl in Hin.
    destruct Hin as [<-|[<-|[<-|[]]]]; simpl in Ho; discriminate.
  - simpl. lia.
  - reflexivity.
  - vm_compute. reflexivity.
Qed.

(* no_garbage is needed for the last part of ended_obj: in a wf state with a notification (5)
   that nothing holds, process_exit by thread 2 of space 0 destroys it in the reap, though
   space 0 (the only doomed space) held neither a capability to it nor an Irq bound to it. *)
Definition ex3_objs : nat -> option obj :=
  fun o => match o with
           | 0 => Some (mkObj (KSpace 1) 1)
           | 2 => Some (mkObj (KThread 0) 1)
           | 5 => Some (mkObj KNotification 1)
           | _ => None
           end.

Definition ex3_state : state :=
  mkState ex3_objs
          (fun a => if Nat.eqb a 1 then Some (1000, 192) else None)
          [mkCap 3 0 0 [RManage] 0 []; mkCap 4 0 2 [RManage] 0 []]
          (fun t => if Nat.eqb t 2 then Running else Inactive)
          (fun _ => 0) (fun _ => []) (fun _ => None) 6 (fun _ => 100)
          (fun _ => None) (fun _ => None) (fun _ => None) (fun _ => 0) [] (fun _ => None).

Lemma ex3_wf : wf ex3_state.
Proof.
  split; [|split; [|split]]; [constructor; simpl|constructor; simpl|constructor; simpl|].
  - intros c [<-|[<-|[]]]; simpl; discriminate.
  - intros c [<-|[<-|[]]]; simpl; exists 1, 1; reflexivity.
  - intros c [<-|[<-|[]]]; simpl; lia.
  - repeat constructor; simpl; intuition lia.
  - intros c [<-|[<-|[]]]; unfold parent_ok; simpl; auto.
  - intros c a [<-|[<-|[]]]; simpl; intros [].
  - intros c [<-|[<-|[]]]; simpl; congruence.
  - intros o ob. do 6 (destruct o as [|o]; [simpl; try discriminate; lia|]).
    simpl. discriminate.
  - intros o ob. do 6 (destruct o as [|o];
      [simpl; try discriminate; intros E; inversion E; subst; simpl;
       unfold acct_live; simpl; eauto|]).
    simpl. discriminate.
  - intros o a q. do 6 (destruct o as [|o];
      [simpl; try discriminate; intros E; inversion E; subst;
       unfold acct_live; simpl; eauto|]).
    simpl. discriminate.
  - intros a l u. destruct (Nat.eqb a 1); [intros E; inversion E; lia|discriminate].
  - intros a l u. destruct (Nat.eqb_spec a 1); [lia|discriminate].
  - intros t sp q. do 6 (destruct t as [|t];
      [simpl; try discriminate; intros E; inversion E; subst; exists 1, 1; reflexivity|]).
    simpl. discriminate.
  - intros t. simpl. unfold prio_count. lia.
  - apply maps_ok_nil.
  - intros t o. destruct (Nat.eqb t 2); discriminate.
  - intros o t [].
  - intros o. constructor.
  - intros o t1 t2 [].
  - intros t srv. destruct (Nat.eqb t 2); split; discriminate.
  - intros srv e. destruct (Nat.eqb srv 2); discriminate.
  - intros srv t E. discriminate.
  - intros n Hn. exfalso. apply Hn. reflexivity.
Qed.

Lemma garbage_exception_real :
  wf ex3_state /\ ~ no_garbage ex3_state /\ caller_space ex3_state 2 = Some 0 /\
  s_objs ex3_state 5 <> None /\ s_objs (snd (step ex3_state 2 ProcessExit)) 5 = None /\
  ~ doomed_held ex3_state 0 5.
Proof.
  split; [exact ex3_wf|]. split; [|split; [reflexivity|split; [discriminate|split]]].
  - intros [_ A]. specialize (A 5 (mkObj KNotification 1) eq_refl eq_refl).
    vm_compute in A. discriminate A.
  - vm_compute. reflexivity.
  - intros [sp [_ [[c [Hin [_ [Ho _]]]]|[[[i [b [_ E]]]|[m [Hm _]]]|[m [Hm _]]]]]].
    + simpl in Hin. destruct Hin as [<-|[<-|[]]]; simpl in Ho; discriminate.
    + discriminate E.
    + destruct Hm.
    + destruct Hm.
Qed.
