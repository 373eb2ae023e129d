// ramfs (ramfs_service.h).
#include "svc/ramfs/ramfs_service.h"

#include "core/lib/string.h"

namespace hmk::svc::ramfs {
namespace {

constexpr uint32_t kRoot = 0;

void copy(void* dst, const void* src, uint64_t n) {
  mem_copy(dst, src, n);
}

void zero(void* dst, uint64_t n) {
  mem_set(dst, 0, n);
}

bool same(const char* a, uint32_t a_size, const char* b, uint32_t b_size) {
  if (a_size != b_size) return false;
  for (uint32_t i = 0; i < a_size; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

// The tables live in the service object, part of a domain's program or of the kernel's image:
// they stay within 1.25 MiB (1.1 MiB: nodes with their attributes 384 KiB, names 608, extents
// 128).
static_assert(sizeof(RamfsService) <= (5 << 20) / 4);

rpc::Status RamfsService::start(svc::Env&) {
  for (Node& n : nodes_) {
    n.used = false;
    n.generation = 0;
  }
  for (Name& n : names_)
    n.dir = kNone;
  Node& root = nodes_[kRoot];
  root.used = true;
  root.kind = fs::NodeKind::kDirectory;
  root.generation = 1;
  root.links = 1;
  root.parent = kRoot;
  root.first = kNone;
  root.children = 0;
  root.size = 0;
  root.index = kNoExtent;
  root.mode = 0755;
  root.uid = root.gid = 0;
  root.atime = root.mtime = root.ctime = 0;
  used_nodes_ = 1;
  node_hint_ = 1;
  used_names_ = 0;
  name_hint_ = 0;
  return rpc::Status::kOk;
}

void RamfsService::stop() {
  for (Node& node : nodes_) {
    if (node.used) drop_data_from(node, 0);
  }
}

uint64_t RamfsService::id_of(uint32_t index) const {
  return static_cast<uint64_t>(nodes_[index].generation) << 32 | index;
}

rpc::Status RamfsService::node_of(uint64_t id, uint32_t* index) const {
  const uint64_t i = id & 0xffffffff;
  if (i >= kMaxNodes || !nodes_[i].used || nodes_[i].generation != id >> 32)
    return rpc::Status::kBadHandle;
  *index = static_cast<uint32_t>(i);
  return rpc::Status::kOk;
}

uint32_t RamfsService::child(uint32_t dir, const char* name, uint32_t name_size) const {
  // bound: the directory's names, at most kMaxNames
  for (uint32_t c = nodes_[dir].first; c != kNone; c = names_[c].next)
    if (same(names_[c].bytes, names_[c].size, name, name_size)) return c;
  return kNone;
}

// Walks `path` component by component. Every component must name a directory except the last.
rpc::Status RamfsService::resolve(const char* path, uint32_t size, uint32_t* index,
                                  uint32_t* name) const {
  if (size == 0 || path[0] != '/') return rpc::Status::kInvalidArgument;
  uint32_t at = kRoot;
  uint32_t via = kNone;
  uint32_t i = 1;
  while (i < size) {
    uint32_t end = i;
    while (end < size && path[end] != '/')
      ++end;
    const uint32_t n = end - i;
    if (n == 0 && end == size) break;  // a trailing slash
    if (n == 0) return rpc::Status::kInvalidArgument;
    if (n > kNameMax) return rpc::Status::kTooLong;  // no such name can exist
    if ((n == 1 && path[i] == '.') || (n == 2 && path[i] == '.' && path[i + 1] == '.'))
      return rpc::Status::kInvalidArgument;
    if (nodes_[at].kind != fs::NodeKind::kDirectory) return rpc::Status::kNotDirectory;
    via = child(at, path + i, n);
    if (via == kNone) return rpc::Status::kNotFound;
    at = names_[via].node;
    i = end + 1;
  }
  *index = at;
  if (name != nullptr) *name = via;
  return rpc::Status::kOk;
}

// Splits "/a/b/c" into the directory "/a/b" (resolved) and the name "c". It accepts exactly the
// paths resolve() does: one trailing slash, no empty component.
rpc::Status RamfsService::split(const char* path, uint32_t size, Split* out) const {
  if (size == 0 || path[0] != '/') return rpc::Status::kInvalidArgument;
  if (size > 1 && path[size - 1] == '/') --size;
  uint32_t slash = size - 1;
  while (path[slash] != '/')
    --slash;
  const uint32_t n = size - slash - 1;
  if (n == 0) return rpc::Status::kInvalidArgument;  // the root itself, or "//" at the end
  if (slash > 0 && path[slash - 1] == '/') return rpc::Status::kInvalidArgument;  // "//name"
  if (n > kNameMax) return rpc::Status::kTooLong;
  const char* name = path + slash + 1;
  if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
    return rpc::Status::kInvalidArgument;
  uint32_t parent = kRoot;
  if (slash > 0) {
    RPC_TRY(resolve(path, slash, &parent));
  }
  if (nodes_[parent].kind != fs::NodeKind::kDirectory) return rpc::Status::kNotDirectory;
  *out = Split{parent, name, n};
  return rpc::Status::kOk;
}

uint32_t RamfsService::free_name() const {
  uint32_t slot = name_hint_;
  while (slot < kMaxNames && names_[slot].dir != kNone)  // bound: kMaxNames
    ++slot;
  return slot;
}

void RamfsService::add_name(uint32_t slot, const Split& where, uint32_t node) {
  Name& name = names_[slot];
  name.dir = where.parent;
  name.node = node;
  name.size = static_cast<uint8_t>(where.name_size);
  copy(name.bytes, where.name, where.name_size);
  chain(slot);
  ++nodes_[node].links;
  ++used_names_;
  name_hint_ = slot + 1;  // it was the lowest free slot
}

void RamfsService::chain(uint32_t slot) {
  Node& dir = nodes_[names_[slot].dir];
  names_[slot].next = dir.first;
  dir.first = slot;
  ++dir.children;
}

void RamfsService::unchain(uint32_t slot) {
  Node& dir = nodes_[names_[slot].dir];
  uint32_t* at = &dir.first;
  while (*at != slot)  // bound: the directory's names, `slot` among them
    at = &names_[*at].next;
  *at = names_[slot].next;
  --dir.children;
}

void RamfsService::drop_name(uint32_t slot) {
  const uint32_t index = names_[slot].node;
  unchain(slot);
  names_[slot].dir = kNone;
  --used_names_;
  if (slot < name_hint_) name_hint_ = slot;
  // The node, and its bytes, stay while another name (a link) reaches them.
  if (--nodes_[index].links > 0) return;
  release(index);
}

void RamfsService::release(uint32_t index) {
  Node& node = nodes_[index];
  drop_data_from(node, 0);
  node.used = false;
  --used_nodes_;
  if (index < node_hint_) node_hint_ = index;
}

void RamfsService::info(uint32_t index, fs::NodeInfo& out) const {
  const Node& node = nodes_[index];
  out.node = id_of(index);
  out.kind = node.kind;
  out.size = node.kind == fs::NodeKind::kDirectory ? node.children : node.size;
  out.links = node.links;
  out.mode = node.mode;
  out.uid = node.uid;
  out.gid = node.gid;
  out.atime = node.atime;
  out.mtime = node.mtime;
  out.ctime = node.ctime;
}

void RamfsService::names_changed(uint32_t dir, int64_t time) {
  nodes_[dir].mtime = nodes_[dir].ctime = time;
}

uint16_t* RamfsService::index_entries(const Node& node) const {
  return reinterpret_cast<uint16_t*>(extents_[node.index].base);
}

uint16_t RamfsService::extent_at(const Node& node, uint32_t block) const {
  if (block < kDirectExtents) return node.direct[block];
  if (node.index == kNoExtent) return kNoExtent;
  return index_entries(node)[block - kDirectExtents];
}

// Visits only the blocks the file can have: every extent lies below its size.
void RamfsService::drop_data_from(Node& node, uint64_t size) {
  if (node.kind == fs::NodeKind::kDirectory) return;
  const uint64_t keep = (size + kExtentBytes - 1) / kExtentBytes;  // blocks with bytes below size
  const uint64_t end = (node.size + kExtentBytes - 1) / kExtentBytes;
  // The block `size` ends in keeps its head; its tail must read as zeros if the file grows.
  if (size % kExtentBytes != 0) {
    const uint16_t x = extent_at(node, static_cast<uint32_t>(keep - 1));
    const uint64_t within = size % kExtentBytes;
    if (x != kNoExtent) zero(extents_[x].base + within, kExtentBytes - within);
  }
  // bound: end - keep <= kExtentsPerFile blocks
  for (uint64_t b = keep; b < end && b < kDirectExtents; ++b)
    drop_extent(&node.direct[b]);
  if (node.index == kNoExtent) return;
  uint16_t* entries = index_entries(node);
  const uint64_t first = keep > kDirectExtents ? keep - kDirectExtents : 0;
  const uint64_t last = end > kDirectExtents ? end - kDirectExtents : 0;
  for (uint64_t e = first; e < last; ++e)  // bound: kIndexEntries
    drop_extent(&entries[e]);
  // The index goes with the last block it names.
  for (uint64_t e = 0; e < first; ++e)  // bound: kIndexEntries
    if (entries[e] != kNoExtent) return;
  drop_extent(&node.index);
}

rpc::Status RamfsService::new_extent(uint16_t* number) {
  uint32_t x = extent_hint_;
  while (x < kMaxExtents && extents_[x].base != nullptr)  // bound: kMaxExtents
    ++x;
  if (x == kMaxExtents) return rpc::Status::kNoSpace;
  RPC_TRY(svc::alloc_extent(kExtentPages, &extents_[x]));
  ++used_extents_;
  extent_hint_ = x + 1;  // it was the lowest free slot
  *number = static_cast<uint16_t>(x);
  return rpc::Status::kOk;
}

void RamfsService::drop_extent(uint16_t* number) {
  const uint16_t x = *number;
  if (x == kNoExtent) return;
  svc::free_extent(extents_[x]);
  --used_extents_;
  if (x < extent_hint_) extent_hint_ = x;
  *number = kNoExtent;
}

rpc::Status RamfsService::extent_for_write(Node& node, uint32_t block, uint8_t** base) {
  uint16_t* slot = nullptr;
  bool new_index = false;
  if (block < kDirectExtents) {
    slot = &node.direct[block];
  } else {
    if (node.index == kNoExtent) {
      RPC_TRY(new_extent(&node.index));
      mem_set(extents_[node.index].base, 0xff, kIndexEntries * sizeof(uint16_t));  // kNoExtent
      new_index = true;
    }
    slot = &index_entries(node)[block - kDirectExtents];
  }
  if (*slot == kNoExtent) {
    const rpc::Status s = new_extent(slot);
    // An index holds an entry in use, or it goes.
    if (s != rpc::Status::kOk && new_index) drop_extent(&node.index);
    RPC_TRY(s);
  }
  *base = extents_[*slot].base;
  return rpc::Status::kOk;
}

rpc::Status RamfsService::ping(const FileSystem::PingRequest&, FileSystem::PingResponse&,
                               const rpc::CallContext&) {
  return rpc::Status::kOk;
}

rpc::Status RamfsService::create(const FileSystem::CreateRequest& req,
                                 FileSystem::CreateResponse& resp, const rpc::CallContext&) {
  Split where;
  RPC_TRY(split(req.path.data, req.path.size, &where));
  if (child(where.parent, where.name, where.name_size) != kNone) return rpc::Status::kExists;
  if (req.mode > kModeBits) return rpc::Status::kInvalidArgument;
  uint32_t index = node_hint_;
  while (index < kMaxNodes && nodes_[index].used)  // bound: kMaxNodes
    ++index;
  if (index == kMaxNodes) return rpc::Status::kNoSpace;
  const uint32_t slot = free_name();
  if (slot == kMaxNames) return rpc::Status::kNoSpace;  // links took the names
  Node& node = nodes_[index];
  node.used = true;
  node.kind = req.kind;
  ++node.generation;
  node.links = 0;
  node.parent = where.parent;
  node.first = kNone;
  node.children = 0;
  node.size = 0;
  node.mode = req.mode;
  node.uid = req.uid;
  node.gid = req.gid;
  node.atime = node.mtime = node.ctime = req.time;
  node.index = kNoExtent;
  for (uint16_t& e : node.direct)
    e = kNoExtent;
  add_name(slot, where, index);
  names_changed(where.parent, req.time);
  ++used_nodes_;
  node_hint_ = index + 1;  // it was the lowest free slot
  resp.node = id_of(index);
  return rpc::Status::kOk;
}

rpc::Status RamfsService::open(const FileSystem::OpenRequest& req, FileSystem::OpenResponse& resp,
                               const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(resolve(req.path.data, req.path.size, &index));
  info(index, resp.info);
  return rpc::Status::kOk;
}

rpc::Status RamfsService::read(const FileSystem::ReadRequest& req, FileSystem::ReadResponse& resp,
                               const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  const Node& node = nodes_[index];
  if (node.kind == fs::NodeKind::kDirectory) return rpc::Status::kIsDirectory;
  uint64_t n = req.length < resp.data.kMax ? req.length : resp.data.kMax;
  if (req.offset >= node.size) n = 0;
  if (n > node.size - req.offset) n = node.size - req.offset;
  for (uint64_t done = 0; done < n;) {
    const uint64_t at = req.offset + done;
    const uint64_t which = at / kExtentBytes;
    const uint64_t within = at % kExtentBytes;
    const uint64_t chunk = n - done < kExtentBytes - within ? n - done : kExtentBytes - within;
    const uint16_t x = extent_at(node, static_cast<uint32_t>(which));
    if (x == kNoExtent) {
      zero(resp.data.data + done, chunk);
    } else {
      copy(resp.data.data + done, extents_[x].base + within, chunk);
    }
    done += chunk;
  }
  resp.data.size = static_cast<uint32_t>(n);
  return rpc::Status::kOk;
}

rpc::Status RamfsService::write(const FileSystem::WriteRequest& req,
                                FileSystem::WriteResponse& resp, const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  Node& node = nodes_[index];
  if (node.kind == fs::NodeKind::kDirectory) return rpc::Status::kIsDirectory;
  // Nothing to write changes nothing, wherever it points (Linux: a write of 0 bytes is 0).
  if (req.data.size == 0) {
    resp.written = 0;
    return rpc::Status::kOk;
  }
  // A write across the size limit stores what fits (a short count), as Linux writes up to a
  // file size limit; one that starts at it or past it stores nothing.
  const uint64_t limit = kMaxFileBytes;
  if (req.offset >= limit) return rpc::Status::kTooLong;
  const uint64_t size = req.data.size < limit - req.offset ? req.data.size : limit - req.offset;
  // Running out of extents part way is a short write; only a write that stored nothing fails.
  rpc::Status s = rpc::Status::kOk;
  uint64_t done = 0;
  while (done < size) {  // bound: size / kExtentBytes + 2 extents
    const uint64_t at = req.offset + done;
    const uint64_t which = at / kExtentBytes;
    const uint64_t within = at % kExtentBytes;
    const uint64_t left = size - done;
    const uint64_t chunk = left < kExtentBytes - within ? left : kExtentBytes - within;
    uint8_t* base = nullptr;
    s = extent_for_write(node, static_cast<uint32_t>(which), &base);
    if (s != rpc::Status::kOk) break;
    copy(base + within, req.data.data + done, chunk);
    done += chunk;
  }
  if (done == 0) return s;
  if (req.offset + done > node.size) node.size = req.offset + done;
  node.mtime = node.ctime = req.time;
  resp.written = static_cast<uint32_t>(done);
  return rpc::Status::kOk;
}

rpc::Status RamfsService::truncate(const FileSystem::TruncateRequest& req,
                                   FileSystem::TruncateResponse&, const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  Node& node = nodes_[index];
  if (node.kind == fs::NodeKind::kDirectory) return rpc::Status::kIsDirectory;
  if (req.size > kMaxFileBytes) return rpc::Status::kTooLong;
  if (req.size < node.size) drop_data_from(node, req.size);
  node.size = req.size;
  node.mtime = node.ctime = req.time;
  return rpc::Status::kOk;
}

rpc::Status RamfsService::stat(const FileSystem::StatRequest& req, FileSystem::StatResponse& resp,
                               const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  info(index, resp.info);
  return rpc::Status::kOk;
}

rpc::Status RamfsService::list(const FileSystem::ListRequest& req, FileSystem::ListResponse& resp,
                               const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  if (nodes_[index].kind != fs::NodeKind::kDirectory) return rpc::Status::kNotDirectory;
  // Names are listed in the order of their slots in the table of names, and the cookie is the
  // slot to go on from (an entry's `next` is the slot after its own). A name keeps its slot
  // while it exists (rename moves it in place), so a listing survives names being added and
  // removed meanwhile, every name there throughout listed exactly once; a node with two names
  // here is listed under each.
  auto is_child = [&](uint32_t slot) { return names_[slot].dir == index; };
  uint32_t slot = req.cookie;
  resp.entries.size = 0;
  // bound: kMaxNames
  for (; slot < kMaxNames && resp.entries.size < resp.entries.kMax; ++slot) {
    if (!is_child(slot)) continue;
    const Name& name = names_[slot];
    fs::DirEntry& e = resp.entries.items[resp.entries.size++];
    copy(e.name.data, name.bytes, name.size);
    e.name.size = name.size;
    e.node = id_of(name.node);
    e.kind = nodes_[name.node].kind;
    e.next = slot + 1;
  }
  resp.next = slot;
  while (slot < kMaxNames && !is_child(slot))  // bound: kMaxNames
    ++slot;
  resp.done = slot >= kMaxNames;
  return rpc::Status::kOk;
}

rpc::Status RamfsService::remove(const FileSystem::RemoveRequest& req, FileSystem::RemoveResponse&,
                                 const rpc::CallContext&) {
  uint32_t index = 0;
  uint32_t name = kNone;
  RPC_TRY(resolve(req.path.data, req.path.size, &index, &name));
  if (index == kRoot) return rpc::Status::kInvalidArgument;
  if (nodes_[index].kind == fs::NodeKind::kDirectory && nodes_[index].children > 0)
    return rpc::Status::kNotEmpty;
  names_changed(names_[name].dir, req.time);
  nodes_[index].ctime = req.time;  // seen through its other names, if it has any
  drop_name(name);
  return rpc::Status::kOk;
}

rpc::Status RamfsService::rename(const FileSystem::RenameRequest& req, FileSystem::RenameResponse&,
                                 const rpc::CallContext&) {
  uint32_t from = 0;
  uint32_t moving = kNone;
  RPC_TRY(resolve(req.from.data, req.from.size, &from, &moving));
  if (from == kRoot) return rpc::Status::kInvalidArgument;
  Split to;
  RPC_TRY(split(req.to.data, req.to.size, &to));
  // A directory may not move below itself.
  // bound: the depth of the tree (each step is a directory's parent, nearer the root)
  for (uint32_t a = to.parent;; a = nodes_[a].parent) {
    if (a == from) return rpc::Status::kInvalidArgument;
    if (a == kRoot) break;
  }
  const uint32_t existing = child(to.parent, to.name, to.name_size);
  if (existing != kNone) {
    const uint32_t target = names_[existing].node;
    // The same name, or two names of one node: nothing to do (Linux's rename keeps both).
    if (target == from) return rpc::Status::kOk;
    if (nodes_[target].kind == fs::NodeKind::kDirectory ||
        nodes_[from].kind == fs::NodeKind::kDirectory)
      return rpc::Status::kExists;
    nodes_[target].ctime = req.time;
    drop_name(existing);  // the target node goes only if that was its last name
  }
  names_changed(names_[moving].dir, req.time);
  names_changed(to.parent, req.time);
  nodes_[from].ctime = req.time;
  // The name moves in place: its slot, the listing cookie, stays.
  unchain(moving);
  Name& name = names_[moving];
  name.dir = to.parent;
  name.size = static_cast<uint8_t>(to.name_size);
  copy(name.bytes, to.name, to.name_size);
  chain(moving);
  if (nodes_[from].kind == fs::NodeKind::kDirectory) nodes_[from].parent = to.parent;
  return rpc::Status::kOk;
}

rpc::Status RamfsService::usage(const FileSystem::UsageRequest&, FileSystem::UsageResponse& resp,
                                const rpc::CallContext&) {
  resp.usage.nodes = used_nodes_;
  resp.usage.max_nodes = kMaxNodes;
  resp.usage.data_bytes = used_extents_ * kExtentBytes;
  resp.usage.names = used_names_;
  resp.usage.max_names = kMaxNames;
  return rpc::Status::kOk;
}

rpc::Status RamfsService::link(const FileSystem::LinkRequest& req, FileSystem::LinkResponse&,
                               const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  Split where;
  RPC_TRY(split(req.to.data, req.to.size, &where));
  if (child(where.parent, where.name, where.name_size) != kNone) return rpc::Status::kExists;
  // A directory has one name: a second would give it two parents, and rename's check that a
  // directory does not move below itself would no longer keep the tree free of cycles.
  if (nodes_[index].kind == fs::NodeKind::kDirectory) return rpc::Status::kIsDirectory;
  const uint32_t slot = free_name();
  if (slot == kMaxNames) return rpc::Status::kNoSpace;
  add_name(slot, where, index);
  names_changed(where.parent, req.time);
  nodes_[index].ctime = req.time;
  return rpc::Status::kOk;
}

rpc::Status RamfsService::setattr(const FileSystem::SetattrRequest& req,
                                  FileSystem::SetattrResponse& resp, const rpc::CallContext&) {
  uint32_t index = 0;
  RPC_TRY(node_of(req.node, &index));
  const fs::Attributes& change = req.change;
  if (change.set_mode && change.mode > kModeBits) return rpc::Status::kInvalidArgument;
  Node& node = nodes_[index];
  if (change.set_mode) node.mode = change.mode;
  if (change.set_uid) node.uid = change.uid;
  if (change.set_gid) node.gid = change.gid;
  if (change.set_atime) node.atime = change.atime;
  if (change.set_mtime) node.mtime = change.mtime;
  node.ctime = change.ctime;
  info(index, resp.info);
  return rpc::Status::kOk;
}

}  // namespace hmk::svc::ramfs
