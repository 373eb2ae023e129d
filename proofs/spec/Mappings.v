(* Memory mappings: map, unmap, protect and W^X (proofs/spec/README.md, "Mappings").

   The calls are Spec.v's map_call, unmap_call and protect_call, calls of `step` (Map, Unmap,
   Protect) on the state's mappings (s_maps). A mapping holds its memory object (Spec.held):
   the object outlives its last capability while mapped, and unmap (or a process's teardown)
   of its last mapping destroys it if no capability names it. The theorems here are stated
   over `step`. Not modelled (README.md says it again): the charge for the mapping record
   and page tables (QuotaExceeded) and running out of frames for page tables; the page
   tables themselves, lazy and copy-on-write pages. Integrity.v's `integrity` covers the three
   calls (a space's mappings are part of its LPager location, changed only with Manage on
   it; an object unmap destroys was mapped in such a space); mapping_integrity below says
   more of each mapping: what map adds is within the caller's rights to the memory, what
   protect changes within the mapping's limit. *)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.
From HMK Require Import Spec Invariant Properties Integrity.

(* In a well-formed state (Invariant.wf, which every call keeps: step_preserves_wf) every
   mapping holds its memory object (it is `held`, so it does not die with its last
   capability), which is live and covers the mapping's pages, in a space. *)
Theorem mappings_hold_memory : forall s, wf s -> forall m, In m (s_maps s) ->
  held s (m_mem m) = true /\
  (exists p q, s_objs s (m_mem m) = Some (mkObj (KMemory p) q) /\ m_first m + m_pages m <= p) /\
  is_space s (m_space m).
Proof.
  intros s W m Hm. pose proof (wf_maps_ok s W) as [_ Mm Ms].
  split; [|split; [exact (Mm m Hm)|exact (Ms m Hm)]].
  unfold held, mapped. apply orb_true_iff. right. apply existsb_exists. exists m.
  split; auto. apply Nat.eqb_refl.
Qed.

(* The invariant of the mappings (Invariant.maps_wf, part of wf) on its own: map, unmap and
   protect keep it. *)
Theorem map_respects_wx : forall s t hs hm vaddr first pages r res s', maps_wf (s_maps s) ->
  step s t (Map hs hm vaddr first pages r) = (res, s') -> maps_wf (s_maps s').
Proof.
  intros s t hs hm vaddr first pages r res s' W H. unfold step in H.
  destruct (caller_space s t); [|inversion H; subst; auto]. eapply map_call_wf; eauto.
Qed.

Theorem unmap_keeps_wf : forall s t hs vaddr pages res s', maps_wf (s_maps s) ->
  step s t (Unmap hs vaddr pages) = (res, s') -> maps_wf (s_maps s').
Proof.
  intros s t hs vaddr pages res s' W H. unfold step in H.
  destruct (caller_space s t); [|inversion H; subst; auto]. eapply unmap_call_wf; eauto.
Qed.

Theorem protect_keeps_wf : forall s t hs vaddr pages r res s', maps_wf (s_maps s) ->
  step s t (Protect hs vaddr pages r) = (res, s') -> maps_wf (s_maps s').
Proof.
  intros s t hs vaddr pages r res s' W H. unfold step in H.
  destruct (caller_space s t); [|inversion H; subst; auto]. eapply protect_call_wf; eauto.
Qed.

(* ---------- What the calls do, and who may do it ---------- *)

(* A failed call leaves the mappings as they were. *)
Theorem mapping_error_changes_nothing : forall s t,
  (forall hs hm vaddr first pages r e s',
     step s t (Map hs hm vaddr first pages r) = (RErr e, s') -> s' = s) /\
  (forall hs vaddr pages e s', step s t (Unmap hs vaddr pages) = (RErr e, s') -> s' = s) /\
  (forall hs vaddr pages r e s', step s t (Protect hs vaddr pages r) = (RErr e, s') -> s' = s).
Proof.
  intros s t. split; [|split]; intros; eapply error_changes_nothing; eauto; discriminate.
Qed.

(* map: the one new mapping is in a space the caller holds with Manage, of a memory object
   it holds with at least the mapping's rights, whose limit is that capability's page rights;
   it overlaps none of the space's mappings and no mapping of the object conflicts with it. *)
Theorem map_spec : forall s t sp hs hm vaddr first pages r v s',
  caller_space s t = Some sp -> step s t (Map hs hm vaddr first pages r) = (ROk v, s') ->
  let ms := s_maps s in
  exists cs cm nm, s' = with_maps s (nm :: ms) /\
    holds_cap s sp (m_space nm) [RManage] cs /\ c_id cs = hs /\
    holds_cap s sp (m_mem nm) (m_rights nm) cm /\ c_id cm = hm /\
    m_max nm = inter page_rights (c_rights cm) /\ m_rights nm = r /\
    incl r page_rights /\ In RRead r /\ ~ (In RWrite r /\ In RExecute r) /\
    (forall m, In m ms -> m_space m = m_space nm -> overlaps_b m vaddr (m_end nm) = false) /\
    (forall m, In m ms -> m_mem m = m_mem nm -> has_conflict r m = false).
Proof.
  intros s t sp hs hm vaddr first pages r v s' Hc H ms. unfold step in H. rewrite Hc in H.
  cbv beta iota in H. unfold map_call in H. cbv zeta in H. fold ms in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er] eqn:Es; try discriminate.
  destruct (lookup_typed s sp hm TMemory []) as [[cm|]|er] eqn:Em; try discriminate.
  destruct (negb (subset_b r (c_rights cm))) eqn:Esub; [discriminate|].
  destruct (range_error vaddr pages); [discriminate|].
  destruct (rights_ok r) eqn:Eok; simpl in H; [|discriminate].
  destruct (range_bad vaddr pages); [discriminate|].
  destruct (s_objs s (c_obj cm)) as [[[| | | |mp| | |] q]|]; try discriminate.
  destruct (Nat.ltb mp first || Nat.ltb (mp - first) pages); [discriminate|].
  destruct (space_ended s (c_obj cs)); [discriminate|].
  destruct (existsb _ ms) eqn:Eov; [discriminate|].
  destruct (existsb (fun m => Nat.eqb (m_mem m) (c_obj cm) && has_conflict r m) ms) eqn:Ewx;
    [discriminate|].
  inversion H; subst; clear H.
  apply negb_false_iff in Esub. apply subset_b_incl in Esub.
  pose proof (rights_ok_spec r Eok) as [Hpage [Hread Hnwx]].
  apply lookup_typed_some in Es. destruct Es as [Hs1 [Hs2 [Hs3 [_ Hs5]]]].
  apply lookup_typed_some in Em. destruct Em as [Hm1 [Hm2 [Hm3 _]]].
  eexists cs, cm, _. split; [reflexivity|]. simpl.
  split; [repeat split; auto|]. split; [auto|]. split; [repeat split; auto|].
  split; [auto|]. split; [reflexivity|]. split; [reflexivity|].
  split; [auto|]. split; [auto|]. split; [auto|]. split.
  - intros m Hm E. pose proof (existsb_false _ _ _ Eov m Hm) as F. simpl in F.
    rewrite E, Nat.eqb_refl in F. exact F.
  - intros m Hm E. pose proof (existsb_false _ _ _ Ewx m Hm) as F. simpl in F.
    rewrite E, Nat.eqb_refl in F. exact F.
Qed.

(* ---------- unmap releases the memory objects it unmapped ---------- *)

Lemma reap_none : forall l s o, s_objs s o = None -> s_objs (reap l s) o = None.
Proof.
  unfold reap. induction l as [|x l IH]; intros s o H; simpl; auto. apply IH.
  destruct (held s x); auto. apply destroy_objs_none. auto.
Qed.

Lemma irq_bound_destroy : forall s x o, irq_bound s o = false -> irq_bound (destroy s x) o = false.
Proof.
  intros s x o H. unfold destroy. destruct (s_objs s x) as [ob|]; auto.
  destruct (reapable (o_kind ob)); auto. unfold irq_bound in *. simpl.
  apply not_true_iff_false. intros E.
  apply existsb_exists in E. destruct E as [i [Hi Ei]].
  destruct (Nat.eq_dec i x) as [->|N]; [rewrite upd_eq in Ei; discriminate|].
  rewrite upd_neq in Ei by auto.
  assert (existsb (fun i => match s_irq s i with Some (n', _) => Nat.eqb n' o | None => false end)
            (seq 0 (s_next s)) = true) by (apply existsb_exists; eauto).
  congruence.
Qed.

(* An object of l that nothing holds, and that nothing comes to hold while the others die,
   dies in the reap. *)
Lemma reap_kills : forall l s o ob, In o l -> s_objs s o = Some ob -> reapable (o_kind ob) = true ->
  named (s_caps s) o = false -> mapped s o = false -> irq_bound s o = false ->
  s_objs (reap l s) o = None.
Proof.
  unfold reap. induction l as [|x l IH]; intros s o ob Hin Eo Er Hn Hm Hb; [destruct Hin|].
  simpl. assert (Hh : held s o = false) by (unfold held; rewrite Hn, Hb, Hm; reflexivity).
  destruct Hin as [->|Hin].
  - rewrite Hh. apply reap_none. unfold destroy. rewrite Eo, Er. simpl. apply upd_eq.
  - set (s1 := if held s x then s else destroy s x).
    assert (Hs1 : s1 = s \/ s1 = destroy s x) by (unfold s1; destruct (held s x); auto).
    destruct (s_objs s1 o) as [ob'|] eqn:E1; [|apply reap_none; auto].
    assert (E1' : s_objs s o = Some ob').
    { destruct Hs1 as [R|R]; rewrite R in E1; [exact E1|].
      exact (proj1 (Integrity.destroy_objs_some _ _ _ _ E1)). }
    rewrite Eo in E1'. inversion E1'; subst ob'.
    apply (IH s1 o ob); auto; destruct Hs1 as [R|R]; rewrite R; auto.
    + rewrite destroy_caps. auto.
    + unfold mapped. rewrite destroy_maps. auto.
    + apply irq_bound_destroy. auto.
Qed.

(* unmap's last mapping of a memory object that no capability names (and no Irq is bound to)
   destroys it: a mapping removed by a successful unmap whose object no mapping left holds,
   that object is gone (its charge refunded: Spec.destroy). *)
Theorem unmap_releases_memory : forall s t sp hs vaddr pages v s' m, wf s ->
  caller_space s t = Some sp -> step s t (Unmap hs vaddr pages) = (ROk v, s') ->
  In m (s_maps s) -> ~ In m (s_maps s') ->
  named (s_caps s) (m_mem m) = false -> irq_bound s (m_mem m) = false ->
  (forall m', In m' (s_maps s') -> m_mem m' <> m_mem m) ->
  s_objs s' (m_mem m) = None.
Proof.
  intros s t sp hs vaddr pages v s' m W Hc H Hm Hm' Hn Hb Hrest.
  destruct (mappings_hold_memory s W m Hm) as [_ [[p [q [Eo _]]] _]].
  unfold step in H. rewrite Hc in H. cbv beta iota in H. unfold unmap_call in H.
  cbv zeta in H.
  destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er]; try discriminate.
  destruct (range_error vaddr pages); [discriminate|].
  destruct (range_bad vaddr pages); [discriminate|].
  destruct (space_ended s (c_obj cs)); [discriminate|].
  destruct (covered _ _ _ _); [discriminate|].
  inversion H; subst v s'; clear H.
  rewrite reap_maps in Hm', Hrest. simpl in Hm', Hrest.
  apply (reap_kills _ _ _ (mkObj (KMemory p) q)); simpl; auto.
  - apply in_map. apply filter_In. split; auto.
    destruct (starts_in _ _ _ m) eqn:E; auto. exfalso. apply Hm'. apply filter_In.
    rewrite E. auto.
  - unfold mapped. simpl. destruct (existsb _ _) eqn:E; auto. exfalso.
    apply existsb_exists in E. destruct E as [m' [H1 H2]]. apply Nat.eqb_eq in H2.
    exact (Hrest m' H1 H2).
Qed.

(* protect never adds rights beyond a mapping's limit (the memory capability's page rights
   when it was mapped), and changes nothing else of any mapping. *)
Theorem protect_never_adds_rights : forall s t hs vaddr pages r res s',
  step s t (Protect hs vaddr pages r) = (res, s') ->
  forall m', In m' (s_maps s') -> exists m, In m (s_maps s) /\ m' = set_rights (m_rights m') m /\
    (m_rights m' = m_rights m \/ incl (m_rights m') (m_max m)).
Proof.
  intros s t hs vaddr pages r res s' H m' Hm'. unfold step in H.
  destruct (caller_space s t) as [sp|];
    [|inversion H; subst; exists m'; split; auto; split; [destruct m'; reflexivity|auto]].
  cbv beta iota in H. unfold protect_call in H. cbv zeta in H.
  set (ms := s_maps s) in *.
  assert (Same : In m' ms -> exists m, In m ms /\ m' = set_rights (m_rights m') m /\
                   (m_rights m' = m_rights m \/ incl (m_rights m') (m_max m))).
  { intros Hin. exists m'. split; auto. split; auto. destruct m'; reflexivity. }
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
  apply in_map_protect in Hm'. destruct Hm' as [m [Hm ->]].
  exists m. split; auto. destruct (inr_ m) eqn:Ei.
  - split; [reflexivity|]. right. simpl.
    pose proof (existsb_false _ _ _ Emax m Hm) as F. simpl in F. rewrite Ei in F.
    simpl in F. apply negb_false_iff in F. apply subset_b_incl. auto.
  - split; [destruct m; reflexivity|]. left. reflexivity.
Qed.

(* Integrity for mappings: every mapping that a call adds, removes or changes is in a space
   the caller's table holds with Manage; a mapping map adds is of a memory object the caller
   holds with at least the mapping's rights. (So another space's mappings change only through
   a Manage capability to it, and never to more than the caller's own rights to the memory.) *)
Definition maps_changed_only_authorised (s : state) (sp : nat) (ms ms' : list mapping) : Prop :=
  (forall m, In m ms' -> ~ In m ms ->
     holds s sp (m_space m) [RManage] /\ holds s sp (m_mem m) (m_rights m) \/
     (holds s sp (m_space m) [RManage] /\
      exists m0, In m0 ms /\ m = set_rights (m_rights m) m0 /\ incl (m_rights m) (m_max m0))) /\
  (forall m, In m ms -> ~ In m ms' -> holds s sp (m_space m) [RManage]).

Theorem mapping_integrity : forall s t sp, caller_space s t = Some sp ->
  let ms := s_maps s in
  (forall hs hm vaddr first pages r res s',
     step s t (Map hs hm vaddr first pages r) = (res, s') ->
     maps_changed_only_authorised s sp ms (s_maps s')) /\
  (forall hs vaddr pages res s', step s t (Unmap hs vaddr pages) = (res, s') ->
     maps_changed_only_authorised s sp ms (s_maps s')) /\
  (forall hs vaddr pages r res s', step s t (Protect hs vaddr pages r) = (res, s') ->
     maps_changed_only_authorised s sp ms (s_maps s')).
Proof.
  intros s t sp Hc ms.
  assert (Refl : maps_changed_only_authorised s sp ms ms)
    by (split; intros m H1 H2; contradiction).
  split; [|split].
  - intros hs hm vaddr first pages r res s' H.
    destruct res as [v|e|];
      [| |unfold step in H; rewrite Hc in H; cbv beta iota in H; unfold map_call in H;
          split_matches H; discriminate].
    + destruct (map_spec _ _ _ _ _ _ _ _ _ _ _ Hc H)
        as [cs [cm [nm [-> [Hs [_ [Hm _]]]]]]].
      split.
      * intros m [<-|Hin] Hn; [|contradiction]. left. split; [exists cs|exists cm]; auto.
      * intros m Hin Hn. exfalso. apply Hn. right. auto.
    + apply (proj1 (mapping_error_changes_nothing s t)) in H. subst. exact Refl.
  - intros hs vaddr pages res s' H. unfold step in H. rewrite Hc in H. cbv beta iota in H.
    unfold unmap_call in H. cbv zeta in H. fold ms in H.
    destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er] eqn:Es;
      try (inversion H; subst; exact Refl).
    apply holds_lookup_typed in Es.
    destruct (range_error vaddr pages); [inversion H; subst; exact Refl|].
    destruct (range_bad vaddr pages); [inversion H; subst; exact Refl|].
    destruct (space_ended s (c_obj cs)); [inversion H; subst; exact Refl|].
    destruct (covered _ _ _ _); inversion H; subst; clear H; [exact Refl|].
    rewrite reap_maps. simpl.
    split.
    + intros m Hin Hn. apply filter_In in Hin. tauto.
    + intros m Hin Hn. destruct (starts_in (c_obj cs) vaddr (vaddr + pages * page_size) m)
        eqn:E.
      * unfold starts_in in E. apply andb_true_iff in E. destruct E as [E _].
        apply andb_true_iff in E. destruct E as [E _]. apply Nat.eqb_eq in E.
        rewrite E. exists cs. exact Es.
      * exfalso. apply Hn. apply filter_In. rewrite E. auto.
  - intros hs vaddr pages r res s' H.
    unfold step in H. rewrite Hc in H. cbv beta iota in H.
    unfold protect_call in H. cbv zeta in H. fold ms in H.
    destruct (lookup_typed s sp hs TSpace [RManage]) as [[cs|]|er] eqn:Es;
      try (inversion H; subst; exact Refl).
    apply holds_lookup_typed in Es.
    set (inr_ := starts_in (c_obj cs) vaddr (vaddr + pages * page_size)) in *.
    destruct (range_error vaddr pages); [inversion H; subst; exact Refl|].
    destruct (rights_ok r) eqn:Eok; simpl in H; [|inversion H; subst; exact Refl].
    destruct (range_bad vaddr pages); [inversion H; subst; exact Refl|].
    destruct (space_ended s (c_obj cs)); [inversion H; subst; exact Refl|].
    destruct (covered _ _ _ _); [inversion H; subst; exact Refl|].
    destruct (existsb (fun m => inr_ m && negb (subset_b r (m_max m))) ms) eqn:Emax;
      [inversion H; subst; exact Refl|].
    destruct (existsb (fun m => inr_ m &&
                existsb (fun m' => Nat.eqb (m_mem m') (m_mem m) && negb (inr_ m') &&
                                   has_conflict r m') ms) ms) eqn:Ewx;
      [inversion H; subst; exact Refl|].
    inversion H; subst; clear H. simpl.
    assert (Sp : forall m, inr_ m = true -> m_space m = c_obj cs).
    { intros m E. unfold inr_, starts_in in E. apply andb_true_iff in E. destruct E as [E _].
      apply andb_true_iff in E. destruct E as [E _]. apply Nat.eqb_eq in E. exact E. }
    split.
    + intros m' Hin Hn. right. apply in_map_protect in Hin. destruct Hin as [m [Hm ->]].
      destruct (inr_ m) eqn:Ei; [|contradiction].
      split; [simpl; rewrite (Sp m Ei); exists cs; exact Es|].
      exists m. split; auto. split; [reflexivity|]. simpl.
      pose proof (existsb_false _ _ _ Emax m Hm) as F. simpl in F. rewrite Ei in F.
      simpl in F. apply negb_false_iff in F. apply subset_b_incl. auto.
    + intros m Hin Hn. destruct (inr_ m) eqn:Ei.
      * rewrite (Sp m Ei). exists cs. exact Es.
      * exfalso. apply Hn. apply in_map_iff. exists m. rewrite Ei. auto.
Qed.
