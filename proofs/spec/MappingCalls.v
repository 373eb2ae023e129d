(* Memory mappings, the calls: map, unmap and protect as functions of Spec.v's state and a
   list of mappings (README.md, "Mappings"). Only definitions, depending on Spec.v alone, so
   that the executable spec (../refine/Extract.v) can extract them without compiling the
   proofs; Mappings.v says what they leave out and proves what they keep.

   Rules, from core/syscall.cc (sys_map, sys_unmap, sys_protect), core/space.cc (Space::map,
   Space::unmap, Space::protect, covered, check_protect_wx) and docs/kernel.md's table, in
   the kernel's order. The decoder first looks up the space (Space with Manage) and, for map,
   the memory object (Memory, any rights); its "rights within all rights" check cannot fail
   here (a rights set is a list of the seven rights). Addresses are byte addresses. A space
   that has ended (Spec.space_ended) is PeerClosed where the kernel checks it (Space::map,
   unmap, protect: after the range checks), and its mappings went with its teardown (the
   refinement runner drops them after the step that ends it). *)

From Coq Require Import List Arith Bool.
Import ListNotations.
From HMK Require Import Spec.

Record mapping := mkMapping {
  m_space : nat;      (* the space whose address space it is in *)
  m_vaddr : nat;      (* its first byte, page-aligned *)
  m_pages : nat;
  m_mem : nat;        (* the memory object *)
  m_first : nat;      (* its first page in the memory object *)
  m_rights : rights;  (* a subset of Read, Write, Execute, with Read, never Write and Execute *)
  m_max : rights      (* the memory capability's page rights at map time: protect's limit *)
}.

(* core/arch_types.h: kUserLowest = 0x1000, kUserHighest = 0x7fff'ffff'f000. *)
Definition user_lowest := page_size.
(* 2^35 - 1 pages, written as a product of small numerals: the extracted OCaml then computes it
   with int multiplications (a numeral this large becomes a digit-by-digit Peano conversion,
   and Nat.pow Peano additions, either of which the runner would evaluate at start-up for
   minutes or overflow its stack). *)
Definition user_highest := (32 * 1024 * 1024 * 1024 - 1) * page_size.

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

(* 16 map(space, memory, vaddr, first_page, pages, rights). *)
Definition map_call (s : state) (ms : list mapping) (sp hs hm vaddr first pages : nat)
    (r : rights) : reply * list mapping :=
  match lookup_typed s sp hs TSpace [RManage] with
  | inr e => (RErr e, ms)
  | inl None => (RErr InvalidCapability, ms)
  | inl (Some cs) =>
      match lookup_typed s sp hm TMemory [] with
      | inr e => (RErr e, ms)
      | inl None => (RErr InvalidCapability, ms)
      | inl (Some cm) =>
          let target := c_obj cs in
          let mem := c_obj cm in
          let e := vaddr + pages * page_size in
          if negb (subset_b r (c_rights cm)) then (RErr PermissionDenied, ms)
          else match range_error vaddr pages with
          | Some er => (RErr er, ms)
          | None =>
          if negb (rights_ok r) then (RErr InvalidArgument, ms)
          else if range_bad vaddr pages then (RErr BadAddress, ms)
          else match s_objs s mem with
          | Some (mkObj (KMemory mp) _) =>
              if Nat.ltb mp first || Nat.ltb (mp - first) pages then (RErr OutOfRange, ms)
              else if space_ended s target then (RErr PeerClosed, ms)
              else if existsb (fun m => Nat.eqb (m_space m) target && overlaps_b m vaddr e) ms
              then (RErr AlreadyExists, ms)
              else if existsb (fun m => Nat.eqb (m_mem m) mem && has_conflict r m) ms
              then (RErr PermissionDenied, ms)
              else (ROk VNone,
                    mkMapping target vaddr pages mem first r
                              (inter page_rights (c_rights cm)) :: ms)
          | _ => (RErr InvalidCapability, ms)
          end
          end
      end
  end.

(* 17 unmap(space, vaddr, pages): the whole mappings inside the range go. *)
Definition unmap_call (s : state) (ms : list mapping) (sp hs vaddr pages : nat)
    : reply * list mapping :=
  match lookup_typed s sp hs TSpace [RManage] with
  | inr e => (RErr e, ms)
  | inl None => (RErr InvalidCapability, ms)
  | inl (Some cs) =>
      let target := c_obj cs in
      let e := vaddr + pages * page_size in
      match range_error vaddr pages with
      | Some er => (RErr er, ms)
      | None =>
      if range_bad vaddr pages then (RErr BadAddress, ms)
      else if space_ended s target then (RErr PeerClosed, ms)
      else match covered ms target vaddr e with
      | Some er => (RErr er, ms)
      | None => (ROk VNone, filter (fun m => negb (starts_in target vaddr e m)) ms)
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
Definition protect_call (s : state) (ms : list mapping) (sp hs vaddr pages : nat) (r : rights)
    : reply * list mapping :=
  match lookup_typed s sp hs TSpace [RManage] with
  | inr e => (RErr e, ms)
  | inl None => (RErr InvalidCapability, ms)
  | inl (Some cs) =>
      let target := c_obj cs in
      let e := vaddr + pages * page_size in
      let inr_ := starts_in target vaddr e in
      match range_error vaddr pages with
      | Some er => (RErr er, ms)
      | None =>
      if negb (rights_ok r) then (RErr InvalidArgument, ms)
      else if range_bad vaddr pages then (RErr BadAddress, ms)
      else if space_ended s target then (RErr PeerClosed, ms)
      else match covered ms target vaddr e with
      | Some er => (RErr er, ms)
      | None =>
          if existsb (fun m => inr_ m && negb (subset_b r (m_max m))) ms
          then (RErr PermissionDenied, ms)
          else if existsb (fun m => inr_ m &&
                      existsb (fun m' => Nat.eqb (m_mem m') (m_mem m) && negb (inr_ m') &&
                                         has_conflict r m') ms) ms
          then (RErr PermissionDenied, ms)
          else (ROk VNone, map (fun m => if inr_ m then set_rights r m else m) ms)
      end
      end
  end.
