// vfs on the host, through the host service environment (svc/lib/test_env.h): what it forwards
// to the file system mounted at "/" (a fake that records each request, reached through a local
// channel) and what it answers itself; then vfs over a real ramfs through the loopback transport
// (a link's two names among what it reaches).
#include "svc/vfs/vfs_service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "svc/lib/test_env.h"
#include "svc/ramfs/ramfs_service.h"

namespace hmk::svc::vfs {
namespace {

using fs::NodeKind;
using rpc::Status;

constexpr uint64_t kMount1 = uint64_t{1} << 56;  // the tag of the first (and only) mount

// A file system that records what reaches it and answers what the test says.
class FakeFs final : public FileSystem::Server {
 public:
  Status answer = Status::kOk;
  int calls = 0;
  std::string method;
  std::string path, to;
  uint64_t node = 0, offset = 0, size = 0;
  uint32_t length = 0, cookie = 0;
  NodeKind kind = NodeKind::kFile;
  std::string data;
  int64_t time = 0;   // the `time` of the last call that changes something
  uint16_t mode = 0;  // create's
  uint32_t uid = 0, gid = 0;
  fs::Attributes change;  // setattr's

  Status ping(const FileSystem::PingRequest&, FileSystem::PingResponse&,
              const rpc::CallContext&) override {
    return called("ping");
  }
  Status create(const FileSystem::CreateRequest& req, FileSystem::CreateResponse& resp,
                const rpc::CallContext&) override {
    path = text(req.path);
    kind = req.kind;
    mode = req.mode;
    uid = req.uid;
    gid = req.gid;
    time = req.time;
    resp.node = 0x0000'0007'0000'0005;
    return called("create");
  }
  Status open(const FileSystem::OpenRequest& req, FileSystem::OpenResponse& resp,
              const rpc::CallContext&) override {
    path = text(req.path);
    resp.info.node = 0x0000'0003'0000'0009;
    resp.info.kind = NodeKind::kDirectory;
    resp.info.size = 4;
    resp.info.links = 1;
    return called("open");
  }
  Status read(const FileSystem::ReadRequest& req, FileSystem::ReadResponse& resp,
              const rpc::CallContext&) override {
    node = req.node;
    offset = req.offset;
    length = req.length;
    resp.data.size = 3;
    resp.data.data[0] = 'a';
    resp.data.data[1] = 'b';
    resp.data.data[2] = 'c';
    return called("read");
  }
  Status write(const FileSystem::WriteRequest& req, FileSystem::WriteResponse& resp,
               const rpc::CallContext&) override {
    node = req.node;
    offset = req.offset;
    data.assign(reinterpret_cast<const char*>(req.data.data), req.data.size);
    time = req.time;
    resp.written = req.data.size - 1;
    return called("write");
  }
  Status truncate(const FileSystem::TruncateRequest& req, FileSystem::TruncateResponse&,
                  const rpc::CallContext&) override {
    node = req.node;
    size = req.size;
    time = req.time;
    return called("truncate");
  }
  Status stat(const FileSystem::StatRequest& req, FileSystem::StatResponse& resp,
              const rpc::CallContext&) override {
    node = req.node;
    resp.info.node = req.node;
    resp.info.kind = NodeKind::kFile;
    resp.info.size = 77;
    resp.info.links = 3;
    return called("stat");
  }
  Status list(const FileSystem::ListRequest& req, FileSystem::ListResponse& resp,
              const rpc::CallContext&) override {
    node = req.node;
    cookie = req.cookie;
    resp.entries.size = 2;
    resp.entries.items[0].name.set("x");
    resp.entries.items[0].node = 0x0000'0001'0000'0011;
    resp.entries.items[1].name.set("y");
    resp.entries.items[1].node = 0x0000'0002'0000'0012;
    resp.entries.items[1].kind = NodeKind::kDirectory;
    resp.next = req.cookie + 2;
    resp.done = true;
    return called("list");
  }
  Status remove(const FileSystem::RemoveRequest& req, FileSystem::RemoveResponse&,
                const rpc::CallContext&) override {
    path = text(req.path);
    time = req.time;
    return called("remove");
  }
  Status rename(const FileSystem::RenameRequest& req, FileSystem::RenameResponse&,
                const rpc::CallContext&) override {
    path = text(req.from);
    to = text(req.to);
    time = req.time;
    return called("rename");
  }
  Status usage(const FileSystem::UsageRequest&, FileSystem::UsageResponse& resp,
               const rpc::CallContext&) override {
    resp.usage.nodes = 3;
    resp.usage.max_nodes = 10;
    resp.usage.data_bytes = 4096;
    resp.usage.names = 5;
    resp.usage.max_names = 20;
    return called("usage");
  }
  Status link(const FileSystem::LinkRequest& req, FileSystem::LinkResponse&,
              const rpc::CallContext&) override {
    node = req.node;
    to = text(req.to);
    time = req.time;
    return called("link");
  }
  Status setattr(const FileSystem::SetattrRequest& req, FileSystem::SetattrResponse& resp,
                 const rpc::CallContext&) override {
    node = req.node;
    change = req.change;
    resp.info.node = req.node;
    resp.info.mode = 0640;
    resp.info.ctime = 99;
    return called("setattr");
  }

