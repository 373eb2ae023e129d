(* Properties of the calls of Spec.v (proofs/spec/README.md): failed calls change nothing,
   derivation never adds rights, revoke removes exactly the subtree, a deleted object is
   unreachable, authority confinement; IPC (a reply wakes only its caller, a call waits),
   each thread in one queue, no lost signal, charge-first quotas, the ancestor lists are the
   parent-link tree. *)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.
From HMK Require Import Spec Invariant.

(* ---------- A failed call changes nothing ---------- *)

(* Except recv and reply_recv: recv lets the caller a server has not replied to go (with
   PeerClosed) before it can fail with WouldBlock, and reply_recv delivers its reply before
   it looks the endpoint up. *)
Theorem error_changes_nothing : forall s t k e s',
  (forall h nb, k <> Recv h nb) -> (forall h nb, k <> ReplyRecv h nb) ->
  step s t k = (RErr e, s') -> s' = s.
Proof.
  intros s t k e s' Hr Hrr H. unfold step in H.
  destruct (caller_space s t); [|congruence].
  destruct k; simpl in H;
    try (exfalso; eapply Hr; reflexivity); try (exfalso; eapply Hrr; reflexivity);
    unfold cap_derive, cap_copy_to, cap_delete, cap_revoke, cap_info, endpoint_create,
      notification_create, memory_create, memory_clone, create, signal, wait, poll, quota_info,
      ipc_call, send, reply_call, space_create, thread_create, thread_start, yield,
      thread_set_priority, thread_set_syscall_handler, set_timer, irq_create, irq_bind,
      space_set_pager, map_call, unmap_call, protect_call, thread_exit, process_exit,
      process_terminate in H;
    split_matches H; try (inversion H; auto; fail);
    unfold create in H; split_matches H; inversion H; auto.
Qed.

(* IPC changes no capability. *)
Lemma drop_caller_caps : forall s t, s_caps (drop_caller s t) = s_caps s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma take_sender_caps : forall s t e v nb r s', take_sender s t e v nb = (r, s') ->
  s_caps s' = s_caps s.
Proof. intros. unfold take_sender in H. split_matches H; inversion H; subst; reflexivity. Qed.

Lemma recv_caps : forall s t sp h nb r s', recv s t sp h nb = (r, s') -> s_caps s' = s_caps s.
Proof.
  intros. unfold recv in H. split_matches H; try (inversion H; subst; reflexivity).
  apply take_sender_caps in H. rewrite H. apply drop_caller_caps.
Qed.

(* ---------- Where every capability after a call comes from ---------- *)

(* The same capability (its place in the tree aside: cap_delete moves children up). *)
Definition same_cap (x c : cap) : Prop :=
  c_id x = c_id c /\ c_space x = c_space c /\ c_obj x = c_obj c /\
  c_rights x = c_rights c /\ c_badge x = c_badge c.

Lemma destroy_caps : forall s o, s_caps (destroy s o) = s_caps s.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

Lemma release_caps : forall s b, s_caps (release s b) = s_caps s.
Proof.
  intros s [[n x]|]; unfold release; [|reflexivity].
  destruct (held s n); [reflexivity|apply destroy_caps].
Qed.

Lemma destroy_objs_none : forall s o x, s_objs s x = None -> s_objs (destroy s o) x = None.
Proof.
  intros s o x H. unfold destroy. destruct (s_objs s o) as [ob|] eqn:E; auto.
  destruct (reapable (o_kind ob)); auto. simpl. unfold upd. destruct (Nat.eqb x o); auto.
Qed.

Lemma release_objs_none : forall s b x, s_objs s x = None -> s_objs (release s b) x = None.
Proof.
  intros s [[n y]|] x H; unfold release; auto. destruct (held s n); auto.
  apply destroy_objs_none; auto.
Qed.

Lemma irq_bound_with_caps : forall s cs o, irq_bound (with_caps s cs) o = irq_bound s o.
Proof. reflexivity. Qed.

(* Ending processes: the capabilities left are old ones, minus the deleted ids in their
   ancestor lists. *)
Lemma del_all_in : forall ids cs x, In x (del_all ids cs) ->
  exists c, In c cs /\ same_cap x c /\ ~ In (c_id c) ids.
Proof.
  induction ids as [|d ids IH]; intros cs x Hx; simpl in Hx.
  - exists x. repeat split; auto.
  - destruct (IH _ _ Hx) as [y [Hy [Sy Ny]]]. apply in_del_caps in Hy.
    destruct Hy as [c [Hc [Nd ->]]]. exists c. split; auto.
    destruct Sy as [S1 [S2 [S3 [S4 S5]]]]. simpl in *.
    unfold strip in *; simpl in *.
    split; [repeat split; auto|]. intros [E|E]; [congruence|]. exact (Ny E).
Qed.

Lemma reap_fold_caps : forall l s,
  s_caps (fold_left (fun s o => if held s o then s else destroy s o) l s) = s_caps s.
Proof.
  induction l as [|o l IH]; intros s; simpl; auto. rewrite IH.
  destruct (held s o); auto. apply destroy_caps.
Qed.

Lemma reap_pass_caps : forall s, s_caps (reap_pass s) = s_caps s.
Proof. intros. apply reap_fold_caps. Qed.

Lemma terminate_caps : forall s root x, In x (s_caps (terminate s root)) ->
  exists c, In c (s_caps s) /\ same_cap x c /\ doomed s root (c_space c) = false.
Proof.
  intros s root x Hx. unfold terminate in Hx. rewrite !reap_pass_caps in Hx. simpl in Hx.
  apply del_all_in in Hx. destruct Hx as [c [Hc [Sc Nc]]]. exists c. split; auto.
  split; auto. destruct (doomed s root (c_space c)) eqn:E; auto. exfalso. apply Nc.
  apply in_map. apply filter_In. auto.
Qed.

Lemma drop_ref_caps : forall s o x, In x (s_caps (drop_ref s o)) ->
  exists c, In c (s_caps s) /\ same_cap x c.
Proof.
  intros s o x Hx.
  destruct (drop_ref_cases s o) as [E|[_ [E|[[tsp [q [_ [_ E]]]]|[root [_ [_ E]]]]]]];
    rewrite E in Hx.
  - rewrite release_caps, destroy_caps in Hx. exists x. split; [exact Hx|repeat split].
  - exists x. split; [exact Hx|repeat split].
  - exists x. split; [exact Hx|repeat split].
  - apply terminate_caps in Hx. destruct Hx as [c [Hc [Sc _]]]. exists c. auto.
Qed.

