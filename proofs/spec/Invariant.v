(* The well-formedness invariant of Spec.v and its preservation by every call
   (proofs/spec/README.md). *)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.
From HMK Require Import Spec.

(* ---------- The invariant ---------- *)

Definition is_space (s : state) (sp : nat) : Prop :=
  exists a q, s_objs s sp = Some (mkObj (KSpace a) q).
Definition is_notif (s : state) (n : nat) : Prop :=
  exists q, s_objs s n = Some (mkObj KNotification q).
Definition is_thread (s : state) (t : nat) : Prop :=
  exists sp q, s_objs s t = Some (mkObj (KThread sp) q).
Definition acct_live (s : state) (a : nat) : Prop :=
  exists l u, s_accts s a = Some (l, u).

(* A capability's parent (the head of its ancestor list) is a capability whose own
   ancestors are the rest of the list, names the same object, holds at least the child's
   rights and, if badged, gave the child its badge. *)
Definition parent_ok (cs : list cap) (c : cap) : Prop :=
  match c_anc c with
  | [] => True
  | p :: rest =>
      exists pc, In pc cs /\ c_id pc = p /\ c_anc pc = rest /\
                 incl (c_rights c) (c_rights pc) /\ c_obj c = c_obj pc /\
                 (c_badge pc <> 0 -> c_badge c = c_badge pc)
  end.

Record caps_wf (s : state) : Prop := {
  cw_obj : forall c, In c (s_caps s) -> s_objs s (c_obj c) <> None;
  cw_space : forall c, In c (s_caps s) -> is_space s (c_space c);
  cw_fresh : forall c, In c (s_caps s) -> c_id c < s_next s;
  cw_nodup : NoDup (map c_id (s_caps s));
  cw_parent : forall c, In c (s_caps s) -> parent_ok (s_caps s) c;
  cw_anc_lt : forall c a, In c (s_caps s) -> In a (c_anc c) -> a < c_id c;
  cw_badge : forall c, In c (s_caps s) -> c_badge c <> 0 ->
               obj_type s (c_obj c) = Some TEndpoint \/
               obj_type s (c_obj c) = Some TNotification
}.

Definition is_endpoint (s : state) (e : nat) : Prop :=
  exists q, s_objs s e = Some (mkObj KEndpoint q).

(* What a blocked thread waits on exists and has the right type. *)
Definition waits_ok (objs : nat -> option obj) (st : tstate) : Prop :=
  match st with
  | BlockedNotif n => exists q, objs n = Some (mkObj KNotification q)
  | BlockedSend e _ | BlockedRecv e => exists q, objs e = Some (mkObj KEndpoint q)
  | _ => True
  end.

Definition thread_o (objs : nat -> option obj) (t : nat) : Prop :=
  exists sp q, objs t = Some (mkObj (KThread sp) q).

(* The mappings (README.md, "Mappings"). *)

Definition disjoint (m1 m2 : mapping) : Prop := m_end m1 <= m_vaddr m2 \/ m_end m2 <= m_vaddr m1.

(* Every mapping is readable, within its limit, which is within Read, Write, Execute; one
   space's mappings do not overlap; W^X across mappings: no mapping of an object is writable
   while one of the same object (itself included) is executable; no mapping is empty.
   (Invariant 10 of
   ../README.md, the part this model has.) *)
Record maps_wf (ms : list mapping) : Prop := {
  mw_pages : forall m, In m ms -> 0 < m_pages m;
  mw_read : forall m, In m ms -> In RRead (m_rights m);
  mw_max : forall m, In m ms -> incl (m_rights m) (m_max m);
  mw_page : forall m, In m ms -> incl (m_max m) page_rights;
  mw_nodup : NoDup ms;
  mw_disjoint : forall m1 m2, In m1 ms -> In m2 ms -> m1 <> m2 -> m_space m1 = m_space m2 ->
                  disjoint m1 m2;
  mw_wx : forall m1 m2, In m1 ms -> In m2 ms -> m_mem m1 = m_mem m2 ->
            In RWrite (m_rights m1) -> ~ In RExecute (m_rights m2)
}.

(* Every mapping is of a live memory object whose pages cover it, in a space (a mapping holds
   its memory object: Spec.held). *)
Record maps_ok (objs : nat -> option obj) (ms : list mapping) : Prop := {
  mo_wf : maps_wf ms;
  mo_mem : forall m, In m ms -> exists p q, objs (m_mem m) = Some (mkObj (KMemory p) q) /\
                                            m_first m + m_pages m <= p;
  mo_space : forall m, In m ms -> exists a q, objs (m_space m) = Some (mkObj (KSpace a) q)
}.

Record obj_wf (s : state) : Prop := {
  ow_obj_fresh : forall o ob, s_objs s o = Some ob -> o < s_next s;
  ow_obj_acct : forall o ob, s_objs s o = Some ob -> acct_live s (o_acct ob);
  ow_space_acct : forall o a q, s_objs s o = Some (mkObj (KSpace a) q) -> acct_live s a;
  ow_quota : forall a l u, s_accts s a = Some (l, u) -> u <= l;
  ow_acct_fresh : forall a l u, s_accts s a = Some (l, u) -> a < s_next s;
  ow_thread_space : forall t sp q, s_objs s t = Some (mkObj (KThread sp) q) -> is_space s sp;
  ow_prio : forall t, s_prio s t < prio_count;
  ow_maps : maps_ok (s_objs s) (s_maps s)
}.

(* Threads: each blocked thread is in the queue of the live object it waits on, once; a
   queue holds only threads blocked on it, and only senders or only receivers; the reply
   relation is mutual; a thread waiting to receive has no caller. *)
Record threads_wf (objs : nat -> option obj) (ts : nat -> tstate) (wq : nat -> list nat)
    (cl : nat -> option nat) : Prop := {
  tw_blocked : forall t o, blocked_on (ts t) = Some o -> waits_ok objs (ts t) /\ In t (wq o);
  tw_waiters : forall o t, In t (wq o) -> thread_o objs t /\ blocked_on (ts t) = Some o;
  tw_nodup : forall o, NoDup (wq o);
  tw_kind : forall o t1 t2, In t1 (wq o) -> In t2 (wq o) -> is_recv (ts t1) = is_recv (ts t2);
  tw_reply : forall t srv, ts t = BlockedReply srv <-> cl srv = Some t;
  tw_recv : forall srv e, ts srv = BlockedRecv e -> cl srv = None;
  tw_caller_thread : forall srv t, cl srv = Some t -> thread_o objs t
}.

(* A notification with waiters has no pending bits. *)
Definition bits_wf (s : state) : Prop :=
  forall n, s_waiters s n <> [] -> is_notif s n -> s_word s n = 0.

Definition rest_wf (s : state) : Prop :=
  obj_wf s /\ threads_wf (s_objs s) (s_tstate s) (s_waiters s) (s_caller s) /\ bits_wf s.

Definition wf (s : state) : Prop := caps_wf s /\ rest_wf s.

(* ---------- Small facts ---------- *)

