@0xd99734123f6166d5;
# The file system interface, served by ramfs (files in memory) and by vfs (which forwards each
# call to the file system mounted at the path).
#
# Nodes are named by 64-bit ids that stay valid until the node is removed (its last name goes);
# a stale id gets badHandle. A file or symbolic link may have several names (link), a directory
# has exactly one. Paths are absolute ("/a/b"), with components of 1 to 63 bytes other than "."
# and ".."; a longer component is tooLong.
#
# A node has attributes (NodeInfo): permission bits, an owner and a group, and three times,
# which the file system keeps and never checks (who may do what is its clients' business). The
# file system has no clock: each call that changes something says when (`time`, nanoseconds
# since the epoch by the client's clock), and the times it changes take that value, as POSIX
# has them change: a new node's three times and its directory's mtime and ctime (create), a
# file's mtime and ctime (write, truncate), a node's ctime and its directories' mtime and ctime
# (remove, rename, link). Reads change no time (atime moves only by setattr).

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
$Hmk.namespace("hmk::svc::fs");

interface FileSystem {
  ping @0 () -> ();
  # Does nothing: the null call, for measuring the call path.

  create @1 (path :Text $Hmk.maxSize(256), kind :NodeKind, mode :UInt16, uid :UInt32, gid :UInt32, time :Int64) -> (node :UInt64);
  # Creates an empty file, directory or symbolic link with those attributes (`mode`: the
  # permission bits, 0o7777 at most; more is invalidArgument); its parent must exist.

  open @2 (path :Text $Hmk.maxSize(256)) -> (info :NodeInfo);
  # Looks a path up.

  read @3 (node :UInt64, offset :UInt64, length :UInt32) -> (data :Data $Hmk.maxSize(992));
  # Reads up to `length` (at most 992, the most a message carries) bytes at `offset`; fewer at
  # the end of the file.

  write @4 (node :UInt64, offset :UInt64, data :Data $Hmk.maxSize(992), time :Int64) -> (written :UInt32);
  # Writes at `offset`, growing the file; a gap reads as zeros. A file holds at most the file
  # system's limit (ramfs: 32 MiB): a write across it stores what fits (`written` says how much),
  # one at or past it is tooLong. Running out of memory part way is a short write too; a write
  # that stores nothing for want of memory is noSpace. A write of no bytes changes nothing,
  # wherever it points.

  truncate @5 (node :UInt64, size :UInt64, time :Int64) -> ();
  # Sets the file's size; bytes past a shrink are gone. Past the size limit: tooLong.

  stat @6 (node :UInt64) -> (info :NodeInfo);

  list @7 (node :UInt64, cookie :UInt32) -> (entries :List(DirEntry) $Hmk.maxSize(8), next :UInt32, done :Bool);
  # Lists a directory from `cookie` (0 for the start; an entry's `next` goes on after it); call
  # again with `next` until `done`. Cookies stay valid while names are added and removed: a
  # name there for the whole listing is listed exactly once. A node with several names in the
  # directory is listed under each.

  remove @8 (path :Text $Hmk.maxSize(256), time :Int64) -> ();
  # Removes a name: of a file or link (the node, and its bytes, go with its last name), or of an
  # empty directory.

  rename @9 (from :Text $Hmk.maxSize(256), to :Text $Hmk.maxSize(256), time :Int64) -> ();
  # Moves a name to `to`; an existing file or link at `to` loses that name (as remove), an
  # existing directory is not replaced (exists). When both name one node, nothing happens.

  usage @10 () -> (usage :Usage);
  # What the file system holds.

  link @11 (node :UInt64, to :Text $Hmk.maxSize(256), time :Int64) -> ();
  # Gives the file or symbolic link `node` one more name, `to`: its parent must exist and `to`
  # must not (exists). A directory keeps its one name (isDirectory). The node is named by its id,
  # not a path, so that a client holding only an open file (Linux's linkat of a descriptor) can
  # name it too; on vfs, `to` must lie in the file system the node is in (unsupported).

  setattr @12 (node :UInt64, change :Attributes) -> (info :NodeInfo);
  # Changes the attributes `change` names (setMode, setUid...) to its values, and the ctime to
  # `change.ctime` whatever is named: a client's chmod, chown and utimensat. A mode past 0o7777
  # is invalidArgument. The answer is the node as it is after.
}

struct Attributes {
  setMode @0 :Bool;
  setUid @1 :Bool;
  setGid @2 :Bool;
  setAtime @3 :Bool;
  setMtime @4 :Bool;
  # Which of the fields below to take.
  mode @5 :UInt16;
  uid @6 :UInt32;
  gid @7 :UInt32;
  atime @8 :Int64;
  mtime @9 :Int64;
  ctime @10 :Int64;
  # Always taken: the time of the change.
}

enum NodeKind {
  file @0;
  directory @1;
  symlink @2;
  # A symbolic link: its bytes (read, write, truncate, as a file's) are the path it names, which
  # the file system stores and never follows (paths here name nodes, links included).
}

struct NodeInfo {
  node @0 :UInt64;
  kind @1 :NodeKind;
  size @2 :UInt64;
  # Bytes in a file or link; entries in a directory.
  links @3 :UInt32;
  # How many names the node has: a file's or link's (1 or more: link adds, remove and rename over
  # it take away); always 1 for a directory, the root included ("." and ".." are not names here).
  mode @4 :UInt16;
  # The permission bits (rwx for owner, group and others; set-user-ID 0o4000, set-group-ID
  # 0o2000, sticky 0o1000). The root starts with 0o755, owner and group 0, times 0.
  uid @5 :UInt32;
  gid @6 :UInt32;
  atime @7 :Int64;
  mtime @8 :Int64;
  ctime @9 :Int64;
  # Nanoseconds since the epoch, as the calls that changed the node said.
}

struct DirEntry {
  name @0 :Text $Hmk.maxSize(63);
  node @1 :UInt64;
  kind @2 :NodeKind;
  next @3 :UInt32;
  # The cookie that goes on after this entry.
}

struct Usage {
  nodes @0 :UInt32;
  maxNodes @1 :UInt32;
  dataBytes @2 :UInt64;
  # Bytes of memory held for file data. ramfs counts every extent it holds (16 KiB each, 64 MiB
  # at most): a file's blocks and, for a file past 192 KiB, its index extent.
  names @3 :UInt32;
  maxNames @4 :UInt32;
  # Names in use (every node's but the root's) and the most there can be: each link takes one.
}
