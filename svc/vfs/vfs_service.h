// vfs: the file name space. It serves the same FileSystem interface as the file systems it
// mounts and forwards each call to the one mounted at the path (the longest mount prefix), or
// that a node id came from: a client sees one tree whichever services make it up.
//
// Mounts come from the services the domain may use: "ramfs" at "/". A forwarded node id
// carries its mount's number in its top byte.
#pragma once

#include "svc/lib/service.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::svc::vfs {

using fs::FileSystem;

class VfsService final : public svc::Service, public FileSystem::Server {
 public:
  static constexpr uint32_t kMaxMounts = 4;
  static constexpr uint32_t kPathMax = 256;

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
  rpc::Status link(const FileSystem::LinkRequest& req, FileSystem::LinkResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status setattr(const FileSystem::SetattrRequest& req, FileSystem::SetattrResponse& resp,
                      const rpc::CallContext& ctx) override;

 private:
  struct Mount {
    char prefix[32];  // "/" or "/x/y" (no trailing slash)
    uint32_t prefix_size;
    FileSystem::Client backend;
  };

  rpc::Status mount(const char* prefix, const FileSystem::Client& backend);
  // The mount for `path` and the path below it (as the backend sees it) in `inner`.
  rpc::Status route(const rpc::Text<kPathMax>& path, uint32_t* which,
                    rpc::Text<kPathMax>* inner) const;
  rpc::Status backend_node(uint64_t id, uint32_t* which, uint64_t* inner) const;
  static uint64_t outer_node(uint32_t which, uint64_t inner);

  Mount mounts_[kMaxMounts];
  uint32_t mount_count_ = 0;
};

}  // namespace hmk::svc::vfs
