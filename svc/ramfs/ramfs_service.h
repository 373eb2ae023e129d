// ramfs: a file system in memory (the FileSystem interface of ramfs.capnp).
//
// Nodes live in a fixed table; a node id is its index plus a generation count, so an id of a
// removed node is refused (badHandle) even after its slot is reused. Names live in a table of
// their own: each {the directory it is in, its bytes, the node it names}, chained in their
// directory; a file or link may have several (link), a directory has one, the root none. A node
// counts its names and goes with the last. File data lives in extents of kExtentPages pages,
// each a block of memory from the domain (svc::alloc_extent), allocated when first written; a
// hole reads as zeros. A node names its first kDirectExtents extents itself; the rest of a file,
// up to kMaxFileBytes, through one index extent: an extent used as an array of extent numbers,
// allocated with the first block past the direct ones and freed when no such block is left.
// Each node keeps its attributes (permission bits, owner, group, times) as the calls that made
// and changed it said; ramfs checks none of them.
#pragma once

#include "svc/lib/service.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::svc::ramfs {

using fs::FileSystem;

class RamfsService final : public svc::Service, public FileSystem::Server {
 public:
  static constexpr uint32_t kMaxNodes = 4096;
  // Every node but the root has a name; the rest are second names (link).
  static constexpr uint32_t kMaxNames = 2 * kMaxNodes;
  static constexpr uint32_t kNameMax = 63;
  static constexpr uint16_t kModeBits = 07777;  // the permission bits a node keeps
  static constexpr uint32_t kExtentPages = 4;
  static constexpr uint64_t kExtentBytes = kExtentPages * 4096;
  // Files up to 32 MiB (as the Linux shim's own files): 2048 extents, the first 12 (192 KiB)
  // named by the node, the rest by its index extent.
  static constexpr uint64_t kMaxFileBytes = 32ull << 20;
  static constexpr uint32_t kExtentsPerFile = kMaxFileBytes / kExtentBytes;
  static constexpr uint32_t kDirectExtents = 12;
  static constexpr uint32_t kIndexEntries = kExtentsPerFile - kDirectExtents;
  // Every extent held, index extents included: 64 MiB.
  static constexpr uint32_t kMaxExtents = 4096;

  rpc::Status start(svc::Env& env) override;
  // Every file's bytes go back (the system is ending; in the kernel, they are charged to the
  // clients that wrote them). No call may follow.
  void stop() override;

