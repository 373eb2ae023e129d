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

Record rest_wf (s : state) : Prop := {
  rw_obj_fresh : forall o ob, s_objs s o = Some ob -> o < s_next s;
  rw_obj_acct : forall o ob, s_objs s o = Some ob -> acct_live s (o_acct ob);
  rw_space_acct : forall o a q, s_objs s o = Some (mkObj (KSpace a) q) -> acct_live s a;
  rw_quota : forall a l u, s_accts s a = Some (l, u) -> u <= l;
  rw_thread_space : forall t sp q, s_objs s t = Some (mkObj (KThread sp) q) -> is_space s sp;
  rw_blocked : forall t n, s_tstate s t = BlockedNotif n -> is_notif s n /\ In t (s_waiters s n);
  rw_waiters : forall n t, In t (s_waiters s n) ->
                 is_notif s n /\ is_thread s t /\ s_tstate s t = BlockedNotif n;
  rw_waiters_nodup : forall n, NoDup (s_waiters s n);
  rw_no_bits : forall n, s_waiters s n <> [] -> s_word s n = 0
}.

Definition wf (s : state) : Prop := caps_wf s /\ rest_wf s.

(* ---------- Small facts ---------- *)

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
  destruct (s_tstate s t); try discriminate. inversion H; subst. eauto.
Qed.

Lemma live_fresh : forall s o, rest_wf s -> s_objs s o <> None -> o < s_next s.
Proof.
  intros s o R H. destruct (s_objs s o) eqn:E; [|congruence]. eapply rw_obj_fresh; eauto.
Qed.

