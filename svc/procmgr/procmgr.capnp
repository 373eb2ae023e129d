@0xeef807922161bd09;
# The process manager (procmgr): process ids, the tree of processes (parent, group, session),
# and each ended process's status until its parent collects it. It knows nothing of what runs
# in a process (its memory, files, threads' state: the Linux shim keeps those) and nothing of
# Linux: a status is 32 bits it stores and hands back. Ids of processes and of their other
# threads are one space, as in Linux; id 1 is the reaper (the first process), which takes in
# the children of every process that ends.
#
# An id is reused only after the client releases it (release): the client may still hold
# things under an id after procmgr is done with it (a thread of an ended process still in a
# call), and an id must not name two things at once.

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
$Hmk.namespace("hmk::svc::procmgr");

interface ProcessManager {
  ping @0 () -> ();
  # Does nothing: the null call, for measuring the call path.

  spawn @1 (parent :Int32) -> (pid :Int32);
  # A new process, a child of `parent` (a live process), in its parent's group and session.
  # `parent` 0 makes the reaper, id 1, leader of its own group and session: once, first.
  # noSpace when every id is taken; notFound for a parent that is not live; invalidArgument for
  # a second reaper, or another process before it.

  addThread @2 (pid :Int32) -> (tid :Int32);
  # An id for another thread of the live process `pid` (its first thread's id is the pid).
  #
  # No id is handed out while a live or ended process has it as its group or session.

  release @3 (id :Int32) -> ();
  # The id may be handed out again: a thread's, or an ended process's once it was collected
  # (wait, or exit with `discard`). invalidArgument for a live process or an uncollected one.

  exit @4 (pid :Int32, status :Int32, discard :Bool) -> ();
  # The live process `pid` (not the reaper) ended with `status`. Its children go to the reaper,
  # which collects at once those that have ended (the client releases their ids). It waits to
  # be collected by its parent (wait), unless `discard` (its parent does not collect children,
  # as a Linux parent ignoring SIGCHLD) or its parent is the reaper: then it is collected now.

  wait @5 (parent :Int32, select :Int32, keep :Bool) -> (pid :Int32, status :Int32);
  # An ended child of `parent` that `select` chooses: > 0 that pid; -1 any; 0 any in the
  # parent's group; < -1 any in group -select (the most negative Int32 is invalidArgument). It is collected (no longer a child, its id
  # reserved until released) unless `keep`. The one with the lowest pid if several have ended.
  # wouldBlock: children match, none has ended; notFound: no child matches.

  setGroup @6 (caller :Int32, pid :Int32, group :Int32) -> (result :GroupResult);
  # Moves `pid` (0: the caller) into process group `group` (0: the group whose id is its pid),
  # as setpgid, checked in its order: a negative group is invalid; `pid` must be the caller or
  # a child of it (noProcess; a thread's id is invalid); a child must be in the caller's session
  # (notPermitted) and not have run a new program (executed); a session leader stays
  # (notPermitted); the group must exist in the caller's session or be the pid's own new group
  # (notPermitted).

  newSession @7 (pid :Int32) -> (result :GroupResult);
  # `pid` becomes leader of a new session and of a new group, both with its id, unless it leads
  # a group already (notPermitted).

  executed @8 (pid :Int32) -> ();
  # `pid` ran a new program: its parent may no longer move it to another group.

  info @9 (pid :Int32) -> (info :ProcessInfo);
  # What procmgr knows of a live or ended (not yet collected) process; notFound otherwise.

  usage @10 () -> (usage :Usage);
}

enum GroupResult {
  ok @0;
  noProcess @1;
  # No such process, or not the caller nor a child of it.
  notPermitted @2;
  # A session leader; another session's group or process; a group leader asking for a session.
  invalid @3;
  # A negative group.
  executed @4;
  # A child that has run a new program.
}

struct ProcessInfo {
  pid @0 :Int32;
  parent @1 :Int32;
  group @2 :Int32;
  session @3 :Int32;
  ended @4 :Bool;
  status @5 :Int32;
  # When ended.
}

struct Usage {
  ids @0 :UInt32;
  # Ids not free: processes (live, ended, collected and not released) and threads.
  processes @1 :UInt32;
  # Live processes, the reaper included.
  ended @2 :UInt32;
  # Ended processes their parents have not collected.
  maxIds @3 :UInt32;
  # Ids run from 1 to maxIds - 1.
}
