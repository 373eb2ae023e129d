// ramfs: a file system in memory (the FileSystem interface of ramfs.capnp).
//
// Nodes live in a fixed table; a node id is its index plus a generation count, so an id of a
// removed node is refused (badHandle) even after its slot is reused. File data lives in
// extents of kExtentPages pages, each a memory object mapped into the domain, allocated when
// first written; a hole reads as zeros.
#pragma once

#include "svc/lib/service.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::svc::ramfs {

using fs::FileSystem;

class RamfsService final : public svc::Service, public FileSystem::Server {
 public:
  static constexpr uint32_t kMaxNodes = 256;
  static constexpr uint32_t kNameMax = 63;
  static constexpr uint32_t kExtentPages = 4;
  static constexpr uint64_t kExtentBytes = kExtentPages * 4096;
  static constexpr uint32_t kExtentsPerFile = 64;  // files up to 1 MiB
  static constexpr uint32_t kMaxExtents = 1024;

  rpc::Status start(svc::Env& env) override;

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

 private:
  static constexpr uint32_t kNone = ~0u;
  static constexpr uint16_t kNoExtent = 0xffff;

  struct Node {
    bool used;
    fs::NodeKind kind;
    uint32_t generation;
    uint32_t parent;
    uint32_t first_child;
    uint32_t next_sibling;
    uint32_t children;
    uint32_t name_size;
    char name[kNameMax];
    uint64_t size;
    uint16_t extents[kExtentsPerFile];
  };

  // A path split at its last component.
  struct Split {
    uint32_t parent;
    const char* name;
    uint32_t name_size;
  };

  uint64_t id_of(uint32_t index) const;
  rpc::Status node_of(uint64_t id, uint32_t* index) const;
  rpc::Status resolve(const char* path, uint32_t size, uint32_t* index) const;
  rpc::Status split(const char* path, uint32_t size, Split* out) const;
  uint32_t child(uint32_t dir, const char* name, uint32_t name_size) const;
  void link(uint32_t dir, uint32_t index);
  void unlink(uint32_t index);
  void release(uint32_t index);
  void info(uint32_t index, fs::NodeInfo& out) const;
  void drop_data_from(Node& node, uint64_t size);
  // The extent of `node` that holds its bytes [which * kExtentBytes, ...), allocated if it has
  // none yet.
  rpc::Status extent_for_write(Node& node, uint32_t which, uint8_t** base);

  Node nodes_[kMaxNodes];
  uint32_t used_nodes_ = 0;
  svc::Extent extents_[kMaxExtents];
  uint32_t used_extents_ = 0;
};

}  // namespace hmk::svc::ramfs