  rpc::Status ping(const FileSystem::PingRequest& req, FileSystem::PingResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status create(const FileSystem::CreateRequest& req, FileSystem::CreateResponse& resp,
                     const rpc::CallContext& ctx) override;
  rpc::Status open(const FileSystem::OpenRequest& req, FileSystem::OpenResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status read(const FileSystem::ReadRequest& req, FileSystem::ReadResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status write(const FileSystem::WriteRequest& req, FileSystem::WriteResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status truncate(const FileSystem::TruncateRequest& req, FileSystem::TruncateResponse& resp,
                       const rpc::CallContext& ctx) override;
  rpc::Status stat(const FileSystem::StatRequest& req, FileSystem::StatResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status list(const FileSystem::ListRequest& req, FileSystem::ListResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status remove(const FileSystem::RemoveRequest& req, FileSystem::RemoveResponse& resp,
                     const rpc::CallContext& ctx) override;
  rpc::Status rename(const FileSystem::RenameRequest& req, FileSystem::RenameResponse& resp,
                     const rpc::CallContext& ctx) override;
  rpc::Status usage(const FileSystem::UsageRequest& req, FileSystem::UsageResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status link(const FileSystem::LinkRequest& req, FileSystem::LinkResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status setattr(const FileSystem::SetattrRequest& req, FileSystem::SetattrResponse& resp,
                      const rpc::CallContext& ctx) override;

 private:
  static constexpr uint32_t kNone = ~0u;
  // Extents are numbered by their slot in extents_ (uint16_t); all ones is none, so that an
  // index extent is emptied by setting every byte.
  static constexpr uint16_t kNoExtent = 0xffff;
  static_assert(kMaxExtents <= kNoExtent);
  static_assert(kMaxFileBytes % kExtentBytes == 0 && kIndexEntries > 0);
  static_assert(kIndexEntries * sizeof(uint16_t) <= kExtentBytes);

  // A file's or link's extents: block b (its bytes [b * kExtentBytes, ...)) is in direct[b]
  // below kDirectExtents, else in entry b - kDirectExtents of the index extent. Every extent a
  // node holds lies below its size, and it holds an index extent only while an entry is in use.
  struct Node {
    uint64_t size;
    int64_t atime;  // the times, as the calls that changed it said
    int64_t mtime;
    int64_t ctime;
    uint32_t generation;
    uint32_t links;     // names naming it (the root counts 1: it is the file system's own)
    uint32_t parent;    // a directory's: the directory its one name is in (the root: itself)
    uint32_t first;     // a directory's: its first name (kNone when empty)
    uint32_t children;  // a directory's: how many names it holds
    uint32_t uid;
    uint32_t gid;
    uint16_t mode;  // the permission bits
    fs::NodeKind kind;
    uint16_t index;  // the index extent, or kNoExtent
    bool used;
    uint16_t direct[kDirectExtents];
  };

  // A name: `bytes` in the directory `dir`, for `node`. A free slot has dir == kNone. Its slot
  // never changes while it exists (rename moves it in place): listing cookies are slots.
  struct Name {
    uint32_t dir;
    uint32_t node;
    uint32_t next;  // the next name in `dir` (kNone ends)
    uint8_t size;
    char bytes[kNameMax];
  };

  // A path split at its last component.
  struct Split {
    uint32_t parent;
    const char* name;
    uint32_t name_size;
  };

  uint64_t id_of(uint32_t index) const;
  rpc::Status node_of(uint64_t id, uint32_t* index) const;
  // The node `path` names, and the name it was found by (kNone for the root).
  rpc::Status resolve(const char* path, uint32_t size, uint32_t* index,
                      uint32_t* name = nullptr) const;
  rpc::Status split(const char* path, uint32_t size, Split* out) const;
  // The name `name` in `dir`, or kNone.
  uint32_t child(uint32_t dir, const char* name, uint32_t name_size) const;
  // The lowest free slot of names_, or kMaxNames when every one is taken.
  uint32_t free_name() const;
  // Makes the free slot `slot` the name `where` of `node`, and chains it in its directory.
  void add_name(uint32_t slot, const Split& where, uint32_t node);
  // Puts `slot` into, and takes it out of, the chain of its directory (names_[slot].dir).
  void chain(uint32_t slot);
  void unchain(uint32_t slot);
  // Removes the name in `slot`; its node goes with its last name.
  void drop_name(uint32_t slot);
  void release(uint32_t index);
  void info(uint32_t index, fs::NodeInfo& out) const;
  // A change of the names in `dir` at `time`: its mtime and ctime.
  void names_changed(uint32_t dir, int64_t time);
  // Frees every extent of `node` wholly at or past `size` (its index extent too once no block
  // past the direct ones is left) and zeroes the rest of the one `size` ends in.
  void drop_data_from(Node& node, uint64_t size);
  // The index extent's entries (`node` must have one).
  uint16_t* index_entries(const Node& node) const;
  // The extent holding block `block` of `node`, or kNoExtent (a hole).
  uint16_t extent_at(const Node& node, uint32_t block) const;
  // The extent of `node` that holds its block `block`, allocated if it has none yet (with the
  // index extent, if the block needs one and there is none).
  rpc::Status extent_for_write(Node& node, uint32_t block, uint8_t** base);
  // Allocates an extent into the lowest free slot of extents_; its number goes to *number.
  rpc::Status new_extent(uint16_t* number);
  // Frees the extent *number (kNoExtent: nothing) and makes *number kNoExtent.
  void drop_extent(uint16_t* number);

  Node nodes_[kMaxNodes];
  uint32_t used_nodes_ = 0;
  uint32_t node_hint_ = 0;  // no free slot of nodes_ below it
  Name names_[kMaxNames];
  uint32_t used_names_ = 0;
  uint32_t name_hint_ = 0;  // no free slot of names_ below it
  svc::Extent extents_[kMaxExtents];
  uint32_t used_extents_ = 0;
  uint32_t extent_hint_ = 0;  // no free slot of extents_ below it
};

}  // namespace hmk::svc::ramfs