 private:
  template <uint32_t N>
  static std::string text(const rpc::Text<N>& t) {
    return std::string(t.data, t.size);
  }
  Status called(const char* name) {
    ++calls;
    method = name;
    return answer;
  }
};

// A vfs with the fake mounted at "/", and a client of it.
struct Vfs {
  Vfs() {
    test::reset();
    test::provide("ramfs", FileSystem::local_channel(&fake));
    svc::Env env;
    REQUIRE(vfs.start(env) == Status::kOk);
    client = FileSystem::Client(FileSystem::local_channel(&vfs));
  }
  FakeFs fake;
  VfsService vfs;
  FileSystem::Client client;
};

template <uint32_t N>
void set(rpc::Text<N>& t, const std::string& s) {
  REQUIRE(t.set(s.c_str()));
}

TEST_CASE("vfs: without ramfs it does not start, and says why", "[vfs]") {
  test::reset();
  VfsService vfs;
  svc::Env env;
  REQUIRE(vfs.start(env) == Status::kNoService);
  REQUIRE(test::log_text() ==
          "vfs: no file system to mount (the manifest must let vfs use ramfs)\n");
}

TEST_CASE("vfs: ping is its own", "[vfs]") {
  Vfs v;
  FileSystem::PingResponse pong;
  REQUIRE(v.client.ping({}, pong) == Status::kOk);
  REQUIRE(v.fake.calls == 0);
}

TEST_CASE("vfs: calls by path go to the mount with the path as it is below it", "[vfs]") {
  Vfs v;
  {
    FileSystem::CreateRequest req;
    set(req.path, "/a/b");
    req.kind = NodeKind::kDirectory;
    req.mode = 01750;
    req.uid = 1000;
    req.gid = 100;
    req.time = 11;
    FileSystem::CreateResponse resp;
    REQUIRE(v.client.create(req, resp) == Status::kOk);
    REQUIRE(v.fake.method == "create");
    REQUIRE(v.fake.path == "/a/b");
    REQUIRE(v.fake.kind == NodeKind::kDirectory);
    REQUIRE(v.fake.mode == 01750);
    REQUIRE(v.fake.uid == 1000);
    REQUIRE(v.fake.gid == 100);
    REQUIRE(v.fake.time == 11);
    REQUIRE(resp.node == (kMount1 | 0x0000'0007'0000'0005));
  }
  {
    FileSystem::OpenRequest req;
    set(req.path, "/");
    FileSystem::OpenResponse resp;
    REQUIRE(v.client.open(req, resp) == Status::kOk);
    REQUIRE(v.fake.path == "/");
    REQUIRE(resp.info.node == (kMount1 | 0x0000'0003'0000'0009));
    REQUIRE(resp.info.kind == NodeKind::kDirectory);
    REQUIRE(resp.info.size == 4);
    REQUIRE(resp.info.links == 1);
  }
  {
    FileSystem::RemoveRequest req;
    set(req.path, "/a/b");
    req.time = 12;
    FileSystem::RemoveResponse resp;
    REQUIRE(v.client.remove(req, resp) == Status::kOk);
    REQUIRE(v.fake.method == "remove");
    REQUIRE(v.fake.path == "/a/b");
    REQUIRE(v.fake.time == 12);
  }
  {
    FileSystem::RenameRequest req;
    set(req.from, "/a");
    set(req.to, "/c/d");
    req.time = 13;
    FileSystem::RenameResponse resp;
    REQUIRE(v.client.rename(req, resp) == Status::kOk);
    REQUIRE(v.fake.method == "rename");
    REQUIRE(v.fake.path == "/a");
    REQUIRE(v.fake.to == "/c/d");
    REQUIRE(v.fake.time == 13);
  }
  {
    const std::string longest = "/" + std::string(VfsService::kPathMax - 1, 'p');
    FileSystem::OpenRequest req;
    set(req.path, longest);
    FileSystem::OpenResponse resp;
    REQUIRE(v.client.open(req, resp) == Status::kOk);
    REQUIRE(v.fake.path == longest);
  }
  REQUIRE(v.fake.calls == 5);
}

TEST_CASE("vfs: calls by node go to the node's mount with the mount's own id", "[vfs]") {
  Vfs v;
  const uint64_t inner = 0x0000'0004'0000'0021;
  const uint64_t outer = kMount1 | inner;
  {
    FileSystem::ReadRequest req;
    req.node = outer;
    req.offset = 1000;
    req.length = 300;
    FileSystem::ReadResponse resp;
    REQUIRE(v.client.read(req, resp) == Status::kOk);
    REQUIRE(v.fake.method == "read");
    REQUIRE(v.fake.node == inner);
    REQUIRE(v.fake.offset == 1000);
    REQUIRE(v.fake.length == 300);
    REQUIRE(std::string(reinterpret_cast<const char*>(resp.data.data), resp.data.size) == "abc");
  }
  {
    FileSystem::WriteRequest req;
    req.node = outer;
    req.offset = 7;
    req.data.size = 4;
    std::copy_n("wxyz", 4, req.data.data);
    req.time = 14;
    FileSystem::WriteResponse resp;
    REQUIRE(v.client.write(req, resp) == Status::kOk);
    REQUIRE(v.fake.node == inner);
    REQUIRE(v.fake.offset == 7);
    REQUIRE(v.fake.time == 14);
    REQUIRE(v.fake.data == "wxyz");
    REQUIRE(resp.written == 3);
  }
  {
    FileSystem::TruncateRequest req;
    req.node = outer;
    req.size = 123456;
    req.time = 15;
    FileSystem::TruncateResponse resp;
    REQUIRE(v.client.truncate(req, resp) == Status::kOk);
    REQUIRE(v.fake.node == inner);
    REQUIRE(v.fake.size == 123456);
    REQUIRE(v.fake.time == 15);
  }
  {
    FileSystem::StatRequest req;
    req.node = outer;
    FileSystem::StatResponse resp;
    REQUIRE(v.client.stat(req, resp) == Status::kOk);
    REQUIRE(v.fake.node == inner);
    REQUIRE(resp.info.node == outer);  // tagged again on the way back
    REQUIRE(resp.info.size == 77);
    REQUIRE(resp.info.links == 3);
  }
  {
    FileSystem::ListRequest req;
    req.node = outer;
    req.cookie = 5;
    FileSystem::ListResponse resp;
    REQUIRE(v.client.list(req, resp) == Status::kOk);
    REQUIRE(v.fake.node == inner);
    REQUIRE(v.fake.cookie == 5);
    REQUIRE(resp.entries.size == 2);
    REQUIRE(resp.entries.items[0].name.equals("x"));
    REQUIRE(resp.entries.items[0].node == (kMount1 | 0x0000'0001'0000'0011));
    REQUIRE(resp.entries.items[1].node == (kMount1 | 0x0000'0002'0000'0012));
    REQUIRE(resp.entries.items[1].kind == NodeKind::kDirectory);
    REQUIRE(resp.next == 7);
    REQUIRE(resp.done);
  }
  {
    FileSystem::UsageResponse resp;
    REQUIRE(v.client.usage({}, resp) == Status::kOk);
    REQUIRE(resp.usage.nodes == 3);
    REQUIRE(resp.usage.max_nodes == 10);
    REQUIRE(resp.usage.data_bytes == 4096);
    REQUIRE(resp.usage.names == 5);
    REQUIRE(resp.usage.max_names == 20);
  }
  {
    // A link names its node by id (the mount's own, as the others) and its new name by path.
    FileSystem::LinkRequest req;
    req.node = outer;
    set(req.to, "/c/d");
    req.time = 16;
    FileSystem::LinkResponse resp;
    REQUIRE(v.client.link(req, resp) == Status::kOk);
    REQUIRE(v.fake.method == "link");
    REQUIRE(v.fake.node == inner);
    REQUIRE(v.fake.to == "/c/d");
    REQUIRE(v.fake.time == 16);
  }
  {
    FileSystem::SetattrRequest req;
    req.node = outer;
    req.change.set_mode = true;
    req.change.mode = 0640;
    req.change.set_mtime = true;
    req.change.mtime = 17;
    req.change.ctime = 18;
    FileSystem::SetattrResponse resp;
    REQUIRE(v.client.setattr(req, resp) == Status::kOk);
    REQUIRE(v.fake.method == "setattr");
    REQUIRE(v.fake.node == inner);
    REQUIRE(v.fake.change.set_mode);
    REQUIRE(!v.fake.change.set_uid);
    REQUIRE(v.fake.change.mode == 0640);
    REQUIRE(v.fake.change.mtime == 17);
    REQUIRE(v.fake.change.ctime == 18);
    REQUIRE(resp.info.node == outer);  // tagged again on the way back
    REQUIRE(resp.info.mode == 0640);
    REQUIRE(resp.info.ctime == 99);
  }
  REQUIRE(v.fake.calls == 8);
}

TEST_CASE("vfs: the mount's errors come back as they are", "[vfs]") {
  Vfs v;
  for (uint32_t code = 1; code < rpc::kStatusCount; ++code) {
    const auto status = static_cast<Status>(code);
    INFO(rpc::status_name(status));
    v.fake.answer = status;
    FileSystem::CreateRequest create;
    set(create.path, "/x");
    FileSystem::CreateResponse created;
    CHECK(v.client.create(create, created) == status);
    FileSystem::ReadRequest read;
    read.node = kMount1 | 1;
    FileSystem::ReadResponse data;
    CHECK(v.client.read(read, data) == status);
    FileSystem::ListRequest list;
    list.node = kMount1 | 1;
    FileSystem::ListResponse entries;
    CHECK(v.client.list(list, entries) == status);
    FileSystem::UsageResponse usage;
    CHECK(v.client.usage({}, usage) == status);
    FileSystem::LinkRequest link;
    link.node = kMount1 | 1;
    set(link.to, "/y");
    FileSystem::LinkResponse linked;
    CHECK(v.client.link(link, linked) == status);
  }
}

TEST_CASE("vfs: its own errors, without a call to the mount", "[vfs]") {
  Vfs v;
  for (const char* bad : {"", "a", "a/b"}) {
    INFO("path '" << bad << "'");
    FileSystem::OpenRequest open;
    set(open.path, bad);
    FileSystem::OpenResponse info;
    CHECK(v.client.open(open, info) == Status::kInvalidArgument);
    FileSystem::CreateRequest create;
    set(create.path, bad);
    FileSystem::CreateResponse created;
    CHECK(v.client.create(create, created) == Status::kInvalidArgument);
    FileSystem::RemoveRequest remove;
    set(remove.path, bad);
    FileSystem::RemoveResponse removed;
    CHECK(v.client.remove(remove, removed) == Status::kInvalidArgument);
    FileSystem::RenameRequest rename;
    set(rename.from, bad);
    set(rename.to, "/ok");
    FileSystem::RenameResponse renamed;
    CHECK(v.client.rename(rename, renamed) == Status::kInvalidArgument);
    set(rename.from, "/ok");
    set(rename.to, bad);
    CHECK(v.client.rename(rename, renamed) == Status::kInvalidArgument);
    FileSystem::LinkRequest link;
    link.node = kMount1 | 1;
    set(link.to, bad);
    FileSystem::LinkResponse linked;
    CHECK(v.client.link(link, linked) == Status::kInvalidArgument);
  }
  // A node id without a mount's tag, or with the tag of a mount that does not exist.
  for (uint64_t id :
       {uint64_t{0x0000'0001'0000'0001}, uint64_t{2} << 56, uint64_t{0xff} << 56, ~uint64_t{0}}) {
    INFO("node id " << std::hex << id);
    FileSystem::ReadRequest read;
    read.node = id;
    FileSystem::ReadResponse data;
    CHECK(v.client.read(read, data) == Status::kBadHandle);
    FileSystem::WriteRequest write;
    write.node = id;
    FileSystem::WriteResponse written;
    CHECK(v.client.write(write, written) == Status::kBadHandle);
    FileSystem::TruncateRequest truncate;
    truncate.node = id;
    FileSystem::TruncateResponse truncated;
    CHECK(v.client.truncate(truncate, truncated) == Status::kBadHandle);
    FileSystem::StatRequest stat;
    stat.node = id;
    FileSystem::StatResponse info;
    CHECK(v.client.stat(stat, info) == Status::kBadHandle);
    FileSystem::ListRequest list;
    list.node = id;
    FileSystem::ListResponse entries;
    CHECK(v.client.list(list, entries) == Status::kBadHandle);
    FileSystem::LinkRequest link;
    link.node = id;
    set(link.to, "/ok");
    FileSystem::LinkResponse linked;
    CHECK(v.client.link(link, linked) == Status::kBadHandle);
  }
  REQUIRE(v.fake.calls == 0);
}

TEST_CASE("vfs over ramfs, both reached through the loopback transport", "[vfs][ramfs]") {
  test::reset();
  auto ramfs = std::make_unique<ramfs::RamfsService>();
  svc::Env env;
  REQUIRE(ramfs->start(env) == Status::kOk);
  test::provide("ramfs", test::loopback(static_cast<FileSystem::Server*>(ramfs.get()),
                                        &FileSystem::dispatch_erased, FileSystem::kInterfaceId));
  VfsService vfs;
  REQUIRE(vfs.start(env) == Status::kOk);
  const FileSystem::Client client(test::loopback(static_cast<FileSystem::Server*>(&vfs),
                                                 &FileSystem::dispatch_erased,
                                                 FileSystem::kInterfaceId));
  FileSystem::CreateRequest create;
  set(create.path, "/f");
  FileSystem::CreateResponse created;
  REQUIRE(client.create(create, created) == Status::kOk);
  REQUIRE(created.node >> 56 == 1);
  FileSystem::WriteRequest write;
  write.node = created.node;
  write.offset = ramfs::RamfsService::kMaxFileBytes - 2;  // ending exactly at ramfs's limit
  write.data.size = 2;
  std::copy_n("hi", 2, write.data.data);
  FileSystem::WriteResponse written;
  REQUIRE(client.write(write, written) == Status::kOk);
  write.offset += 2;  // starting at it
  REQUIRE(client.write(write, written) == Status::kTooLong);
  FileSystem::ReadRequest read;
  read.node = created.node;
  read.offset = ramfs::RamfsService::kMaxFileBytes - 3;
  read.length = 512;
  FileSystem::ReadResponse data;
  REQUIRE(client.read(read, data) == Status::kOk);
  REQUIRE(std::string(reinterpret_cast<const char*>(data.data.data), data.data.size) ==
          std::string("\0hi", 3));
  // A second name: the node's id as vfs gave it, found again under the new name with two names.
  FileSystem::LinkRequest link;
  link.node = created.node;
  set(link.to, "/g");
  FileSystem::LinkResponse linked;
  REQUIRE(client.link(link, linked) == Status::kOk);
  FileSystem::OpenRequest open;
  set(open.path, "/g");
  FileSystem::OpenResponse opened;
  REQUIRE(client.open(open, opened) == Status::kOk);
  REQUIRE(opened.info.node == created.node);
  REQUIRE(opened.info.links == 2);
  FileSystem::RemoveRequest remove;
  set(remove.path, "/f");
  FileSystem::RemoveResponse removed;
  REQUIRE(client.remove(remove, removed) == Status::kOk);
  FileSystem::StatRequest stat;
  stat.node = created.node;
  FileSystem::StatResponse info;
  REQUIRE(client.stat(stat, info) == Status::kOk);  // "/g" still names it
  REQUIRE(info.info.links == 1);
  set(remove.path, "/g");
  REQUIRE(client.remove(remove, removed) == Status::kOk);
  REQUIRE(client.stat(stat, info) == Status::kBadHandle);  // ramfs's answer, through vfs
  REQUIRE(test::loopback_calls() == 20);                   // 10 to vfs, each forwarded
  REQUIRE(test::live_extents() == 0);
}

}  // namespace
}  // namespace hmk::svc::vfs
