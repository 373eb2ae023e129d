// vfs (vfs_service.h).
#include "svc/vfs/vfs_service.h"

namespace hmk::svc::vfs {
namespace {

constexpr uint32_t kMountShift = 56;
constexpr uint64_t kInnerMask = (1ull << kMountShift) - 1;

}  // namespace

rpc::Status VfsService::start(svc::Env& env) {
  const FileSystem::Client ramfs(env.lookup("ramfs", FileSystem::kInterfaceId));
  if (ramfs.channel().kind() == rpc::Channel::Kind::kNone) {
    svc::log("vfs: no file system to mount (the manifest must let vfs use ramfs)\n");
    return rpc::Status::kNoService;
  }
  return mount("/", ramfs);
}

rpc::Status VfsService::mount(const char* prefix, const FileSystem::Client& backend) {
  if (mount_count_ == kMaxMounts) return rpc::Status::kNoSpace;
  Mount& m = mounts_[mount_count_];
  uint32_t n = 0;
  while (prefix[n] != '\0' && n < sizeof(m.prefix) - 1) {
    m.prefix[n] = prefix[n];
    ++n;
  }
  m.prefix_size = n;
  m.backend = backend;
  ++mount_count_;
  return rpc::Status::kOk;
}

rpc::Status VfsService::route(const rpc::Text<kPathMax>& path, uint32_t* which,
                              rpc::Text<kPathMax>* inner) const {
  if (path.size == 0 || path.data[0] != '/') return rpc::Status::kInvalidArgument;
  uint32_t best = mount_count_;
  uint32_t best_size = 0;
  for (uint32_t i = 0; i < mount_count_; ++i) {
    const Mount& m = mounts_[i];
    const bool root = m.prefix_size == 1;
    if (!root && (path.size < m.prefix_size ||
                  (path.size > m.prefix_size && path.data[m.prefix_size] != '/')))
      continue;
    bool match = true;
    for (uint32_t j = 0; j < m.prefix_size && match; ++j)
      match = path.data[j] == m.prefix[j];
    if (match && (best == mount_count_ || m.prefix_size > best_size)) {
      best = i;
      best_size = m.prefix_size;
    }
  }
  if (best == mount_count_) return rpc::Status::kNotFound;
  // "/mnt/x" below the mount "/mnt" is "/x" to its file system; the mount point itself is "/".
  const uint32_t skip = mounts_[best].prefix_size == 1 ? 0 : mounts_[best].prefix_size;
  inner->size = 0;
  if (skip == path.size) inner->data[inner->size++] = '/';
  for (uint32_t j = skip; j < path.size; ++j)
    inner->data[inner->size++] = path.data[j];
  *which = best;
  return rpc::Status::kOk;
}

rpc::Status VfsService::backend_node(uint64_t id, uint32_t* which, uint64_t* inner) const {
  const uint64_t tag = id >> kMountShift;
  if (tag == 0 || tag > mount_count_) return rpc::Status::kBadHandle;
  *which = static_cast<uint32_t>(tag - 1);
  *inner = id & kInnerMask;
  return rpc::Status::kOk;
}

uint64_t VfsService::outer_node(uint32_t which, uint64_t inner) {
  return static_cast<uint64_t>(which + 1) << kMountShift | (inner & kInnerMask);
}

rpc::Status VfsService::ping(const FileSystem::PingRequest&, FileSystem::PingResponse&,
                             const rpc::CallContext&) {
  return rpc::Status::kOk;
}

rpc::Status VfsService::create(const FileSystem::CreateRequest& req,
                               FileSystem::CreateResponse& resp, const rpc::CallContext&) {
  FileSystem::CreateRequest inner;
  uint32_t which = 0;
  RPC_TRY(route(req.path, &which, &inner.path));
  inner.kind = req.kind;
  inner.mode = req.mode;
  inner.uid = req.uid;
  inner.gid = req.gid;
  inner.time = req.time;
  RPC_TRY(mounts_[which].backend.create(inner, resp));
  resp.node = outer_node(which, resp.node);
  return rpc::Status::kOk;
}

rpc::Status VfsService::open(const FileSystem::OpenRequest& req, FileSystem::OpenResponse& resp,
                             const rpc::CallContext&) {
  FileSystem::OpenRequest inner;
  uint32_t which = 0;
  RPC_TRY(route(req.path, &which, &inner.path));
  RPC_TRY(mounts_[which].backend.open(inner, resp));
  resp.info.node = outer_node(which, resp.info.node);
  return rpc::Status::kOk;
}

rpc::Status VfsService::read(const FileSystem::ReadRequest& req, FileSystem::ReadResponse& resp,
                             const rpc::CallContext&) {
  FileSystem::ReadRequest inner = req;
  uint32_t which = 0;
  RPC_TRY(backend_node(req.node, &which, &inner.node));
  return mounts_[which].backend.read(inner, resp);
}

rpc::Status VfsService::write(const FileSystem::WriteRequest& req, FileSystem::WriteResponse& resp,
                              const rpc::CallContext&) {
  FileSystem::WriteRequest inner = req;
  uint32_t which = 0;
  RPC_TRY(backend_node(req.node, &which, &inner.node));
  return mounts_[which].backend.write(inner, resp);
}

rpc::Status VfsService::truncate(const FileSystem::TruncateRequest& req,
                                 FileSystem::TruncateResponse& resp, const rpc::CallContext&) {
  FileSystem::TruncateRequest inner = req;
  uint32_t which = 0;
  RPC_TRY(backend_node(req.node, &which, &inner.node));
  return mounts_[which].backend.truncate(inner, resp);
}

rpc::Status VfsService::stat(const FileSystem::StatRequest& req, FileSystem::StatResponse& resp,
                             const rpc::CallContext&) {
  FileSystem::StatRequest inner = req;
  uint32_t which = 0;
  RPC_TRY(backend_node(req.node, &which, &inner.node));
  RPC_TRY(mounts_[which].backend.stat(inner, resp));
  resp.info.node = outer_node(which, resp.info.node);
  return rpc::Status::kOk;
}

rpc::Status VfsService::list(const FileSystem::ListRequest& req, FileSystem::ListResponse& resp,
                             const rpc::CallContext&) {
  FileSystem::ListRequest inner = req;
  uint32_t which = 0;
  RPC_TRY(backend_node(req.node, &which, &inner.node));
  RPC_TRY(mounts_[which].backend.list(inner, resp));
  for (uint32_t i = 0; i < resp.entries.size; ++i)
    resp.entries.items[i].node = outer_node(which, resp.entries.items[i].node);
  return rpc::Status::kOk;
}

rpc::Status VfsService::remove(const FileSystem::RemoveRequest& req,
                               FileSystem::RemoveResponse& resp, const rpc::CallContext&) {
  FileSystem::RemoveRequest inner;
  uint32_t which = 0;
  RPC_TRY(route(req.path, &which, &inner.path));
  inner.time = req.time;
  return mounts_[which].backend.remove(inner, resp);
}

rpc::Status VfsService::rename(const FileSystem::RenameRequest& req,
                               FileSystem::RenameResponse& resp, const rpc::CallContext&) {
  FileSystem::RenameRequest inner;
  uint32_t from = 0;
  uint32_t to = 0;
  RPC_TRY(route(req.from, &from, &inner.from));
  RPC_TRY(route(req.to, &to, &inner.to));
  if (from != to) return rpc::Status::kUnsupported;  // no moves between file systems
  inner.time = req.time;
  return mounts_[from].backend.rename(inner, resp);
}

rpc::Status VfsService::usage(const FileSystem::UsageRequest&, FileSystem::UsageResponse& resp,
                              const rpc::CallContext&) {
  fs::Usage total;
  for (uint32_t i = 0; i < mount_count_; ++i) {
    FileSystem::UsageResponse one;
    RPC_TRY(mounts_[i].backend.usage(FileSystem::UsageRequest{}, one));
    total.nodes += one.usage.nodes;
    total.max_nodes += one.usage.max_nodes;
    total.data_bytes += one.usage.data_bytes;
    total.names += one.usage.names;
    total.max_names += one.usage.max_names;
  }
  resp.usage = total;
  return rpc::Status::kOk;
}

rpc::Status VfsService::link(const FileSystem::LinkRequest& req, FileSystem::LinkResponse& resp,
                             const rpc::CallContext&) {
  FileSystem::LinkRequest inner;
  uint32_t from = 0;
  uint32_t to = 0;
  RPC_TRY(backend_node(req.node, &from, &inner.node));
  RPC_TRY(route(req.to, &to, &inner.to));
  if (from != to) return rpc::Status::kUnsupported;  // no names across file systems, as rename
  inner.time = req.time;
  return mounts_[from].backend.link(inner, resp);
}

rpc::Status VfsService::setattr(const FileSystem::SetattrRequest& req,
                                FileSystem::SetattrResponse& resp, const rpc::CallContext&) {
  FileSystem::SetattrRequest inner = req;
  uint32_t which = 0;
  RPC_TRY(backend_node(req.node, &which, &inner.node));
  RPC_TRY(mounts_[which].backend.setattr(inner, resp));
  resp.info.node = outer_node(which, resp.info.node);
  return rpc::Status::kOk;
}

}  // namespace hmk::svc::vfs
