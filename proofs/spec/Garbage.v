(* No garbage (proofs/spec/README.md): every live object that dies with its last reference
   (`reapable`: endpoint, notification, memory, IoPorts, Irq) is held (Spec.held: a capability
   names it, an Irq is bound to it, or a mapping maps it), and an Irq binding binds a live Irq
   to a live notification. `wf` does not say it; `init_no_garbage` and `step_preserves_no_garbage` prove
   it of every reachable state. Integrity.v uses it: the reap at the end of a process
   (terminate's reap_pass destroys every live object nothing holds) then destroys only what
   the ended capabilities and bindings held.

   Why it holds: a creating call makes the object together with a capability to it;
   cap_delete destroys an object exactly when nothing holds it any more, and a dying Irq
   releases its notification the same way (release); cap_revoke leaves the revoked
   capability, which names the object of every capability it removes; irq_bind's new
   binding is to a notification the caller names, and the one it replaces is released; map
   adds a mapping of an object the caller names, protect changes only rights, unmap's reap
   destroys exactly the unheld objects among those of the mappings it removes (memory
   objects, bound to nothing); terminate drops the doomed spaces' mappings and its two reap
   passes destroy every object nothing holds (an Irq's notification, released when the Irq
   dies in the first pass, in the second); no other call changes a capability, a binding, a
   mapping or an object (IPC moves no capability in this model). *)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.
From HMK Require Import Spec Invariant Properties.

(* ---------- The invariant ---------- *)

(* A binding (s_irq i = Some (n, bits)) is a live Irq's, to a live notification, both ids
   below the counter (so irq_bound, which looks below it, sees it). *)
Definition irq_ok (s : state) : Prop :=
  forall i n b, s_irq s i = Some (n, b) ->
    i < s_next s /\ n < s_next s /\
    (exists l q, s_objs s i = Some (mkObj (KIrq l) q)) /\
    (exists q, s_objs s n = Some (mkObj KNotification q)).

(* Every live reapable object is held, except perhaps those E says. *)
Definition held_but (s : state) (E : nat -> Prop) : Prop :=
  forall o ob, s_objs s o = Some ob -> reapable (o_kind ob) = true -> held s o = true \/ E o.

Definition all_held (s : state) : Prop :=
  forall o ob, s_objs s o = Some ob -> reapable (o_kind ob) = true -> held s o = true.

Definition no_garbage (s : state) : Prop := irq_ok s /\ all_held s.

(* ---------- held, by its parts ---------- *)

Lemma held_iff : forall s o, held s o = true <->
  (exists c, In c (s_caps s) /\ c_obj c = o) \/
  (exists i b, i < s_next s /\ s_irq s i = Some (o, b)) \/
  (exists m, In m (s_maps s) /\ m_mem m = o).
Proof.
  intros s o. unfold held, named, irq_bound, mapped. rewrite !orb_true_iff, !existsb_exists. split.
  - intros [[[x [H1 H2]]|[x [H1 H2]]]|[x [H1 H2]]].
    + left. exists x. split; auto. apply Nat.eqb_eq; auto.
    + right; left. apply in_seq in H1. destruct (s_irq s x) as [[n b]|] eqn:E; [|discriminate].
      apply Nat.eqb_eq in H2. subst. exists x, b. split; [lia|auto].
    + right; right. exists x. split; auto. apply Nat.eqb_eq; auto.
  - intros [[x [H1 H2]]|[[x [b [H1 H2]]]|[x [H1 H2]]]].
    + left; left. exists x. split; auto. apply Nat.eqb_eq; auto.
    + left; right. exists x. split; [apply in_seq; lia|]. rewrite H2. apply Nat.eqb_refl.
    + right. exists x. split; auto. apply Nat.eqb_eq; auto.
Qed.

Lemma held_cap : forall s c, In c (s_caps s) -> held s (c_obj c) = true.
Proof. intros s c Hc. apply held_iff. left. exists c. auto. Qed.

Lemma held_bind : forall s i o b, i < s_next s -> s_irq s i = Some (o, b) -> held s o = true.
Proof. intros s i o b H E. apply held_iff. right; left. exists i, b. auto. Qed.

Lemma held_map : forall s m, In m (s_maps s) -> held s (m_mem m) = true.
Proof. intros s m Hm. apply held_iff. right; right. exists m. auto. Qed.

Lemma held_but_all : forall s, held_but s (fun _ => False) -> all_held s.
Proof. intros s H o ob E R. destruct (H o ob E R) as [X|[]]. exact X. Qed.

(* A notification is bound to nothing. *)
Lemma irq_ok_target : forall s i n b, irq_ok s -> s_irq s i = Some (n, b) -> s_irq s n = None.
Proof.
  intros s i n b I E. destruct (s_irq s n) as [[m b']|] eqn:E'; [|reflexivity].
  destruct (I i n b E) as [_ [_ [_ [q Hn]]]]. destruct (I n m b' E') as [_ [_ [[l [q' Hn']] _]]].
  congruence.
Qed.

(* ---------- Calls that change no object, capability, binding or counter ---------- *)

Lemma ng_ext : forall s s', no_garbage s ->
  s_objs s' = s_objs s -> s_caps s' = s_caps s -> s_irq s' = s_irq s -> s_next s' = s_next s ->
  s_maps s' = s_maps s -> no_garbage s'.
Proof.
  intros s s' [I A] Eo Ec Ei En Em. split.
  - intros i n b E. rewrite Ei in E. rewrite Eo, En. exact (I i n b E).
  - intros o ob E R. unfold held, named, irq_bound, mapped. rewrite Ec, Ei, En, Em. rewrite Eo in E.
    exact (A o ob E R).
Qed.

Lemma irq_ok_ext : forall s s', irq_ok s ->
  s_objs s' = s_objs s -> s_irq s' = s_irq s -> s_next s' = s_next s -> irq_ok s'.
Proof. intros s s' I Eo Ei En i n b E. rewrite Ei in E. rewrite Eo, En. exact (I i n b E). Qed.

(* Calls that add capabilities (and move the counter up), add mappings or change their rights. *)
Lemma ng_grow : forall s s', no_garbage s ->
  s_objs s' = s_objs s -> s_irq s' = s_irq s -> s_next s <= s_next s' ->
  incl (s_caps s) (s_caps s') ->
  (forall m, In m (s_maps s) -> exists m', In m' (s_maps s') /\ m_mem m' = m_mem m) ->
  no_garbage s'.
Proof.
  intros s s' [I A] Eo Ei En Ec Em. split.
  - intros i n b E. rewrite Ei in E. rewrite Eo. destruct (I i n b E) as [H1 [H2 H3]].
    split; [lia|]. split; [lia|exact H3].
  - intros o ob E R. rewrite Eo in E. apply held_iff.
    destruct (proj1 (held_iff s o) (A o ob E R)) as [[c [Hc Ho]]|[[i [b [Hlt Hi]]]|[m [Hm Ho]]]].
    + left. exists c. auto.
    + right; left. exists i, b. rewrite Ei. split; [lia|exact Hi].
    + right; right. destruct (Em m Hm) as [m' [Hm' E']]. exists m'. split; congruence.
Qed.

(* ---------- destroy ---------- *)

Lemma destroy_cases : forall s x, destroy s x = s \/
  (exists ob, s_objs s x = Some ob /\ reapable (o_kind ob) = true /\
     s_objs (destroy s x) = upd (s_objs s) x None /\ s_irq (destroy s x) = upd (s_irq s) x None /\
     s_caps (destroy s x) = s_caps s /\ s_next (destroy s x) = s_next s).
Proof.
  intros s x. unfold destroy. destruct (s_objs s x) as [ob|] eqn:E; [|left; reflexivity].
  destruct (reapable (o_kind ob)) eqn:R; [|left; reflexivity]. right. exists ob.
  simpl. repeat split; auto.
Qed.

Lemma destroy_maps : forall s x, s_maps (destroy s x) = s_maps s.
Proof. intros s x. unfold destroy. destruct (s_objs s x) as [ob|]; [destruct (reapable _)|]; reflexivity. Qed.

Lemma destroy_next : forall s x, s_next (destroy s x) = s_next s.
Proof.
  intros s x. destruct (destroy_cases s x) as [E|[ob [_ [_ [_ [_ [_ E]]]]]]]; [rewrite E|]; auto.
Qed.

Lemma destroy_self : forall s x ob, s_objs (destroy s x) x = Some ob -> reapable (o_kind ob) = false.
Proof.
  intros s x ob. unfold destroy. destruct (s_objs s x) as [ob'|] eqn:E; [|congruence].
  destruct (reapable (o_kind ob')) eqn:R; simpl.
  - rewrite upd_eq. discriminate.
  - rewrite E. intros F. injection F as <-. exact R.
Qed.

(* Destroying x (nothing holding it) keeps the bindings well formed. *)
Lemma irq_ok_destroy : forall s x, irq_ok s -> held s x = false -> irq_ok (destroy s x).
Proof.
  intros s x I Hx. destruct (destroy_cases s x) as [E|[ob [_ [_ [Eo [Ei [_ En]]]]]]];
    [rewrite E; exact I|].
  intros i n b Eb. rewrite Ei in Eb. destruct (Nat.eq_dec i x) as [->|Nx];
    [rewrite upd_eq in Eb; discriminate|]. rewrite upd_neq in Eb by exact Nx.
  destruct (I i n b Eb) as [H1 [H2 [H3 H4]]].
  assert (Nn : n <> x).
  { intros ->. rewrite (held_bind s i x b H1 Eb) in Hx. discriminate. }
  rewrite Eo, En, !upd_neq by assumption. auto.
Qed.

(* Destroying x: what it held through its binding may be left unheld, and only that. *)
Lemma destroy_held_but : forall s x E, held_but s E ->
  held_but (destroy s x) (fun y => E y \/ exists b, s_irq s x = Some (y, b)).
Proof.
  intros s x E H y ob Ey R.
  destruct (destroy_cases s x) as [D|[ob' [_ [_ [Eo [Ei [Ec En]]]]]]].
  - rewrite D in Ey |- *. destruct (H y ob Ey R); auto.
  - assert (Ny : y <> x) by (intros ->; rewrite (destroy_self s x ob Ey) in R; discriminate).
    rewrite Eo, upd_neq in Ey by exact Ny. destruct (H y ob Ey R) as [Hy|Hy]; [|auto].
    apply held_iff in Hy. destruct Hy as [[c [Hc Hco]]|[[i [b [Hlt Hi]]]|[m [Hm Hmo]]]].
    + left. apply held_iff. left. exists c. rewrite Ec. auto.
    + destruct (Nat.eq_dec i x) as [->|Ni]; [right; right; exists b; exact Hi|].
      left. apply held_iff. right; left. exists i, b. rewrite En, Ei, upd_neq by exact Ni. auto.
    + left. apply held_iff. right; right. exists m. rewrite destroy_maps. auto.
Qed.

Lemma destroy_target_unbound : forall s i x n b, irq_ok s -> s_irq s i = Some (n, b) ->
  s_irq (destroy s x) n = None.
Proof.
  intros s i x n b I E. pose proof (irq_ok_target s i n b I E) as T.
  destruct (destroy_cases s x) as [D|[ob' [_ [_ [_ [Ei _]]]]]]; [rewrite D; exact T|].
  rewrite Ei. unfold upd. destruct (Nat.eqb n x); auto.
Qed.

(* release of a binding: what it held dies if nothing else holds it. *)
Lemma release_ng : forall s bnd, irq_ok s ->
  held_but s (fun y => exists b, bnd = Some (y, b)) ->
  (forall n b, bnd = Some (n, b) -> s_irq s n = None) ->
  no_garbage (release s bnd).
Proof.
  intros s bnd I H U. destruct bnd as [[n b]|]; simpl.
  2:{ split; [exact I|]. apply held_but_all. intros o ob E R.
      destruct (H o ob E R) as [X|[b F]]; [left; exact X|discriminate F]. }
  destruct (held s n) eqn:Hn.
  - split; [exact I|]. intros o ob E R. destruct (H o ob E R) as [X|[b' F]]; [exact X|].
    injection F as -> _. exact Hn.
  - split; [apply irq_ok_destroy; auto|]. apply held_but_all.
    intros o ob E R. destruct (destroy_held_but s n _ H o ob E R) as [X|[[b' F]|[b' F]]];
      [left; exact X| |].
    + injection F as -> _. rewrite (destroy_self s o ob E) in R. discriminate.
    + rewrite (U n b eq_refl) in F. discriminate.
Qed.

(* ---------- The reap ---------- *)

Definition reap_step (s : state) (o : nat) : state := if held s o then s else destroy s o.

Lemma reap_pass_fold : forall s, reap_pass s = fold_left reap_step (seq 0 (s_next s)) s.
Proof. reflexivity. Qed.

(* b is a: objects only die, bindings only go (and a live object keeps its own), capabilities
   and the counter stay. *)
Definition sub (a b : state) : Prop :=
  s_caps b = s_caps a /\ s_next b = s_next a /\
  (forall x ob, s_objs b x = Some ob -> s_objs a x = Some ob) /\
  (forall x, s_irq b x = None \/ s_irq b x = s_irq a x) /\
  (forall x, s_objs b x <> None -> s_irq b x = s_irq a x) /\ s_maps b = s_maps a.

Lemma sub_refl : forall s, sub s s.
Proof. intros s. repeat split; auto. Qed.

Lemma sub_trans : forall a b c, sub a b -> sub b c -> sub a c.
Proof.
  intros a b c [C1 [N1 [O1 [I1 [L1 M1]]]]] [C2 [N2 [O2 [I2 [L2 M2]]]]].
  split; [congruence|]. split; [congruence|]. split; [auto|]. split; [|split; [|congruence]].
  - intros x. destruct (I2 x) as [E|E]; [auto|]. rewrite E. apply I1.
  - intros x Hx. rewrite (L2 x Hx). apply L1. destruct (s_objs c x) as [ob|] eqn:E; [|congruence].
    rewrite (O2 x ob E). discriminate.
Qed.

Lemma sub_destroy : forall s x, sub s (destroy s x).
Proof.
  intros s x. destruct (destroy_cases s x) as [D|[ob [Ex [_ [Eo [Ei [Ec En]]]]]]];
    [rewrite D; apply sub_refl|].
  split; [exact Ec|]. split; [exact En|]. rewrite Eo, Ei. split; [|split; [|split; [|apply destroy_maps]]].
  - intros y ob'. unfold upd. destruct (Nat.eqb y x); [discriminate|auto].
  - intros y. unfold upd. destruct (Nat.eqb y x); auto.
  - intros y. unfold upd. destruct (Nat.eqb y x); [intros F; exfalso; apply F|]; auto.
Qed.

Lemma sub_step : forall s o, sub s (reap_step s o).
Proof. intros s o. unfold reap_step. destruct (held s o); [apply sub_refl|apply sub_destroy]. Qed.

Lemma sub_fold : forall l s, sub s (fold_left reap_step l s).
Proof.
  induction l as [|o l IH]; intros s; simpl; [apply sub_refl|].
  eapply sub_trans; [apply sub_step|apply IH].
Qed.

(* An object of the pass alive after it was held when the pass reached it. *)
Lemma fold_alive_held : forall l s x ob, In x l -> s_objs (fold_left reap_step l s) x = Some ob ->
  reapable (o_kind ob) = true ->
  exists u, sub s u /\ sub u (fold_left reap_step l s) /\ held u x = true.
Proof.
  induction l as [|y l IH]; intros s x ob Hin E R; [destruct Hin|]. simpl in E |- *.
  destruct (in_dec Nat.eq_dec x l) as [Hl|Hl].
  - destruct (IH _ x ob Hl E R) as [u [S1 [S2 Hu]]]. exists u.
    split; [eapply sub_trans; [apply sub_step|exact S1]|auto].
  - destruct Hin as [->|Hin]; [|contradiction].
    destruct (held s x) eqn:Hx.
    + exists s. split; [apply sub_refl|]. split; [|exact Hx].
      eapply sub_trans; [apply sub_step|apply sub_fold].
    + exfalso. destruct (sub_fold l (reap_step s x)) as [_ [_ [O _]]].
      pose proof (O x ob E) as E'. unfold reap_step in E'. rewrite Hx in E'.
      rewrite (destroy_self s x ob E') in R. discriminate.
Qed.

(* An object that dies in the pass was unheld when the pass reached it. *)
Lemma fold_dies_unheld : forall l s x, s_objs s x <> None ->
  s_objs (fold_left reap_step l s) x = None ->
  exists u, sub s u /\ sub u (fold_left reap_step l s) /\ held u x = false.
Proof.
  induction l as [|y l IH]; intros s x Hx E; [simpl in E; contradiction|].
  change (fold_left reap_step (y :: l) s) with (fold_left reap_step l (reap_step s y)) in E |- *.
  destruct (s_objs (reap_step s y) x) as [ob|] eqn:E1.
  - assert (Hx1 : s_objs (reap_step s y) x <> None) by (rewrite E1; discriminate).
    destruct (IH _ x Hx1 E) as [u [S1 [S2 Hu]]]. exists u.
    split; [eapply sub_trans; [apply sub_step|exact S1]|auto].
  - unfold reap_step in E1. destruct (held s y) eqn:Hy; [contradiction|].
    destruct (destroy_cases s y) as [D|[ob [_ [_ [Eo _]]]]]; [rewrite D in E1; contradiction|].
    rewrite Eo in E1. destruct (Nat.eq_dec x y) as [->|N]; [|rewrite upd_neq in E1 by exact N; contradiction].
    exists s. split; [apply sub_refl|]. split; [|exact Hy].
    eapply sub_trans; [apply sub_step|]. unfold reap_step. rewrite Hy. apply sub_fold.
Qed.

Lemma irq_ok_fold : forall l s, irq_ok s -> irq_ok (fold_left reap_step l s).
Proof.
  induction l as [|o l IH]; intros s I; simpl; [exact I|]. apply IH. unfold reap_step.
  destruct (held s o) eqn:H; [exact I|]. apply irq_ok_destroy; auto.
Qed.

(* Two passes leave nothing unheld: what the first leaves unheld is a notification whose Irq
   died in it; no Irq dies in the second (an Irq is held by capabilities only, which the reap
   does not change). *)
Lemma reap_twice : forall s, irq_ok s ->
  (forall o ob, s_objs s o = Some ob -> o < s_next s) ->
  no_garbage (reap_pass (reap_pass s)).
Proof.
  intros s I F. set (s2 := reap_pass s). set (s3 := reap_pass s2).
  assert (I2 : irq_ok s2) by (unfold s2; rewrite reap_pass_fold; apply irq_ok_fold; exact I).
  assert (I3 : irq_ok s3) by (unfold s3; rewrite reap_pass_fold; apply irq_ok_fold; exact I2).
  assert (S12 : sub s s2) by (unfold s2; rewrite reap_pass_fold; apply sub_fold).
  assert (S23 : sub s2 s3) by (unfold s3; rewrite reap_pass_fold; apply sub_fold).
  split; [exact I3|]. intros o ob E R.
  destruct S12 as [C12 [N12 [O12 [Ir12 [L12 M12]]]]].
  destruct S23 as [C23 [N23 [O23 [Ir23 [L23 M23]]]]].
  assert (Ho : In o (seq 0 (s_next s2))).
  { apply in_seq. rewrite N12. pose proof (F o ob (O12 o ob (O23 o ob E))). lia. }
  unfold s3 in E. rewrite reap_pass_fold in E.
  destruct (fold_alive_held _ _ o ob Ho E R) as [u [Su [Su3 Hu]]].
  fold s3 in Su3. rewrite <- reap_pass_fold in Su3. fold s3 in Su3.
  destruct Su as [Cu [Nu [Ou [Iru [Lu Mu]]]]].
  apply held_iff in Hu. apply held_iff.
  destruct Hu as [[c [Hc Hco]]|[[i [b [Hlt Hi]]]|[m [Hm Hmo]]]].
  - left. exists c. rewrite C23, <- Cu. auto.
  - right; left. assert (Hi2 : s_irq s2 i = Some (o, b)).
    { destruct (Iru i) as [X|X]; congruence. }
    destruct (I2 i o b Hi2) as [Hi2lt [_ [[l [q Eq]] _]]].
    assert (Alive : s_objs s3 i <> None).
    { intros D. assert (Hin2 : s_objs s2 i <> None) by congruence.
      revert D. unfold s3. rewrite reap_pass_fold. intros D.
      destruct (fold_dies_unheld _ _ i Hin2 D) as [u' [Su' [_ Hu']]].
      destruct Su' as [Cu' [_ [_ [_ [_ Mu']]]]].
      assert (Hin : In i (seq 0 (s_next s))) by (apply in_seq; lia).
      assert (Eq2 : s_objs (fold_left reap_step (seq 0 (s_next s)) s) i =
                    Some (mkObj (KIrq l) q)) by (rewrite <- reap_pass_fold; exact Eq).
      destruct (fold_alive_held _ _ i _ Hin Eq2 eq_refl) as [w [Sw [_ Hw]]].
      destruct Sw as [Cw [_ [Ow [Irw [_ Mw]]]]].
      apply held_iff in Hw. destruct Hw as [[c [Hc Hco]]|[[j [b' [_ Hj]]]|[m' [Hm' Hm'o]]]].
      - assert (held u' i = true).
        { apply held_iff. left. exists c. rewrite Cu'. fold s2. rewrite C12, <- Cw. auto. }
        congruence.
      - assert (Hj0 : s_irq s j = Some (i, b')) by (destruct (Irw j) as [X|X]; congruence).
        destruct (I j i b' Hj0) as [_ [_ [_ [q' Eq']]]].
        rewrite (O12 i _ Eq) in Eq'. discriminate.
      - assert (held u' i = true).
        { apply held_iff. right; right. exists m'. rewrite Mu'. fold s2. rewrite M12, <- Mw. auto. }
        congruence. }
    exists i, b. split; [rewrite N23; exact Hi2lt|]. rewrite (L23 i Alive). exact Hi2.
  - right; right. exists m. rewrite M23, <- Mu. auto.
Qed.

(* ---------- Calls that destroy ---------- *)

Lemma terminate_ng : forall s root, wf s -> no_garbage s -> no_garbage (terminate s root).
Proof.
  intros s root W [I _]. unfold terminate. apply reap_twice.
  - apply (irq_ok_ext s); auto.
  - intros o ob E. simpl in E. exact (ow_obj_fresh _ (proj1 (proj2 W)) o ob E).
Qed.

Lemma ng_kill : forall s dies, no_garbage s -> no_garbage (kill_threads s dies).
Proof. intros s dies G. apply (ng_ext s); auto. Qed.

Lemma ng_threads : forall s ts wq cl, no_garbage s -> no_garbage (with_threads s ts wq cl).
Proof. intros s ts wq cl G. apply (ng_ext s); auto. Qed.

Lemma ng_drop_caller : forall s t, no_garbage s -> no_garbage (drop_caller s t).
Proof.
  intros s t G. unfold drop_caller. destruct (s_caller s t); [apply ng_threads|]; auto.
Qed.

Lemma ng_take_sender : forall s t e v nb r s', no_garbage s -> take_sender s t e v nb = (r, s') ->
  no_garbage s'.
Proof.
  intros s t e v nb r s' G H. unfold take_sender in H.
  destruct (sender_head s e) as [[[x b] rest]|].
  - injection H as _ <-. destruct b; apply ng_threads; auto.
  - destruct nb; injection H as _ <-; [exact G|apply ng_threads; auto].
Qed.

Lemma ng_recv : forall s t sp h nb r s', no_garbage s -> recv s t sp h nb = (r, s') ->
  no_garbage s'.
Proof.
  intros s t sp h nb r s' G H. unfold recv in H.
  destruct (lookup_typed s sp h TEndpoint [RReceive]) as [[c|]|e];
    try (injection H as _ <-; exact G).
  eapply ng_take_sender; [|exact H]. apply ng_drop_caller. exact G.
Qed.

Lemma ng_create : forall s sp k rts p r s', no_garbage s -> create s sp k rts p = (r, s') ->
  no_garbage s'.
Proof.
  intros s sp k rts p r s' [I A] H. unfold create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q]|]; try (injection H as _ <-; split; auto; fail).
  destruct (s_accts s a) as [[l u]|]; [|injection H as _ <-; split; auto].
  destruct (Nat.ltb l (u + obj_size k)); [injection H as _ <-; split; auto|].
  injection H as _ <-. split.
  - intros i n b E. simpl in E |- *. destruct (Nat.eq_dec i (s_next s)) as [->|Ni];
      [rewrite upd_eq in E; discriminate|]. rewrite upd_neq in E by exact Ni.
    destruct (I i n b E) as [H1 [H2 [H3 H4]]].
    rewrite !upd_neq by lia. split; [lia|]. split; [lia|]. auto.
  - intros o ob E R. apply held_iff. simpl in E |- *.
    destruct (Nat.eq_dec o (s_next s)) as [->|N].
    + left. eexists. split; [left; reflexivity|reflexivity].
    + rewrite upd_neq in E by exact N.
      destruct (proj1 (held_iff s o) (A o ob E R)) as [[c [Hc Ec]]|[[i [b [Hlt Ei]]]|[m [Hm Em]]]].
      * left. exists c. auto.
      * right; left. exists i, b. split; [lia|]. rewrite upd_neq by lia. exact Ei.
      * right; right. exists m. auto.
Qed.

Lemma ng_space_create : forall s sp bytes r s', no_garbage s -> space_create s sp bytes = (r, s') ->
  no_garbage s'.
Proof.
  intros s sp bytes r s' [I A] H. unfold space_create in H.
  destruct (s_objs s sp) as [[[a| | | | | | |] q]|]; try (injection H as _ <-; split; auto; fail).
  destruct (s_accts s a) as [[l u]|]; [|injection H as _ <-; split; auto].
  destruct (Nat.ltb l (u + (bytes + obj_size (KSpace 0)))); [injection H as _ <-; split; auto|].
  injection H as _ <-. split.
  - intros i n b E. simpl in E |- *. destruct (I i n b E) as [H1 [H2 [H3 H4]]].
    rewrite !upd_neq by lia. split; [lia|]. split; [lia|]. auto.
  - intros o ob E R. apply held_iff. simpl in E |- *.
    destruct (Nat.eq_dec o (s_next s)) as [->|N].
    + left. eexists. split; [left; reflexivity|reflexivity].
    + rewrite upd_neq in E by exact N.
      destruct (proj1 (held_iff s o) (A o ob E R)) as [[c [Hc Ec]]|[[i [b [Hlt Ei]]]|[m [Hm Em]]]].
      * left. exists c. auto.
      * right; left. exists i, b. split; [lia|exact Ei].
      * right; right. exists m. auto.
Qed.

Lemma ng_cap_delete : forall s sp h r s', wf s -> no_garbage s -> cap_delete s sp h = (r, s') ->
  no_garbage s'.
Proof.
  intros s sp h r s' W [I A] H. unfold cap_delete in H.
  destruct (lookup s sp h) as [c|] eqn:El; [|injection H as _ <-; split; auto].
  apply lookup_some in El. destruct El as [Hc _].
  injection H as _ <-.
  set (s1 := with_caps s (del_caps (c_id c) (s_caps s))).
  assert (I1 : irq_ok s1) by (apply (irq_ok_ext s); auto).
  assert (H1 : held_but s1 (fun y => y = c_obj c)).
  { intros y ob E R. simpl in E.
    destruct (proj1 (held_iff s y) (A y ob E R)) as [[c' [Hc' Ec']]|[[i [b [Hlt Ei]]]|[m [Hm Em]]]].
    - destruct (Nat.eq_dec (c_id c') (c_id c)) as [Eid|Nid].
      + right. rewrite (nodup_ids_eq _ _ _ (cw_nodup _ (proj1 W)) Hc' Hc Eid) in Ec'. auto.
      + left. apply held_iff. left. exists (strip (c_id c) c'). split; [|exact Ec'].
        simpl. apply in_del_caps. exists c'. auto.
    - left. apply held_iff. right; left. exists i, b. auto.
    - left. apply held_iff. right; right. exists m. auto. }
  destruct (held s1 (c_obj c)) eqn:Ho.
  - split; [exact I1|]. intros y ob E R. destruct (H1 y ob E R) as [X|X]; [exact X|].
    subst y. exact Ho.
  - destruct (drop_ref_cases s1 (c_obj c)) as [E0|[[ob0 [Eo Nr]] Cs]].
    + rewrite E0. apply release_ng.
      * apply irq_ok_destroy; auto.
      * intros y ob E R. destruct (destroy_held_but s1 (c_obj c) _ H1 y ob E R) as [X|[X|X]];
          [left; exact X| |right; exact X].
        subst y. rewrite (destroy_self s1 (c_obj c) ob E) in R. discriminate.
      * intros n b E. exact (destroy_target_unbound s1 (c_obj c) (c_obj c) n b I1 E).
    + (* a thread or a space: not reapable, so s1 has no garbage *)
      assert (G1 : no_garbage s1).
      { split; [exact I1|]. intros y ob' E' R. destruct (H1 y ob' E' R) as [X|X]; [exact X|].
        subst y. rewrite Eo in E'. injection E' as <-. rewrite Nr in R. discriminate. }
      destruct Cs as [E|[[tsp [q [_ [_ E]]]]|[root [_ [_ E]]]]]; rewrite E.
      * exact G1.
      * unfold set_dead. apply ng_threads. exact G1.
      * apply terminate_ng; [|exact G1].
        apply wf_with_caps; [exact (proj2 W)|apply caps_wf_del; exact (proj1 W)].
Qed.

Lemma ng_cap_revoke : forall s sp h r s', wf s -> no_garbage s -> cap_revoke s sp h = (r, s') ->
  no_garbage s'.
Proof.
  intros s sp h r s' W [I A] H. unfold cap_revoke in H.
  destruct (lookup s sp h) as [c|] eqn:El; [|injection H as _ <-; split; auto].
  apply lookup_some in El. destruct El as [Hc _].
  injection H as _ <-. split; [apply (irq_ok_ext s); auto|].
  assert (Kc : In c (revoke_caps (c_id c) (s_caps s))).
  { apply in_revoke_caps. split; [exact Hc|]. intros Ha.
    pose proof (cw_anc_lt _ (proj1 W) c (c_id c) Hc Ha). lia. }
  intros y ob E R. simpl in E. destruct (proj1 (held_iff s y) (A y ob E R))
    as [[c' [Hc' Ec']]|[[i [b [Hlt Ei]]]|[m [Hm Em]]]].
  - apply held_iff. left. simpl.
    destruct (in_dec Nat.eq_dec (c_id c) (c_anc c')) as [Ha|Ha].
    + destruct (ancestor_rights s (proj1 W) _ c' Hc' eq_refl (c_id c) Ha)
        as [ac [Hac [Eid [_ Eo]]]].
      rewrite (nodup_ids_eq _ _ _ (cw_nodup _ (proj1 W)) Hac Hc Eid) in Eo.
      exists c. split; [exact Kc|congruence].
    + exists c'. split; [apply in_revoke_caps; auto|exact Ec'].
  - apply held_iff. right; left. exists i, b. auto.
  - apply held_iff. right; right. exists m. auto.
Qed.

Lemma ng_irq_bind : forall s sp hi hn r s', wf s -> no_garbage s -> irq_bind s sp hi hn = (r, s') ->
  no_garbage s'.
Proof.
  intros s sp hi hn r s' W [I A] H. unfold irq_bind in H.
  destruct (lookup_typed s sp hi TIrq [RManage]) as [[ci|]|e] eqn:Ei;
    try (injection H as _ <-; split; auto; fail).
  destruct (lookup_typed s sp hn TNotification [RSend]) as [[cn|]|e] eqn:En;
    try (injection H as _ <-; split; auto; fail).
  injection H as _ <-.
  apply lookup_typed_some in Ei. destruct Ei as [Hci [_ [_ [Ti _]]]].
  apply lookup_typed_some in En. destruct En as [Hcn [_ [_ [Tn _]]]].
  set (i0 := c_obj ci). set (n0 := c_obj cn).
  assert (Li : exists l q, s_objs s i0 = Some (mkObj (KIrq l) q)).
  { unfold obj_type in Ti. fold i0 in Ti. destruct (s_objs s i0) as [[[] q]|]; try discriminate.
    eauto. }
  assert (Ln : exists q, s_objs s n0 = Some (mkObj KNotification q)) by exact (obj_type_notif _ _ Tn).
  destruct Li as [l [q Eli]]. destruct Ln as [qn Eln].
  pose proof (ow_obj_fresh _ (proj1 (proj2 W)) _ _ Eli) as Lti.
  pose proof (ow_obj_fresh _ (proj1 (proj2 W)) _ _ Eln) as Ltn.
  set (s0 := mkState (s_objs s) (s_accts s) (s_caps s) (s_tstate s) (s_word s) (s_waiters s)
                     (s_caller s) (s_next s) (s_prio s) (s_handler s) (s_timer s)
                     (upd (s_irq s) i0 (Some (n0, sig_bits cn))) (s_pager s) (s_maps s) (s_via s)).
  assert (I0 : irq_ok s0).
  { intros i n b E. simpl in E |- *. destruct (Nat.eq_dec i i0) as [->|Ni].
    - rewrite upd_eq in E. injection E as <- _. split; [exact Lti|]. split; [exact Ltn|].
      eauto.
    - rewrite upd_neq in E by exact Ni. exact (I i n b E). }
  apply release_ng.
  - exact I0.
  - intros y ob E R. simpl in E. destruct (proj1 (held_iff s y) (A y ob E R))
      as [[c' [Hc' Ec']]|[[i [b [Hlt Eb]]]|[m [Hm Em]]]].
    + left. apply held_iff. left. exists c'. auto.
    + destruct (Nat.eq_dec i i0) as [->|Ni]; [right; exists b; exact Eb|].
      left. apply held_iff. right; left. exists i, b. simpl. rewrite upd_neq by exact Ni. auto.
    + left. apply held_iff. right; right. exists m. auto.
  - intros n b E. pose proof (irq_ok_target s i0 n b I E) as T.
    destruct (I i0 n b E) as [_ [_ [_ [qn' En']]]].
    simpl. rewrite upd_neq; [exact T|]. intros ->. congruence.
Qed.

Lemma ng_thread_exit : forall s t sp r s', wf s -> no_garbage s -> thread_exit s t sp = (r, s') ->
  no_garbage s'.
Proof.
  intros s t sp r s' W G H. unfold thread_exit in H. injection H as _ <-.
  destruct (_ || _).
  - apply ng_kill. exact G.
  - apply terminate_ng; [apply wf_kill_threads; exact W|apply ng_kill; exact G].
Qed.

(* ---------- The mapping calls ---------- *)

(* reap os: each object of os dies if nothing holds it any more; if only objects of os may be
   unheld, and none of them has a binding, nothing is left unheld. *)
Lemma reap_ng : forall l s, irq_ok s -> held_but s (fun y => In y l) ->
  (forall y, In y l -> s_irq s y = None) -> no_garbage (reap l s).
Proof.
  induction l as [|x l IH]; intros s I H N.
  - split; [exact I|]. apply held_but_all. intros o ob E R.
    destruct (H o ob E R) as [X|[]]; left; exact X.
  - change (reap (x :: l) s) with (reap l (reap_step s x)). unfold reap_step.
    destruct (held s x) eqn:Hx.
    + apply IH; [exact I| |intros y Hy; apply N; right; exact Hy].
      intros o ob E R. destruct (H o ob E R) as [X|[<-|X]]; auto.
    + apply IH.
      * apply irq_ok_destroy; auto.
      * intros o ob E R. destruct (destroy_held_but s x _ H o ob E R) as [X|[[Ex|X]|[b F]]];
          auto.
        -- subst o. rewrite (destroy_self s x ob E) in R. discriminate.
        -- rewrite (N x (or_introl eq_refl)) in F. discriminate.
      * intros y Hy. destruct (destroy_cases s x) as [D|[ob [_ [_ [_ [Ei _]]]]]].
        -- rewrite D. apply N. right. exact Hy.
        -- rewrite Ei. unfold upd. destruct (Nat.eqb y x); [reflexivity|]. apply N. right; exact Hy.
Qed.

(* A mapped object is a memory object, bound to nothing. *)
Lemma mapped_unbound : forall s m, wf s -> irq_ok s -> In m (s_maps s) -> s_irq s (m_mem m) = None.
Proof.
  intros s m W I Hm. destruct (mo_mem _ _ (ow_maps _ (proj1 (proj2 W))) m Hm) as [p [q Eq]].
  destruct (s_irq s (m_mem m)) as [[n b]|] eqn:E; [|reflexivity].
  destruct (I _ n b E) as [_ [_ [[l [q' Eq']] _]]]. destruct Eq as [Eq _]. congruence.
Qed.

(* unmap: the mappings P says go, and their objects die if nothing else holds them. *)
Lemma ng_unmap_reap : forall s P, wf s -> no_garbage s ->
  no_garbage (reap (map m_mem (filter P (s_maps s)))
                   (with_maps s (filter (fun m => negb (P m)) (s_maps s)))).
Proof.
  intros s P W [I A]. apply reap_ng.
  - apply (irq_ok_ext s); auto.
  - intros y ob E R. simpl in E.
    destruct (proj1 (held_iff s y) (A y ob E R)) as [[c [Hc Ec]]|[[i [b [Hlt Ei]]]|[m [Hm Em]]]].
    + left. apply held_iff. left. exists c. auto.
    + left. apply held_iff. right; left. exists i, b. auto.
    + destruct (P m) eqn:Pm.
      * right. apply in_map_iff. exists m. split; [exact Em|]. apply filter_In. auto.
      * left. apply held_iff. right; right. exists m. split; [|exact Em]. simpl.
        apply filter_In. rewrite Pm. auto.
  - intros y Hy. apply in_map_iff in Hy. destruct Hy as [m [<- Hm]]. apply filter_In in Hm.
    simpl. apply mapped_unbound; auto. apply Hm.
Qed.

(* ---------- The theorems ---------- *)

Ltac ng_same G := first
  [ exact G
  | apply (ng_ext _ _ G); reflexivity
  | apply (ng_grow _ _ G); simpl; [reflexivity|reflexivity|lia|apply incl_tl, incl_refl|
      intros m Hm; exists m; split; [exact Hm|reflexivity]] ].

Theorem step_preserves_no_garbage : forall s t k r s', wf s -> no_garbage s ->
  step s t k = (r, s') -> no_garbage s'.
Proof.
  intros s t k r s' W G H. unfold step in H.
  destruct (caller_space s t) as [sp|] eqn:Ec; [|injection H as _ <-; exact G].
  destruct k; simpl in H; try (injection H as _ <-; exact G).
  - unfold cap_derive in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold cap_copy_to in H. split_matches H; injection H as _ <-; ng_same G.
  - eapply ng_cap_delete; eauto.
  - eapply ng_cap_revoke; eauto.
  - unfold cap_info in H. split_matches H; injection H as _ <-; exact G.
  - eapply ng_create; eauto.
  - eapply ng_create; eauto.
  - unfold memory_create in H. destruct (_ || _ || _); [injection H as _ <-; exact G|].
    eapply ng_create; eauto.
  - unfold memory_clone in H.
    destruct (lookup_typed s sp source TMemory [RRead]) as [[c|]|e];
      try (injection H as _ <-; exact G).
    destruct (s_objs s (c_obj c)) as [[[| | | |pages| | |] q]|];
      try (injection H as _ <-; exact G).
    eapply ng_create; eauto.
  - unfold signal in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold wait in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold poll in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold quota_info in H. split_matches H; injection H as _ <-; exact G.
  - unfold ipc_call in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold reply_recv in H. eapply ng_recv; [apply ng_drop_caller; exact G|exact H].
  - unfold send in H. split_matches H; injection H as _ <-; ng_same G.
  - eapply ng_recv; eauto.
  - unfold reply_call in H. destruct (s_caller s t); injection H as _ <-;
      [apply ng_drop_caller|]; exact G.
  - eapply ng_space_create; eauto.
  - unfold thread_create in H.
    destruct (lookup_typed s sp space TSpace [RManage]) as [[c|]|e];
      try (injection H as _ <-; exact G).
    destruct (space_ended s (c_obj c)); [injection H as _ <-; exact G|].
    destruct entry_ok; [|injection H as _ <-; exact G].
    eapply ng_create; eauto.
  - unfold thread_start in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold thread_set_priority in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold thread_set_syscall_handler in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold set_timer in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold irq_create in H.
    destruct (lookup_typed s sp h TIrqControl [RManage]) as [[c|]|e];
      try (injection H as _ <-; exact G).
    destruct (negb available); [injection H as _ <-; exact G|].
    destruct (line_owned s line); [injection H as _ <-; exact G|].
    eapply ng_create; eauto.
  - eapply ng_irq_bind; eauto.
  - unfold space_set_pager in H. split_matches H; injection H as _ <-; ng_same G.
  - unfold map_call in H. split_matches H; injection H as _ <-; try exact G.
    apply (ng_grow _ _ G); simpl; [reflexivity|reflexivity|lia|apply incl_refl|].
    intros m Hm. exists m. split; [right; exact Hm|reflexivity].
  - unfold unmap_call in H. split_matches H; injection H as _ <-; try exact G.
    apply ng_unmap_reap; auto.
  - unfold protect_call in H. split_matches H; injection H as _ <-; try exact G.
    apply (ng_grow _ _ G); simpl; [reflexivity|reflexivity|lia|apply incl_refl|].
    intros m Hm. eexists. split; [apply in_map; exact Hm|].
    destruct (starts_in _ _ _ m); reflexivity.
  - eapply ng_thread_exit; eauto.
  - unfold process_exit in H. injection H as _ <-. apply terminate_ng; auto.
  - unfold process_terminate in H.
    destruct (lookup_typed s sp space TSpace [RManage]) as [[c|]|e];
      try (injection H as _ <-; exact G).
    destruct (space_ended s (c_obj c)); injection H as _ <-; [exact G|].
    apply terminate_ng; auto.
Qed.

(* The initial state has no garbage: nothing reapable, no binding. *)
Theorem init_no_garbage : forall limit, no_garbage (init limit).
Proof.
  intros limit. split.
  - intros i n b E. discriminate E.
  - intros o ob E R. destruct o as [|[|[|o]]]; simpl in E; try discriminate;
      injection E as <-; discriminate R.
Qed.
