(* The executable specification's command loop (proofs/refine/README.md): reads one command a
   line on stdin, runs it on the extracted Spec.step, and prints one line of reply and one
   line of canonical abstract state per call, flushing after each, for the refinement driver
   (refine_driver.cc) to compare with the hosted core.

     reset                 the state becomes init_hosted (one process, one running thread)
     T CALL ARGS...        thread T makes CALL (T runs first if it is Ready: run_thread)

   CALL: derive H R B | copy HS H R | delete H | revoke H | info H | ep | ntf | mem P OK
   | clone H | signal H | wait H | poll H | quota H | call H | rr H NB | send H NB | recv H NB
   | reply
   | space BYTES | tcreate HS OK | tstart H | yield | prio H P | handler H E | timer H DEADLINE
   | irqc H LINE AVAILABLE | irqb H N | irqa H | pager H MODE | resolve H ACCESS RESOLVABLE
   | tls H OK | ipcbuf H PLACED WRITABLE | print LENOK TEXTOK | clock | rregs H OK
   | wregs H OK | rfpu H OK | wfpu H OK MXCSROK | pin H PORT WIDTH | pout H PORT WIDTH VALUE
   | texit | pexit | term HS      (thread_exit, process_exit, process_terminate)
   | map HS HM VADDR FIRST PAGES R | unmap HS VADDR PAGES | protect HS VADDR PAGES R
                                  (R: rights bits, OK/NB/PLACED/...: 0 or 1, the spec's flags)

   After each state line come the state's mappings (s_maps), in the same line. *)

open Hmkspec

let limit = 16 lsl 20 (* abi::kDefaultProcessQuota *)

let rights_of_bits b =
  List.filter_map
    (fun (bit, r) -> if b land bit <> 0 then Some r else None)
    [ (1, RRead); (2, RWrite); (4, RExecute); (8, RSend); (16, RReceive); (32, RGrant);
      (64, RManage) ]

let bits_of_rights rs =
  List.fold_left
    (fun acc r ->
      acc
      lor
      match r with
      | RRead -> 1 | RWrite -> 2 | RExecute -> 4 | RSend -> 8 | RReceive -> 16
      | RGrant -> 32 | RManage -> 64)
    0 rs

let error_name = function
  | InvalidCapability -> "InvalidCapability" | PermissionDenied -> "PermissionDenied"
  | InvalidArgument -> "InvalidArgument" | QuotaExceeded -> "QuotaExceeded"
  | PeerClosed -> "PeerClosed" | WouldBlock -> "WouldBlock" | NotFound -> "NotFound"
  | Busy -> "Busy" | BadAddress -> "BadAddress" | OutOfRange -> "OutOfRange"
  | AlreadyExists -> "AlreadyExists"

let type_name = function
  | TSpace -> "Space" | TThread -> "Thread" | TEndpoint -> "Endpoint"
  | TNotification -> "Notification" | TMemory -> "Memory" | TIoPorts -> "IoPorts"
  | TIrqControl -> "IrqControl" | TIrq -> "Irq"

(* The reply; quota_info's used bytes are left out (object sizes are placeholders). *)
let reply_line = function
  | ROk VNone -> "ok"
  | ROk (VNum n) -> Printf.sprintf "ok %d" n
  | ROk (VInfo (t, r, b)) -> Printf.sprintf "ok %s %d %d" (type_name t) (bits_of_rights r) b
  | ROk (VQuota (l, _)) -> Printf.sprintf "ok limit %d" l
  | RErr e -> "err " ^ error_name e
  | RBlocked -> "blocked"

let tstate_name = function
  | Inactive -> "I"
  | Running | Ready -> "R" (* which runnable thread runs is the scheduler's choice *)
  | BlockedSend (e, c) -> Printf.sprintf "S%d%s" e (if c then "c" else "s")
  | BlockedRecv e -> Printf.sprintf "V%d" e
  | BlockedReply s -> Printf.sprintf "P%d" s
  | BlockedNotif n -> Printf.sprintf "W%d" n
  | Dead -> "D"

(* Whether a capability names o. *)
let named s o = List.exists (fun c -> c.c_obj = o) s.s_caps

(* A Dead thread or an ended space is compared while a capability names it: the core reaps
   one that none names (and no thread holds), the spec keeps it (Spec.terminate), never to run
   or change again. The driver applies the same rule to the core's state. *)
let visible s o =
  match s.s_objs o with
  | None -> false
  | Some ob -> (
      match (ob.o_kind, s.s_tstate o) with
      | (KSpace _ | KThread _), Dead -> named s o
      | _ -> true)

(* The canonical abstract state (the driver prints the core's the same way): objects by id,
   capabilities by id, thread states and priorities, queues, notification words, callers;
   an ended space is marked ":x". *)
let state_line s =
  let b = Buffer.create 256 in
  let add fmt = Printf.bprintf b fmt in
  for o = 0 to s.s_next - 1 do
    match s.s_objs o with
    | None -> ()
    | Some _ when not (visible s o) -> ()
    | Some ob -> (
        match ob.o_kind with
        | KSpace a ->
            let l = match s.s_accts a with Some (l, _) -> l | None -> -1 in
            add "o%d:S/%d%s " o l (if s.s_tstate o = Dead then ":x" else "")
        | KThread sp ->
            add "o%d:T/%d:%s:%d " o sp (tstate_name (s.s_tstate o)) (s.s_prio o)
        | KEndpoint -> add "o%d:E " o
        | KNotification -> add "o%d:N/%d " o (s.s_word o)
        | KMemory p -> add "o%d:M/%d " o p
        | KIoPorts (b, n) -> add "o%d:P/%d/%d " o b n
        | KIrqControl -> add "o%d:C " o
        | KIrq l -> add "o%d:Q/%d " o l)
  done;
  let caps = List.sort (fun x y -> compare x.c_id y.c_id) s.s_caps in
  List.iter
    (fun c ->
      add "c%d@%d:o%d:r%d:b%d:p%s " c.c_id c.c_space c.c_obj (bits_of_rights c.c_rights)
        c.c_badge
        (match c.c_anc with p :: _ -> string_of_int p | [] -> "-"))
    caps;
  for o = 0 to s.s_next - 1 do
    if s.s_objs o = None || visible s o then begin
    (match s.s_waiters o with
    | [] -> ()
    | q -> add "q%d:%s " o (String.concat "," (List.map string_of_int q)));
    (match s.s_caller o with Some c -> add "k%d=%d " o c | None -> ());
    (match s.s_handler o with Some h -> add "h%d=%d " o h | None -> ());
    (* an armed timer (its bits are not compared: the core keeps them private) *)
    (match s.s_timer o with Some _ -> add "t%d " o | None -> ());
    (* an Irq's binding: the notification (its bits are private to the core) *)
    (match s.s_irq o with Some (n, _) -> add "i%d=%d " o n | None -> ());
    (* a space's pager mode, when it is not the kernel's (the default) *)
    if s.s_pager o <> 0 then add "g%d=%d " o (s.s_pager o)
    end
  done;
  Buffer.contents b

(* The mappings (s_maps), after the state line: by space, then address (the driver prints
   the core's the same way). *)
let maps_line ms =
  let key m = (m.m_space, m.m_vaddr) in
  let ms = List.sort (fun x y -> compare (key x) (key y)) ms in
  String.concat ""
    (List.map
       (fun m ->
         Printf.sprintf "m%d:%d+%d:o%d@%d:r%d/%d " m.m_space m.m_vaddr m.m_pages m.m_mem m.m_first
           (bits_of_rights m.m_rights) (bits_of_rights m.m_max))
       ms)

let parse_call = function
  | [ "derive"; h; r; b ] ->
      CapDerive (int_of_string h, rights_of_bits (int_of_string r), int_of_string b)
  | [ "copy"; hs; h; r ] ->
      CapCopyTo (int_of_string hs, int_of_string h, rights_of_bits (int_of_string r))
  | [ "delete"; h ] -> CapDelete (int_of_string h)
  | [ "revoke"; h ] -> CapRevoke (int_of_string h)
  | [ "info"; h ] -> CapInfo (int_of_string h)
  | [ "ep" ] -> EndpointCreate
  | [ "ntf" ] -> NotificationCreate
  | [ "mem"; p; ok ] -> MemoryCreate (int_of_string p, ok = "1")
  | [ "clone"; h ] -> MemoryClone (int_of_string h)
  | [ "signal"; h ] -> Signal (int_of_string h)
  | [ "wait"; h ] -> Wait (int_of_string h)
  | [ "poll"; h ] -> Poll (int_of_string h)
  | [ "quota"; h ] -> QuotaInfo (int_of_string h)
  | [ "call"; h ] -> Call (int_of_string h)
  | [ "rr"; h; nb ] -> ReplyRecv (int_of_string h, nb = "1")
  | [ "send"; h; nb ] -> Send (int_of_string h, nb = "1")
  | [ "recv"; h; nb ] -> Recv (int_of_string h, nb = "1")
  | [ "reply" ] -> Reply
  | [ "space"; bytes ] -> SpaceCreate (int_of_string bytes)
  | [ "tcreate"; hs; ok ] -> ThreadCreate (int_of_string hs, ok = "1")
  | [ "tstart"; h ] -> ThreadStart (int_of_string h)
  | [ "yield" ] -> Yield
  | [ "prio"; h; p ] -> ThreadSetPriority (int_of_string h, int_of_string p)
  | [ "handler"; h; e ] -> ThreadSetSyscallHandler (int_of_string h, int_of_string e)
  | [ "timer"; h; d ] -> SetTimer (int_of_string h, int_of_string d)
  | [ "irqc"; h; l; ok ] -> IrqCreate (int_of_string h, int_of_string l, ok = "1")
  | [ "irqb"; h; n ] -> IrqBind (int_of_string h, int_of_string n)
  | [ "irqa"; h ] -> IrqAck (int_of_string h)
  | [ "pager"; h; m ] -> SpaceSetPager (int_of_string h, int_of_string m)
  | [ "resolve"; h; a; ok ] ->
      SpaceResolveFault (int_of_string h, rights_of_bits (int_of_string a), ok = "1")
  | [ "tls"; h; ok ] -> ThreadSetTls (int_of_string h, ok = "1")
  | [ "ipcbuf"; h; placed; w ] -> ThreadSetIpcBuffer (int_of_string h, placed = "1", w = "1")
  | [ "print"; len_ok; text_ok ] -> DebugPrint (len_ok = "1", text_ok = "1")
  | [ "clock" ] -> ClockRead
  | [ "rregs"; h; ok ] -> ThreadReadRegisters (int_of_string h, ok = "1")
  | [ "wregs"; h; ok ] -> ThreadWriteRegisters (int_of_string h, ok = "1")
  | [ "rfpu"; h; ok ] -> ThreadReadFpu (int_of_string h, ok = "1")
  | [ "wfpu"; h; ok; mx ] -> ThreadWriteFpu (int_of_string h, ok = "1", mx = "1")
  | [ "pin"; h; p; w ] -> IoPortIn (int_of_string h, int_of_string p, int_of_string w)
  | [ "pout"; h; p; w; v ] ->
      IoPortOut (int_of_string h, int_of_string p, int_of_string w, int_of_string v)
  | [ "texit" ] -> ThreadExit
  | [ "pexit" ] -> ProcessExit
  | [ "term"; h ] -> ProcessTerminate (int_of_string h)
  | [ "map"; hs; hm; va; first; pages; r ] ->
      Map
        ( int_of_string hs, int_of_string hm, int_of_string va, int_of_string first,
          int_of_string pages, rights_of_bits (int_of_string r) )
  | [ "unmap"; hs; va; pages ] -> Unmap (int_of_string hs, int_of_string va, int_of_string pages)
  | [ "protect"; hs; va; pages; r ] ->
      Protect
        (int_of_string hs, int_of_string va, int_of_string pages, rights_of_bits (int_of_string r))
  | words -> failwith ("unknown call: " ^ String.concat " " words)

let () =
  let s = ref (init_hosted limit) in
  try
    while true do
      let line = input_line stdin in
      (match String.split_on_char ' ' (String.trim line) |> List.filter (( <> ) "") with
      | [] -> ()
      | [ "reset" ] ->
          s := init_hosted limit;
          print_endline (state_line !s ^ maps_line !s.s_maps)
      | t :: call ->
          let t = int_of_string t in
          let k = parse_call call in
          let r, s' = step (run_thread !s t) t k in
          s := s';
          (* A new capability: its id and the object it names, for the driver's mapping
             (thread_set_syscall_handler's is the thread's new handler). *)
          (match (k, r) with
          | ThreadSetSyscallHandler (h, _), ROk _ ->
              let thread =
                match List.find_opt (fun c -> c.c_id = h) s'.s_caps with
                | Some c -> c.c_obj
                | None -> -1
              in
              let n = match s'.s_handler thread with Some n -> n | None -> -1 in
              let o =
                match List.find_opt (fun c -> c.c_id = n) s'.s_caps with
                | Some c -> c.c_obj
                | None -> -1
              in
              Printf.printf "ok %d o%d\n" n o
          | ( ( CapDerive _ | CapCopyTo _ | EndpointCreate | NotificationCreate | MemoryCreate _
              | MemoryClone _ | SpaceCreate _ | ThreadCreate _ | IrqCreate _ ),
              ROk (VNum n) ) ->
              let o =
                match List.find_opt (fun c -> c.c_id = n) s'.s_caps with
                | Some c -> c.c_obj
                | None -> -1
              in
              Printf.printf "ok %d o%d\n" n o
          | _ -> print_endline (reply_line r));
          print_endline (state_line s' ^ maps_line s'.s_maps));
      flush stdout
    done
  with End_of_file -> ()