Lemma thread_exit_caps : forall s t sp r s' x, thread_exit s t sp = (r, s') ->
  In x (s_caps s') -> exists c, In c (s_caps s) /\ same_cap x c.
Proof.
  intros s t sp r s' x H Hx. unfold thread_exit in H. inversion H; subst; clear H.
  destruct (_ || _).
  - exists x. split; auto. repeat split.
  - apply terminate_caps in Hx. destruct Hx as [c [Hc [Sc _]]]. exists c. auto.
Qed.

(* After a call of the thread of space sp, a capability is an old one, or the first
   capability of an object created by the call (in sp), or a child derived in sp from
   one of sp's capabilities, or (cap_copy_to and thread_set_syscall_handler only) a child
   of one of sp's capabilities in another table; a child has a subset of its parent's
   rights. *)
Lemma step_caps : forall s t k r s' sp,
  caller_space s t = Some sp -> step s t k = (r, s') ->
  forall x, In x (s_caps s') ->
    (exists c, In c (s_caps s) /\ same_cap x c) \/
    (s_next s <= c_obj x /\ c_space x = sp) \/
    (exists src, In src (s_caps s) /\ c_space src = sp /\ c_obj x = c_obj src /\
                 incl (c_rights x) (c_rights src) /\
                 ((exists h rr b, k = CapDerive h rr b) /\ c_space x = sp \/
                  (exists hs h rr, k = CapCopyTo hs h rr) \/
                  (exists h e, k = ThreadSetSyscallHandler h e))).
Proof.
  intros s t k r s' sp Hc H x Hx. unfold step in H. rewrite Hc in H.
  assert (forall x, In x (s_caps s) -> exists c, In c (s_caps s) /\ same_cap x c) as Old.
  { intros y Hy. exists y. split; auto. repeat split. }
  destruct k; simpl in H.
  - unfold cap_derive in H. destruct (lookup s sp src) as [c|] eqn:E;
      [|inversion H; subst; left; auto].
    apply lookup_some in E. destruct E as [Hc1 [_ Hc3]].
    destruct (subset_b r0 (c_rights c)) eqn:Es; simpl in H; [|inversion H; subst; left; auto].
    destruct (negb (Nat.eqb badge 0) && _); [inversion H; subst; left; auto|].
    inversion H; subst. destruct Hx as [<-|Hx]; [|left; auto].
    right; right. exists c. simpl. repeat split; auto. apply subset_b_incl; auto.
    left. split; eauto.
  - unfold cap_copy_to in H.
    destruct (lookup_typed s sp space TSpace [RManage]) as [[tg|]|e] eqn:Et; simpl in H;
      try (inversion H; subst; left; auto; fail).
    destruct (lookup s sp src) as [c|] eqn:E; [|inversion H; subst; left; auto].
    apply lookup_some in E. destruct E as [Hc1 [_ Hc3]].
    destruct (subset_b r0 (c_rights c)) eqn:Es; simpl in H; [|inversion H; subst; left; auto].
    destruct (space_ended s (c_obj tg)); [inversion H; subst; left; auto|].
    inversion H; subst. destruct Hx as [<-|Hx]; [|left; auto].
    right; right. exists c. simpl. repeat split; auto. apply subset_b_incl; auto.
    right. left. eauto.
  - unfold cap_delete in H. destruct (lookup s sp h) as [c|]; [|inversion H; subst; left; auto].
    inversion H; subst. left.
    assert (exists y, In y (del_caps (c_id c) (s_caps s)) /\ same_cap x y) as [y0 [Hx' S0]].
    { destruct (held _ _); simpl in Hx;
        [exists x; split; [exact Hx|repeat split]|apply drop_ref_caps in Hx; exact Hx]. }
    apply in_del_caps in Hx'. destruct Hx' as [y [Hy [_ ->]]]. exists y.
    split; auto.
  - unfold cap_revoke in H. destruct (lookup s sp h) as [c|]; inversion H; subst; left; auto.
    simpl in Hx. apply in_revoke_caps in Hx. apply Old. tauto.
  - unfold cap_info in H. split_matches H; inversion H; subst; left; auto.
  - unfold endpoint_create, create in H. split_matches H; inversion H; subst; try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold notification_create, create in H. split_matches H; inversion H; subst;
      try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold memory_create, create in H. split_matches H; inversion H; subst;
      try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold memory_clone, create in H. split_matches H; inversion H; subst;
      try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold signal in H. split_matches H; inversion H; subst; left; auto.
  - unfold wait in H. split_matches H; inversion H; subst; left; auto.
  - unfold poll in H. split_matches H; inversion H; subst; left; auto.
  - unfold quota_info in H. split_matches H; inversion H; subst; left; auto.
  - unfold ipc_call in H. split_matches H; inversion H; subst; left; auto.
  - unfold reply_recv in H. apply recv_caps in H. rewrite drop_caller_caps in H.
    left. apply Old. rewrite <- H. auto.
  - unfold send in H. split_matches H; inversion H; subst; left; auto.
  - apply recv_caps in H. left. apply Old. rewrite <- H. auto.
  - unfold reply_call in H. split_matches H; inversion H; subst; left; auto.
    apply Old. rewrite drop_caller_caps in Hx. auto.
  - unfold space_create in H. split_matches H; inversion H; subst; try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold thread_create, create in H. split_matches H; inversion H; subst;
      try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold thread_start in H. split_matches H; inversion H; subst; left; auto.
  - unfold yield in H. inversion H; subst; left; auto.
  - unfold thread_set_priority in H. split_matches H; inversion H; subst; left; auto.
  - unfold thread_set_syscall_handler in H.
    destruct (lookup_typed s sp h TThread [RManage]) as [[ct|]|e] eqn:Et; simpl in H;
      try (inversion H; subst; left; auto; fail).
    destruct (lookup_typed s sp handler TEndpoint [RSend]) as [[src|]|e] eqn:Ee; simpl in H;
      try (inversion H; subst; left; auto; fail).
    apply lookup_typed_some in Ee. destruct Ee as [Hs1 [_ [Hs3 [_ Hs5]]]].
    split_matches H; inversion H; subst; try (left; auto; fail).
    destruct Hx as [<-|Hx]; [|left; auto].
    right; right. exists src. simpl. repeat split; auto. right. right. eauto.
  - unfold set_timer in H. split_matches H; inversion H; subst; left; auto.
  - unfold irq_create, create in H. split_matches H; inversion H; subst;
      try (left; auto; fail).
    destruct Hx as [<-|Hx]; [right; left; simpl; auto|left; auto].
  - unfold irq_bind in H. split_matches H; inversion H; subst; left; auto.
    rewrite release_caps in Hx. simpl in Hx. apply Old. exact Hx.
  - inversion H; subst; left; auto.
  - unfold space_set_pager in H. split_matches H; inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - unfold map_call in H. split_matches H; inversion H; subst; left; auto.
  - unfold unmap_call in H. split_matches H; inversion H; subst; left; auto.
    unfold reap in Hx. rewrite reap_fold_caps in Hx. apply Old. exact Hx.
  - unfold protect_call in H. split_matches H; inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - inversion H; subst; left; auto.
  - left. eapply thread_exit_caps; eauto.
  - unfold process_exit in H. inversion H; subst. left. apply terminate_caps in Hx.
    destruct Hx as [c [Hc1 [Sc _]]]. eauto.
  - unfold process_terminate in H. split_matches H; inversion H; subst; left; auto;
      apply terminate_caps in Hx; destruct Hx as [c' [Hc' [Sc _]]]; eauto.
Qed.

(* ---------- (b) Derivation never adds rights ---------- *)

Theorem derive_never_adds_rights : forall s t h r b v s',
  step s t (CapDerive h r b) = (ROk v, s') ->
  exists src c, In src (s_caps s) /\ c_id src = h /\ s_caps s' = c :: s_caps s /\
                v = VNum (c_id c) /\ c_obj c = c_obj src /\
                incl (c_rights c) (c_rights src) /\ c_anc c = c_id src :: c_anc src.
Proof.
  intros s t h r b v s' H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|discriminate]. simpl in H.
  unfold cap_derive in H. destruct (lookup s sp h) as [src|] eqn:E; [|discriminate].
  apply lookup_some in E. destruct E as [Hs [Hid _]].
  destruct (subset_b r (c_rights src)) eqn:Es; simpl in H; [|discriminate].
  destruct (negb (Nat.eqb b 0) && _); [discriminate|].
  inversion H; subst. eexists _, _. repeat split; eauto. simpl. apply subset_b_incl. auto.
Qed.

Theorem copy_to_never_adds_rights : forall s t hs h r v s',
  step s t (CapCopyTo hs h r) = (ROk v, s') ->
  exists src c, In src (s_caps s) /\ c_id src = h /\ s_caps s' = c :: s_caps s /\
                v = VNum (c_id c) /\ c_obj c = c_obj src /\ c_badge c = c_badge src /\
                incl (c_rights c) (c_rights src) /\ c_anc c = c_id src :: c_anc src.
Proof.
  intros s t hs h r v s' H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|discriminate]. simpl in H.
  unfold cap_copy_to in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[tg|]|e]; try discriminate.
  destruct (lookup s sp h) as [src|] eqn:E; [|discriminate].
  apply lookup_some in E. destruct E as [Hs [Hid _]].
  destruct (subset_b r (c_rights src)) eqn:Es; simpl in H; [|discriminate].
  destruct (space_ended s (c_obj tg)); [discriminate|].
  inversion H; subst. eexists _, _. repeat split; eauto. simpl. apply subset_b_incl. auto.
Qed.

(* No call gives any capability more rights to an existing object than some capability
   to it had before. *)
Theorem no_rights_amplification : forall s t k r s',
  step s t k = (r, s') ->
  forall x, In x (s_caps s') ->
    (exists c, In c (s_caps s) /\ c_obj c = c_obj x /\ incl (c_rights x) (c_rights c)) \/
    s_next s <= c_obj x.
Proof.
  intros s t k r s' H x Hx.
  destruct (caller_space s t) as [sp|] eqn:Ec;
    [|unfold step in H; rewrite Ec in H; inversion H; subst; left; exists x;
      split; auto; split; auto; apply incl_refl].
  destruct (step_caps s t k r s' sp Ec H x Hx) as [[c [Hc [_ [_ [Ho [Hr _]]]]]]|[[A _]|[src B]]].
  - left. exists c. rewrite Ho, Hr. split; auto. split; auto. apply incl_refl.
  - right. auto.
  - left. exists src. intuition.
Qed.

(* In a well-formed state every ancestor of a capability holds at least its rights on the
   same object (Invariant.ancestor_rights), so the rights along any derivation chain only
   shrink. *)
Theorem descendants_have_fewer_rights : forall s, wf s ->
  forall c a, In c (s_caps s) -> In a (c_anc c) ->
  exists ac, In ac (s_caps s) /\ c_id ac = a /\ incl (c_rights c) (c_rights ac) /\
             c_obj ac = c_obj c.
Proof. intros s [C _] c a Hc Ha. eapply ancestor_rights; eauto. Qed.

(* ---------- (c) Revoke ---------- *)

(* The descendants of capability h are the capabilities with h among their ancestors. *)
Definition descendant (c : cap) (h : nat) : Prop := In h (c_anc c).

Theorem revoke_removes_exactly_descendants : forall s t h v s', wf s ->
  step s t (CapRevoke h) = (ROk v, s') ->
  (exists c, In c (s_caps s) /\ c_id c = h /\ In c (s_caps s')) /\
  (forall x, In x (s_caps s') -> ~ descendant x h) /\
  (forall x, In x (s_caps s') <-> In x (s_caps s) /\ ~ descendant x h) /\
  s_objs s' = s_objs s /\ s_accts s' = s_accts s /\ s_word s' = s_word s.
Proof.
  intros s t h v s' [C _] H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|discriminate]. simpl in H.
  unfold cap_revoke in H. destruct (lookup s sp h) as [c|] eqn:E; [|discriminate].
  apply lookup_some in E. destruct E as [Hc [Hid _]]. inversion H; subst; clear H.
  simpl. unfold descendant. split; [|split; [|split]]; auto.
  - exists c. split; auto. split; auto. apply in_revoke_caps. split; auto.
    intros Hin. pose proof (cw_anc_lt _ C c (c_id c) Hc Hin). lia.
  - intros x Hx. apply in_revoke_caps in Hx. tauto.
  - intros x. apply in_revoke_caps.
Qed.

(* ---------- (d) Deletion ---------- *)

Theorem delete_spec : forall s t h v s', wf s ->
  step s t (CapDelete h) = (ROk v, s') ->
  exists c, In c (s_caps s) /\ c_id c = h /\
    (* the capability is gone; every capability left is an old one *)
    (forall x, In x (s_caps s') -> c_id x <> h) /\
    (forall x, In x (s_caps s') -> exists y, In y (s_caps s) /\ c_id y <> h /\ same_cap x y) /\
    (* nothing else changed but children moving up, unless it named a thread or a space (whose
       last reference may end a process: drop_ref, whose teardown deletes capabilities) *)
    ((forall tsp q, s_objs s (c_obj c) <> Some (mkObj (KThread tsp) q)) ->
     (forall a q, s_objs s (c_obj c) <> Some (mkObj (KSpace a) q)) ->
     forall x, In x (s_caps s') <->
               exists y, In y (s_caps s) /\ c_id y <> h /\ x = strip h y) /\
    (* its last capability gone, an endpoint, notification, memory, IoPorts or Irq object
       dies, unless an Irq is bound to it (a notification: the binding holds it) or it is
       mapped (a memory object: the mapping holds it) *)
    ((forall x, In x (s_caps s') -> c_obj x <> c_obj c) -> irq_bound s (c_obj c) = false ->
     mapped s (c_obj c) = false ->
     forall ob, s_objs s (c_obj c) = Some ob -> reapable (o_kind ob) = true ->
     s_objs s' (c_obj c) = None).
Proof.
  intros s t h v s' W H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|discriminate]. simpl in H.
  unfold cap_delete in H. destruct (lookup s sp h) as [c|] eqn:E; [|discriminate].
  apply lookup_some in E. destruct E as [Hc [Hid _]]. injection H as Hv Hs. subst h.
  set (s1 := with_caps s (del_caps (c_id c) (s_caps s))) in *.
  assert (Hold : forall x, In x (s_caps s') -> exists y, In y (del_caps (c_id c) (s_caps s)) /\
                   same_cap x y).
  { intros x Hx. rewrite <- Hs in Hx. destruct (held _ _); simpl in Hx;
      [exists x; split; [exact Hx|repeat split]|apply drop_ref_caps in Hx; exact Hx]. }
  assert (Hdr : (forall tsp q, s_objs s (c_obj c) <> Some (mkObj (KThread tsp) q)) ->
                (forall a q, s_objs s (c_obj c) <> Some (mkObj (KSpace a) q)) ->
                drop_ref s1 (c_obj c) = release (destroy s1 (c_obj c)) (s_irq s1 (c_obj c))).
  { intros Nt Ns. unfold drop_ref. change (s_objs s1) with (s_objs s).
    destruct (s_objs s (c_obj c)) as [[k q]|] eqn:Eo; [|reflexivity].
    destruct k; try reflexivity; exfalso; [eapply Ns|eapply Nt]; reflexivity. }
  exists c. split; auto. split; auto. split; [|split; [|split]].
  - intros x Hx. destruct (Hold x Hx) as [y [Hy Sy]]. apply in_del_caps in Hy.
    destruct Hy as [z [_ [Hz ->]]]. destruct Sy as [Ei _]. rewrite Ei. exact Hz.
  - intros x Hx. destruct (Hold x Hx) as [y [Hy Sy]]. apply in_del_caps in Hy.
    destruct Hy as [z [Hz [Nz ->]]]. exists z. auto.
  - intros Nt Ns x.
    assert (Hs' : forall x, In x (s_caps s') <-> In x (del_caps (c_id c) (s_caps s))).
    { intros y. rewrite <- Hs. destruct (held _ _); simpl;
        [tauto|rewrite (Hdr Nt Ns), release_caps, destroy_caps; tauto]. }
    rewrite Hs'. apply in_del_caps.
  - intros Hnone Hnb Hnm ob Eo Er. rewrite <- Hs.
    destruct (named (s_caps s1) (c_obj c)) eqn:En.
    + exfalso. pose proof En as En'. unfold named in En. apply existsb_exists in En.
      destruct En as [x [Hx Ex]].
      apply Nat.eqb_eq in Ex. apply (Hnone x); [|exact Ex].
      rewrite <- Hs. unfold held. rewrite En'. simpl. exact Hx.
    + unfold held. rewrite En. change (irq_bound s1 (c_obj c)) with (irq_bound s (c_obj c)).
      rewrite Hnb. simpl.
      replace (mapped s1 (c_obj c)) with false by (symmetry; exact Hnm).
      assert (Hk : (forall tsp q, s_objs s (c_obj c) <> Some (mkObj (KThread tsp) q)) /\
                   (forall a q, s_objs s (c_obj c) <> Some (mkObj (KSpace a) q))).
      { split; intros ? ? E'; rewrite E' in Eo; injection Eo as <-; discriminate Er. }
      rewrite (Hdr (proj1 Hk) (proj2 Hk)).
      apply release_objs_none. unfold destroy. simpl. rewrite Eo. rewrite Er.
      exact (upd_eq _ _ _ _).
Qed.

(* In a well-formed state (which every call keeps: step_preserves_wf) no capability names
   a dead object. *)
Theorem dead_objects_unreachable : forall s, wf s ->
  forall o, s_objs s o = None -> forall c, In c (s_caps s) -> c_obj c <> o.
Proof. intros s [C _] o Ho c Hc E. apply (cw_obj _ C c Hc). congruence. Qed.

(* ---------- (e) Authority confinement ---------- *)

(* The objects a space reaches: those its table's capabilities name. *)
Definition reaches (s : state) (sp o : nat) : Prop :=
  exists c, In c (s_caps s) /\ c_space c = sp /\ c_obj c = o.

(* A call lets a space reach an object it did not reach before only if the object is new
   (created by this call), or the call is a cap_copy_to, or a thread_set_syscall_handler
   (the handler capability goes into the thread's own space's table), by a thread whose
   own space already reached the object. *)
Theorem authority_confinement : forall s t k r s' sp0 sp o,
  caller_space s t = Some sp0 -> step s t k = (r, s') ->
  reaches s' sp o ->
  reaches s sp o \/ s_next s <= o \/
  (((exists hs h rr, k = CapCopyTo hs h rr) \/ (exists h e, k = ThreadSetSyscallHandler h e)) /\
   reaches s sp0 o).
Proof.
  intros s t k r s' sp0 sp o Hc H [x [Hx [Hsp Ho]]]. subst.
  destruct (step_caps s t k r s' sp0 Hc H x Hx)
    as [[c [Hc1 [_ [Hs [Hob _]]]]]|[[A _]|[src [Hsrc [Hsp [Hob [_ [[_ Hx0]|Hk]]]]]]]].
  - left. exists c. rewrite Hs, Hob. auto.
  - right; left. auto.
  - left. exists src. rewrite Hx0, Hob. auto.
  - right; right. split; auto. exists src. auto.
Qed.

(* A thread's own space reaches nothing new except the objects it creates. *)
Corollary own_authority_grows_only_by_creation : forall s t k r s' sp0 o,
  caller_space s t = Some sp0 -> step s t k = (r, s') ->
  reaches s' sp0 o -> reaches s sp0 o \/ s_next s <= o.
Proof.
  intros. destruct (authority_confinement s t k r s' sp0 sp0 o H H0 H1) as [A|[A|[_ A]]]; auto.
Qed.

(* ---------- IPC ---------- *)

(* A reply wakes exactly the thread waiting for this server's reply, cuts the link, and
   changes no other thread's state. *)
Theorem reply_wakes_only_its_caller : forall s t v s', wf s ->
  step s t Reply = (ROk v, s') ->
  exists c, s_caller s t = Some c /\ s_tstate s c = BlockedReply t /\
    s_tstate s' c = Ready /\ s_caller s' t = None /\
    (forall x, x <> c -> s_tstate s' x = s_tstate s x).
Proof.
  intros s t v s' W H. unfold step in H.
  destruct (caller_space s t) eqn:Ec; [|discriminate]. simpl in H.
  unfold reply_call in H. destruct (s_caller s t) as [c|] eqn:Ecl; [|discriminate].
  inversion H; subst; clear H. exists c. unfold drop_caller. rewrite Ecl. simpl.
  split; auto. split; [apply (tw_reply _ _ _ _ (wf_tw s W)); auto|].
  split; [apply upd_eq|]. split; [apply upd_eq|]. intros x Hx. apply upd_neq; auto.
Qed.

(* A call never returns at once: the caller ends up waiting for the reply of the receiver
   that took the message, or queued on the endpoint as a caller. *)
Theorem call_waits : forall s t h r s', wf s -> step s t (Call h) = (r, s') ->
  (exists e, r = RErr e /\ s' = s) \/
  (r = RBlocked /\
   ((exists srv, s_tstate s' t = BlockedReply srv /\ s_caller s' srv = Some t) \/
    (exists e, s_tstate s' t = BlockedSend e true /\ In t (s_waiters s' e)))).
Proof.
  intros s t h r s' W H. unfold step in H.
  destruct (caller_space s t) eqn:Ec; [|inversion H; subst; left; eauto]. simpl in H.
  unfold ipc_call in H.
  destruct (lookup_typed s n h TEndpoint [RSend]) as [[c|]|e];
    try (inversion H; subst; left; eauto; fail).
  destruct (receiver_head s (c_obj c)) as [[r0 rest]|]; inversion H; subst; clear H;
    right; split; auto.
  - left. exists r0. simpl. split; apply upd_eq.
  - right. exists (c_obj c). simpl. split; [apply upd_eq|]. rewrite upd_eq.
    apply in_or_app. right. left. auto.
Qed.

(* ---------- Threads: each in one place ---------- *)

Theorem thread_in_one_queue : forall s, wf s ->
  forall t o1 o2, In t (s_waiters s o1) -> In t (s_waiters s o2) -> o1 = o2.
Proof.
  intros s W t o1 o2 H1 H2.
  destruct (tw_waiters _ _ _ _ (wf_tw s W) o1 t H1) as [_ E1].
  destruct (tw_waiters _ _ _ _ (wf_tw s W) o2 t H2) as [_ E2]. congruence.
Qed.

Theorem waiting_for_reply_in_no_queue : forall s, wf s ->
  forall t srv o, s_tstate s t = BlockedReply srv -> ~ In t (s_waiters s o).
Proof.
  intros s W t srv o Ht Hin.
  destruct (tw_waiters _ _ _ _ (wf_tw s W) o t Hin) as [_ E]. rewrite Ht in E. discriminate.
Qed.

(* ---------- Notifications: no lost bits ---------- *)

(* A signal wakes the first waiter, or its bits (the badge, 1 if none) are in the word. *)
Theorem signal_not_lost : forall s t h v s',
  step s t (Signal h) = (ROk v, s') ->
  exists c, c_id c = h /\
    ((exists w rest, s_waiters s (c_obj c) = w :: rest /\ s_tstate s' w = Ready /\
                     s_waiters s' (c_obj c) = rest) \/
     (s_waiters s (c_obj c) = [] /\
      s_word s' (c_obj c) = Nat.lor (s_word s (c_obj c)) (sig_bits c))).
Proof.
  intros s t h v s' H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|discriminate]. simpl in H. unfold signal in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|e] eqn:E; try discriminate.
  apply lookup_typed_some in E. destruct E as [_ [Hid _]].
  exists c. split; auto.
  destruct (s_waiters s (c_obj c)) as [|w rest] eqn:Ew; inversion H; subst; clear H; simpl.
  - right. split; auto. apply upd_eq.
  - left. exists w, rest. split; auto. split; apply upd_eq.
Qed.

(* wait returns only non-zero bits, and clears the word; or it blocks with the word clear. *)
Theorem wait_returns_bits : forall s t h r s',
  step s t (Wait h) = (r, s') ->
  (exists e, r = RErr e /\ s' = s) \/
  (exists c bits, c_id c = h /\ r = ROk (VNum bits) /\ bits <> 0 /\
                  bits = s_word s (c_obj c) /\ s_word s' (c_obj c) = 0) \/
  (exists c, c_id c = h /\ r = RBlocked /\ s_word s (c_obj c) = 0 /\
             s_tstate s' t = BlockedNotif (c_obj c) /\ In t (s_waiters s' (c_obj c))).
Proof.
  intros s t h r s' H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|inversion H; subst; left; eauto]. simpl in H.
  unfold wait in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    try (inversion H; subst; left; eauto; fail).
  apply lookup_typed_some in E. destruct E as [_ [Hid _]].
  destruct (Nat.eqb (s_word s (c_obj c)) 0) eqn:Ew; inversion H; subst; clear H; simpl.
  - right; right. exists c. apply Nat.eqb_eq in Ew. repeat split; auto; [apply upd_eq|].
    rewrite upd_eq. apply in_or_app. right. left. auto.
  - right; left. exists c, (s_word s (c_obj c)). apply Nat.eqb_neq in Ew.
    repeat split; auto. apply upd_eq.
Qed.

(* ---------- Quotas: charge first ---------- *)

(* endpoint_create either fails with QuotaExceeded, changing nothing, exactly when the
   charge would pass the caller's limit, or charges exactly the object's size. *)
Theorem endpoint_create_charges : forall s t sp a q l u r s',
  caller_space s t = Some sp -> s_objs s sp = Some (mkObj (KSpace a) q) ->
  s_accts s a = Some (l, u) -> step s t EndpointCreate = (r, s') ->
  (l < u + obj_size KEndpoint /\ r = RErr QuotaExceeded /\ s' = s) \/
  (u + obj_size KEndpoint <= l /\ s_accts s' a = Some (l, u + obj_size KEndpoint) /\
   exists h, r = ROk (VNum h)).
Proof.
  intros s t sp a q l u r s' Hc Hsp Ha H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold endpoint_create, create in H. rewrite Hsp, Ha in H.
  destruct (Nat.ltb l (u + obj_size KEndpoint)) eqn:E; inversion H; subst; clear H.
  - left. apply Nat.ltb_lt in E. auto.
  - right. apply Nat.ltb_ge in E. split; auto. split; [apply upd_eq|eauto].
Qed.

(* ---------- The derivation tree by parent links ---------- *)

(* c descends from capability h following parent links (the head of an ancestor list is
   the parent): h is c's parent, or the ancestor of c's parent. *)
Inductive desc (cs : list cap) : cap -> nat -> Prop :=
  | desc_parent : forall c p rest, In c cs -> c_anc c = p :: rest -> desc cs c p
  | desc_step : forall c p rest pc h, In c cs -> c_anc c = p :: rest ->
                In pc cs -> c_id pc = p -> desc cs pc h -> desc cs c h.

Lemma nodup_ids_eq : forall cs a b, NoDup (map c_id cs) -> In a cs -> In b cs ->
  c_id a = c_id b -> a = b.
Proof.
  induction cs as [|x cs IH]; simpl; intros a b N Ha Hb E; [destruct Ha|].
  inversion N as [|? ? Hx Nx]; subst.
  destruct Ha as [<-|Ha]; destruct Hb as [<-|Hb]; auto.
  - exfalso. apply Hx. rewrite E. apply in_map. auto.
  - exfalso. apply Hx. rewrite <- E. apply in_map. auto.
Qed.

(* In a well-formed state the ancestor lists are exactly the parent-link tree, so revoke
   (which removes the capabilities with h among their ancestors) removes exactly the
   subtree below h. *)
Theorem ancestors_are_the_tree : forall s, wf s -> forall c h, In c (s_caps s) ->
  (In h (c_anc c) <-> desc (s_caps s) c h).
Proof.
  intros s [C _] c h Hc. split.
  - remember (c_anc c) as l eqn:El. revert c Hc El.
    induction l as [|p rest IH]; intros c Hc El Hin; [destruct Hin|].
    pose proof (cw_parent _ C c Hc) as P. unfold parent_ok in P. rewrite <- El in P.
    destruct P as [pc [Hpc [Hid [Hanc _]]]].
    destruct Hin as [<-|Hin].
    + eapply desc_parent; eauto.
    + eapply desc_step; eauto.
  - intros D. induction D as [c p rest Hc0 E|c p rest pc h Hc0 E Hpc Hid D IH].
    + rewrite E. left. auto.
    + pose proof (cw_parent _ C c Hc0) as P. unfold parent_ok in P. rewrite E in P.
      destruct P as [pc' [Hpc' [Hid' [Hanc' _]]]].
      assert (pc = pc') as <- by (apply (nodup_ids_eq (s_caps s)); auto using cw_nodup;
                                  congruence).
      rewrite E. right. rewrite <- Hanc'. auto.
Qed.

Corollary revoke_removes_the_subtree : forall s t h v s', wf s ->
  step s t (CapRevoke h) = (ROk v, s') ->
  forall x, In x (s_caps s) -> (In x (s_caps s') <-> ~ desc (s_caps s) x h).
Proof.
  intros s t h v s' W H x Hx.
  destruct (revoke_removes_exactly_descendants s t h v s' W H) as [_ [_ [Hiff _]]].
  rewrite Hiff. unfold descendant. rewrite (ancestors_are_the_tree s W x h Hx). tauto.
Qed.

(* ---------- Priorities ---------- *)

Lemma drop_caller_prio : forall s t, s_prio (drop_caller s t) = s_prio s.
Proof. intros. unfold drop_caller. destruct (s_caller s t); reflexivity. Qed.

Lemma take_sender_prio : forall s t e v nb r s', take_sender s t e v nb = (r, s') ->
  s_prio s' = s_prio s.
Proof. intros. unfold take_sender in H. split_matches H; inversion H; subst; reflexivity. Qed.

Lemma destroy_prio : forall s o, s_prio (destroy s o) = s_prio s.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

Lemma release_prio : forall s b, s_prio (release s b) = s_prio s.
Proof.
  intros s [[n x]|]; unfold release; [|reflexivity].
  destruct (held s n); [reflexivity|apply destroy_prio].
Qed.

Lemma create_prio : forall s sp k rts p r s', create s sp k rts p = (r, s') ->
  s_prio s' = s_prio s \/ s_prio s' = upd (s_prio s) (s_next s) p.
Proof. intros. unfold create in H. split_matches H; inversion H; subst; auto. Qed.

Lemma recv_prio : forall s t sp h nb r s', recv s t sp h nb = (r, s') -> s_prio s' = s_prio s.
Proof.
  intros. unfold recv in H. split_matches H; try (inversion H; subst; reflexivity).
  apply take_sender_prio in H. rewrite H. apply drop_caller_prio.
Qed.

Lemma reap_fold_prio : forall l s,
  s_prio (fold_left (fun s o => if held s o then s else destroy s o) l s) = s_prio s.
Proof.
  induction l as [|o l IH]; intros s; simpl; auto. rewrite IH.
  destruct (held s o); auto. apply destroy_prio.
Qed.

Lemma terminate_prio : forall s root, s_prio (terminate s root) = s_prio s.
Proof. intros. unfold terminate, reap_pass. rewrite !reap_fold_prio. reflexivity. Qed.

Lemma drop_ref_prio : forall s o, s_prio (drop_ref s o) = s_prio s.
Proof.
  intros s o. destruct (drop_ref_cases s o) as [E|[_ [E|[[tsp [q [_ [_ E]]]]|[root [_ [_ E]]]]]]];
    rewrite E; try reflexivity.
  - rewrite release_prio, destroy_prio. reflexivity.
  - apply terminate_prio.
Qed.

(* How a call changes priorities: not at all, or one id gets a priority at most the
   caller's (thread_set_priority; thread_create gives the new thread the caller's, the other
   creations 0 to their new object). *)
Lemma step_prio : forall s t k r s', step s t k = (r, s') ->
  s_prio s' = s_prio s \/
  exists o p, p <= s_prio s t /\ s_prio s' = upd (s_prio s) o p.
Proof.
  intros s t k r s' H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|inversion H; subst; left; reflexivity].
  assert (Cr : forall k' rts p r' s'', p <= s_prio s t -> create s sp k' rts p = (r', s'') ->
     s_prio s'' = s_prio s \/ exists o p, p <= s_prio s t /\ s_prio s'' = upd (s_prio s) o p).
  { intros k' rts p r' s'' Hp Hc. apply create_prio in Hc. destruct Hc as [E|E]; [left; auto|].
    right. exists (s_next s), p. auto. }
  destruct k; simpl in H.
  - unfold cap_derive in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold cap_copy_to in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold cap_delete in H. split_matches H; inversion H; subst; left; try reflexivity.
    rewrite drop_ref_prio. reflexivity.
  - unfold cap_revoke in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold cap_info in H. split_matches H; inversion H; subst; left; reflexivity.
  - eapply Cr; [|exact H]. lia.
  - eapply Cr; [|exact H]. lia.
  - unfold memory_create in H. destruct (_ || _ || _); [inversion H; subst; left; auto|].
    eapply Cr; [|exact H]. lia.
  - unfold memory_clone in H. split_matches H; try (inversion H; subst; left; reflexivity).
    eapply Cr; [|exact H]. lia.
  - unfold signal in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold wait in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold poll in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold quota_info in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold ipc_call in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold reply_recv in H. apply recv_prio in H. rewrite drop_caller_prio in H. left; auto.
  - unfold send in H. split_matches H; inversion H; subst; left; reflexivity.
  - apply recv_prio in H. left; auto.
  - unfold reply_call in H. split_matches H; inversion H; subst; left; try reflexivity.
    apply drop_caller_prio.
  - unfold space_create in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold thread_create in H. split_matches H; try (inversion H; subst; left; reflexivity).
    eapply Cr; [|exact H]. lia.
  - unfold thread_start in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold yield in H. inversion H; subst; left; reflexivity.
  - unfold thread_set_priority in H. split_matches H; inversion H; subst; try (left; reflexivity).
    right. exists (c_obj c), p. split; auto. apply Nat.ltb_ge. auto.
  - unfold thread_set_syscall_handler in H. split_matches H; inversion H; subst; left;
      reflexivity.
  - unfold set_timer in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold irq_create in H. split_matches H; try (inversion H; subst; left; reflexivity).
    eapply Cr; [|exact H]. lia.
  - unfold irq_bind in H. split_matches H; inversion H; subst; left; try reflexivity.
    rewrite release_prio. reflexivity.
  - inversion H; subst; left; reflexivity.
  - unfold space_set_pager in H. split_matches H; inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - unfold map_call in H. split_matches H; inversion H; subst; left; reflexivity.
  - unfold unmap_call in H. split_matches H; inversion H; subst; left; try reflexivity.
    unfold reap. rewrite reap_fold_prio. reflexivity.
  - unfold protect_call in H. split_matches H; inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - inversion H; subst; left; reflexivity.
  - unfold thread_exit in H. inversion H; subst; left.
    destruct (_ || _); [reflexivity|]. rewrite terminate_prio. reflexivity.
  - unfold process_exit in H. inversion H; subst; left. apply terminate_prio.
  - unfold process_terminate in H. split_matches H; inversion H; subst; left; try reflexivity;
      apply terminate_prio.
Qed.

(* No call gives any thread (or any id) a priority above the calling thread's own: a priority
   that changes becomes at most the caller's. *)
Theorem priority_never_exceeds_caller : forall s t k r s' x, step s t k = (r, s') ->
  s_prio s' x <> s_prio s x -> s_prio s' x <= s_prio s t.
Proof.
  intros s t k r s' x H N. destruct (step_prio s t k r s' H) as [E|[o [p [Hp E]]]].
  - exfalso. rewrite E in N. auto.
  - rewrite E in *. destruct (Nat.eq_dec x o) as [->|No].
    + rewrite upd_eq. auto.
    + rewrite upd_neq in N by auto. contradiction.
Qed.

(* thread_set_priority: on success the thread named by a capability with Manage in the
   caller's table has the priority p, which is below 256 and at most the caller's own; no
   other priority and nothing else changes. *)
Theorem set_priority_spec : forall s t h p v s',
  step s t (ThreadSetPriority h p) = (ROk v, s') ->
  exists c, In c (s_caps s) /\ c_id c = h /\ obj_type s (c_obj c) = Some TThread /\
    In RManage (c_rights c) /\ p < prio_count /\ p <= s_prio s t /\
    s_prio s' (c_obj c) = p /\ (forall x, x <> c_obj c -> s_prio s' x = s_prio s x) /\
    s' = mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
                 (s_caller s) (s_next s) (s_prio s') (s_handler s') (s_timer s') (s_irq s') (s_pager s') (s_maps s') (s_via s') /\ v = VNone.
Proof.
  intros s t h p v s' H. unfold step in H.
  destruct (caller_space s t) as [sp|]; [|discriminate]. simpl in H.
  unfold thread_set_priority in H.
  destruct (lookup_typed s sp h TThread [RManage]) as [[c|]|e] eqn:E; try discriminate.
  apply lookup_typed_some in E. destruct E as [Hc [Hid [_ [Ht Hr]]]].
  destruct (Nat.leb prio_count p) eqn:E1; [discriminate|].
  destruct (Nat.ltb (s_prio s t) p) eqn:E2; [discriminate|].
  inversion H; subst; clear H. apply Nat.leb_gt in E1. apply Nat.ltb_ge in E2.
  exists c. simpl. repeat split; auto.
  - apply Hr. left. reflexivity.
  - apply upd_eq.
  - intros x N. apply upd_neq. auto.
Qed.

(* In a well-formed state every priority is 0..255 (Invariant.ow_prio, kept by every call:
   step_preserves_wf). *)
Theorem priorities_in_range : forall s, wf s -> forall x, s_prio s x < prio_count.
Proof. intros s W x. apply (ow_prio _ (proj1 (proj2 W))). Qed.

(* ---------- The calls on what the state does not hold ---------- *)

(* thread_set_tls, thread_set_ipc_buffer, debug_print, clock_read, thread_read_registers,
   thread_write_registers, thread_read_fpu, thread_write_fpu, io_port_in, io_port_out change
   only what this state abstracts away (registers, FPU state, TLS bases, IPC buffer, memory,
   console, clock, ports): whatever they reply, the state is as it was. *)
Definition abstracted_call (k : call) : bool :=
  match k with
  | ThreadSetTls _ _ | ThreadSetIpcBuffer _ _ _ | DebugPrint _ _ | ClockRead
  | ThreadReadRegisters _ _ | ThreadWriteRegisters _ _ | ThreadReadFpu _ _
  | ThreadWriteFpu _ _ _ | IoPortIn _ _ _ | IoPortOut _ _ _ _ | IrqAck _
  | SpaceResolveFault _ _ _ => true
  | _ => false
  end.

Theorem abstracted_calls_change_nothing : forall s t k r s',
  abstracted_call k = true -> step s t k = (r, s') -> s' = s.
Proof.
  intros s t k r s' Hk H. unfold step in H.
  destruct (caller_space s t); [|congruence].
  destruct k; try discriminate Hk; inversion H; auto.
Qed.

(* The handle such a call names a thread by (debug_print and clock_read name none). *)
Definition thread_call_handle (k : call) : option nat :=
  match k with
  | ThreadSetTls h _ | ThreadSetIpcBuffer h _ _ | ThreadReadRegisters h _
  | ThreadWriteRegisters h _ | ThreadReadFpu h _ | ThreadWriteFpu h _ _ => Some h
  | _ => None
  end.

(* A thread's registers, FPU state, TLS bases and IPC buffer are reached only through a
   capability to that thread with Manage in the caller's own table: such a call that
   succeeds names one; and one that writes registers or the FPU state names an Inactive
   thread. *)
Theorem thread_calls_need_manage : forall s t k h v s' sp,
  caller_space s t = Some sp -> thread_call_handle k = Some h -> step s t k = (ROk v, s') ->
  exists c, lookup s sp h = Some c /\ obj_type s (c_obj c) = Some TThread /\
    In RManage (c_rights c) /\
    ((exists ok, k = ThreadWriteRegisters h ok) \/ (exists ok mx, k = ThreadWriteFpu h ok mx) ->
     s_tstate s (c_obj c) = Inactive).
Proof.
  intros s t k h v s' sp Hc Hk H. unfold step in H. rewrite Hc in H.
  assert (L : forall need c, lookup_typed s sp h TThread need = inl (Some c) ->
    lookup s sp h = Some c /\ obj_type s (c_obj c) = Some TThread /\ incl need (c_rights c)).
  { intros need c E. pose proof (lookup_typed_some _ _ _ _ _ _ E) as [A [B [C [D F]]]].
    split; [|split; [exact D|exact F]].
    unfold lookup_typed in E. destruct (lookup s sp h) as [c'|]; [|discriminate].
    destruct (obj_type s (c_obj c')); [|discriminate].
    destruct (otype_eqb _ _); [|discriminate].
    destruct (subset_b _ _); [|discriminate]. injection E as <-. reflexivity. }
  (* The lookup each call makes, whatever rights it asks for: the Manage below comes from
     those rights, so a call that asked for less fails here. *)
  destruct k; simpl in Hk; try discriminate Hk; injection Hk as <-; injection H as Hr _;
    unfold thread_set_tls, thread_set_ipc_buffer, thread_read_registers,
      thread_write_registers, thread_read_fpu, thread_write_fpu in Hr;
    match type of Hr with
    | context[lookup_typed ?s0 ?sp0 ?h1 TThread ?need] =>
        destruct (lookup_typed s0 sp0 h1 TThread need) as [[c|]|e] eqn:E; try discriminate Hr;
        destruct (L need c E) as [A [B C]]
    end;
    exists c; (split; [exact A|split; [exact B|split; [apply C; left; reflexivity|]]]);
    intros [[ok Ek]|[ok [mx Ek]]]; try discriminate Ek;
    destruct (s_tstate s (c_obj c)); try discriminate Hr; reflexivity.
Qed.

(* ---------- Syscall handlers ---------- *)

Lemma lookup_typed_lookup : forall s sp h ty need c,
  lookup_typed s sp h ty need = inl (Some c) ->
  lookup s sp h = Some c /\ obj_type s (c_obj c) = Some ty /\ incl need (c_rights c).
Proof.
  intros s sp h ty need c E. pose proof (lookup_typed_some _ _ _ _ _ _ E) as [_ [_ [_ [D F]]]].
  split; [|split; [exact D|exact F]].
  unfold lookup_typed in E. destruct (lookup s sp h) as [c'|]; [|discriminate].
  destruct (obj_type s (c_obj c')); [|discriminate].
  destruct (otype_eqb _ _); [|discriminate].
  destruct (subset_b _ _); [|discriminate]. injection E as <-. reflexivity.
Qed.

(* thread_set_syscall_handler that succeeds: the caller holds the thread with Manage and the
   endpoint with Send; the thread had no handler; exactly one capability is added, a child
   of the endpoint capability with Send only and its badge, in the table of the thread's own
   space; the thread's handler is that capability's handle, no other thread's changes; no
   object, account, thread state or priority changes. *)
Theorem set_syscall_handler_spec : forall s t h e v s' sp,
  caller_space s t = Some sp -> step s t (ThreadSetSyscallHandler h e) = (ROk v, s') ->
  exists ct src tsp q,
    lookup s sp h = Some ct /\ s_objs s (c_obj ct) = Some (mkObj (KThread tsp) q) /\
    In RManage (c_rights ct) /\
    lookup s sp e = Some src /\ obj_type s (c_obj src) = Some TEndpoint /\
    In RSend (c_rights src) /\
    s_handler s (c_obj ct) = None /\
    s_caps s' = mkCap (s_next s) tsp (c_obj src) [RSend] (c_badge src) (c_id src :: c_anc src)
                :: s_caps s /\
    s_handler s' (c_obj ct) = Some (s_next s) /\
    (forall x, x <> c_obj ct -> s_handler s' x = s_handler s x) /\
    s_objs s' = s_objs s /\ s_accts s' = s_accts s /\ s_tstate s' = s_tstate s /\
    s_caller s' = s_caller s /\ s_waiters s' = s_waiters s /\ s_prio s' = s_prio s.
Proof.
  intros s t h e v s' sp Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold thread_set_syscall_handler in H.
  destruct (lookup_typed s sp h TThread [RManage]) as [[ct|]|er] eqn:Et; try discriminate H.
  destruct (lookup_typed s sp e TEndpoint [RSend]) as [[src|]|er] eqn:Ee; try discriminate H.
  destruct (lookup_typed_lookup _ _ _ _ _ _ Et) as [Lt [_ Rt]].
  destruct (lookup_typed_lookup _ _ _ _ _ _ Ee) as [Le [Te Re]].
  destruct (s_handler s (c_obj ct)) eqn:Eh; [discriminate H|].
  destruct (s_objs s (c_obj ct)) as [[[| tsp | | | | | |] q]|] eqn:Eo; try discriminate H.
  destruct (space_ended s tsp); [discriminate H|].
  injection H as _ <-. exists ct, src, tsp, q. simpl.
  repeat split; auto.
  - apply Rt. left. reflexivity.
  - apply Re. left. reflexivity.
  - apply upd_eq.
  - intros x Nx. apply upd_neq. exact Nx.
Qed.

(* ---------- Timers ---------- *)

(* set_timer that succeeds: the caller holds the notification with Send; a deadline of 0
   disarms its timer, any other arms it with the capability's bits (its badge, 1 if none);
   no other timer and nothing else changes (the word, the waiters: the timer fires later, at
   a tick, which is not modelled). *)
Theorem set_timer_spec : forall s t h d v s' sp,
  caller_space s t = Some sp -> step s t (SetTimer h d) = (ROk v, s') ->
  exists c, lookup s sp h = Some c /\ obj_type s (c_obj c) = Some TNotification /\
    In RSend (c_rights c) /\
    s_timer s' (c_obj c) = (if Nat.eqb d 0 then None else Some (sig_bits c)) /\
    (forall x, x <> c_obj c -> s_timer s' x = s_timer s x) /\
    s_objs s' = s_objs s /\ s_accts s' = s_accts s /\ s_caps s' = s_caps s /\
    s_tstate s' = s_tstate s /\ s_word s' = s_word s /\ s_waiters s' = s_waiters s /\
    s_caller s' = s_caller s /\ s_prio s' = s_prio s /\ s_handler s' = s_handler s.
Proof.
  intros s t h d v s' sp Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold set_timer in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|er] eqn:E; try discriminate H.
  destruct (lookup_typed_lookup _ _ _ _ _ _ E) as [L [T R]].
  injection H as _ <-. exists c. simpl. repeat split; auto.
  - apply R. left. reflexivity.
  - apply upd_eq.
  - intros x Nx. apply upd_neq. exact Nx.
Qed.

(* ---------- Pager modes ---------- *)

(* space_set_pager that succeeds: the caller holds the space with Manage and the mode is one
   of the two; the space's pager mode becomes it, no other space's and nothing else changes
   (what the mode decides, who resolves a page fault, is not modelled). *)
Theorem set_pager_spec : forall s t h m v s' sp,
  caller_space s t = Some sp -> step s t (SpaceSetPager h m) = (ROk v, s') ->
  exists c, lookup s sp h = Some c /\ obj_type s (c_obj c) = Some TSpace /\
    In RManage (c_rights c) /\ (m = pager_kernel \/ m = pager_handler) /\
    s_pager s' (c_obj c) = m /\ (forall x, x <> c_obj c -> s_pager s' x = s_pager s x) /\
    s_objs s' = s_objs s /\ s_accts s' = s_accts s /\ s_caps s' = s_caps s /\
    s_tstate s' = s_tstate s /\ s_word s' = s_word s /\ s_waiters s' = s_waiters s /\
    s_caller s' = s_caller s /\ s_next s' = s_next s /\ s_prio s' = s_prio s /\
    s_handler s' = s_handler s /\ s_timer s' = s_timer s /\ s_irq s' = s_irq s /\
    v = VNone.
Proof.
  intros s t h m v s' sp Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold space_set_pager in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|er] eqn:E; try discriminate H.
  destruct (Nat.eqb m pager_kernel || Nat.eqb m pager_handler) eqn:Em; [|discriminate H].
  destruct (lookup_typed_lookup _ _ _ _ _ _ E) as [L [T R]].
  injection H as <- <-. exists c. simpl. repeat split; auto.
  - apply R. left. reflexivity.
  - apply orb_true_iff in Em. destruct Em as [Em|Em]; apply Nat.eqb_eq in Em; auto.
  - apply upd_eq.
  - intros x Nx. apply upd_neq. exact Nx.
Qed.

(* The mode is checked after the capability (the core's order): with a space capability
   with Manage, a mode other than kPagerKernel and kPagerHandler is InvalidArgument and
   changes nothing. *)
Theorem set_pager_invalid_mode : forall s t h m sp c,
  caller_space s t = Some sp -> lookup_typed s sp h TSpace [RManage] = inl (Some c) ->
  m <> pager_kernel -> m <> pager_handler ->
  step s t (SpaceSetPager h m) = (RErr InvalidArgument, s).
Proof.
  intros s t h m sp c Hc E N1 N2. unfold step. rewrite Hc. simpl.
  unfold space_set_pager. rewrite E.
  apply Nat.eqb_neq in N1. apply Nat.eqb_neq in N2. rewrite N1, N2. reflexivity.
Qed.

(* space_resolve_fault that succeeds: the caller holds the space with Manage, the access is
   Read, Write and Execute only (not none), and a mapping allows it (the flag); whatever it
   replies, nothing the state holds changes (the page and the page tables it puts in place
   are not in the state: abstracted_calls_change_nothing). *)
Theorem resolve_fault_spec : forall s t h a ok v s' sp,
  caller_space s t = Some sp -> step s t (SpaceResolveFault h a ok) = (ROk v, s') ->
  s' = s /\ v = VNone /\ ok = true /\ a <> [] /\ forallb page_right a = true /\
  exists c, lookup s sp h = Some c /\ obj_type s (c_obj c) = Some TSpace /\
    In RManage (c_rights c).
Proof.
  intros s t h a ok v s' sp Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold space_resolve_fault in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|er] eqn:E; try discriminate H.
  destruct (lookup_typed_lookup _ _ _ _ _ _ E) as [L [T R]].
  destruct a as [|r0 rest]; [discriminate H|].
  destruct (forallb page_right (r0 :: rest)) eqn:Ef; [|discriminate H].
  destruct ok; [|discriminate H].
  injection H as <- <-. repeat split; auto; [discriminate|].
  exists c. repeat split; auto. apply R. left. reflexivity.
Qed.

(* ---------- Memory clones ---------- *)

(* memory_clone that succeeds: the caller holds a memory object of p pages with Read; the
   clone is a new object (the counter's id) of the same p pages, charged in full to the
   caller's own account, which had room for it; the caller gets its first capability, with
   memory_create's rights and no parent or badge; no other object, account or capability
   changes: in a wf state the source is unchanged (its pages, shared copy-on-write in the
   core, are not in the state). *)
Theorem memory_clone_spec : forall s t h v s' sp,
  caller_space s t = Some sp -> step s t (MemoryClone h) = (ROk v, s') ->
  exists c p q a q' l u,
    lookup s sp h = Some c /\ In RRead (c_rights c) /\
    s_objs s (c_obj c) = Some (mkObj (KMemory p) q) /\
    s_objs s sp = Some (mkObj (KSpace a) q') /\ s_accts s a = Some (l, u) /\
    u + obj_size (KMemory p) <= l /\
    v = VNum (S (s_next s)) /\
    s_objs s' (s_next s) = Some (mkObj (KMemory p) a) /\
    (forall o, o <> s_next s -> s_objs s' o = s_objs s o) /\
    s_accts s' a = Some (l, u + obj_size (KMemory p)) /\
    (forall a', a' <> a -> s_accts s' a' = s_accts s a') /\
    s_caps s' = mkCap (S (s_next s)) sp (s_next s) [RRead; RWrite; RExecute; RManage] 0 []
                :: s_caps s /\
    (wf s -> s_objs s' (c_obj c) = s_objs s (c_obj c)).
Proof.
  intros s t h v s' sp Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold memory_clone in H.
  destruct (lookup_typed s sp h TMemory [RRead]) as [[c|]|er] eqn:E; try discriminate H.
  destruct (lookup_typed_lookup _ _ _ _ _ _ E) as [L [_ R]].
  destruct (s_objs s (c_obj c)) as [[[| | | |p| | |] q]|] eqn:Eo; try discriminate H.
  unfold create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q']|] eqn:Esp; try discriminate H.
  destruct (s_accts s a) as [[l u]|] eqn:Ea; [|discriminate H].
  destruct (Nat.ltb l (u + obj_size (KMemory p))) eqn:Elt; [discriminate H|].
  injection H as <- <-. apply Nat.ltb_ge in Elt.
  exists c, p, q, a, q', l, u. simpl.
  assert (Nx : forall o, o <> s_next s -> upd (s_objs s) (s_next s)
                                            (Some (mkObj (KMemory p) a)) o = s_objs s o).
  { intros o N. apply upd_neq. exact N. }
  repeat split; auto.
  - apply R. left. reflexivity.
  - apply upd_eq.
  - apply upd_eq.
  - intros a' N. apply upd_neq. exact N.
  - intros W. apply Nx. intros Ee.
    apply (ow_obj_fresh _ (proj1 (proj2 W))) in Eo. lia.
Qed.

(* memory_clone charges first: with a capability with Read to a memory object of p pages,
   it fails with QuotaExceeded and no change exactly when the clone's full size would pass
   the caller's limit; otherwise the caller's account is charged exactly that size. *)
Theorem memory_clone_charges : forall s t sp a q l u h c p q' r s',
  caller_space s t = Some sp -> s_objs s sp = Some (mkObj (KSpace a) q) ->
  s_accts s a = Some (l, u) -> lookup_typed s sp h TMemory [RRead] = inl (Some c) ->
  s_objs s (c_obj c) = Some (mkObj (KMemory p) q') -> step s t (MemoryClone h) = (r, s') ->
  (l < u + obj_size (KMemory p) /\ r = RErr QuotaExceeded /\ s' = s) \/
  (u + obj_size (KMemory p) <= l /\ s_accts s' a = Some (l, u + obj_size (KMemory p)) /\
   exists n, r = ROk (VNum n)).
Proof.
  intros s t sp a q l u h c p q' r s' Hc Hsp Ha E Eo H. unfold step in H. rewrite Hc in H.
  simpl in H. unfold memory_clone in H. rewrite E, Eo in H.
  unfold create in H. rewrite Hsp, Ha in H.
  destruct (Nat.ltb l (u + obj_size (KMemory p))) eqn:Elt; inversion H; subst; clear H.
  - left. apply Nat.ltb_lt in Elt. auto.
  - right. apply Nat.ltb_ge in Elt. split; auto. split; [apply upd_eq|eauto].
Qed.

(* ---------- Ending threads and processes ---------- *)

Lemma destroy_tstate_free : forall s o x, blocked_on (s_tstate s x) = None ->
  s_tstate (destroy s o) x = s_tstate s x.
Proof.
  intros s o x Hb. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); [|reflexivity]. simpl. rewrite Hb. reflexivity.
Qed.

Lemma destroy_caller : forall s o, s_caller (destroy s o) = s_caller s.
Proof.
  intros. unfold destroy. destruct (s_objs s o) as [ob|]; [|reflexivity].
  destruct (reapable (o_kind ob)); reflexivity.
Qed.

Lemma reap_fold_free : forall l s x, blocked_on (s_tstate s x) = None ->
  s_tstate (fold_left (fun s o => if held s o then s else destroy s o) l s) x = s_tstate s x.
Proof.
  induction l as [|o l IH]; intros s x Hb; simpl; auto.
  destruct (held s o); [apply IH; auto|].
  rewrite IH; [apply destroy_tstate_free; auto|]. rewrite destroy_tstate_free; auto.
Qed.

Lemma reap_fold_caller : forall l s,
  s_caller (fold_left (fun s o => if held s o then s else destroy s o) l s) = s_caller s.
Proof.
  induction l as [|o l IH]; intros s; simpl; auto. rewrite IH.
  destruct (held s o); auto. apply destroy_caller.
Qed.

(* What terminate leaves of a thread's state: kill_threads', unless the thread was then
   woken from the queue of an object that died (the reap). *)
Lemma terminate_tstate_free : forall s root x,
  blocked_on (s_tstate (kill_threads s (dies_with s root)) x) = None ->
  s_tstate (terminate s root) x = s_tstate (kill_threads s (dies_with s root)) x.
Proof.
  intros s root x Hb. unfold terminate, reap_pass.
  rewrite reap_fold_free; [rewrite reap_fold_free; auto|].
  rewrite reap_fold_free; auto.
Qed.

Lemma terminate_caller : forall s root,
  s_caller (terminate s root) = s_caller (kill_threads s (dies_with s root)).
Proof. intros. unfold terminate, reap_pass. rewrite !reap_fold_caller. reflexivity. Qed.

Lemma terminate_dies : forall s root x, dies_with s root x = true ->
  s_tstate (terminate s root) x = Dead.
Proof.
  intros s root x D. rewrite terminate_tstate_free; simpl; rewrite D; reflexivity.
Qed.

(* A Ready or Dead thread stays Ready or Dead through terminate. *)
Lemma terminate_ready_dead : forall s root x,
  s_tstate s x = Ready \/ s_tstate s x = Dead ->
  s_tstate (terminate s root) x = Ready \/ s_tstate (terminate s root) x = Dead.
Proof.
  intros s root x H. destruct (dies_with s root x) eqn:D; [right; apply terminate_dies; auto|].
  rewrite terminate_tstate_free; simpl; rewrite D; destruct H as [-> | ->]; auto.
Qed.

(* process_exit: the caller does not return; every space it ends (the caller's own, if
   alive, and every live descendant: doomed) is ended, its table is empty, and every
   thread of it is Dead. *)
Theorem process_exit_spec : forall s t sp r s', wf s -> caller_space s t = Some sp ->
  step s t ProcessExit = (r, s') ->
  r = RBlocked /\
  (space_ended s sp = false -> doomed s sp sp = true) /\
  forall o, doomed s sp o = true ->
    space_ended s' o = true /\ (forall c, In c (s_caps s') -> c_space c <> o) /\
    (forall x q, s_objs s x = Some (mkObj (KThread o) q) -> s_tstate s' x = Dead).
Proof.
  intros s t sp r s' W Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold process_exit in H. injection H as <- <-. split; [reflexivity|]. split.
  - intros Ne. apply caller_space_some in Hc. destruct Hc as [_ [q Eq]].
    destruct (ow_thread_space _ (proj1 (proj2 W)) _ _ _ Eq) as [a [q' Es]].
    unfold doomed. rewrite Es, Ne. simpl. destruct (s_next s); simpl; rewrite Nat.eqb_refl;
      reflexivity.
  - intros o D. split; [|split].
    + unfold space_ended. rewrite terminate_dies; [reflexivity|]. unfold dies_with.
      rewrite D. reflexivity.
    + intros c Hin E. apply terminate_caps in Hin. destruct Hin as [c' [_ [[_ [S2 _]] Nd]]].
      rewrite <- S2, E, D in Nd. discriminate.
    + intros x q Ex. apply terminate_dies. unfold dies_with. rewrite Ex, D.
      apply orb_true_r.
Qed.

(* thread_exit: the caller does not return, is Dead, and has no caller any more; the thread
   that waited for its reply is Ready (woken, PeerClosed in the kernel), or Dead if the
   process ended and took it along. If another live thread of its space remains, no other
   thread's state changes. *)
Theorem thread_exit_spec : forall s t sp r s', caller_space s t = Some sp ->
  step s t ThreadExit = (r, s') ->
  r = RBlocked /\ s_tstate s' t = Dead /\ s_caller s' t = None /\
  (forall x, s_tstate s x = BlockedReply t -> s_tstate s' x = Ready \/ s_tstate s' x = Dead) /\
  (existsb (live_thread (kill_threads s (Nat.eqb t)) sp)
           (seq 0 (s_next s)) = true ->
   forall x, x <> t -> s_tstate s x <> BlockedReply t -> s_tstate s' x = s_tstate s x).
Proof.
  intros s t sp r s' Hc H. unfold step in H. rewrite Hc in H. simpl in H.
  unfold thread_exit in H. injection H as <- <-.
  set (s1 := kill_threads s (Nat.eqb t)).
  assert (T1 : s_tstate s1 t = Dead) by (simpl; rewrite Nat.eqb_refl; reflexivity).
  assert (C1 : s_caller s1 t = None) by (simpl; rewrite Nat.eqb_refl; reflexivity).
  assert (R1 : forall x, s_tstate s x = BlockedReply t -> s_tstate s1 x = Ready).
  { intros x E. simpl. destruct (Nat.eqb_spec t x) as [->|N].
    - apply caller_space_some in Hc. destruct Hc as [Hr _]. congruence.
    - rewrite E, Nat.eqb_refl. reflexivity. }
  split; [reflexivity|].
  destruct (existsb (live_thread s1 sp) (seq 0 (s_next s)) || space_ended s1 sp) eqn:E.
  - split; [auto|]. split; [auto|]. split; [intros x Ex; left; auto|].
    intros _ x Nx Nr. simpl. destruct (Nat.eqb_spec t x) as [->|_]; [congruence|].
    destruct (s_tstate s x); auto. destruct (Nat.eqb_spec t server) as [->|_]; congruence.
  - split; [|split; [|split]].
    + rewrite terminate_tstate_free; unfold kill_threads, with_threads; cbn [s_tstate];
        destruct (dies_with s1 sp t); try reflexivity; rewrite T1; reflexivity.
    + rewrite terminate_caller. unfold kill_threads at 1, with_threads at 1. cbn [s_caller].
      destruct (dies_with s1 sp t); [reflexivity|]. rewrite C1. reflexivity.
    + intros x Ex. apply terminate_ready_dead. left. auto.
    + intros Hl. exfalso. fold s1 in Hl. rewrite Hl in E. discriminate.
Qed.

(* process_terminate: a call that does not fail names, in the caller's own table, a space
   through a capability with Manage; that space had not ended, and the state after is
   terminate of it (process_exit_spec's conclusions hold of it, with that space as root). *)
Theorem process_terminate_spec : forall s t h r s' sp,
  caller_space s t = Some sp -> step s t (ProcessTerminate h) = (r, s') ->
  (forall e, r <> RErr e) ->
  exists c, lookup s sp h = Some c /\ obj_type s (c_obj c) = Some TSpace /\
    In RManage (c_rights c) /\ space_ended s (c_obj c) = false /\ s' = terminate s (c_obj c).
Proof.
  intros s t h r s' sp Hc H Hr. unfold step in H. rewrite Hc in H. simpl in H.
  unfold process_terminate in H.
  destruct (lookup_typed s sp h TSpace [RManage]) as [[c|]|e] eqn:E;
    try (injection H as <- _; exfalso; eapply Hr; reflexivity).
  destruct (space_ended s (c_obj c)) eqn:En;
    [injection H as <- _; exfalso; eapply Hr; reflexivity|].
  injection H as _ <-. exists c.
  pose proof (lookup_typed_some _ _ _ _ _ _ E) as [_ [_ [_ [D F]]]].
  split; [|split; [exact D|split; [apply F; left; reflexivity|split; [exact En|reflexivity]]]].
  unfold lookup_typed in E. destruct (lookup s sp h) as [c'|]; [|discriminate].
  destruct (obj_type s (c_obj c')); [|discriminate].
  destruct (otype_eqb _ _); [|discriminate].
  destruct (subset_b _ _); [|discriminate]. injection E as <-. reflexivity.
Qed.