(* Case analysis on every match and if in H (a call's definition unfolded). *)
Ltac split_matches H :=
  repeat match type of H with
         | context[match ?x with _ => _ end] => destruct x eqn:?
         | context[if ?x then _ else _] => destruct x eqn:?
         end.


Lemma upd_eq : forall A (f : nat -> A) k v, upd f k v k = v.
Proof. intros. unfold upd. rewrite Nat.eqb_refl. reflexivity. Qed.

Lemma upd_neq : forall A (f : nat -> A) k v x, x <> k -> upd f k v x = f x.
Proof. intros. unfold upd. apply Nat.eqb_neq in H. rewrite H. reflexivity. Qed.

Lemma lookup_some : forall s sp h c,
  lookup s sp h = Some c -> In c (s_caps s) /\ c_id c = h /\ c_space c = sp.
Proof.
  unfold lookup, find_cap. intros s sp h c H.
  destruct (find _ _) eqn:E; [|discriminate].
  destruct (Nat.eqb (c_space c0) sp) eqn:E2; [|discriminate].
  inversion H; subst. apply find_some in E. destruct E as [E1 E3].
  apply Nat.eqb_eq in E3. apply Nat.eqb_eq in E2. auto.
Qed.

Lemma lookup_typed_some : forall s sp h t need c,
  lookup_typed s sp h t need = inl (Some c) ->
  In c (s_caps s) /\ c_id c = h /\ c_space c = sp /\ obj_type s (c_obj c) = Some t /\
  incl need (c_rights c).
Proof.
  unfold lookup_typed. intros s sp h t need c H.
  destruct (lookup s sp h) eqn:E; [|discriminate].
  destruct (obj_type s (c_obj c0)) eqn:E2; [|discriminate].
  destruct (otype_eqb o t) eqn:E3; [|discriminate].
  destruct (subset_b need (c_rights c0)) eqn:E4; [|discriminate].
  inversion H; subst. apply lookup_some in E. apply otype_eqb_eq in E3. subst.
  apply subset_b_incl in E4. intuition.
Qed.

Lemma lookup_typed_not_none : forall s sp h t need,
  lookup_typed s sp h t need <> inl None.
Proof.
  unfold lookup_typed. intros.
  destruct (lookup s sp h); [|discriminate].
  destruct (obj_type s (c_obj c)); [|discriminate].
  destruct (otype_eqb o t); [|discriminate].
  destruct (subset_b need (c_rights c)); discriminate.
Qed.

Lemma obj_type_space : forall s o, obj_type s o = Some TSpace -> is_space s o.
Proof.
  unfold obj_type, is_space. intros s o H.
  destruct (s_objs s o) as [[k q]|]; [|discriminate]. destruct k; simpl in H; try discriminate.
  eauto.
Qed.

Lemma obj_type_notif : forall s o, obj_type s o = Some TNotification -> is_notif s o.
Proof.
  unfold obj_type, is_notif. intros s o H.
  destruct (s_objs s o) as [[k q]|]; [|discriminate]. destruct k; simpl in H; try discriminate.
  eauto.
Qed.

Lemma nodup_map_filter : forall A B (f : A -> B) p l,
  NoDup (map f l) -> NoDup (map f (filter p l)).
Proof.
  induction l as [|x l IH]; simpl; intros H; [constructor|].
  inversion H; subst. destruct (p x); simpl; auto.
  constructor; auto. intro Hin. apply H2.
  apply in_map_iff in Hin. destruct Hin as [y [E Hy]]. apply filter_In in Hy.
  apply in_map_iff. exists y. intuition.
Qed.

Lemma nodup_snoc : forall (l : list nat) x, NoDup l -> ~ In x l -> NoDup (l ++ [x]).
Proof.
  induction l as [|y l IH]; simpl; intros x H Hx; [repeat constructor; auto|].
  inversion H; subst. constructor.
  - intros Hin. apply in_app_or in Hin. destruct Hin as [Hin|[E|[]]]; [auto|].
    apply Hx. left. auto.
  - apply IH; auto.
Qed.

Lemma caller_space_some : forall s t sp,
  caller_space s t = Some sp ->
  s_tstate s t = Running /\ exists q, s_objs s t = Some (mkObj (KThread sp) q).
Proof.
  unfold caller_space. intros s t sp H.
  destruct (s_objs s t) as [[k q]|]; [|discriminate]. destruct k; try discriminate.
  destruct (s_tstate s t), (s_handler s t); try discriminate. inversion H; subst. eauto.
Qed.


Lemma live_fresh : forall s o, obj_wf s -> s_objs s o <> None -> o < s_next s.
Proof.
  intros s o R H. destruct (s_objs s o) eqn:E; [|congruence]. eapply ow_obj_fresh; eauto.
Qed.

Lemma ancestor_rights : forall s, caps_wf s ->
  forall l c, In c (s_caps s) -> c_anc c = l ->
  forall a, In a l -> exists ac, In ac (s_caps s) /\ c_id ac = a /\
                         incl (c_rights c) (c_rights ac) /\ c_obj ac = c_obj c.
Proof.
  intros s C. induction l as [|p rest IH]; intros c Hc Hl a Ha; [destruct Ha|].
  pose proof (cw_parent s C c Hc) as P. unfold parent_ok in P. rewrite Hl in P.
  destruct P as [pc [Hpc [Hid [Hanc [Hr [Ho _]]]]]].
  destruct Ha as [Ha|Ha].
  - subst. exists pc. intuition.
  - destruct (IH pc Hpc Hanc a Ha) as [ac [H1 [H2 [H3 H4]]]].
    exists ac. intuition. eapply incl_tran; eauto. congruence.
Qed.


(* ---------- Calls that change only the capabilities (and the next id) ---------- *)

Lemma rest_wf_caps : forall s cs n hd tm ir pg, rest_wf s -> s_next s <= n ->
  rest_wf (mkState (s_objs s) (s_accts s) cs (s_tstate s) (s_word s) (s_waiters s)
                   (s_caller s) n (s_prio s) hd tm ir pg (s_maps s) (s_via s)).
Proof.
  intros s cs n hd tm ir pg [O [T B]] Hn. split; [|split; auto]. destruct O. constructor; simpl; eauto.
  - intros. specialize (ow_obj_fresh0 _ _ H). lia.
  - intros. specialize (ow_acct_fresh0 _ _ _ H). lia.
Qed.

Lemma parent_ok_cons : forall cs x c, parent_ok cs c -> parent_ok (x :: cs) c.
Proof.
  unfold parent_ok. intros cs x c H. destruct (c_anc c); auto.
  destruct H as [pc H]. exists pc. simpl. intuition.
Qed.

(* A new child of src (derive, copy_to). *)
Lemma wf_add_child : forall s src sp r b hd tm ir pg,
  wf s -> In src (s_caps s) -> is_space s sp -> incl r (c_rights src) ->
  (c_badge src <> 0 -> b = c_badge src) ->
  (b <> 0 -> obj_type s (c_obj src) = Some TEndpoint \/
             obj_type s (c_obj src) = Some TNotification) ->
  wf (mkState (s_objs s) (s_accts s)
              (mkCap (s_next s) sp (c_obj src) r b (c_id src :: c_anc src) :: s_caps s)
              (s_tstate s) (s_word s) (s_waiters s) (s_caller s) (S (s_next s)) (s_prio s) hd tm ir pg (s_maps s) (s_via s)).
Proof.
  intros s src sp r b hd tm ir pg [C R] Hsrc Hsp Hr Hb1 Hb2. split; [|apply rest_wf_caps; auto].
  destruct C. constructor; simpl.
  - intros c [<-|Hc]; simpl; eauto.
  - intros c [<-|Hc]; simpl; eauto.
  - intros c [<-|Hc]; simpl; [lia|]. specialize (cw_fresh0 c Hc). lia.
  - constructor; auto. intro Hin. apply in_map_iff in Hin. destruct Hin as [c [E Hc]].
    specialize (cw_fresh0 c Hc). lia.
  - intros c [<-|Hc].
    + unfold parent_ok. simpl. exists src. intuition.
    + apply parent_ok_cons. auto.
  - intros c a [<-|Hc] Ha; simpl in *.
    + specialize (cw_fresh0 src Hsrc). destruct Ha as [<-|Ha]; [lia|].
      specialize (cw_anc_lt0 src a Hsrc Ha). lia.
    + eauto.
  - intros c [<-|Hc]; simpl; eauto.
Qed.

Lemma in_del_caps : forall d cs c',
  In c' (del_caps d cs) <-> exists c, In c cs /\ c_id c <> d /\ c' = strip d c.
Proof.
  unfold del_caps. intros. rewrite in_map_iff. split.
  - intros [c [E Hc]]. apply filter_In in Hc. destruct Hc as [Hc Hn].
    exists c. split; auto. split; auto. apply negb_true_iff, Nat.eqb_neq in Hn. auto.
  - intros [c [Hc [Hn E]]]. exists c. split; auto. apply filter_In. split; auto.
    apply negb_true_iff, Nat.eqb_neq. auto.
Qed.

Lemma del_caps_ids : forall d cs, map c_id (del_caps d cs) =
                                  map c_id (filter (fun c => negb (Nat.eqb (c_id c) d)) cs).
Proof. intros. unfold del_caps. rewrite map_map. reflexivity. Qed.

Lemma caps_wf_del : forall s d, caps_wf s -> caps_wf (with_caps s (del_caps d (s_caps s))).
Proof.
  intros s d C. pose proof C as C'. destruct C. constructor; simpl.
  - intros c' Hc. apply in_del_caps in Hc. destruct Hc as [c [Hc [_ ->]]]. simpl. eauto.
  - intros c' Hc. apply in_del_caps in Hc. destruct Hc as [c [Hc [_ ->]]]. simpl.
    unfold is_space. simpl. apply cw_space0. auto.
  - intros c' Hc. apply in_del_caps in Hc. destruct Hc as [c [Hc [_ ->]]]. simpl. eauto.
  - rewrite del_caps_ids. apply nodup_map_filter. auto.
  - intros c' Hc. apply in_del_caps in Hc. destruct Hc as [c [Hc [Hcd ->]]].
    pose proof (cw_parent0 c Hc) as P. unfold parent_ok in *. simpl.
    destruct (c_anc c) as [|p rest] eqn:Ea; [simpl; auto|].
    destruct P as [pc [Hpc [Hid [Hanc [Hr [Ho Hb]]]]]].
    destruct (Nat.eq_dec d p) as [Edp|Ndp].
    + (* the parent is the deleted capability: the grandparent becomes the parent *)
      rewrite <- Edp in *. clear Edp.
      assert (remove Nat.eq_dec d (d :: rest) = remove Nat.eq_dec d rest) as ->
        by (simpl; destruct (Nat.eq_dec d d); congruence).
      destruct rest as [|q rest']; [simpl; auto|].
      pose proof (cw_parent0 pc Hpc) as P2. unfold parent_ok in P2. rewrite Hanc in P2.
      destruct P2 as [qc [Hqc [Hqid [Hqanc [Hqr [Hqo Hqb]]]]]].
      assert (q < d) as Hq.
      { rewrite <- Hid. apply cw_anc_lt0; auto. rewrite Hanc. left. reflexivity. }
      assert (remove Nat.eq_dec d (q :: rest') = q :: remove Nat.eq_dec d rest') as ->
        by (simpl; destruct (Nat.eq_dec d q); [lia|reflexivity]).
      exists (strip d qc). simpl. repeat split.
      * apply in_del_caps. exists qc. split; [auto|split; [rewrite Hqid; lia|reflexivity]].
      * auto.
      * rewrite Hqanc. reflexivity.
      * eapply incl_tran; eauto.
      * congruence.
      * intro Hbq. rewrite Hb; [apply Hqb; auto|]. rewrite Hqb; auto.
    + assert (remove Nat.eq_dec d (p :: rest) = p :: remove Nat.eq_dec d rest) as ->
        by (simpl; destruct (Nat.eq_dec d p); [contradiction|reflexivity]).
      exists (strip d pc). simpl. repeat split.
      * apply in_del_caps. exists pc. split; [auto|split; [rewrite Hid; auto|reflexivity]].
      * auto.
      * rewrite Hanc. reflexivity.
      * auto.
      * auto.
      * auto.
  - intros c' a Hc Ha. apply in_del_caps in Hc. destruct Hc as [c [Hc [_ ->]]].
    simpl in *. apply in_remove in Ha. destruct Ha. eauto.
  - intros c' Hc. apply in_del_caps in Hc. destruct Hc as [c [Hc [_ ->]]]. simpl. eauto.
Qed.

Lemma in_revoke_caps : forall r cs c,
  In c (revoke_caps r cs) <-> In c cs /\ ~ In r (c_anc c).
Proof.
  unfold revoke_caps. intros. rewrite filter_In.
  destruct (in_dec Nat.eq_dec r (c_anc c)); intuition congruence.
Qed.

Lemma caps_wf_revoke : forall s r, caps_wf s ->
  caps_wf (with_caps s (revoke_caps r (s_caps s))).
Proof.
  intros s r C. destruct C. constructor; simpl.
  - intros c Hc. apply in_revoke_caps in Hc. intuition eauto.
  - intros c Hc. apply in_revoke_caps in Hc. unfold is_space. simpl. apply cw_space0. intuition.
  - intros c Hc. apply in_revoke_caps in Hc. intuition eauto.
  - apply nodup_map_filter. auto.
  - intros c Hc. apply in_revoke_caps in Hc. destruct Hc as [Hc Hn].
    pose proof (cw_parent0 c Hc) as P. unfold parent_ok in *.
    destruct (c_anc c) as [|p rest]; auto.
    destruct P as [pc [Hpc [Hid [Hanc H]]]]. exists pc. repeat split; try tauto.
    apply in_revoke_caps. split; auto. rewrite Hanc. intro. apply Hn. right. auto.
  - intros c a Hc Ha. apply in_revoke_caps in Hc. intuition eauto.
  - intros c Hc Hb. apply in_revoke_caps in Hc. destruct Hc. apply cw_badge0; auto.
Qed.


Lemma wf_with_caps : forall s cs, rest_wf s -> caps_wf (with_caps s cs) ->
  wf (with_caps s cs).
Proof.
  intros. split; auto. unfold with_caps. apply rest_wf_caps; auto.
Qed.

Lemma named_false : forall cs o, named cs o = false -> forall c, In c cs -> c_obj c <> o.
Proof.
  unfold named. intros cs o H c Hc E. assert (existsb (fun c => Nat.eqb (c_obj c) o) cs = true).
  { apply existsb_exists. exists c. split; auto. apply Nat.eqb_eq. auto. }
  congruence.
Qed.


(* ---------- Threads and queues: the operations every call is made of ---------- *)

Lemma in_queue : forall objs ts wq cl o x, threads_wf objs ts wq cl -> In x (wq o) ->
  (ts x = BlockedNotif o /\ exists q, objs o = Some (mkObj KNotification q)) \/
  (((exists b, ts x = BlockedSend o b) \/ ts x = BlockedRecv o) /\
   exists q, objs o = Some (mkObj KEndpoint q)).
Proof.
  intros objs ts wq cl o x T Hx. destruct (tw_waiters _ _ _ _ T o x Hx) as [_ Hb].
  destruct (tw_blocked _ _ _ _ T x o Hb) as [Hw _]. revert Hb Hw.
  destruct (ts x); simpl; intros Hb Hw; try discriminate; inversion Hb; subst.
  - right. split; auto. left. eexists. reflexivity.
  - right. split; auto.
  - left. split; auto.
Qed.

Lemma not_queued : forall objs ts wq cl x o, threads_wf objs ts wq cl ->
  blocked_on (ts x) = None -> ~ In x (wq o).
Proof.
  intros objs ts wq cl x o T Hn Hin. destruct (tw_waiters _ _ _ _ T o x Hin) as [_ H].
  congruence.
Qed.

Lemma tw_objs : forall objs objs' ts wq cl, threads_wf objs ts wq cl ->
  (forall x ob, objs x = Some ob -> objs' x = Some ob) -> threads_wf objs' ts wq cl.
Proof.
  intros objs objs' ts wq cl T Hm. destruct T as [B W N K R RC CT]. constructor; auto.
  - intros t o Hb. destruct (B t o Hb) as [Hw Hin]. split; auto. revert Hw.
    destruct (ts t); simpl; auto; intros [q Hq]; exists q; auto.
  - intros o t Hin. destruct (W o t Hin) as [[sp [q Hq]] Hb]. split; auto. exists sp, q. auto.
  - intros srv t Hc. destruct (CT srv t Hc) as [sp [q Hq]]. exists sp, q. auto.
Qed.

(* The first thread of a queue leaves it and becomes Ready. *)
Lemma tw_dequeue : forall objs ts wq cl o x rest, threads_wf objs ts wq cl ->
  wq o = x :: rest -> threads_wf objs (upd ts x Ready) (upd wq o rest) cl.
Proof.
  intros objs ts wq cl o x rest T Ew.
  assert (Hx : In x (wq o)) by (rewrite Ew; left; auto).
  destruct (tw_waiters _ _ _ _ T o x Hx) as [_ Hbx].
  assert (Hnd : NoDup (x :: rest)) by (rewrite <- Ew; apply (tw_nodup _ _ _ _ T)).
  apply NoDup_cons_iff in Hnd. destruct Hnd as [Hxr Hndr].
  assert (Hxo : forall o', In x (wq o') -> o' = o).
  { intros o' H'. destruct (tw_waiters _ _ _ _ T o' x H') as [_ H2]. congruence. }
  destruct T as [B W N K R RC CT]. constructor.
  - intros t o'. destruct (Nat.eq_dec t x) as [->|Nt]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. intros Hb. destruct (B t o' Hb) as [Hw Hin]. split; auto.
    destruct (Nat.eq_dec o' o) as [->|No].
    + rewrite upd_eq. rewrite Ew in Hin. destruct Hin; [congruence|auto].
    + rewrite upd_neq by auto. auto.
  - intros o' t. destruct (Nat.eq_dec o' o) as [->|No].
    + rewrite upd_eq. intros Hin. assert (t <> x) by (intro; subst; contradiction).
      rewrite upd_neq by auto. apply W. rewrite Ew. right. auto.
    + rewrite upd_neq by auto. intros Hin.
      assert (t <> x) by (intro; subst; apply No; auto).
      rewrite upd_neq by auto. apply W. auto.
  - intros o'. destruct (Nat.eq_dec o' o) as [->|No];
      [rewrite upd_eq; auto|rewrite upd_neq by auto; auto].
  - intros o' t1 t2. destruct (Nat.eq_dec o' o) as [->|No].
    + rewrite upd_eq. intros H1 H2.
      assert (t1 <> x) by (intro; subst; contradiction).
      assert (t2 <> x) by (intro; subst; contradiction).
      rewrite !upd_neq by auto. apply (K o); rewrite Ew; right; auto.
    + rewrite upd_neq by auto. intros H1 H2.
      assert (t1 <> x) by (intro; subst; apply No; auto).
      assert (t2 <> x) by (intro; subst; apply No; auto).
      rewrite !upd_neq by auto. eauto.
  - intros t srv. destruct (Nat.eq_dec t x) as [->|Nt].
    + rewrite upd_eq. split; [discriminate|]. intros Hc. apply R in Hc.
      rewrite Hc in Hbx. discriminate.
    + rewrite upd_neq by auto. apply R.
  - intros srv e. destruct (Nat.eq_dec srv x) as [->|Ns];
      [rewrite upd_eq; discriminate|rewrite upd_neq by auto; eauto].
  - auto.
Qed.

(* A thread that waits nowhere joins the end of a queue. *)
Lemma tw_enqueue : forall objs ts wq cl o x st, threads_wf objs ts wq cl ->
  thread_o objs x -> blocked_on (ts x) = None -> (forall srv, ts x <> BlockedReply srv) ->
  blocked_on st = Some o -> waits_ok objs st ->
  (forall y, In y (wq o) -> is_recv (ts y) = is_recv st) ->
  (is_recv st = true -> cl x = None) ->
  threads_wf objs (upd ts x st) (upd wq o (wq o ++ [x])) cl.
Proof.
  intros objs ts wq cl o x st T Hth Hnb Hnr Hst Hw Hk Hrc.
  assert (Hxq : forall o', ~ In x (wq o')) by (intros o'; eapply not_queued; eauto).
  assert (Hncl : forall srv, cl srv <> Some x).
  { intros srv H'. apply (tw_reply _ _ _ _ T) in H'. apply (Hnr srv). auto. }
  destruct T as [B W N K R RC CT]. constructor.
  - intros t o'. destruct (Nat.eq_dec t x) as [->|Nt].
    + rewrite upd_eq. intros H'. rewrite Hst in H'. inversion H'; subst. split; auto.
      rewrite upd_eq. apply in_or_app. right. left. auto.
    + rewrite upd_neq by auto. intros Hb. destruct (B t o' Hb) as [Hw' Hin]. split; auto.
      destruct (Nat.eq_dec o' o) as [->|No];
        [rewrite upd_eq; apply in_or_app; left; auto|rewrite upd_neq by auto; auto].
  - intros o' t. destruct (Nat.eq_dec o' o) as [->|No].
    + rewrite upd_eq. intros Hin. apply in_app_or in Hin. destruct Hin as [Hin|[<-|[]]].
      * assert (t <> x) by (intro; subst; apply (Hxq o); auto). rewrite upd_neq by auto.
        auto.
      * rewrite upd_eq. auto.
    + rewrite upd_neq by auto. intros Hin.
      assert (t <> x) by (intro; subst; apply (Hxq o'); auto).
      rewrite upd_neq by auto. auto.
  - intros o'. destruct (Nat.eq_dec o' o) as [->|No].
    + rewrite upd_eq. apply nodup_snoc; auto.
    + rewrite upd_neq by auto. auto.
  - intros o' t1 t2. destruct (Nat.eq_dec o' o) as [->|No].
    + rewrite upd_eq. intros H1 H2. apply in_app_or in H1. apply in_app_or in H2.
      destruct H1 as [H1|[<-|[]]]; destruct H2 as [H2|[<-|[]]].
      * assert (t1 <> x) by (intro; subst; apply (Hxq o); auto).
        assert (t2 <> x) by (intro; subst; apply (Hxq o); auto).
        rewrite !upd_neq by auto. eauto.
      * assert (t1 <> x) by (intro; subst; apply (Hxq o); auto).
        rewrite upd_neq by auto. rewrite upd_eq. auto.
      * assert (t2 <> x) by (intro; subst; apply (Hxq o); auto).
        rewrite upd_eq. rewrite upd_neq by auto. symmetry. auto.
      * auto.
    + rewrite upd_neq by auto. intros H1 H2.
      assert (t1 <> x) by (intro; subst; apply (Hxq o'); auto).
      assert (t2 <> x) by (intro; subst; apply (Hxq o'); auto).
      rewrite !upd_neq by auto. eauto.
  - intros t srv. destruct (Nat.eq_dec t x) as [->|Nt].
    + rewrite upd_eq. split; [intros E; rewrite E in Hst; discriminate|].
      intros E. exfalso. apply (Hncl srv). auto.
    + rewrite upd_neq by auto. auto.
  - intros srv e. destruct (Nat.eq_dec srv x) as [->|Ns].
    + rewrite upd_eq. intros E. apply Hrc. rewrite E. reflexivity.
    + rewrite upd_neq by auto. eauto.
  - auto.
Qed.

(* A thread that waits nowhere starts waiting for srv's reply. *)
Lemma tw_link : forall objs ts wq cl x srv, threads_wf objs ts wq cl -> thread_o objs x ->
  blocked_on (ts x) = None -> (forall srv', ts x <> BlockedReply srv') ->
  cl srv = None -> (forall e, ts srv <> BlockedRecv e) ->
  threads_wf objs (upd ts x (BlockedReply srv)) wq (upd cl srv (Some x)).
Proof.
  intros objs ts wq cl x srv T Htx Hnb Hnr Hcl Hsr.
  assert (Hxq : forall o', ~ In x (wq o')) by (intros o'; eapply not_queued; eauto).
  destruct T as [B W N K R RC CT]. constructor.
  - intros t o. destruct (Nat.eq_dec t x) as [->|Nt]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. auto.
  - intros o t Hin. assert (t <> x) by (intro; subst; apply (Hxq o); auto).
    rewrite upd_neq by auto. auto.
  - auto.
  - intros o t1 t2 H1 H2.
    assert (t1 <> x) by (intro; subst; apply (Hxq o); auto).
    assert (t2 <> x) by (intro; subst; apply (Hxq o); auto).
    rewrite !upd_neq by auto. eauto.
  - intros t srv0. destruct (Nat.eq_dec t x) as [->|Nt].
    + rewrite upd_eq. destruct (Nat.eq_dec srv0 srv) as [->|Ns].
      * rewrite upd_eq. split; auto.
      * rewrite upd_neq by auto. split; [intros E; inversion E; congruence|].
        intros E. apply R in E. exfalso. apply (Hnr srv0). auto.
    + rewrite upd_neq by auto. destruct (Nat.eq_dec srv0 srv) as [->|Ns].
      * rewrite upd_eq. split; [intros E; apply R in E; congruence|intros E; congruence].
      * rewrite upd_neq by auto. auto.
  - intros srv0 e. destruct (Nat.eq_dec srv0 x) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. destruct (Nat.eq_dec srv0 srv) as [->|Ns].
    + intros E. exfalso. apply (Hsr e). auto.
    + rewrite upd_neq by auto. eauto.
  - intros srv0 t Hc. destruct (Nat.eq_dec srv0 srv) as [->|Ns].
    + rewrite upd_eq in Hc. inversion Hc; subst. auto.
    + rewrite upd_neq in Hc by auto. eauto.
Qed.

(* A server lets its caller go (reply, or a caller abandoned): the caller becomes Ready. *)
Lemma tw_unlink : forall objs ts wq cl srv c, threads_wf objs ts wq cl -> cl srv = Some c ->
  threads_wf objs (upd ts c Ready) wq (upd cl srv None).
Proof.
  intros objs ts wq cl srv c T Hc.
  assert (Hcs : ts c = BlockedReply srv) by (apply (tw_reply _ _ _ _ T); auto).
  assert (Hcq : forall o, ~ In c (wq o))
    by (intros o; eapply not_queued; eauto; rewrite Hcs; reflexivity).
  destruct T as [B W N K R RC CT]. constructor.
  - intros t o. destruct (Nat.eq_dec t c) as [->|Nt]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. auto.
  - intros o t Hin. assert (t <> c) by (intro; subst; apply (Hcq o); auto).
    rewrite upd_neq by auto. auto.
  - auto.
  - intros o t1 t2 H1 H2.
    assert (t1 <> c) by (intro; subst; apply (Hcq o); auto).
    assert (t2 <> c) by (intro; subst; apply (Hcq o); auto).
    rewrite !upd_neq by auto. eauto.
  - intros t srv0. destruct (Nat.eq_dec t c) as [->|Nt].
    + rewrite upd_eq. split; [discriminate|].
      destruct (Nat.eq_dec srv0 srv) as [->|Ns]; [rewrite upd_eq; discriminate|].
      rewrite upd_neq by auto. intros E. apply R in E. congruence.
    + rewrite upd_neq by auto. destruct (Nat.eq_dec srv0 srv) as [->|Ns].
      * rewrite upd_eq. split; [intros E; apply R in E; congruence|discriminate].
      * rewrite upd_neq by auto. auto.
  - intros srv0 e. destruct (Nat.eq_dec srv0 c) as [->|Nc]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. intros E. destruct (Nat.eq_dec srv0 srv) as [->|Ns];
      [rewrite upd_eq; auto|rewrite upd_neq by auto; eauto].
  - intros srv0 t Hc0. destruct (Nat.eq_dec srv0 srv) as [->|Ns].
    + rewrite upd_eq in Hc0. discriminate.
    + rewrite upd_neq in Hc0 by auto. eauto.
Qed.

(* ---------- Calls that change only threads and queues, or a word ---------- *)

Lemma endpoint_not_notif : forall s e, is_endpoint s e -> ~ is_notif s e.
Proof. intros s e [q Hq] [q' Hq']. congruence. Qed.

Lemma obj_type_endpoint : forall s o, obj_type s o = Some TEndpoint -> is_endpoint s o.
Proof.
  unfold obj_type, is_endpoint. intros s o H.
  destruct (s_objs s o) as [[k q]|]; [|discriminate]. destruct k; simpl in H; try discriminate.
  eauto.
Qed.

Lemma wf_threads : forall s ts wq cl, wf s -> threads_wf (s_objs s) ts wq cl ->
  (forall n, wq n <> [] -> is_notif s n -> s_word s n = 0) ->
  wf (with_threads s ts wq cl).
Proof.
  intros s ts wq cl [C [O [T Bw]]] T' Hb. unfold with_threads.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split]].
  - exact T'.
  - intros n Hn Hno. apply Hb; auto.
Qed.

Lemma wf_threads_via : forall s t v ts wq cl, wf s -> threads_wf (s_objs s) ts wq cl ->
  (forall n, wq n <> [] -> is_notif s n -> s_word s n = 0) ->
  wf (with_threads (set_via s t v) ts wq cl).
Proof.
  intros s t v ts wq cl [C [O [T Bw]]] T' Hb. unfold with_threads, set_via.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split]].
  - exact T'.
  - intros n Hn Hno. apply Hb; auto.
Qed.

Lemma wf_tw : forall s, wf s -> threads_wf (s_objs s) (s_tstate s) (s_waiters s) (s_caller s).
Proof. intros s W. apply W. Qed.

Lemma bits_dequeue : forall s o x rest, wf s -> s_waiters s o = x :: rest ->
  forall n, upd (s_waiters s) o rest n <> [] -> is_notif s n -> s_word s n = 0.
Proof.
  intros s o x rest [_ [_ [_ Bw]]] Ew n Hn Hno. apply Bw; auto.
  destruct (Nat.eq_dec n o) as [->|Nn]; [rewrite Ew; discriminate|].
  rewrite upd_neq in Hn by auto. auto.
Qed.

Lemma bits_enqueue_ep : forall s e l, wf s -> is_endpoint s e ->
  forall n, upd (s_waiters s) e l n <> [] -> is_notif s n -> s_word s n = 0.
Proof.
  intros s e l [_ [_ [_ Bw]]] He n Hn Hno.
  destruct (Nat.eq_dec n e) as [->|Nn]; [exfalso; eapply endpoint_not_notif; eauto|].
  rewrite upd_neq in Hn by auto. apply Bw; auto.
Qed.

Lemma tw_enqueue_running : forall objs ts wq cl o t sp q st, threads_wf objs ts wq cl ->
  ts t = Running -> objs t = Some (mkObj (KThread sp) q) ->
  blocked_on st = Some o -> waits_ok objs st ->
  (forall y, In y (wq o) -> is_recv (ts y) = is_recv st) ->
  (is_recv st = true -> cl t = None) ->
  threads_wf objs (upd ts t st) (upd wq o (wq o ++ [t])) cl.
Proof.
  intros. apply tw_enqueue; auto.
  - exists sp, q. auto.
  - rewrite H0. reflexivity.
  - intros srv. rewrite H0. discriminate.
Qed.

Lemma wf_set_word : forall s n v, wf s -> (s_waiters s n <> [] -> v = 0) ->
  wf (mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (upd (s_word s) n v)
              (s_waiters s) (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s)).
Proof.
  intros s n v [C [O [T Bw]]] Hv.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split]].
  - exact T.
  - intros m Hm Hno. simpl in *. destruct (Nat.eq_dec m n) as [->|Nm].
    + rewrite upd_eq. auto.
    + rewrite upd_neq by auto. apply Bw; auto.
Qed.

(* ---------- The mappings' objects ---------- *)

Lemma mapped_false : forall s o, mapped s o = false -> forall m, In m (s_maps s) -> m_mem m <> o.
Proof.
  unfold mapped. intros s o H m Hm E.
  assert (existsb (fun m => Nat.eqb (m_mem m) o) (s_maps s) = true).
  { apply existsb_exists. exists m. split; auto. apply Nat.eqb_eq. auto. }
  congruence.
Qed.

Lemma held_false_mapped : forall s o, held s o = false -> mapped s o = false.
Proof. unfold held. intros s o H. apply orb_false_iff in H. tauto. Qed.

Lemma maps_ok_nil : forall objs, maps_ok objs [].
Proof.
  intros objs. constructor; [constructor| |]; simpl; try contradiction; constructor.
Qed.

(* An object no mapping holds, not a space, dies: the mappings are still fine. *)
Lemma maps_ok_upd_none : forall objs ms o, maps_ok objs ms ->
  (forall m, In m ms -> m_mem m <> o) -> (forall a q, objs o <> Some (mkObj (KSpace a) q)) ->
  maps_ok (upd objs o None) ms.
Proof.
  intros objs ms o [W Mm Ms] Hm Hs. constructor; auto.
  - intros m H. rewrite upd_neq by auto. auto.
  - intros m H. destruct (Ms m H) as [a [q E]]. exists a, q.
    rewrite upd_neq; auto. intros E'. rewrite <- E' in Hs. exact (Hs a q E).
Qed.

(* A new object (at an id nothing had): the mappings are still fine. *)
Lemma maps_ok_upd_fresh : forall objs ms o v, maps_ok objs ms -> objs o = None ->
  maps_ok (upd objs o v) ms.
Proof.
  intros objs ms o v [W Mm Ms] Ho. constructor; auto.
  - intros m H. destruct (Mm m H) as [p [q [E L]]]. exists p, q.
    rewrite upd_neq; auto. intros Eo. rewrite Eo in E. congruence.
  - intros m H. destruct (Ms m H) as [a [q E]]. exists a, q.
    rewrite upd_neq; auto. intros Eo. rewrite Eo in E. congruence.
Qed.

(* ---------- Destroying an object without capabilities ---------- *)

Lemma wf_destroy : forall s o, wf s -> named (s_caps s) o = false -> mapped s o = false ->
  wf (destroy s o).
Proof.
  intros s o [C [O [T Bw]]] Hn Hmp. pose proof (named_false _ _ Hn) as Hno.
  unfold destroy. destruct (s_objs s o) as [[k q]|] eqn:Eo; [|split; auto; split; auto].
  simpl. destruct (reapable k) eqn:Er; [|split; auto; split; auto].
  assert (forall x a' q', s_objs s x = Some (mkObj (KSpace a') q') -> x <> o) as Hsp.
  { intros x a' q' Ex ->. rewrite Eo in Ex. inversion Ex; subst. discriminate. }
  assert (forall x sp' q', s_objs s x = Some (mkObj (KThread sp') q') -> x <> o) as Hth.
  { intros x sp' q' Ex ->. rewrite Eo in Ex. inversion Ex; subst. discriminate. }
  assert (forall a, acct_live s a -> exists l u, refund (s_accts s) q (obj_size k) a = Some (l, u))
    as Hacc.
  { intros a [l [u Ea]]. unfold refund. destruct (Nat.eqb a q) eqn:E.
    - apply Nat.eqb_eq in E. subst. rewrite Ea. eauto.
    - eauto. }
  set (ts' := fun t => match blocked_on (s_tstate s t) with
                       | Some o' => if Nat.eqb o' o then Ready else s_tstate s t
                       | None => s_tstate s t
                       end).
  assert (Hts : forall t, (blocked_on (s_tstate s t) = Some o /\ ts' t = Ready) \/
                          (blocked_on (s_tstate s t) <> Some o /\ ts' t = s_tstate s t)).
  { intros t. unfold ts'. destruct (blocked_on (s_tstate s t)) as [o'|].
    - destruct (Nat.eqb o' o) eqn:E.
      + apply Nat.eqb_eq in E. subst. left. auto.
      + apply Nat.eqb_neq in E. right. split; auto. congruence.
    - right. split; auto. discriminate. }
  destruct C, O. split; [|split; [|split]]; [constructor; simpl|constructor; simpl| |].
  - intros c Hc. rewrite upd_neq by (apply Hno; auto). auto.
  - intros c Hc. destruct (cw_space0 c Hc) as [a [q' E]]. exists a, q'. simpl.
    rewrite upd_neq by eauto. auto.
  - auto.
  - auto.
  - auto.
  - auto.
  - intros c Hc Hb. unfold obj_type. simpl. rewrite upd_neq by (apply Hno; auto).
    apply cw_badge0; auto.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. eauto.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros x a q'. destruct (Nat.eq_dec x o) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros a l u. unfold refund. destruct (Nat.eqb a q) eqn:E.
    + apply Nat.eqb_eq in E. subst. destruct (s_accts s q) as [[l' u']|] eqn:Eq;
        [|discriminate]. intros H; inversion H; subst. specialize (ow_quota0 _ _ _ Eq). lia.
    + eauto.
  - intros a l u. unfold refund. destruct (Nat.eqb a q) eqn:E.
    + apply Nat.eqb_eq in E. subst. destruct (s_accts s q) as [[l' u']|] eqn:Eq;
        [|discriminate]. intros _. eauto.
    + eauto.
  - intros x sp q'. destruct (Nat.eq_dec x o) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. intros E. destruct (ow_thread_space0 _ _ _ E) as [a [q2 E2]].
    exists a, q2. simpl. rewrite upd_neq by eauto. auto.
  - auto.
  - apply maps_ok_upd_none; auto.
    + apply mapped_false. auto.
    + intros a q' E. rewrite Eo in E. inversion E; subst. discriminate.
  - simpl. destruct T as [B W N K R RC CT]. constructor.
    + intros t o'. destruct (Hts t) as [[H1 ->]|[H1 ->]]; [discriminate|].
      intros Hb. destruct (B t o' Hb) as [Hw Hin]. assert (o' <> o) by congruence.
      split; [|rewrite upd_neq by auto; auto].
      revert Hb Hw. destruct (s_tstate s t); simpl; try discriminate; intros Hb Hw;
        inversion Hb; subst; rewrite upd_neq by auto; auto.
    + intros o' t. destruct (Nat.eq_dec o' o) as [->|No]; [rewrite upd_eq; intros []|].
      rewrite upd_neq by auto. intros Hin. destruct (W o' t Hin) as [[sp2 [q3 E3]] Hb].
      split; [exists sp2, q3; rewrite upd_neq by eauto; auto|].
      destruct (Hts t) as [[H1 _]|[_ ->]]; [congruence|auto].
    + intros o'. destruct (Nat.eq_dec o' o) as [->|No]; [rewrite upd_eq; constructor|].
      rewrite upd_neq by auto. auto.
    + intros o' t1 t2. destruct (Nat.eq_dec o' o) as [->|No]; [rewrite upd_eq; intros []|].
      rewrite upd_neq by auto. intros H1 H2.
      destruct (W o' t1 H1) as [_ Hb1]. destruct (W o' t2 H2) as [_ Hb2].
      destruct (Hts t1) as [[A _]|[_ ->]]; [congruence|].
      destruct (Hts t2) as [[A _]|[_ ->]]; [congruence|]. eauto.
    + intros t srv. destruct (Hts t) as [[H1 ->]|[H1 ->]].
      * split; [discriminate|]. intros E. apply R in E. rewrite E in H1. discriminate.
      * auto.
    + intros srv e. destruct (Hts srv) as [[H1 ->]|[H1 ->]]; [discriminate|eauto].
    + intros srv t Hc. destruct (CT srv t Hc) as [sp2 [q3 E3]]. exists sp2, q3.
      rewrite upd_neq by eauto. auto.
  - intros n Hwn Hnot. simpl in *. destruct (Nat.eq_dec n o) as [->|Nn].
    + rewrite upd_eq. auto.
    + rewrite upd_neq in * by auto. apply Bw; auto. destruct Hnot as [q2 E2]. simpl in E2.
      exists q2. rewrite upd_neq in E2 by auto. auto.
Qed.

(* ---------- Creating an object ---------- *)

Lemma tw_fresh_inactive : forall objs ts wq cl o, threads_wf objs ts wq cl ->
  objs o = None -> threads_wf objs (upd ts o Inactive) wq cl.
Proof.
  intros objs ts wq cl o T Ho.
  assert (Hnt : ~ thread_o objs o) by (intros [sp [q E]]; congruence).
  assert (Hoq : forall o', ~ In o (wq o')).
  { intros o' H'. apply Hnt. apply (tw_waiters _ _ _ _ T o' o H'). }
  destruct T as [B W N K R RC CT]. constructor.
  - intros t o'. destruct (Nat.eq_dec t o) as [->|Nt]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. auto.
  - intros o' t Hin. assert (t <> o) by (intro; subst; apply (Hoq o'); auto).
    rewrite upd_neq by auto. auto.
  - auto.
  - intros o' t1 t2 H1 H2.
    assert (t1 <> o) by (intro; subst; apply (Hoq o'); auto).
    assert (t2 <> o) by (intro; subst; apply (Hoq o'); auto).
    rewrite !upd_neq by auto. eauto.
  - intros t srv. destruct (Nat.eq_dec t o) as [->|Nt].
    + rewrite upd_eq. split; [discriminate|]. intros E. exfalso. apply Hnt. eauto.
    + rewrite upd_neq by auto. auto.
  - intros srv e. destruct (Nat.eq_dec srv o) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. eauto.
  - auto.
Qed.

Lemma wf_create : forall s sp k rts p r s', wf s -> (forall a', k <> KSpace a') ->
  (forall sp', k = KThread sp' -> is_space s sp') -> p < prio_count ->
  create s sp k rts p = (r, s') -> wf s'.
Proof.
  intros s sp k rts p r s' [C [O [T Bw]]] Hk Hks Hp H. unfold create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q]|] eqn:Esp;
    try (inversion H; subst; split; auto; split; auto; fail).
  destruct (s_accts s a) as [[l u]|] eqn:Ea; [|inversion H; subst; split; auto; split; auto].
  destruct (Nat.ltb l (u + obj_size k)) eqn:Elt;
    [inversion H; subst; split; auto; split; auto|].
  inversion H; subst; clear H. apply Nat.ltb_ge in Elt.
  set (o := s_next s).
  assert (forall x, s_objs s x <> None -> x <> o) as Hold.
  { intros x Hx E. subst. apply live_fresh in Hx; auto. unfold o in Hx. lia. }
  assert (forall x ob, s_objs s x = Some ob -> x <> o) as Hold'.
  { intros x ob Hx. apply Hold. congruence. }
  assert (forall b, acct_live s b -> exists l' u', upd (s_accts s) a (Some (l, u + obj_size k)) b
                                                 = Some (l', u')) as Hacc.
  { intros b [l' [u' E]]. destruct (Nat.eq_dec b a) as [->|Nb].
    - rewrite upd_eq. eauto.
    - rewrite upd_neq by auto. eauto. }
  assert (forall x, is_space s x -> is_space
            (mkState (upd (s_objs s) o (Some (mkObj k a)))
                     (upd (s_accts s) a (Some (l, u + obj_size k)))
                     (mkCap (S o) sp o rts 0 [] :: s_caps s) (s_tstate s) (upd (s_word s) o 0)
                     (s_waiters s) (s_caller s) (S (S o)) (upd (s_prio s) o p) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s)) x) as Hspace.
  { intros x [a' [q' E]]. exists a', q'. simpl. rewrite upd_neq by eauto. auto. }
  destruct C, O. split; [|split; [|split]]; [constructor; simpl|constructor; simpl| |].
  - intros c [<-|Hc]; simpl; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. auto.
  - intros c [<-|Hc]; simpl; apply Hspace; [unfold is_space; eauto|auto].
  - intros c [<-|Hc]; simpl; [lia|]. specialize (cw_fresh0 c Hc). unfold o. lia.
  - constructor; auto. intro Hin. apply in_map_iff in Hin. destruct Hin as [c [E Hc]].
    specialize (cw_fresh0 c Hc). unfold o in *. lia.
  - intros c [<-|Hc]; [unfold parent_ok; simpl; auto|]. apply parent_ok_cons. auto.
  - intros c x [<-|Hc] Hx; simpl in *; [destruct Hx|]. eauto.
  - intros c [<-|Hc] Hb; simpl in *; [congruence|]. unfold obj_type in *. simpl.
    rewrite upd_neq by auto. auto.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx]; [lia|].
    rewrite upd_neq by auto. intros E. specialize (ow_obj_fresh0 _ _ E). lia.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. simpl. apply Hacc. unfold acct_live; eauto.
    + rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros x a' q'. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. exfalso. eapply Hk. reflexivity.
    + rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros b l' u'. destruct (Nat.eq_dec b a) as [->|Nb].
    + rewrite upd_eq. intros E; inversion E; subst. lia.
    + rewrite upd_neq by auto. eauto.
  - intros b l' u'. destruct (Nat.eq_dec b a) as [->|Nb].
    + intros _. specialize (ow_acct_fresh0 _ _ _ Ea). unfold o. lia.
    + rewrite upd_neq by auto. intros E. specialize (ow_acct_fresh0 _ _ _ E). unfold o. lia.
  - intros x sp' q'. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. apply Hspace. apply Hks. reflexivity.
    + rewrite upd_neq by auto. intros E. apply Hspace. eauto.
  - intros x. destruct (Nat.eq_dec x o) as [->|Nx]; [rewrite upd_eq; auto|].
    rewrite upd_neq by auto. auto.
  - apply maps_ok_upd_fresh; auto. destruct (s_objs s o) eqn:E; auto.
    exfalso. apply (Hold' o o0); auto.
  - simpl. eapply tw_objs.
    + apply tw_fresh_inactive; eauto. destruct (s_objs s o) eqn:E; auto.
      exfalso. apply (Hold' o o0); auto.
    + intros x ob E. rewrite upd_neq by eauto. auto.
  - intros n Hwn Hnot. simpl in *. destruct (Nat.eq_dec n o) as [->|Nn].
    + rewrite upd_eq. auto.
    + rewrite upd_neq by auto. apply Bw; auto. destruct Hnot as [q2 E2]. simpl in E2.
      exists q2. rewrite upd_neq in E2 by auto. auto.
Qed.

(* ---------- Notifications ---------- *)

Ltac fix_q Ew :=
  match type of Ew with
  | ?q = [] => match goal with
               | |- context[upd ?w ?o ?l] =>
                   match l with
                   | context[_ :: _] => replace l with (q ++ l) by (rewrite Ew; reflexivity)
                   end
               end
  | ?q = ?v => match goal with
               | |- context[upd ?w ?o (v ++ ?l)] =>
                   replace (v ++ l) with (q ++ l) by (rewrite Ew; reflexivity)
               end
  end.

Ltac enq := eapply tw_enqueue_running; eauto; try (apply wf_tw; auto); try reflexivity;
            try (intros Hf; discriminate Hf).

Lemma wf_signal : forall s sp h r s', wf s -> signal s sp h = (r, s') -> wf s'.
Proof.
  intros s sp h r s' W H. unfold signal in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  destruct (s_waiters s (c_obj c)) as [|t rest] eqn:Ew; inversion H; subst; clear H.
  - apply wf_set_word; auto. congruence.
  - apply wf_threads; auto.
    + apply tw_dequeue; auto. apply wf_tw. auto.
    + eapply bits_dequeue; eauto.
Qed.

Lemma wf_wait : forall s t sp h r s', wf s -> s_tstate s t = Running ->
  (exists q, s_objs s t = Some (mkObj (KThread sp) q)) ->
  wait s t sp h = (r, s') -> wf s'.
Proof.
  intros s t sp h r s' W Hrun [q Hth] H. unfold wait in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  apply lookup_typed_some in E. destruct E as [Hc [_ [_ [Ht _]]]].
  apply obj_type_notif in Ht.
  destruct (Nat.eqb (s_word s (c_obj c)) 0) eqn:Ew; inversion H; subst; clear H.
  - apply Nat.eqb_eq in Ew. apply wf_threads; auto.
    + enq; try exact Ht.
      intros y Hy. destruct (in_queue _ _ _ _ _ _ (wf_tw s W) Hy) as [[-> _]|[_ [q' Eq']]];
        [reflexivity|]. exfalso. destruct Ht as [q2 Eq2]. congruence.
    + intros n Hn Hno. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn]; [auto|].
      rewrite upd_neq in Hn by auto. apply W; auto.
  - apply wf_set_word; auto.
Qed.

Lemma wf_poll : forall s sp h r s', wf s -> poll s sp h = (r, s') -> wf s'.
Proof.
  intros s sp h r s' W H. unfold poll in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  inversion H; subst; clear H. apply wf_set_word; auto.
Qed.

(* ---------- IPC ---------- *)

Lemma receiver_head_some : forall s e r rest, receiver_head s e = Some (r, rest) ->
  s_waiters s e = r :: rest /\ is_recv (s_tstate s r) = true.
Proof.
  unfold receiver_head. intros s e r rest H.
  destruct (s_waiters s e) as [|r0 rest0]; [discriminate|].
  destruct (is_recv (s_tstate s r0)) eqn:E; inversion H; subst; auto.
Qed.

Lemma receiver_head_none : forall s e, wf s -> receiver_head s e = None ->
  forall y, In y (s_waiters s e) -> is_recv (s_tstate s y) = false.
Proof.
  unfold receiver_head. intros s e W H y Hy.
  destruct (s_waiters s e) as [|r0 rest0] eqn:Ew; [destruct Hy|].
  destruct (is_recv (s_tstate s r0)) eqn:E; [discriminate|].
  rewrite (tw_kind _ _ _ _ (wf_tw s W) e y r0); auto; rewrite Ew; [auto|left; auto].
Qed.

Lemma sender_head_some : forall s e x b rest, sender_head s e = Some (x, b, rest) ->
  s_waiters s e = x :: rest.
Proof.
  unfold sender_head. intros s e x b rest H.
  destruct (s_waiters s e) as [|x0 rest0]; [discriminate|].
  destruct (s_tstate s x0); inversion H; subst; auto.
Qed.

Lemma sender_head_none : forall s e, wf s -> is_endpoint s e -> sender_head s e = None ->
  forall y, In y (s_waiters s e) -> is_recv (s_tstate s y) = true.
Proof.
  unfold sender_head. intros s e W He H y Hy. pose proof (wf_tw s W) as T.
  destruct (s_waiters s e) as [|x rest] eqn:Ew; [destruct Hy|].
  assert (Hx : In x (s_waiters s e)) by (rewrite Ew; left; auto).
  rewrite (tw_kind _ _ _ _ T e y x); [|rewrite Ew; auto|auto].
  destruct (in_queue _ _ _ _ _ _ T Hx) as [[Hs [q1 Eq1]]|[[[b' Hs]|Hs] [q1 Eq1]]];
    rewrite Hs in *; try discriminate; try reflexivity.
  exfalso. destruct He as [q2 Eq2]. congruence.
Qed.

Lemma wf_send : forall s t sp h nb r s', wf s -> s_tstate s t = Running ->
  (exists q, s_objs s t = Some (mkObj (KThread sp) q)) ->
  send s t sp h nb = (r, s') -> wf s'.
Proof.
  intros s t sp h nb r s' W Hrun [q Hth] H. unfold send in H.
  destruct (lookup_typed s sp h TEndpoint [RSend]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  apply lookup_typed_some in E. destruct E as [_ [_ [_ [Ht _]]]].
  apply obj_type_endpoint in Ht. pose proof (wf_tw s W) as T.
  destruct (receiver_head s (c_obj c)) as [[r0 rest]|] eqn:Er.
  - apply receiver_head_some in Er. destruct Er as [Ew _].
    inversion H; subst. apply wf_threads; auto.
    + apply tw_dequeue; auto.
    + eapply bits_dequeue; eauto.
  - destruct nb; inversion H; subst; auto. apply wf_threads_via; auto.
    + enq; try exact Ht. apply receiver_head_none; auto.
    + apply bits_enqueue_ep; auto.
Qed.

Lemma wf_ipc_call : forall s t sp h r s', wf s -> s_tstate s t = Running ->
  (exists q, s_objs s t = Some (mkObj (KThread sp) q)) ->
  ipc_call s t sp h = (r, s') -> wf s'.
Proof.
  intros s t sp h r s' W Hrun [q Hth] H. unfold ipc_call in H.
  destruct (lookup_typed s sp h TEndpoint [RSend]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  apply lookup_typed_some in E. destruct E as [_ [_ [_ [Ht _]]]].
  apply obj_type_endpoint in Ht. pose proof (wf_tw s W) as T.
  destruct (receiver_head s (c_obj c)) as [[r0 rest]|] eqn:Erh.
  - apply receiver_head_some in Erh. destruct Erh as [Ew Er].
    inversion H; subst. apply wf_threads; auto.
    + assert (Hr0 : In r0 (s_waiters s (c_obj c))) by (rewrite Ew; left; auto).
      assert (t <> r0).
      { intros ->. apply (not_queued _ _ _ _ r0 (c_obj c) T); auto. rewrite Hrun. auto. }
      apply tw_link.
      * apply tw_dequeue; auto.
      * exists sp, q. auto.
      * rewrite upd_neq by auto. rewrite Hrun. reflexivity.
      * intros srv. rewrite upd_neq by auto. rewrite Hrun. discriminate.
      * destruct (s_tstate s r0) eqn:Es; try discriminate. eapply tw_recv; eauto.
      * intros e. rewrite upd_eq. discriminate.
    + eapply bits_dequeue; eauto.
  - inversion H; subst. apply wf_threads_via; auto.
    + enq; try exact Ht. apply receiver_head_none; auto.
    + apply bits_enqueue_ep; auto.
Qed.

Lemma wf_drop_caller : forall s t, wf s -> s_tstate s t = Running ->
  wf (drop_caller s t) /\ s_tstate (drop_caller s t) t = Running /\
  s_caller (drop_caller s t) t = None /\ s_objs (drop_caller s t) = s_objs s /\
  s_caps (drop_caller s t) = s_caps s /\ s_next (drop_caller s t) = s_next s.
Proof.
  intros s t W Hrun. unfold drop_caller.
  destruct (s_caller s t) as [c|] eqn:Ec;
    [|refine (conj _ (conj _ (conj _ (conj _ (conj _ _))))); auto].
  pose proof (wf_tw s W) as T.
  assert (Hc : s_tstate s c = BlockedReply t) by (apply (tw_reply _ _ _ _ T); auto).
  assert (c <> t) by (intros ->; congruence).
  refine (conj _ (conj _ (conj _ (conj _ (conj _ _))))); simpl; auto.
  - apply wf_threads; auto.
    + apply tw_unlink; auto.
    + intros n Hn Hno. apply W; auto.
  - rewrite upd_neq by auto. auto.
  - rewrite upd_eq. auto.
Qed.

Lemma wf_take_sender : forall s t sp q e v nb r s', wf s -> s_tstate s t = Running ->
  s_caller s t = None -> s_objs s t = Some (mkObj (KThread sp) q) -> is_endpoint s e ->
  take_sender s t e v nb = (r, s') -> wf s'.
Proof.
  intros s t sp q e v nb r s' W Hrun Hcl Hth He H. unfold take_sender in H.
  pose proof (wf_tw s W) as T.
  destruct (sender_head s e) as [[[x b] rest]|] eqn:Esh.
  - apply sender_head_some in Esh as Ew.
    assert (Hx : In x (s_waiters s e)) by (rewrite Ew; left; auto).
    assert (t <> x).
    { intros ->. apply (not_queued _ _ _ _ x e T); auto. rewrite Hrun. auto. }
    assert (T1 := tw_dequeue _ _ _ _ _ _ _ T Ew).
    destruct b; inversion H; subst; clear H; apply wf_threads; auto;
      try (eapply bits_dequeue; eauto).
    apply tw_link; auto; try exact (proj1 (tw_waiters _ _ _ _ T e x Hx)).
    + rewrite upd_eq. reflexivity.
    + intros srv. rewrite upd_eq. discriminate.
    + intros e0. rewrite upd_neq by auto. rewrite Hrun. discriminate.
  - destruct nb; inversion H; subst; auto. apply wf_threads_via; auto.
    + enq; try exact He. apply sender_head_none; auto.
    + apply bits_enqueue_ep; auto.
Qed.

Lemma wf_recv : forall s t sp h nb r s', wf s -> s_tstate s t = Running ->
  (exists q, s_objs s t = Some (mkObj (KThread sp) q)) ->
  recv s t sp h nb = (r, s') -> wf s'.
Proof.
  intros s t sp h nb r s' W Hrun [q Hth] H. unfold recv in H.
  destruct (lookup_typed s sp h TEndpoint [RReceive]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  apply lookup_typed_some in E. destruct E as [_ [_ [_ [Ht _]]]].
  apply obj_type_endpoint in Ht.
  destruct (wf_drop_caller s t W Hrun) as [W1 [R1 [C1 [O1 _]]]].
  eapply wf_take_sender; eauto.
  - rewrite O1. eauto.
  - destruct Ht as [q2 Eq2]. exists q2. rewrite O1. auto.
Qed.

Lemma wf_reply_call : forall s t r s', wf s -> s_tstate s t = Running ->
  reply_call s t = (r, s') -> wf s'.
Proof.
  intros s t r s' W Hrun H. unfold reply_call in H.
  destruct (s_caller s t); inversion H; subst; auto. apply wf_drop_caller; auto.
Qed.

Lemma wf_reply_recv : forall s t sp h nb r s', wf s -> s_tstate s t = Running ->
  (exists q, s_objs s t = Some (mkObj (KThread sp) q)) ->
  reply_recv s t sp h nb = (r, s') -> wf s'.
Proof.
  intros s t sp h nb r s' W Hrun [q Hth] H. unfold reply_recv in H.
  destruct (wf_drop_caller s t W Hrun) as [W1 [R1 [C1 [O1 _]]]].
  eapply wf_recv; eauto. exists q. rewrite O1. auto.
Qed.

(* ---------- Processes and threads ---------- *)

Lemma wf_space_create : forall s sp bytes r s', wf s ->
  space_create s sp bytes = (r, s') -> wf s'.
Proof.
  intros s sp bytes r s' [C [O [T Bw]]] H. unfold space_create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q]|] eqn:Esp;
    try (inversion H; subst; split; auto; split; auto; fail).
  destruct (s_accts s a) as [[l u]|] eqn:Ea; [|inversion H; subst; split; auto; split; auto].
  set (cost := bytes + obj_size (KSpace 0)) in H.
  destruct (Nat.ltb l (u + cost)) eqn:Elt; [inversion H; subst; split; auto; split; auto|].
  inversion H; subst; clear H. apply Nat.ltb_ge in Elt.
  set (o := s_next s).
  assert (Hao : a < o) by (eapply ow_acct_fresh; eauto).
  assert (forall x, s_objs s x <> None -> x <> o) as Hold.
  { intros x Hx E. subst. apply live_fresh in Hx; auto. unfold o in Hx. lia. }
  assert (forall x ob, s_objs s x = Some ob -> x <> o) as Hold'.
  { intros x ob Hx. apply Hold. congruence. }
  set (accts' := upd (upd (s_accts s) a (Some (l, u + cost))) (S o) (Some (bytes, 0))).
  assert (forall b, acct_live s b -> exists l' u', accts' b = Some (l', u')) as Hacc.
  { intros b [l' [u' E]]. unfold accts'. destruct (Nat.eq_dec b (S o)) as [->|Nb].
    - rewrite upd_eq. eauto.
    - rewrite upd_neq by auto. destruct (Nat.eq_dec b a) as [->|Nb'].
      + rewrite upd_eq. eauto.
      + rewrite upd_neq by auto. eauto. }
  assert (forall x, is_space s x -> is_space
            (mkState (upd (s_objs s) o (Some (mkObj (KSpace (S o)) a))) accts'
                     (mkCap (S (S o)) sp o all_rights 0 [] :: s_caps s)
                     (upd (s_tstate s) o Inactive) (s_word s) (s_waiters s) (s_caller s) (S (S (S o))) (s_prio s) (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s)) x) as Hspace.
  { intros x [a' [q' E]]. exists a', q'. simpl. rewrite upd_neq by eauto. auto. }
  destruct C, O. split; [|split; [|split]]; [constructor; simpl|constructor; simpl| |].
  - intros c [<-|Hc]; simpl; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. auto.
  - intros c [<-|Hc]; simpl; apply Hspace; [unfold is_space; eauto|auto].
  - intros c [<-|Hc]; simpl; [lia|]. specialize (cw_fresh0 c Hc). unfold o. lia.
  - constructor; auto. intro Hin. apply in_map_iff in Hin. destruct Hin as [c [E Hc]].
    specialize (cw_fresh0 c Hc). unfold o in *. lia.
  - intros c [<-|Hc]; [unfold parent_ok; simpl; auto|]. apply parent_ok_cons. auto.
  - intros c x [<-|Hc] Hx; simpl in *; [destruct Hx|]. eauto.
  - intros c [<-|Hc] Hb; simpl in *; [congruence|]. unfold obj_type in *. simpl.
    rewrite upd_neq by auto. auto.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx]; [lia|].
    rewrite upd_neq by auto. intros E. specialize (ow_obj_fresh0 _ _ E). lia.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. simpl. apply Hacc. unfold acct_live; eauto.
    + rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros x a' q'. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. exists bytes, 0. unfold accts'.
      apply upd_eq.
    + rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros b l' u'. unfold accts'. destruct (Nat.eq_dec b (S o)) as [->|Nb].
    + rewrite upd_eq. intros E; inversion E; subst. lia.
    + rewrite upd_neq by auto. destruct (Nat.eq_dec b a) as [->|Nb'].
      * rewrite upd_eq. intros E; inversion E; subst. lia.
      * rewrite upd_neq by auto. eauto.
  - intros b l' u'. unfold accts'. destruct (Nat.eq_dec b (S o)) as [->|Nb]; [lia|].
    rewrite upd_neq by auto. destruct (Nat.eq_dec b a) as [->|Nb']; [lia|].
    rewrite upd_neq by auto. intros E. specialize (ow_acct_fresh0 _ _ _ E). unfold o in *.
    lia.
  - intros x sp' q'. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E.
    + rewrite upd_neq by auto. intros E. apply Hspace. eauto.
  - auto.
  - apply maps_ok_upd_fresh; auto.
    destruct (s_objs s o) eqn:Eo; auto. exfalso. apply (Hold o); [congruence|auto].
  - simpl. eapply tw_objs.
    + apply tw_fresh_inactive; [exact T|].
      destruct (s_objs s o) eqn:Eo; auto. exfalso. apply (Hold o); [congruence|auto].
    + intros x ob E. rewrite upd_neq by eauto. auto.
  - intros n Hwn Hnot. simpl in *. destruct Hnot as [q2 E2]. simpl in E2.
    destruct (Nat.eq_dec n o) as [->|Nn]; [rewrite upd_eq in E2; discriminate|].
    rewrite upd_neq in E2 by auto. apply Bw; auto. exists q2. auto.
Qed.

Lemma tw_wake_free : forall objs ts wq cl x, threads_wf objs ts wq cl ->
  blocked_on (ts x) = None -> (forall srv, ts x <> BlockedReply srv) ->
  threads_wf objs (upd ts x Ready) wq cl.
Proof.
  intros objs ts wq cl x T Hnb Hnr.
  assert (Hxq : forall o', ~ In x (wq o')) by (intros o'; eapply not_queued; eauto).
  destruct T as [B W N K R RC CT]. constructor.
  - intros t o. destruct (Nat.eq_dec t x) as [->|Nt]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. auto.
  - intros o t Hin. assert (t <> x) by (intro; subst; apply (Hxq o); auto).
    rewrite upd_neq by auto. auto.
  - auto.
  - intros o t1 t2 H1 H2.
    assert (t1 <> x) by (intro; subst; apply (Hxq o); auto).
    assert (t2 <> x) by (intro; subst; apply (Hxq o); auto).
    rewrite !upd_neq by auto. eauto.
  - intros t srv. destruct (Nat.eq_dec t x) as [->|Nt].
    + rewrite upd_eq. split; [discriminate|]. intros E. apply R in E. exfalso.
      apply (Hnr srv). auto.
    + rewrite upd_neq by auto. auto.
  - intros srv e. destruct (Nat.eq_dec srv x) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. eauto.
  - auto.
Qed.

Lemma wf_thread_start : forall s sp h r s', wf s -> thread_start s sp h = (r, s') -> wf s'.
Proof.
  intros s sp h r s' W H. unfold thread_start in H.
  destruct (lookup_typed s sp h TThread [RManage]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
  destruct (s_tstate s (c_obj c)) eqn:Es; inversion H; subst; auto.
  apply wf_threads; auto.
  - apply tw_wake_free; [apply wf_tw; auto|rewrite Es; auto|rewrite Es; discriminate].
  - intros n Hn Hno. apply W; auto.
Qed.

(* ---------- Every call keeps the invariant ---------- *)

Lemma wf_cap_derive : forall s sp h r b res s', wf s -> is_space s sp ->
  cap_derive s sp h r b = (res, s') -> wf s'.
Proof.
  intros s sp h r b res s' W Hsp H. unfold cap_derive in H.
  destruct (lookup s sp h) as [src|] eqn:E; [|inversion H; subst; auto].
  apply lookup_some in E. destruct E as [Hsrc _].
  destruct (subset_b r (c_rights src)) eqn:Es; simpl in H; [|inversion H; subst; auto].
  destruct (negb (Nat.eqb b 0) && _) eqn:Eb; [inversion H; subst; auto|].
  inversion H; subst; clear H. apply wf_add_child; auto.
  - apply subset_b_incl. auto.
  - intros Hb. destruct (Nat.eqb b 0) eqn:E0; auto. simpl in Eb.
    destruct (Nat.eqb (c_badge src) 0) eqn:E1; [apply Nat.eqb_eq in E1; contradiction|].
    discriminate.
  - intros Hb. destruct (Nat.eqb b 0) eqn:E0; [apply (cw_badge _ (proj1 W)); auto|].
    simpl in Eb. apply orb_false_iff in Eb. destruct Eb as [_ Eb].
    apply negb_false_iff in Eb.
    destruct (obj_type s (c_obj src)) as [[]|]; try discriminate; auto.
Qed.

Lemma wf_cap_copy_to : forall s sp hs h r res s', wf s ->
  cap_copy_to s sp hs h r = (res, s') -> wf s'.
Proof.
  intros s sp hs h r res s' W H. unfold cap_copy_to in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[tg|]|e] eqn:Et;
    [|apply lookup_typed_not_none in Et; contradiction|inversion H; subst; auto].
  apply lookup_typed_some in Et. destruct Et as [_ [_ [_ [Ht _]]]].
  destruct (lookup s sp h) as [src|] eqn:E; [|inversion H; subst; auto].
  apply lookup_some in E. destruct E as [Hsrc _].
  destruct (subset_b r (c_rights src)) eqn:Es; simpl in H; [|inversion H; subst; auto].
  destruct (space_ended s (c_obj tg)); [inversion H; subst; auto|].
  inversion H; subst; clear H. apply wf_add_child; auto.
  - apply obj_type_space. auto.
  - apply subset_b_incl. auto.
  - intros Hb. apply (cw_badge _ (proj1 W)); auto.
Qed.

Lemma held_false_named : forall s o, held s o = false -> named (s_caps s) o = false.
Proof.
  unfold held. intros s o H. apply orb_false_iff in H. destruct H as [H _].
  apply orb_false_iff in H. tauto.
Qed.

(* A dying Irq's notification dies only if nothing holds it. *)
Lemma wf_release : forall s b, wf s -> wf (release s b).
Proof.
  intros s b W. unfold release. destruct b as [[n x]|]; auto.
  destruct (held s n) eqn:Eh; auto. apply wf_destroy;
    [auto|apply held_false_named; auto|apply held_false_mapped; auto].
Qed.

Lemma tw_cancel : forall objs ts wq cl (cn : nat -> bool), threads_wf objs ts wq cl ->
  (forall x, cn x = true -> exists o, blocked_on (ts x) = Some o /\
                                      (forall srv, ts x <> BlockedReply srv)) ->
  threads_wf objs (fun x => if cn x then Ready else ts x)
    (fun o => filter (fun x => negb (cn x)) (wq o)) cl.
Proof.
  intros objs ts wq cl cn T Hcn. destruct T as [B W N K R RC CT]. constructor.
  - intros t o. destruct (cn t) eqn:Dt; [simpl; discriminate|].
    intros Hb. destruct (B t o Hb) as [Hw Hin]. split; [exact Hw|].
    apply filter_In. rewrite Dt. auto.
  - intros o t Hin. apply filter_In in Hin. destruct Hin as [Hin Dt].
    apply negb_true_iff in Dt. rewrite Dt. apply W. auto.
  - intros o. apply NoDup_filter. auto.
  - intros o t1 t2 H1 H2. apply filter_In in H1. apply filter_In in H2.
    destruct H1 as [H1 D1]. destruct H2 as [H2 D2].
    apply negb_true_iff in D1. apply negb_true_iff in D2. rewrite D1, D2. eauto.
  - intros t srv. destruct (cn t) eqn:Dt.
    + destruct (Hcn t Dt) as [o [_ NR]]. split; [discriminate|].
      intros E. apply R in E. exfalso. exact (NR srv E).
    + apply R.
  - intros srv e. destruct (cn srv); [discriminate|]. apply RC.
  - exact CT.
Qed.

Lemma wf_cancel : forall s g, wf s -> wf (cancel_through s g).
Proof.
  intros s g W. unfold cancel_through. apply wf_threads; auto.
  - apply tw_cancel. apply W.
    intros x Hx. unfold cancelled in Hx.
    destruct (s_tstate s x) as [| | |e b|e|srv|n|] eqn:Et; try discriminate;
      exists e; simpl; split; auto; intros srv D; discriminate.
  - intros n Hn Hno. apply (proj2 (proj2 (proj2 W))); auto.
    intros E. apply Hn. rewrite E. reflexivity.
Qed.

Lemma cancel_with_caps : forall s g cs,
  with_caps (cancel_through s g) cs = cancel_through (with_caps s cs) g.
Proof. reflexivity. Qed.

Lemma wf_cap_revoke : forall s sp h res s', wf s -> cap_revoke s sp h = (res, s') -> wf s'.
Proof.
  intros s sp h res s' [C R] H. unfold cap_revoke in H.
  destruct (lookup s sp h) as [c|] eqn:E; inversion H; subst; clear H; [|split; auto].
  rewrite cancel_with_caps. apply wf_cancel.
  apply wf_with_caps; auto. apply caps_wf_revoke; auto.
Qed.

Lemma wf_thread_set_priority : forall s t sp h p r s', wf s ->
  thread_set_priority s t sp h p = (r, s') -> wf s'.
Proof.
  intros s t sp h p r s' [C [O [T Bw]]] H. unfold thread_set_priority in H.
  destruct (lookup_typed s sp h TThread [RManage]) as [[c|]|e] eqn:E;
    try (inversion H; subst; split; auto; split; auto; fail).
  destruct (Nat.leb prio_count p) eqn:E1; [inversion H; subst; split; auto; split; auto|].
  destruct (Nat.ltb (s_prio s t) p) eqn:E2; [inversion H; subst; split; auto; split; auto|].
  inversion H; subst; clear H. apply Nat.leb_gt in E1.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split; auto]].
  intros x. destruct (Nat.eq_dec x (c_obj c)) as [->|N]; [rewrite upd_eq; auto|].
  rewrite upd_neq by auto. auto.
Qed.

(* A child of the handler capability (Send only, its badge) in the table of the thread's
   own space, whose handler is set: only the capabilities change among what wf reads. *)
Lemma wf_thread_set_syscall_handler : forall s sp ht he r s', wf s ->
  thread_set_syscall_handler s sp ht he = (r, s') -> wf s'.
Proof.
  intros s sp ht he r s' W H. unfold thread_set_syscall_handler in H.
  destruct (lookup_typed s sp ht TThread [RManage]) as [[ct|]|e] eqn:Et;
    [|apply lookup_typed_not_none in Et; contradiction|inversion H; subst; auto].
  destruct (lookup_typed s sp he TEndpoint [RSend]) as [[src|]|e] eqn:Ee;
    [|apply lookup_typed_not_none in Ee; contradiction|inversion H; subst; auto].
  apply lookup_typed_some in Ee. destruct Ee as [Hsrc [_ [_ [Ety Hr]]]].
  destruct (s_handler s (c_obj ct)); [inversion H; subst; auto|].
  destruct (s_objs s (c_obj ct)) as [[[| tsp | | | | | |] q]|] eqn:Eo;
    try (inversion H; subst; auto; fail).
  destruct (space_ended s tsp); [inversion H; subst; auto|].
  inversion H; subst; clear H.
  apply wf_add_child; auto; first [eapply ow_thread_space; [apply (proj2 W)|eauto]
                                  |intros _; left; exact Ety].
Qed.

(* Only the timer changes, which wf does not read. *)
Lemma wf_set_timer : forall s sp h d r s', wf s -> set_timer s sp h d = (r, s') -> wf s'.
Proof.
  intros s sp h d r s' [C [O [T Bw]]] H. unfold set_timer in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|e] eqn:E;
    try (inversion H; subst; split; auto; split; auto; fail).
  inversion H; subst; clear H.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split; auto]].
Qed.

(* Only the binding changes, which wf does not read; then the old notification may die. *)
Lemma wf_irq_bind : forall s sp hi hn r s', wf s -> irq_bind s sp hi hn = (r, s') -> wf s'.
Proof.
  intros s sp hi hn r s' [C [O [T Bw]]] H. unfold irq_bind in H.
  destruct (lookup_typed s sp hi TIrq [RManage]) as [[ci|]|e] eqn:E;
    try (inversion H; subst; split; auto; split; auto; fail).
  destruct (lookup_typed s sp hn TNotification [RSend]) as [[cn|]|e] eqn:E2;
    try (inversion H; subst; split; auto; split; auto; fail).
  inversion H; subst; clear H. apply wf_release.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split; auto]].
Qed.

Lemma wf_irq_create : forall s sp h line ok r s', wf s -> is_space s sp ->
  irq_create s sp h line ok = (r, s') -> wf s'.
Proof.
  intros s sp h line ok r s' W Hsp H. unfold irq_create in H.
  destruct (lookup_typed s sp h TIrqControl [RManage]) as [[c|]|e] eqn:E;
    try (inversion H; subst; auto; fail).
  destruct (negb ok); [inversion H; subst; auto|].
  destruct (line_owned s line); [inversion H; subst; auto|].
  eapply wf_create; eauto; try (intros; discriminate). unfold prio_count. lia.
Qed.

(* Only the pager mode changes, which wf does not read. *)
Lemma wf_space_set_pager : forall s sp h m r s', wf s -> space_set_pager s sp h m = (r, s') ->
  wf s'.
Proof.
  intros s sp h m r s' [C [O [T Bw]]] H. unfold space_set_pager in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|e] eqn:E;
    try (inversion H; subst; split; auto; split; auto; fail).
  destruct (_ || _); [|inversion H; subst; split; auto; split; auto; fail].
  inversion H; subst; clear H.
  destruct C, O. split; [constructor; simpl; auto|split; [constructor; simpl; auto|split; auto]].
Qed.

(* ---------- Ending threads and processes ---------- *)

(* kill_threads keeps every thread in one place: the dying leave their queues and reply
   links, a thread waiting for a dying server's reply is Ready. *)
Lemma tw_kill : forall objs ts wq cl (dies : nat -> bool), threads_wf objs ts wq cl ->
  threads_wf objs
    (fun x => if dies x then Dead
              else match ts x with
                   | BlockedReply srv => if dies srv then Ready else BlockedReply srv
                   | st => st
                   end)
    (fun o => filter (fun x => negb (dies x)) (wq o))
    (fun srv => if dies srv then None
                else match cl srv with
                     | Some c => if dies c then None else Some c
                     | None => None
                     end).
Proof.
  intros objs ts wq cl dies T. destruct T as [B W N K R RC CT]. constructor.
  - intros t o. destruct (dies t) eqn:Dt; [simpl; discriminate|].
    destruct (ts t) as [| | |e b|e|srv|n|] eqn:Et; simpl; try discriminate;
      try (destruct (dies srv); simpl; discriminate);
      intros Hb; inversion Hb; subst;
      (destruct (B t o) as [Hw Hin]; [rewrite Et; reflexivity|]);
      rewrite Et in Hw; (split; [exact Hw|]); apply filter_In; rewrite Dt; auto.
  - intros o t Hin. apply filter_In in Hin. destruct Hin as [Hin Dt].
    apply negb_true_iff in Dt. destruct (W o t Hin) as [Ht Hb]. split; auto. rewrite Dt.
    destruct (ts t); simpl in *; try discriminate; auto.
  - intros o. apply NoDup_filter. auto.
  - intros o t1 t2 H1 H2. apply filter_In in H1. apply filter_In in H2.
    destruct H1 as [H1 D1]. destruct H2 as [H2 D2].
    apply negb_true_iff in D1. apply negb_true_iff in D2. rewrite D1, D2.
    destruct (W o t1 H1) as [_ B1]. destruct (W o t2 H2) as [_ B2].
    specialize (K o t1 t2 H1 H2).
    destruct (ts t1), (ts t2); simpl in *; try discriminate; auto.
  - intros t srv. split.
    + destruct (dies t) eqn:Dt; [discriminate|].
      destruct (ts t) as [| | |e b|e|srv'|n|] eqn:Et; intros E; try discriminate E.
      destruct (dies srv') eqn:Ds; [discriminate E|]. inversion E; subst.
      apply R in Et. rewrite Ds, Et, Dt. reflexivity.
    + intros E. destruct (dies srv) eqn:Ds; [discriminate|].
      destruct (cl srv) as [c|] eqn:Ec; [|discriminate].
      destruct (dies c) eqn:Dc; [discriminate|]. inversion E; subst.
      rewrite Dc. apply R in Ec. rewrite Ec. rewrite Ds. reflexivity.
  - intros srv e. destruct (dies srv) eqn:Ds; [discriminate|].
    destruct (ts srv) as [| | |e' b|e'|srv'|n|] eqn:Et; intros E; try discriminate E.
    + inversion E; subst. rewrite (RC srv e Et). reflexivity.
    + destruct (dies srv'); discriminate E.
  - intros srv t E. destruct (dies srv); [discriminate|].
    destruct (cl srv) as [c|] eqn:Ec; [|discriminate].
    destruct (dies c); [discriminate|]. inversion E; subst. eauto.
Qed.

Lemma wf_kill_threads : forall s dies, wf s -> wf (kill_threads s dies).
Proof.
  intros s dies W. unfold kill_threads. apply wf_threads; auto.
  - apply tw_kill. apply W.
  - intros n Hn Hno. apply (proj2 (proj2 (proj2 W))); auto.
    intros E. apply Hn. rewrite E. reflexivity.
Qed.

Lemma wf_del_all : forall ids s, wf s -> wf (with_caps s (del_all ids (s_caps s))).
Proof.
  induction ids as [|d ids IH]; intros s W.
  - simpl. destruct s; exact W.
  - simpl. assert (W1 : wf (with_caps s (del_caps d (s_caps s)))).
    { apply wf_with_caps; [apply W|apply caps_wf_del; apply W]. }
    specialize (IH _ W1). exact IH.
Qed.

Lemma wf_reap_fold : forall l s, wf s ->
  wf (fold_left (fun s o => if held s o then s else destroy s o) l s).
Proof.
  induction l as [|o l IH]; intros s W; simpl; auto.
  apply IH. destruct (held s o) eqn:Eh; auto. apply wf_destroy;
    [auto|apply held_false_named; auto|apply held_false_mapped; auto].
Qed.

Lemma wf_reap_pass : forall s, wf s -> wf (reap_pass s).
Proof. intros s W. unfold reap_pass, reap. apply wf_reap_fold. auto. Qed.

Lemma destroy_maps : forall s o, s_maps (destroy s o) = s_maps s.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

Lemma reap_maps : forall l s, s_maps (reap l s) = s_maps s.
Proof.
  unfold reap. induction l as [|o l IH]; intros s; simpl; auto. rewrite IH.
  destruct (held s o); auto. apply destroy_maps.
Qed.

(* ---------- Mappings: small facts, and map, unmap, protect keep maps_wf ---------- *)

Lemma has_right_true : forall r rs, has_right r rs = true <-> In r rs.
Proof.
  intros. unfold has_right. destruct (in_dec right_eq_dec r rs); split; auto; congruence.
Qed.

Lemma has_right_false : forall r rs, has_right r rs = false <-> ~ In r rs.
Proof.
  intros. unfold has_right. destruct (in_dec right_eq_dec r rs); split; intros H; auto;
    try discriminate; exfalso; auto.
Qed.

Lemma rights_ok_spec : forall r, rights_ok r = true ->
  incl r page_rights /\ In RRead r /\ ~ (In RWrite r /\ In RExecute r).
Proof.
  unfold rights_ok. intros r H. apply andb_true_iff in H. destruct H as [H H3].
  apply andb_true_iff in H. destruct H as [H1 H2]. apply negb_true_iff in H3.
  split; [apply subset_b_incl; auto|]. split; [apply has_right_true; auto|].
  intros [W X]. apply has_right_true in W. apply has_right_true in X. rewrite W, X in H3.
  discriminate.
Qed.

Lemma inter_incl : forall a b, incl (inter a b) a /\ incl (inter a b) b.
Proof.
  unfold inter, incl. intros. split; intros x Hx; apply filter_In in Hx; destruct Hx as [H1 H2];
    auto. apply has_right_true. auto.
Qed.

Lemma incl_inter : forall r a b, incl r a -> incl r b -> incl r (inter a b).
Proof.
  unfold inter, incl. intros r a b Ha Hb x Hx. apply filter_In. split; auto.
  apply has_right_true. auto.
Qed.

(* No conflict with m: m has no right that r's Write or Execute excludes. *)
Lemma no_conflict : forall r m, rights_ok r = true -> has_conflict r m = false ->
  (In RWrite r -> ~ In RExecute (m_rights m)) /\ (In RExecute r -> ~ In RWrite (m_rights m)).
Proof.
  intros r m Hok H. apply rights_ok_spec in Hok. destruct Hok as [_ [_ Nwx]].
  unfold has_conflict, conflict in H.
  destruct (has_right RWrite r) eqn:Ew.
  - apply has_right_true in Ew. apply has_right_false in H. split; [auto|].
    intros X. exfalso. auto.
  - apply has_right_false in Ew. destruct (has_right RExecute r) eqn:Ex.
    + apply has_right_false in H. split; [intros W; contradiction|auto].
    + apply has_right_false in Ex. split; intros; contradiction.
Qed.

Lemma existsb_false : forall A (f : A -> bool) l, existsb f l = false ->
  forall x, In x l -> f x = false.
Proof.
  intros A f l H x Hx. destruct (f x) eqn:E; auto. exfalso.
  assert (existsb f l = true) by (apply existsb_exists; eauto). congruence.
Qed.


(* map_respects_wx: map adds a mapping only if it leaves every object writable nowhere or
   executable nowhere (and the mapping itself readable, not both, within the memory
   capability's rights, not overlapping the space's others). *)
Lemma map_call_wf : forall s sp hs hm vaddr first pages r res s', maps_wf (s_maps s) ->
  map_call s sp hs hm vaddr first pages r = (res, s') -> maps_wf (s_maps s').
Proof.
  intros s sp hs hm vaddr first pages r res s' W H. unfold map_call in H. cbv zeta in H.
  set (ms := s_maps s) in *.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er];
    try (inversion H; subst; auto; fail).
  destruct (lookup_typed s sp hm TMemory []) as [[cm|]|er];
    try (inversion H; subst; auto; fail).
  destruct (negb (subset_b r (c_rights cm))) eqn:Esub; [inversion H; subst; auto|].
  destruct (range_error vaddr pages) eqn:Erange; [inversion H; subst; auto|].
  destruct (rights_ok r) eqn:Eok; simpl in H; [|inversion H; subst; auto].
  destruct (range_bad vaddr pages); [inversion H; subst; auto|].
  destruct (s_objs s (c_obj cm)) as [[[| | | |mp| | |] q]|]; try (inversion H; subst; auto; fail).
  destruct (Nat.ltb mp first || Nat.ltb (mp - first) pages); [inversion H; subst; auto|].
  destruct (space_ended s (c_obj cs)); [inversion H; subst; auto|].
  destruct (existsb _ ms) eqn:Eov; [inversion H; subst; auto|].
  destruct (existsb (fun m => Nat.eqb (m_mem m) (c_obj cm) && has_conflict r m) ms) eqn:Ewx;
    [inversion H; subst; auto|].
  inversion H; subst; clear H.
  apply negb_false_iff in Esub. apply subset_b_incl in Esub.
  pose proof (rights_ok_spec r Eok) as [Hpage [Hread Hnwx]].
  set (nm := mkMapping (c_obj cs) vaddr pages (c_obj cm) first r
                       (inter page_rights (c_rights cm))).
  assert (Hnew : forall m, In m ms -> m_mem m = c_obj cm -> has_conflict r m = false).
  { intros m Hm E. pose proof (existsb_false _ _ _ Ewx m Hm) as F. simpl in F.
    rewrite E, Nat.eqb_refl in F. exact F. }
  assert (Hdis : forall m, In m ms -> m_space m = c_obj cs -> disjoint nm m).
  { intros m Hm E. pose proof (existsb_false _ _ _ Eov m Hm) as F. simpl in F.
    rewrite E, Nat.eqb_refl in F. simpl in F. unfold overlaps_b, m_end in F.
    unfold disjoint, m_end, nm. simpl.
    apply andb_false_iff in F. destruct F as [F|F]; apply Nat.ltb_ge in F; lia. }
  assert (Hp : 0 < pages).
  { destruct pages; [|lia]. unfold range_error in Erange. simpl in Erange. discriminate. }
  assert (Hnin : ~ In nm ms).
  { intros Hin. destruct (Hdis nm Hin eq_refl) as [D|D]; unfold m_end, nm in D; simpl in D;
      unfold page_size in D; lia. }
  destruct W. constructor.
  - intros m [<-|Hm]; simpl; auto.
  - intros m [<-|Hm]; simpl; auto.
  - intros m [<-|Hm]; [|auto]. exact (incl_inter r page_rights (c_rights cm) Hpage Esub).
  - intros m [<-|Hm]; [|auto]. exact (proj1 (inter_incl page_rights (c_rights cm))).
  - constructor; auto.
  - intros m1 m2 [<-|H1] [<-|H2] N Es; [contradiction| | |auto].
    + apply Hdis; auto.
    + unfold disjoint. destruct (Hdis m1 H1 Es); auto.
  - intros m1 m2 [<-|H1] [<-|H2] Em; simpl in *.
    + intros Hw Hx. apply Hnwx. auto.
    + intros Hw. apply (proj1 (no_conflict r m2 Eok (Hnew m2 H2 (eq_sym Em)))). auto.
    + intros Hw Hx. apply (proj2 (no_conflict r m1 Eok (Hnew m1 H1 Em))); auto.
    + apply mw_wx0; auto.
Qed.

Lemma unmap_call_wf : forall s sp hs vaddr pages res s', maps_wf (s_maps s) ->
  unmap_call s sp hs vaddr pages = (res, s') -> maps_wf (s_maps s').
Proof.
  intros s sp hs vaddr pages res s' W H. unfold unmap_call in H. cbv zeta in H.
  set (ms := s_maps s) in *.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er];
    try (inversion H; subst; auto; fail).
  destruct (range_error vaddr pages); [inversion H; subst; auto|].
  destruct (range_bad vaddr pages); [inversion H; subst; auto|].
  destruct (space_ended s (c_obj cs)); [inversion H; subst; auto|].
  destruct (covered ms (c_obj cs) vaddr (vaddr + pages * page_size));
    inversion H; subst; clear H; auto.
  rewrite reap_maps. simpl.
  destruct W. constructor.
  - intros m Hm. apply filter_In in Hm. apply mw_pages0. tauto.
  - intros m Hm. apply filter_In in Hm. apply mw_read0. tauto.
  - intros m Hm. apply filter_In in Hm. apply mw_max0. tauto.
  - intros m Hm. apply filter_In in Hm. apply mw_page0. tauto.
  - apply NoDup_filter. auto.
  - intros m1 m2 H1 H2. apply filter_In in H1. apply filter_In in H2. apply mw_disjoint0; tauto.
  - intros m1 m2 H1 H2. apply filter_In in H1. apply filter_In in H2. apply mw_wx0; tauto.
Qed.

Lemma in_map_protect : forall (f : mapping -> mapping) ms m', In m' (map f ms) ->
  exists m, In m ms /\ m' = f m.
Proof. intros f ms m' H. apply in_map_iff in H. destruct H as [m [E Hm]]. eauto. Qed.

Lemma nodup_map_inj : forall A B (f : A -> B) l, NoDup l ->
  (forall x y, In x l -> In y l -> f x = f y -> x = y) -> NoDup (map f l).
Proof.
  induction l as [|a l IH]; simpl; intros N Hi; constructor.
  - intros Hin. apply in_map_iff in Hin. destruct Hin as [b [E Hb]].
    inversion N; subst. assert (b = a) as -> by (apply Hi; auto). contradiction.
  - inversion N; subst. apply IH; auto.
Qed.

Definition mapping_eq_dec (a b : mapping) : {a = b} + {a <> b}.
Proof.
  decide equality; try apply Nat.eq_dec; apply list_eq_dec, right_eq_dec.
Defined.

(* protect keeps W^X: a mapping it changes meets no conflicting mapping of its object
   outside the range, and those inside the range get the same rights, never both W and X. *)
Lemma protect_call_wf : forall s sp hs vaddr pages r res s', maps_wf (s_maps s) ->
  protect_call s sp hs vaddr pages r = (res, s') -> maps_wf (s_maps s').
Proof.
  intros s sp hs vaddr pages r res s' W H. unfold protect_call in H. cbv zeta in H.
  set (ms := s_maps s) in *.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er];
    try (inversion H; subst; auto; fail).
  set (inr_ := starts_in (c_obj cs) vaddr (vaddr + pages * page_size)) in *.
  destruct (range_error vaddr pages); [inversion H; subst; auto|].
  destruct (rights_ok r) eqn:Eok; simpl in H; [|inversion H; subst; auto].
  destruct (range_bad vaddr pages); [inversion H; subst; auto|].
  destruct (space_ended s (c_obj cs)); [inversion H; subst; auto|].
  destruct (covered _ _ _ _); [inversion H; subst; auto|].
  destruct (existsb (fun m => inr_ m && negb (subset_b r (m_max m))) ms) eqn:Emax;
    [inversion H; subst; auto|].
  destruct (existsb (fun m => inr_ m &&
              existsb (fun m' => Nat.eqb (m_mem m') (m_mem m) && negb (inr_ m') &&
                                 has_conflict r m') ms) ms) eqn:Ewx;
    [inversion H; subst; auto|].
  inversion H; subst; clear H.
  pose proof (rights_ok_spec r Eok) as [Hpage [Hread Hnwx]].
  assert (Hmax : forall m, In m ms -> inr_ m = true -> incl r (m_max m)).
  { intros m Hm E. pose proof (existsb_false _ _ _ Emax m Hm) as F. simpl in F.
    rewrite E in F. simpl in F. apply negb_false_iff in F. apply subset_b_incl. auto. }
  assert (Hout : forall m m', In m ms -> In m' ms -> inr_ m = true -> inr_ m' = false ->
                   m_mem m' = m_mem m -> has_conflict r m' = false).
  { intros m m' Hm Hm' E E' Em. pose proof (existsb_false _ _ _ Ewx m Hm) as F. simpl in F.
    rewrite E in F. simpl in F.
    pose proof (existsb_false _ _ _ F m' Hm') as F2. simpl in F2.
    rewrite Em, Nat.eqb_refl, E' in F2. exact F2. }
  set (f := fun m => if inr_ m then set_rights r m else m).
  assert (Hf : forall m, (inr_ m = false /\ f m = m) \/ (inr_ m = true /\ f m = set_rights r m)).
  { intros m. unfold f. destruct (inr_ m); auto. }
  assert (Hplace : forall m, m_space (f m) = m_space m /\ m_vaddr (f m) = m_vaddr m /\
                             m_pages (f m) = m_pages m /\ m_mem (f m) = m_mem m /\
                             m_max (f m) = m_max m).
  { intros m. destruct (Hf m) as [[_ ->]|[_ ->]]; simpl; auto. }
  destruct W. constructor.
  - intros m' Hm'. apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
    rewrite (proj1 (proj2 (proj2 (Hplace m)))). auto.
  - intros m' Hm'. apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
    destruct (Hf m) as [[_ ->]|[_ ->]]; simpl; auto.
  - intros m' Hm'. apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
    destruct (Hf m) as [[_ ->]|[E ->]]; simpl; auto.
  - intros m' Hm'. apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
    destruct (Hf m) as [[_ ->]|[_ ->]]; simpl; auto.
  - (* f keeps the place, and two mappings of a space at one place are one *)
    apply nodup_map_inj; auto. intros m1 m2 H1 H2 E.
    destruct (mapping_eq_dec m1 m2) as [|N]; [auto|exfalso].
    destruct (Hplace m1) as [S1 [V1 [P1 _]]]. destruct (Hplace m2) as [S2 [V2 [P2 _]]].
    rewrite E in S1, V1, P1.
    assert (Es : m_space m1 = m_space m2) by congruence.
    destruct (mw_disjoint0 m1 m2 H1 H2 N Es) as [D|D]; unfold m_end in D;
      pose proof (mw_pages0 m1 H1); pose proof (mw_pages0 m2 H2); unfold page_size in D;
      nia.
  - intros m1' m2' H1 H2 N Es. apply in_map_protect in H1. apply in_map_protect in H2.
    destruct H1 as [m1 [H1 ->]]. destruct H2 as [m2 [H2 ->]].
    assert (m1 <> m2) by (intros ->; contradiction).
    destruct (Hplace m1) as [S1 [V1 [P1 _]]]. destruct (Hplace m2) as [S2 [V2 [P2 _]]].
    unfold disjoint, m_end. rewrite V1, V2, P1, P2.
    apply mw_disjoint0; auto. congruence.
  - intros m1' m2' H1 H2. apply in_map_protect in H1. apply in_map_protect in H2.
    destruct H1 as [m1 [H1 ->]]. destruct H2 as [m2 [H2 ->]].
    destruct (Hf m1) as [[I1 E1]|[I1 E1]]; destruct (Hf m2) as [[I2 E2]|[I2 E2]];
      rewrite E1, E2; simpl; intros Em.
    + apply mw_wx0; auto.
    + (* m1 outside, m2 changed *)
      intros Hw Hx.
      exact (proj2 (no_conflict r m1 Eok (Hout m2 m1 H2 H1 I2 I1 Em)) Hx Hw).
    + (* m1 changed, m2 outside *)
      intros Hw. exact (proj1 (no_conflict r m2 Eok (Hout m1 m2 H1 H2 I1 I2 (eq_sym Em))) Hw).
    + intros Hw Hx. apply Hnwx. auto.
Qed.


Lemma wf_with_maps : forall s ms, wf s -> maps_ok (s_objs s) ms -> wf (with_maps s ms).
Proof.
  intros s ms [C [O [T B]]] M. destruct C, O.
  split; [constructor|split; [constructor|split]]; simpl; auto.
Qed.

Lemma maps_wf_filter : forall p ms, maps_wf ms -> maps_wf (filter p ms).
Proof.
  intros p ms W. destruct W. constructor.
  - intros m Hm. apply filter_In in Hm. apply mw_pages0. tauto.
  - intros m Hm. apply filter_In in Hm. apply mw_read0. tauto.
  - intros m Hm. apply filter_In in Hm. apply mw_max0. tauto.
  - intros m Hm. apply filter_In in Hm. apply mw_page0. tauto.
  - apply NoDup_filter. auto.
  - intros m1 m2 H1 H2. apply filter_In in H1. apply filter_In in H2. apply mw_disjoint0; tauto.
  - intros m1 m2 H1 H2. apply filter_In in H1. apply filter_In in H2. apply mw_wx0; tauto.
Qed.

Lemma maps_ok_filter : forall objs p ms, maps_ok objs ms -> maps_ok objs (filter p ms).
Proof.
  intros objs p ms [W Mm Ms]. constructor.
  - apply maps_wf_filter. auto.
  - intros m Hm. apply filter_In in Hm. apply Mm. tauto.
  - intros m Hm. apply filter_In in Hm. apply Ms. tauto.
Qed.

Lemma wf_maps_ok : forall s, wf s -> maps_ok (s_objs s) (s_maps s).
Proof. intros s [_ [O _]]. apply (ow_maps _ O). Qed.

(* map adds a mapping of a live memory object whose pages cover it, in a space. *)
Lemma wf_map_call : forall s sp hs hm vaddr first pages r res s', wf s ->
  map_call s sp hs hm vaddr first pages r = (res, s') -> wf s'.
Proof.
  intros s sp hs hm vaddr first pages r res s' W H.
  pose proof (wf_maps_ok s W) as [MW Mm Ms].
  pose proof (map_call_wf _ _ _ _ _ _ _ _ _ _ MW H) as MW'.
  unfold map_call in H. cbv zeta in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er] eqn:Es;
    try (inversion H; subst; auto; fail).
  destruct (lookup_typed s sp hm TMemory []) as [[cm|]|er];
    try (inversion H; subst; auto; fail).
  destruct (negb (subset_b r (c_rights cm))); [inversion H; subst; auto|].
  destruct (range_error vaddr pages); [inversion H; subst; auto|].
  destruct (negb (rights_ok r)); [inversion H; subst; auto|].
  destruct (range_bad vaddr pages); [inversion H; subst; auto|].
  destruct (s_objs s (c_obj cm)) as [[[| | | |mp| | |] q]|] eqn:Eo;
    try (inversion H; subst; auto; fail).
  destruct (Nat.ltb mp first || Nat.ltb (mp - first) pages) eqn:Er;
    [inversion H; subst; auto|].
  destruct (space_ended s (c_obj cs)); [inversion H; subst; auto|].
  destruct (existsb _ (s_maps s)); [inversion H; subst; auto|].
  destruct (existsb _ (s_maps s)); [inversion H; subst; auto|].
  inversion H; subst; clear H. apply wf_with_maps; auto. constructor; [exact MW'| |].
  - intros m [<-|Hm]; [|auto]. simpl. exists mp, q. split; auto.
    apply orb_false_iff in Er. destruct Er as [E1 E2].
    apply Nat.ltb_ge in E1. apply Nat.ltb_ge in E2. lia.
  - intros m [<-|Hm]; [|auto]. simpl. apply lookup_typed_some in Es.
    destruct Es as [_ [_ [_ [Et _]]]]. apply obj_type_space in Et. exact Et.
Qed.

Lemma wf_unmap_call : forall s sp hs vaddr pages res s', wf s ->
  unmap_call s sp hs vaddr pages = (res, s') -> wf s'.
Proof.
  intros s sp hs vaddr pages res s' W H. unfold unmap_call in H. cbv zeta in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er];
    try (inversion H; subst; auto; fail).
  destruct (range_error vaddr pages); [inversion H; subst; auto|].
  destruct (range_bad vaddr pages); [inversion H; subst; auto|].
  destruct (space_ended s (c_obj cs)); [inversion H; subst; auto|].
  destruct (covered _ _ _ _); inversion H; subst; clear H; auto.
  apply wf_reap_fold, wf_with_maps; auto. apply maps_ok_filter. apply wf_maps_ok. auto.
Qed.

Lemma wf_protect_call : forall s sp hs vaddr pages r res s', wf s ->
  protect_call s sp hs vaddr pages r = (res, s') -> wf s'.
Proof.
  intros s sp hs vaddr pages r res s' W H.
  pose proof (wf_maps_ok s W) as [MW Mm Ms].
  pose proof (protect_call_wf _ _ _ _ _ _ _ _ MW H) as MW'.
  unfold protect_call in H. cbv zeta in H.
  split_matches H; inversion H; subst; clear H; auto.
  apply wf_with_maps; auto. constructor; [exact MW'| |].
  - intros m' Hm'. apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
    destruct (starts_in _ _ _ m); simpl; auto.
  - intros m' Hm'. apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
    destruct (starts_in _ _ _ m); simpl; auto.
Qed.

Lemma wf_terminate : forall s root, wf s -> wf (terminate s root).
Proof.
  intros s root W. unfold terminate. apply wf_reap_pass, wf_reap_pass, wf_del_all.
  apply wf_with_maps; [apply wf_kill_threads; auto|].
  apply maps_ok_filter. apply wf_maps_ok. apply wf_kill_threads. auto.
Qed.

(* An unstarted thread destroyed (set_dead) keeps wf: it is in no queue and waits for no
   reply. *)
Lemma wf_set_dead : forall s x, wf s -> s_tstate s x = Inactive -> wf (set_dead s x).
Proof.
  intros s x W Ex. unfold set_dead. apply wf_threads; auto.
  - destruct (proj1 (proj2 (proj2 W))) as [B Wq N K R RC CT]. constructor; auto.
    + intros t o. unfold upd. destruct (Nat.eqb t x) eqn:E; [simpl; discriminate|]. apply B.
    + intros o t Hin. destruct (Wq o t Hin) as [Ht Hb]. split; auto. unfold upd.
      destruct (Nat.eqb_spec t x) as [->|N']; [rewrite Ex in Hb; discriminate|exact Hb].
    + intros o t1 t2 H1 H2. destruct (Wq o t1 H1) as [_ B1]. destruct (Wq o t2 H2) as [_ B2].
      unfold upd. destruct (Nat.eqb_spec t1 x) as [->|N1]; [rewrite Ex in B1; discriminate|].
      destruct (Nat.eqb_spec t2 x) as [->|N2]; [rewrite Ex in B2; discriminate|]. exact (K o t1 t2 H1 H2).
    + intros t srv. unfold upd. destruct (Nat.eqb_spec t x) as [->|N'].
      * split; [discriminate|intros E; apply R in E; rewrite Ex in E; discriminate].
      * apply R.
    + intros srv e. unfold upd. destruct (Nat.eqb_spec srv x) as [->|N']; [discriminate|apply RC].
  - intros n Hn Hno. apply (proj2 (proj2 (proj2 W))); auto.
Qed.

(* What drop_ref does: a dying object's destroy and release, or (a thread or a space, which
   is not reapable) nothing, an unstarted thread Dead, or a live space nothing holds ended. *)
Lemma drop_ref_cases : forall s o,
  drop_ref s o = release (destroy s o) (s_irq s o) \/
  ((exists ob, s_objs s o = Some ob /\ reapable (o_kind ob) = false) /\
   (drop_ref s o = s \/
    (exists tsp q, s_objs s o = Some (mkObj (KThread tsp) q) /\ s_tstate s o = Inactive /\
                   drop_ref s o = set_dead s o) \/
    (exists root, space_ended s root = false /\ space_held s root = false /\
                  drop_ref s o = terminate s root))).
Proof.
  intros s o. unfold drop_ref.
  destruct (s_objs s o) as [[k q]|] eqn:Eo; [|left; reflexivity].
  destruct k; try (left; reflexivity); right; (split; [eexists; split; [reflexivity|reflexivity]|]).
  - destruct (space_ended s o) eqn:E1; [left; reflexivity|].
    destruct (space_held s o) eqn:E2; [left; reflexivity|]. right; right. exists o. auto.
  - destruct (s_tstate s o) eqn:Et; try (left; reflexivity).
    destruct (space_ended s space) eqn:E1; simpl; [right; left; eauto|].
    destruct (space_held s space) eqn:E2; [right; left; eauto|]. right; right; exists space; auto.
Qed.

Lemma wf_cap_delete : forall s sp h res s', wf s -> cap_delete s sp h = (res, s') -> wf s'.
Proof.
  intros s sp h res s' [C R] H. unfold cap_delete in H.
  destruct (lookup s sp h) as [c|] eqn:E; [|inversion H; subst; split; auto].
  inversion H; subst; clear H.
  assert (wf (with_caps s (del_caps (c_id c) (s_caps s)))) as W1
    by (apply wf_with_caps; auto; apply caps_wf_del; auto).
  destruct (held _ _) eqn:Eh; [apply wf_cancel; exact W1|].
  destruct (drop_ref_cases (with_caps s (del_caps (c_id c) (s_caps s))) (c_obj c))
    as [E'|[_ [E'|[[tsp [q [Eo [Ei E']]]]|[root [_ [_ E']]]]]]]; rewrite E'.
  - apply wf_release. apply wf_destroy;
      [auto|apply held_false_named; auto|apply held_false_mapped; auto].
  - exact W1.
  - apply wf_set_dead; auto.
  - apply wf_terminate; auto.
Qed.

Lemma wf_thread_exit : forall s t sp r s', wf s -> thread_exit s t sp = (r, s') -> wf s'.
Proof.
  intros s t sp r s' W H. unfold thread_exit in H. inversion H; subst; clear H.
  assert (W1 := wf_kill_threads s (Nat.eqb t) W).
  destruct (_ || _); auto. apply wf_terminate. auto.
Qed.

Lemma wf_process_terminate : forall s t sp h r s', wf s ->
  process_terminate s t sp h = (r, s') -> wf s'.
Proof.
  intros s t sp h r s' W H. unfold process_terminate in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|e]; try (inversion H; subst; auto; fail).
  destruct (space_ended s (c_obj c)); inversion H; subst; auto. apply wf_terminate. auto.
Qed.

Theorem step_preserves_wf : forall s t k r s', wf s -> step s t k = (r, s') -> wf s'.
Proof.
  intros s t k r s' W H. unfold step in H.
  destruct (caller_space s t) as [sp|] eqn:Ec; [|inversion H; subst; auto].
  apply caller_space_some in Ec. destruct Ec as [Hrun Hth].
  assert (is_space s sp) as Hsp.
  { destruct Hth as [q Eq]. eapply ow_thread_space; [apply (proj2 W)|eauto]. }
  destruct k; simpl in H.
  - eapply wf_cap_derive; eauto.
  - eapply wf_cap_copy_to; eauto.
  - eapply wf_cap_delete; eauto.
  - eapply wf_cap_revoke; eauto.
  - unfold cap_info in H. destruct (lookup s sp h); [|inversion H; subst; auto].
    destruct (obj_type s (c_obj c)); inversion H; subst; auto.
  - eapply wf_create; eauto; try (intros; discriminate). unfold prio_count. lia.
  - eapply wf_create; eauto; try (intros; discriminate). unfold prio_count. lia.
  - unfold memory_create in H. destruct (_ || _ || _); [inversion H; subst; auto|].
    eapply wf_create; eauto; try (intros; discriminate). unfold prio_count. lia.
  - unfold memory_clone in H.
    destruct (lookup_typed s sp source TMemory [RRead]) as [[c|]|e];
      try (inversion H; subst; auto; fail).
    destruct (s_objs s (c_obj c)) as [[[| | | |pages| | |] q]|];
      try (inversion H; subst; auto; fail).
    eapply wf_create; eauto; try (intros; discriminate). unfold prio_count. lia.
  - eapply wf_signal; eauto.
  - eapply wf_wait; eauto.
  - eapply wf_poll; eauto.
  - unfold quota_info in H. destruct (lookup_typed s sp space TSpace []) as [[c|]|e];
      [|inversion H; subst; auto|inversion H; subst; auto].
    destruct (s_objs s (c_obj c)) as [[[]]|]; try (inversion H; subst; auto; fail).
    destruct (s_accts s acct) as [[]|]; inversion H; subst; auto.
  - eapply wf_ipc_call; eauto.
  - eapply wf_reply_recv; eauto.
  - eapply wf_send; eauto.
  - eapply wf_recv; eauto.
  - eapply wf_reply_call; eauto.
  - eapply wf_space_create; eauto.
  - unfold thread_create in H.
    destruct (lookup_typed s sp space TSpace [RManage]) as [[c|]|e] eqn:E;
      [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; auto].
    apply lookup_typed_some in E. destruct E as [_ [_ [_ [Ht _]]]].
    destruct (space_ended s (c_obj c)); [inversion H; subst; auto|].
    destruct entry_ok; [|inversion H; subst; auto].
    eapply wf_create; eauto; [intros; discriminate| |apply (ow_prio _ (proj1 (proj2 W)))].
    intros sp' E'. inversion E'; subst. apply obj_type_space. auto.
  - eapply wf_thread_start; eauto.
  - unfold yield in H. inversion H; subst; auto.
  - eapply wf_thread_set_priority; eauto.
  - eapply wf_thread_set_syscall_handler; eauto.
  - eapply wf_set_timer; eauto.
  - eapply wf_irq_create; eauto.
  - eapply wf_irq_bind; eauto.
  - inversion H; subst; auto.  (* irq_ack: the mask is not modelled *)
  - eapply wf_space_set_pager; eauto.
  - inversion H; subst; auto.  (* space_resolve_fault: pages and page tables not modelled *)
  - eapply wf_map_call; eauto.
  - eapply wf_unmap_call; eauto.
  - eapply wf_protect_call; eauto.
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - inversion H; subst; auto.  (* the calls on what the state does not hold *)
  - eapply wf_thread_exit; eauto.
  - unfold process_exit in H. inversion H; subst. apply wf_terminate. auto.
  - eapply wf_process_terminate; eauto.
Qed.

(* The invariant is not vacuous: the initial state satisfies it. *)
Theorem init_wf : forall limit, 128 <= limit -> wf (init limit).
Proof.
  intros limit Hl.
  split; [|split; [|split]]; [constructor; simpl|constructor; simpl|constructor; simpl|].
  - intros c [<-|[<-|[]]]; simpl; discriminate.
  - intros c [<-|[<-|[]]]; simpl; exists 1, 1; reflexivity.
  - intros c [<-|[<-|[]]]; simpl; lia.
  - repeat constructor; simpl; intuition lia.
  - intros c [<-|[<-|[]]]; unfold parent_ok; simpl; auto.
  - intros c a [<-|[<-|[]]]; simpl; intros [].
  - intros c [<-|[<-|[]]]; simpl; congruence.
  - intros o ob. destruct o as [|[|[|o]]]; simpl; try discriminate; lia.
  - intros o ob. destruct o as [|[|[|o]]]; simpl; try discriminate; intros E; inversion E;
      subst; simpl; exists limit, 128; reflexivity.
  - intros o a q. destruct o as [|[|[|o]]]; simpl; try discriminate; intros E; inversion E;
      subst; exists limit, 128; reflexivity.
  - intros a l u. destruct (Nat.eqb a 1); [|discriminate]. intros E; inversion E; subst.
    auto.
  - intros a l u. destruct (Nat.eqb a 1) eqn:E; [|discriminate]. apply Nat.eqb_eq in E.
    subst. lia.
  - intros t sp q. destruct t as [|[|[|t]]]; simpl; try discriminate. intros E; inversion E.
    exists 1, 1. reflexivity.
  - intros t. unfold prio_count. destruct (Nat.eqb t 2); lia.
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
