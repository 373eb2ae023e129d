(* The executable specification: proofs/spec/Spec.v's kernel entry `step` (map, unmap and
   protect included), extracted to OCaml (proofs/refine/README.md). Nothing here is proved or assumed; it only chooses what to
   extract and how nat is represented.

   `init_hosted` is the starting state of the refinement driver: Spec.init with the rights the
   hosted test fixture (platform/hosted/harness.h, spawn) gives a new process's own space and
   thread capabilities (all seven), and the hosted default quota as the account's limit; and,
   as the driver gives the process with the fixture's create_ioports (the boot manifest's
   `ioports=` in a real boot: no call makes one), I/O ports [0x3f8, 0x400) (object 5) with a
   Read and Write capability (6), charged to the process; and, as the fixture's spawn gives
   every test process, the IrqControl object (7, which is charged to no account in the kernel
   and never dies: its o_acct is never read) with a capability with all rights (8). *)

From HMK Require Import Spec.
From Coq Require Import List.
Import ListNotations.
Require Extraction.
Require Import ExtrOcamlBasic ExtrOcamlNatInt.

Definition init_hosted (limit : nat) : state :=
  let s := init limit in
  mkState (upd (upd (s_objs s) 5 (Some (mkObj (KIoPorts 1016 8) 1))) 7
               (Some (mkObj KIrqControl 1)))
          (upd (s_accts s) 1 (Some (limit, 128 + obj_size (KIoPorts 0 0))))
          [mkCap 3 0 0 all_rights 0 []; mkCap 4 0 2 all_rights 0 [];
           mkCap 6 0 5 [RRead; RWrite] 0 []; mkCap 8 0 7 all_rights 0 []]
          (s_tstate s) (s_word s) (s_waiters s) (s_caller s) 9 (s_prio s)
          (s_handler s) (s_timer s) (s_irq s) (s_pager s) (s_maps s) (s_via s).

(* The scheduler's choice, which the spec does not model (Spec.v: "the running thread is the
   caller"): thread t runs next, as the hosted fixture's make_current does: a Ready t becomes
   Running and the thread that ran becomes Ready. Nothing else changes. *)
Definition run_thread (s : state) (t : nat) : state :=
  match s_tstate s t with
  | Ready =>
      with_threads s
        (fun x => if Nat.eqb x t then Running
                  else match s_tstate s x with Running => Ready | st => st end)
        (s_waiters s) (s_caller s)
  | _ => s
  end.

Extraction Language OCaml.
(* nat is OCaml's int (ExtrOcamlNatInt: the numbers here are small ids, counts and badges);
   Nat.lor is OCaml's lor on such non-negative ints instead of Peano bit recursion. Spec.v's
   `Nat.lor` is PeanoNat's alias of Init.Nat.lor, which extraction keeps as a constant of its
   own: the alias is the one to replace (hmkspec.ml then has `let coq_lor = (lor)`). *)
Extract Constant Coq.Arith.PeanoNat.Nat.lor => "(lor)".
(* Likewise Nat.modulo (Spec.v's alignment check of map, unmap and protect), which is Peano division otherwise: a
   user address would take the runner minutes. Coq's n mod 0 is n. *)
Extract Constant Coq.Arith.PeanoNat.Nat.modulo => "(fun n m -> if m = 0 then n else n mod m)".
Extraction "hmkspec.ml" step init_hosted run_thread all_rights.
