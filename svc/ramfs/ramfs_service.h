// ramfs: a file system in memory (the FileSystem interface of ramfs.capnp).
//
// Nodes live in a fixed table; a node id is its index plus a generation count, so an id of a
// removed node is refused (badHandle) even after its slot is reused. Names live in a table of
// their own: each {the directory it is in, its bytes, the node it names}, chained in their
// directory; a file or link may have several (link), a directory has one, the root none. A node
// counts its names and goes with the last. File data lives in extents of kExtentPages pages,
// each a memory object mapped into the domain, allocated when first written; a hole reads as
// zeros. Each node keeps its attributes (permission bits, owner, group, times) as the calls
// that made and changed it said; ramfs checks none of them.
#pragma once

#include "svc/lib/service.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::svc::ramfs {

using fs::FileSystem;

class RamfsService final : public svc::Service, public FileSystem::Server {
 public:
  static constexpr uint32_t kMaxNodes = 256;
  // Every node but the root has a name; the rest are second names (link).
  static constexpr uint32_t kMaxNames = 2 * kMaxNodes;
  static constexpr uint32_t kNameMax = 63;
  static constexpr uint16_t kModeBits = 07777;  // the permission bits a node keeps
  static constexpr uint32_t kExtentPages = 4;
  static constexpr uint64_t kExtentBytes = kExtentPages * 4096;
  static constexpr uint32_t kExtentsPerFile = 256;  // files up to 4 MiB
  static constexpr uint32_t kMaxExtents = 1024;

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
  static constexpr uint16_t kNoExtent = 0xffff;

  struct Node {
    bool used;
    fs::NodeKind kind;
    uint32_t generation;
    uint32_t links;     // names naming it (the root counts 1: it is the file system's own)
    uint32_t parent;    // a directory's: the directory its one name is in (the root: itself)
    uint32_t first;     // a directory's: its first name (kNone when empty)
    uint32_t children;  // a directory's: how many names it holds
    uint64_t size;
    uint16_t mode;  // the permission bits
    uint32_t uid;
    uint32_t gid;
    int64_t atime;
    int64_t mtime;
    int64_t ctime;
    uint16_t extents[kExtentsPerFile];
  };

  // A name: `bytes` in the directory `dir`, for `node`. A free slot has dir == kNone. Its slot
  // never changes while it exists (rename moves it in place): listing cookies are slots.
  struct Name {
    uint32_t dir;
    uint32_t node;
    uint32_t next;  // the next name in `dir` (kNone ends)
    uint32_t size;
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
  void drop_data_from(Node& node, uint64_t size);
  // The extent of `node` that holds its bytes [which * kExtentBytes, ...), allocated if it has
  // none yet.
  rpc::Status extent_for_write(Node& node, uint32_t which, uint8_t** base);

  Node nodes_[kMaxNodes];
  uint32_t used_nodes_ = 0;
  Name names_[kMaxNames];
  uint32_t used_names_ = 0;
  svc::Extent extents_[kMaxExtents];
  uint32_t used_extents_ = 0;
};

}  // namespace hmk::svc::ramfs