(* Every ancestor holds at least the capability's rights, on the same object. *)
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

Lemma rest_wf_caps : forall s cs n, rest_wf s -> s_next s <= n ->
  rest_wf (mkState (s_objs s) (s_accts s) cs (s_tstate s) (s_word s) (s_waiters s) n).
Proof.
  intros s cs n R Hn. destruct R. constructor; simpl; eauto.
  intros. specialize (rw_obj_fresh0 _ _ H). lia.
Qed.

Lemma parent_ok_cons : forall cs x c, parent_ok cs c -> parent_ok (x :: cs) c.
Proof.
  unfold parent_ok. intros cs x c H. destruct (c_anc c); auto.
  destruct H as [pc H]. exists pc. simpl. intuition.
Qed.

(* A new child of src (derive, copy_to). *)
Lemma wf_add_child : forall s src sp r b,
  wf s -> In src (s_caps s) -> is_space s sp -> incl r (c_rights src) ->
  (c_badge src <> 0 -> b = c_badge src) ->
  (b <> 0 -> obj_type s (c_obj src) = Some TEndpoint \/
             obj_type s (c_obj src) = Some TNotification) ->
  wf (mkState (s_objs s) (s_accts s)
              (mkCap (s_next s) sp (c_obj src) r b (c_id src :: c_anc src) :: s_caps s)
              (s_tstate s) (s_word s) (s_waiters s) (S (s_next s))).
Proof.
  intros s src sp r b [C R] Hsrc Hsp Hr Hb1 Hb2. split; [|apply rest_wf_caps; auto].
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

(* ---------- Destroying an object without capabilities ---------- *)

Lemma named_false : forall cs o, named cs o = false -> forall c, In c cs -> c_obj c <> o.
Proof.
  unfold named. intros cs o H c Hc E. assert (existsb (fun c => Nat.eqb (c_obj c) o) cs = true).
  { apply existsb_exists. exists c. split; auto. apply Nat.eqb_eq. auto. }
  congruence.
Qed.

Lemma wf_destroy : forall s o, wf s -> named (s_caps s) o = false -> wf (destroy s o).
Proof.
  intros s o [C R] Hn. pose proof (named_false _ _ Hn) as Hno.
  unfold destroy. destruct (s_objs s o) as [[k q]|] eqn:Eo; [|split; auto]. simpl.
  destruct (reapable k) eqn:Er; [|split; auto].
  assert (forall x a' q', s_objs s x = Some (mkObj (KSpace a') q') -> x <> o) as Hsp.
  { intros x a' q' Ex ->. rewrite Eo in Ex. inversion Ex; subst. discriminate. }
  assert (forall x sp' q', s_objs s x = Some (mkObj (KThread sp') q') -> x <> o) as Hth.
  { intros x sp' q' Ex ->. rewrite Eo in Ex. inversion Ex; subst. discriminate. }
  assert (forall a, acct_live s a -> exists l u, refund (s_accts s) q (obj_size k) a = Some (l, u))
    as Hacc.
  { intros a [l [u Ea]]. unfold refund. destruct (Nat.eqb a q) eqn:E.
    - apply Nat.eqb_eq in E. subst. rewrite Ea. eauto.
    - eauto. }
  destruct C, R. split; constructor; simpl.
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
        [|discriminate]. intros H; inversion H; subst. specialize (rw_quota0 _ _ _ Eq). lia.
    + eauto.
  - intros x sp q'. destruct (Nat.eq_dec x o) as [->|Nx]; [rewrite upd_eq; discriminate|].
    rewrite upd_neq by auto. intros E. destruct (rw_thread_space0 _ _ _ E) as [a [q2 E2]].
    exists a, q2. simpl; rewrite upd_neq by eauto. auto.
  - intros t n. destruct (s_tstate s t) eqn:Et; try discriminate.
    destruct (Nat.eqb n0 o) eqn:En; [discriminate|]. intros H; inversion H; subst.
    apply Nat.eqb_neq in En. destruct (rw_blocked0 t n Et) as [[q2 E2] Hin].
    split; [exists q2; simpl; rewrite upd_neq by auto; auto|rewrite upd_neq by auto; auto].
  - intros n t. destruct (Nat.eq_dec n o) as [->|Nn]; [rewrite upd_eq; intros []|].
    rewrite upd_neq by auto. intros Hin.
    destruct (rw_waiters0 n t Hin) as [[q2 E2] [[sp2 [q3 E3]] Et]].
    split; [exists q2; simpl; rewrite upd_neq by auto; auto|].
    split; [exists sp2, q3; simpl; rewrite upd_neq by eauto; auto|].
    rewrite Et. apply Nat.eqb_neq in Nn. rewrite Nn. reflexivity.
  - intros n. destruct (Nat.eq_dec n o) as [->|Nn]; [rewrite upd_eq; constructor|].
    rewrite upd_neq by auto. auto.
  - intros n. destruct (Nat.eq_dec n o) as [->|Nn]; [rewrite !upd_eq; auto|].
    rewrite !upd_neq by auto. auto.
Qed.

(* ---------- Creating an object ---------- *)

Lemma wf_create : forall s sp k rts r s', wf s -> reapable k = true ->
  create s sp k rts = (r, s') -> wf s'.
Proof.
  intros s sp k rts r s' [C R] Hk H. unfold create in H.
  destruct (s_objs s sp) as [[[a| | | |] q]|] eqn:Esp;
    try (inversion H; subst; split; auto; fail).
  destruct (s_accts s a) as [[l u]|] eqn:Ea; [|inversion H; subst; split; auto].
  destruct (Nat.ltb l (u + obj_size k)) eqn:Elt; [inversion H; subst; split; auto|].
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
            (mkState (upd (s_objs s) o (Some (mkObj k a))) (upd (s_accts s) a (Some (l, u + obj_size k)))
                     (mkCap (S o) sp o rts 0 [] :: s_caps s) (s_tstate s) (upd (s_word s) o 0)
                     (s_waiters s) (S (S o))) x) as Hspace.
  { intros x [a' [q' E]]. exists a', q'. simpl. rewrite upd_neq by eauto. auto. }
  destruct C, R. split; constructor; simpl.
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
    rewrite upd_neq by auto. intros E. specialize (rw_obj_fresh0 _ _ E). lia.
  - intros x ob. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. simpl. apply Hacc. unfold acct_live; eauto.
    + rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros x a' q'. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. discriminate.
    + rewrite upd_neq by auto. intros E. apply Hacc. eauto.
  - intros b l' u'. destruct (Nat.eq_dec b a) as [->|Nb].
    + rewrite upd_eq. intros E; inversion E; subst. lia.
    + rewrite upd_neq by auto. eauto.
  - intros x sp' q'. destruct (Nat.eq_dec x o) as [->|Nx].
    + rewrite upd_eq. intros E; inversion E; subst. discriminate.
    + rewrite upd_neq by auto. intros E. apply Hspace. eauto.
  - intros t n Et. destruct (rw_blocked0 t n Et) as [[q2 E2] Hin]. split; auto.
    exists q2. simpl; rewrite upd_neq by eauto. auto.
  - intros n t Hin. destruct (rw_waiters0 n t Hin) as [[q2 E2] [[sp2 [q3 E3]] Et]].
    split; [exists q2; simpl; rewrite upd_neq by eauto; auto|].
    split; [exists sp2, q3; simpl; rewrite upd_neq by eauto; auto|auto].
  - auto.
  - intros n Hn. destruct (Nat.eq_dec n o) as [->|Nn]; [rewrite upd_eq; auto|].
    rewrite upd_neq by auto. auto.
Qed.

(* ---------- Notifications ---------- *)

Lemma wf_signal : forall s sp h r s', wf s -> signal s sp h = (r, s') -> wf s'.
Proof.
  intros s sp h r s' [C R] H. unfold signal in H.
  destruct (lookup_typed s sp h TNotification [RSend]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; split; auto].
  apply lookup_typed_some in E. destruct E as [Hc [_ [_ [Ht _]]]].
  destruct (s_waiters s (c_obj c)) as [|t rest] eqn:Ew; inversion H; subst; clear H.
  - destruct C, R. split; constructor; simpl; eauto.
    intros n Hn. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn]; [congruence|].
    rewrite upd_neq by auto. auto.
  - assert (NoDup (t :: rest)) as Hnd by (rewrite <- Ew; apply rw_waiters_nodup; auto).
    inversion Hnd; subst.
    destruct C, R. split; constructor; simpl; eauto.
    + intros t' n. destruct (Nat.eq_dec t' t) as [->|Nt]; [rewrite upd_eq; discriminate|].
      rewrite upd_neq by auto. intros Et. destruct (rw_blocked0 t' n Et) as [Hn Hin].
      split; auto. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn].
      * rewrite upd_eq. rewrite Ew in Hin. destruct Hin; [congruence|auto].
      * rewrite upd_neq by auto. auto.
    + intros n t'. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn].
      * rewrite upd_eq. intros Hin. assert (t' <> t) by (intro; subst; contradiction).
        rewrite upd_neq by auto. apply rw_waiters0. rewrite Ew. right. auto.
      * rewrite upd_neq by auto. intros Hin. destruct (rw_waiters0 n t' Hin) as [A [B D]].
        split; auto. split; auto.
        assert (t' <> t) as Nt.
        { intros ->. assert (In t (s_waiters s (c_obj c))) as Ht0 by (rewrite Ew; left; auto).
          destruct (rw_waiters0 _ _ Ht0) as [_ [_ Et0]]. rewrite D in Et0. inversion Et0.
          auto. }
        rewrite upd_neq by auto. auto.
    + intros n. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn]; [rewrite upd_eq; auto|].
      rewrite upd_neq by auto. auto.
    + intros n Hn. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn].
      * apply rw_no_bits0. rewrite Ew. discriminate.
      * rewrite upd_neq in Hn by auto. auto.
Qed.

Lemma wf_wait : forall s t sp h r s', wf s -> s_tstate s t = Running ->
  (exists q, s_objs s t = Some (mkObj (KThread sp) q)) ->
  wait s t sp h = (r, s') -> wf s'.
Proof.
  intros s t sp h r s' [C R] Hrun Hth H. unfold wait in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; split; auto].
  apply lookup_typed_some in E. destruct E as [Hc [_ [_ [Ht _]]]].
  apply obj_type_notif in Ht.
  (* the running caller waits nowhere *)
  assert (forall n, ~ In t (s_waiters s n)) as Hnot.
  { intros n Hin. destruct (rw_waiters _ R n t Hin) as [_ [_ Et]]. congruence. }
  destruct (Nat.eqb (s_word s (c_obj c)) 0) eqn:Ew; inversion H; subst; clear H.
  - apply Nat.eqb_eq in Ew. destruct C, R. split; constructor; simpl; eauto.
    + intros t' n. destruct (Nat.eq_dec t' t) as [->|Nt].
      * rewrite upd_eq. intros Ei; inversion Ei; subst. split; auto.
        rewrite upd_eq. apply in_or_app. right. left. auto.
      * rewrite upd_neq by auto. intros Et. destruct (rw_blocked0 t' n Et) as [Hn Hin].
        split; auto. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn].
        -- rewrite upd_eq. apply in_or_app. left. auto.
        -- rewrite upd_neq by auto. auto.
    + intros n t'. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn].
      * rewrite upd_eq. intros Hin. apply in_app_or in Hin. destruct Hin as [Hin|[<-|[]]].
        -- assert (t' <> t) by (intros ->; apply (Hnot _ Hin)).
           rewrite upd_neq by auto. apply rw_waiters0. auto.
        -- split; auto. split; [destruct Hth as [q E]; exists sp, q; auto|].
           rewrite upd_eq. auto.
      * rewrite upd_neq by auto. intros Hin.
        assert (t' <> t) by (intros ->; apply (Hnot _ Hin)).
        rewrite upd_neq by auto. apply rw_waiters0. auto.
    + intros n. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn].
      * rewrite upd_eq. apply nodup_snoc; auto.
      * rewrite upd_neq by auto. auto.
    + intros n Hn. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn]; [auto|].
      rewrite upd_neq in Hn by auto. auto.
  - destruct C, R. split; constructor; simpl; eauto.
    intros n Hn. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn]; [rewrite upd_eq; auto|].
    rewrite upd_neq by auto. auto.
