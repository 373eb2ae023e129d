(* Memory mappings: map, unmap, protect and W^X (proofs/spec/README.md, "Mappings").

   The calls are Spec.v's map_call, unmap_call and protect_call, calls of `step` (Map, Unmap,
   Protect) on the state's mappings (s_maps). A mapping holds its memory object (Spec.held):
   the object outlives its last capability while mapped, and unmap (or a process's teardown)
   of its last mapping destroys it if no capability names it. The theorems here are stated
   over `step`. Not modelled (README.md says it again): the charge for the mapping record
   and page tables (QuotaExceeded) and running out of frames for page tables; the page
   tables themselves, lazy and copy-on-write pages. Integrity.v's `integrity` excludes the
   three calls (maps_call): mapping_integrity below is what is proved of who may change
   mappings. *)

From Coq Require Import List Arith Bool Lia.
Import ListNotations.
From HMK Require Import Spec Invariant Properties Integrity.

(* ---------- The invariant of the mappings ---------- *)

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

(* ---------- Small facts ---------- *)

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

(* ---------- The calls keep the invariant ---------- *)

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

(* The three calls of `step` keep the invariant of the mappings. *)
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
