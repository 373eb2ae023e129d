@0xe33c51e52b4c19a4;
# The memory manager (memmgr): the policy of its client's address spaces. For each address space
# it keeps the map of its regions (range, rights, backing) and a page budget, and it decides:
# whether a region may be added (its range free, the budget not exceeded), where a region
# without a fixed address goes (place), and whether a page fault is an access its region allows
# (fault: a user-level pager's question).
#
# It registers the regions with the kernel itself: a client attaches an address space's
# capability (attach), and memmgr makes the kernel mappings (install, withdraw) over the memory
# objects the client makes and lends it, only where its own regions allow them. The kernel then
# resolves ordinary faults from those mappings with no call to anyone (kernel paging); under a
# user-level pager the fault comes to memmgr (pageIn), which resolves it if its region allows
# the access. It keeps no memory object: each one lent to install is given back once mapped (the
# mapping holds the object).
#
# It knows nothing of Linux. Addresses are bytes, page aligned (4096); sizes and budgets are
# pages. Rights are bits: 1 read, 2 write, 4 execute (0: reserved, no access).
# Adjacent pages with the same rights and backing are one region to memmgr, however the client
# made them.

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
$Hmk.namespace("hmk::svc::memmgr");

interface MemoryManager {
  ping @0 () -> ();
  # Does nothing: the null call, for measuring the call path.

  open @1 (budget :UInt64) -> (space :UInt32);
  # A new empty address space whose regions may span at most `budget` pages. noSpace when every
  # address space is taken.

  copy @2 (space :UInt32) -> (copy :UInt32);
  # A new address space with the same regions and budget as `space` (a fork's child). noSpace
  # when there is no room for it.

  close @3 (space :UInt32) -> ();
  # The address space and its regions go.

  setBudget @4 (space :UInt32, budget :UInt64) -> ();
  # A new budget. It may be below the pages the regions span: only growth is refused then.

  map @5 (space :UInt32, start :UInt64, pages :UInt64, rights :UInt8, backing :Backing) -> ();
  # A region over the free range [start, start + pages * 4096). exists: a page of it is in a
  # region; noSpace: over the budget, or no room to record it; invalidArgument: a range not
  # aligned, empty or wrapping, rights other than the three bits.

  unmap @6 (space :UInt32, start :UInt64, pages :UInt64) -> ();
  # Whatever lies in the range goes (nothing there is fine). noSpace if cutting a region in two
  # needs room that is not there (nothing changes then).

  protect @7 (space :UInt32, start :UInt64, pages :UInt64, rights :UInt8) -> ();
  # The pages of the range that lie in regions get `rights` (the others stay free). noSpace as
  # for unmap.

  move @8 (space :UInt32, from :UInt64, pages :UInt64, to :UInt64, more :UInt64,
           keep :Bool) -> ();
  # The regions of [from, +pages) (mapped throughout: else notFound) move to the free range at
  # `to` (not overlapping them: else invalidArgument; not free: exists), with their rights and
  # backing, and `more` pages follow them with the last one's. With `keep` the old range stays
  # as it was (its pages then count twice: a copy). noSpace over the budget.

  clear @9 (space :UInt32) -> ();
  # Every region goes (the address space stays, with its budget).

  place @10 (space :UInt32, pages :UInt64, lowest :UInt64, below :UInt64) -> (start :UInt64);
  # The highest free range of `pages` pages that starts at or above `lowest` and ends at or
  # below `below`. noSpace if there is none.

  fault @11 (space :UInt32, address :UInt64, access :Access) -> (result :FaultResult);
  # What a page fault at `address` (any byte) for `access` is: an access its region's rights
  # allow (resolve), outside every region (unmapped), or one they do not allow (denied).

  find @12 (space :UInt32, address :UInt64) -> (region :Region);
  # The first region that ends after `address`. notFound if none.

  info @13 (space :UInt32) -> (info :SpaceInfo);

  usage @14 () -> (usage :Usage);

  admit @15 (space :UInt32, start :UInt64, pages :UInt64) -> ();
  # Whether a region over [start, start + pages * 4096) that replaces what lies there (the
  # client unmaps it, then maps) leaves the space within its budget: the pages after it (those
  # now, less the ones it replaces, plus its own) at most the budget, else noSpace. So a space
  # over its budget is refused even a replacement of the same size. Changes nothing.

  attach @16 (space :UInt32, target :AddressSpace) -> ();
  # The kernel address space `space` stands for (a capability with Manage): memmgr keeps it
  # until close, and install, withdraw and pageIn act on it. exists if one is attached already.
  # A direct caller (memmgr in its own domain) lends its own handle and keeps it alive until
  # close; memmgr never deletes it.

  install @17 (space :UInt32, start :UInt64, pages :UInt64, rights :UInt8, memory :Memory,
               firstPage :UInt64) -> (kernel :UInt32);
  # Maps pages [firstPage, firstPage + pages) of `memory` at `start` in the attached address
  # space with `rights`, if every page of the range lies in a region whose rights include them;
  # else invalidArgument, as for a range not aligned, empty or wrapping, or rights other than
  # the three bits (nothing is mapped then). badHandle: no address space attached. `kernel` is
  # the kernel's answer to the mapping (a core Status: 0 is Ok), as it gave it. memmgr gives
  # `memory` back either way (the mapping holds the object); a direct caller's stays its own.

  withdraw @18 (space :UInt32, start :UInt64, pages :UInt64) -> (kernel :UInt32);
  # Removes the attached address space's mappings inside the range (the core's unmap), wherever
  # memmgr's regions are: taking a mapping away never gives a process more. `kernel`, the
  # errors and badHandle as for install.

  pageIn @19 (space :UInt32, address :UInt64, access :Access) -> (result :FaultResult,
                                                                   kernel :UInt32);
  # A user-level pager's fault: what fault answers, and for resolve the fault resolved in the
  # attached address space as kernel paging would (the core's space_resolve_fault, whose answer
  # is `kernel`).
}

interface AddressSpace {}
# A kernel address space capability (the core's Space), carried to attach.

interface Memory {}
# A kernel memory object capability (the core's MemoryObject), lent to install.

enum Backing {
  private @0;
  # Memory of this address space's own: a copy's is copied (copy-on-write).
  shared @1;
  # Memory an address space's copies share.
  file @2;
  # A file's memory, shared with the file.
}

enum Access {
  read @0;
  write @1;
  execute @2;
}

enum FaultResult {
  resolve @0;
  unmapped @1;
  denied @2;
}

struct Region {
  start @0 :UInt64;
  pages @1 :UInt64;
  rights @2 :UInt8;
  backing @3 :Backing;
}

struct SpaceInfo {
  pages @0 :UInt64;
  # Pages the regions span.
  budget @1 :UInt64;
  regions @2 :UInt32;
}

struct Usage {
  spaces @0 :UInt32;
  # Address spaces open.
  regions @1 :UInt32;
  # Regions recorded, in every address space.
  pages @2 :UInt64;
  # Pages the regions span, in every address space.
  maxSpaces @3 :UInt32;
  maxRegions @4 :UInt32;
}