Qed.

Lemma wf_poll : forall s sp h r s', wf s -> poll s sp h = (r, s') -> wf s'.
Proof.
  intros s sp h r s' [C R] H. unfold poll in H.
  destruct (lookup_typed s sp h TNotification [RReceive]) as [[c|]|e] eqn:E;
    [|apply lookup_typed_not_none in E; contradiction|inversion H; subst; split; auto].
  inversion H; subst; clear H.
  destruct C, R. split; constructor; simpl; eauto.
  intros n Hn. destruct (Nat.eq_dec n (c_obj c)) as [->|Nn]; [rewrite upd_eq; auto|].
  rewrite upd_neq by auto. auto.
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
  inversion H; subst; clear H. apply wf_add_child; auto.
  - apply obj_type_space. auto.
  - apply subset_b_incl. auto.
  - intros Hb. apply (cw_badge _ (proj1 W)); auto.
Qed.

Lemma wf_cap_delete : forall s sp h res s', wf s -> cap_delete s sp h = (res, s') -> wf s'.
Proof.
  intros s sp h res s' [C R] H. unfold cap_delete in H.
  destruct (lookup s sp h) as [c|] eqn:E; [|inversion H; subst; split; auto].
  inversion H; subst; clear H.
  assert (wf (with_caps s (del_caps (c_id c) (s_caps s)))) as W1
    by (apply wf_with_caps; auto; apply caps_wf_del; auto).
  destruct (named _ _) eqn:En; auto. apply wf_destroy; auto.
Qed.

Lemma wf_cap_revoke : forall s sp h res s', wf s -> cap_revoke s sp h = (res, s') -> wf s'.
Proof.
  intros s sp h res s' [C R] H. unfold cap_revoke in H.
  destruct (lookup s sp h) as [c|] eqn:E; inversion H; subst; clear H; [|split; auto].
  apply wf_with_caps; auto. apply caps_wf_revoke; auto.
Qed.

Lemma wf_readonly : forall s (f : state -> reply * state) res s',
  (forall r, f s = (r, s') -> s' = s) -> wf s -> f s = (res, s') -> wf s'.
Proof. intros s f res s' Hf W H. rewrite (Hf _ H). auto. Qed.

Theorem step_preserves_wf : forall s t k r s', wf s -> step s t k = (r, s') -> wf s'.
Proof.
  intros s t k r s' W H. unfold step in H.
  destruct (caller_space s t) as [sp|] eqn:Ec; [|inversion H; subst; auto].
  apply caller_space_some in Ec. destruct Ec as [Hrun Hth].
  assert (is_space s sp) as Hsp.
  { destruct Hth as [q Eq]. eapply rw_thread_space; [apply (proj2 W)|eauto]. }
  destruct k; simpl in H.
  - eapply wf_cap_derive; eauto.
  - eapply wf_cap_copy_to; eauto.
  - eapply wf_cap_delete; eauto.
  - eapply wf_cap_revoke; eauto.
  - unfold cap_info in H. destruct (lookup s sp h); [|inversion H; subst; auto].
    destruct (obj_type s (c_obj c)); inversion H; subst; auto.
  - eapply wf_create; eauto; reflexivity.
  - eapply wf_create; eauto; reflexivity.
  - unfold memory_create in H. destruct (_ || _ || _); [inversion H; subst; auto|].
    eapply wf_create; eauto; reflexivity.
  - eapply wf_signal; eauto.
  - eapply wf_wait; eauto.
  - eapply wf_poll; eauto.
  - unfold quota_info in H. destruct (lookup_typed s sp space TSpace []) as [[c|]|e];
      [|inversion H; subst; auto|inversion H; subst; auto].
    destruct (s_objs s (c_obj c)) as [[[]]|]; try (inversion H; subst; auto; fail).
    destruct (s_accts s acct) as [[]|]; inversion H; subst; auto.
Qed.

(* The invariant is not vacuous: the initial state satisfies it. *)
Theorem init_wf : forall limit, 128 <= limit -> wf (init limit).
Proof.
  intros limit Hl.
  split; constructor; simpl.
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
  - intros t sp q. destruct t as [|[|[|t]]]; simpl; try discriminate. intros E; inversion E.
    exists 1, 1. reflexivity.
  - intros t n. destruct (Nat.eqb t 2); discriminate.
  - intros n t [].
  - intros n. constructor.
  - intros n Hn. congruence.
Qed.
