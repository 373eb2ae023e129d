// ramfs on the host, through the host service environment (svc/lib/test_env.h): every status
// each method can return, end of file, holes, files growing past their direct extents into the
// index extent and shrinking back, the 32 MiB file limit at its exact edge, the tables of nodes,
// names and extents running out, node generations, rename and remove, list paging (a listing that
// survives names going and coming), symbolic-link nodes, links (a node's several names, its bytes
// living until the last goes), attributes (kept as given, each change's time where POSIX puts
// it), stop. Each test runs twice: calling the service through a local channel (a direct call)
// and through the loopback transport (encoded, as over IPC).
#include "svc/ramfs/ramfs_service.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "svc/lib/test_env.h"

namespace hmk::svc::ramfs {
namespace {

using fs::NodeKind;
using rpc::Status;

constexpr uint64_t kLimit = RamfsService::kMaxFileBytes;
constexpr uint64_t kExtent = RamfsService::kExtentBytes;
// The first byte an index extent's block holds.
constexpr uint64_t kIndirect = RamfsService::kDirectExtents * kExtent;
static_assert(kLimit == 32 << 20);
static_assert(RamfsService::kExtentsPerFile * kExtent == kLimit);

std::string pattern(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (seed + i * 7) % 26);
  return s;
}

// A ramfs started in the host environment, and a client of it.
class Fs {
 public:
  explicit Fs(bool loopback) : loopback_(loopback), service_(std::make_unique<RamfsService>()) {
    test::reset();
    svc::Env env;
    REQUIRE(service_->start(env) == Status::kOk);
    FileSystem::Server* server = service_.get();
    client_ = FileSystem::Client(
        loopback ? test::loopback(server, &FileSystem::dispatch_erased, FileSystem::kInterfaceId)
                 : FileSystem::local_channel(server));
  }
  Fs(const Fs&) = delete;
  Fs& operator=(const Fs&) = delete;

  // Removes everything, deepest first, and requires that every extent went back: each test
  // ends with it, so each is a leak test.
  void finish() {
    test::fail_extents_after(-1);
    clear("/");
    REQUIRE(usage().nodes == 1);
    REQUIRE(usage().names == 0);
    REQUIRE(usage().data_bytes == 0);
    REQUIRE(test::live_extents() == 0);
    REQUIRE((test::loopback_calls() > 0) == loopback_);  // the transport it was meant to test
  }

  const FileSystem::Client& client() const { return client_; }
  RamfsService& service() { return *service_; }

  Status create(const std::string& path, NodeKind kind, uint64_t* node = nullptr) {
    FileSystem::CreateRequest req;
    REQUIRE(req.path.set(path.c_str()));
    req.kind = kind;
    FileSystem::CreateResponse resp;
    const Status s = client_.create(req, resp);
    if (node != nullptr) *node = s == Status::kOk ? resp.node : 0;
    return s;
  }
  uint64_t file(const std::string& path) {
    uint64_t node = 0;
    REQUIRE(create(path, NodeKind::kFile, &node) == Status::kOk);
    return node;
  }
  uint64_t dir(const std::string& path) {
    uint64_t node = 0;
    REQUIRE(create(path, NodeKind::kDirectory, &node) == Status::kOk);
    return node;
  }
  Status open(const std::string& path, fs::NodeInfo* info = nullptr) {
    FileSystem::OpenRequest req;
    REQUIRE(req.path.set(path.c_str()));
    FileSystem::OpenResponse resp;
    const Status s = client_.open(req, resp);
    if (info != nullptr) *info = resp.info;
    return s;
  }
  Status write(uint64_t node, uint64_t offset, const std::string& data,
               uint32_t* written = nullptr) {
    FileSystem::WriteRequest req;
    req.node = node;
    req.offset = offset;
    REQUIRE(data.size() <= req.data.kMax);
    req.data.size = static_cast<uint32_t>(data.size());
    std::copy(data.begin(), data.end(), req.data.data);
    FileSystem::WriteResponse resp;
    const Status s = client_.write(req, resp);
    if (written != nullptr) *written = resp.written;
    if (s == Status::kOk && written == nullptr) REQUIRE(resp.written == data.size());
    return s;
  }
  // Writes `data` of any length in calls of at most 512 bytes.
  void write_all(uint64_t node, uint64_t offset, const std::string& data) {
    for (size_t done = 0; done < data.size(); done += 512)
      REQUIRE(write(node, offset + done, data.substr(done, 512)) == Status::kOk);
  }
  Status read(uint64_t node, uint64_t offset, uint32_t length, std::string* out) {
    FileSystem::ReadRequest req;
    req.node = node;
    req.offset = offset;
    req.length = length;
    FileSystem::ReadResponse resp;
    resp.data.size = 12345;  // must be overwritten
    const Status s = client_.read(req, resp);
    if (s == Status::kOk) {
      REQUIRE(resp.data.size <= resp.data.kMax);
      out->assign(reinterpret_cast<const char*>(resp.data.data), resp.data.size);
    }
    return s;
  }
  std::string read_all(uint64_t node, uint64_t offset, uint64_t length) {
    std::string out;
    while (out.size() < length) {
      std::string part;
      const auto want = static_cast<uint32_t>(std::min<uint64_t>(512, length - out.size()));
      REQUIRE(read(node, offset + out.size(), want, &part) == Status::kOk);
      if (part.empty()) break;
      out += part;
    }
    return out;
  }
  Status truncate(uint64_t node, uint64_t size) {
    FileSystem::TruncateRequest req;
    req.node = node;
    req.size = size;
    FileSystem::TruncateResponse resp;
    return client_.truncate(req, resp);
  }
  Status stat(uint64_t node, fs::NodeInfo* info = nullptr) {
    FileSystem::StatRequest req;
    req.node = node;
    FileSystem::StatResponse resp;
    const Status s = client_.stat(req, resp);
    if (info != nullptr) *info = resp.info;
    return s;
  }
  uint64_t size_of(uint64_t node) {
    fs::NodeInfo info;
    REQUIRE(stat(node, &info) == Status::kOk);
    return info.size;
  }
  Status list(uint64_t node, uint32_t cookie, FileSystem::ListResponse* resp) {
    FileSystem::ListRequest req;
    req.node = node;
    req.cookie = cookie;
    return client_.list(req, *resp);
  }
  // Every entry's name, following the cookies; `calls` gets the number of list calls.
  std::vector<std::string> names(uint64_t node, int* calls = nullptr) {
    std::vector<std::string> out;
    uint32_t cookie = 0;
    // A full table of names in one directory takes kMaxNames / 8 pages, and a last call.
    constexpr uint32_t kMostCalls = RamfsService::kMaxNames / 8 + 1;
    for (uint32_t call = 1; call <= kMostCalls; ++call) {
      FileSystem::ListResponse resp;
      REQUIRE(list(node, cookie, &resp) == Status::kOk);
      for (uint32_t i = 0; i < resp.entries.size; ++i)
        out.emplace_back(resp.entries.items[i].name.data, resp.entries.items[i].name.size);
      cookie = resp.next;
      if (resp.done) {
        if (calls != nullptr) *calls = static_cast<int>(call);
        return out;
      }
    }
    FAIL("list never says done");
    return out;
  }
  Status remove(const std::string& path) {
    FileSystem::RemoveRequest req;
    REQUIRE(req.path.set(path.c_str()));
    FileSystem::RemoveResponse resp;
    return client_.remove(req, resp);
  }
  Status rename(const std::string& from, const std::string& to) {
    FileSystem::RenameRequest req;
    REQUIRE(req.from.set(from.c_str()));
    REQUIRE(req.to.set(to.c_str()));
    FileSystem::RenameResponse resp;
    return client_.rename(req, resp);
  }
  Status link(uint64_t node, const std::string& to) {
    FileSystem::LinkRequest req;
    req.node = node;
    REQUIRE(req.to.set(to.c_str()));
    FileSystem::LinkResponse resp;
    return client_.link(req, resp);
  }
  uint32_t links_of(uint64_t node) {
    fs::NodeInfo info;
    REQUIRE(stat(node, &info) == Status::kOk);
    return info.links;
  }
  // The node `path` names (0 if none).
  uint64_t node_at(const std::string& path) {
    fs::NodeInfo info;
    return open(path, &info) == Status::kOk ? info.node : 0;
  }
  fs::Usage usage() {
    FileSystem::UsageResponse resp;
    REQUIRE(client_.usage({}, resp) == Status::kOk);
    return resp.usage;
  }
  uint64_t root() {
    fs::NodeInfo info;
    REQUIRE(open("/", &info) == Status::kOk);
    return info.node;
  }

 private:
  void clear(const std::string& dir) {
    fs::NodeInfo info;
    REQUIRE(open(dir, &info) == Status::kOk);
    const std::string prefix = dir == "/" ? "/" : dir + "/";
    for (const std::string& name : names(info.node)) {
      fs::NodeInfo child;
      REQUIRE(open(prefix + name, &child) == Status::kOk);
      if (child.kind == NodeKind::kDirectory) clear(prefix + name);
      REQUIRE(remove(prefix + name) == Status::kOk);
    }
  }

  bool loopback_;
  std::unique_ptr<RamfsService> service_;
  FileSystem::Client client_;
};

bool loopback_or_local() {
  return GENERATE(false, true);
}

TEST_CASE("ping and usage of an empty file system", "[ramfs]") {
  Fs fs(loopback_or_local());
  FileSystem::PingResponse pong;
  REQUIRE(fs.client().ping({}, pong) == Status::kOk);
  const fs::Usage u = fs.usage();
  REQUIRE(u.nodes == 1);
  REQUIRE(u.max_nodes == RamfsService::kMaxNodes);
  REQUIRE(u.data_bytes == 0);
  REQUIRE(u.names == 0);
  REQUIRE(u.max_names == RamfsService::kMaxNames);
  fs::NodeInfo info;
  REQUIRE(fs.open("/", &info) == Status::kOk);
  REQUIRE(info.kind == NodeKind::kDirectory);
  REQUIRE(info.size == 0);
  fs.finish();
}

TEST_CASE("create: files, directories and every error", "[ramfs]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  const uint64_t f = fs.file("/d/f");
  REQUIRE(d != f);
  fs::NodeInfo info;
  REQUIRE(fs.open("/d/f", &info) == Status::kOk);
  REQUIRE(info.node == f);
  REQUIRE(info.kind == NodeKind::kFile);
  REQUIRE(info.size == 0);
  REQUIRE(fs.open("/d", &info) == Status::kOk);
  REQUIRE(info.kind == NodeKind::kDirectory);
  REQUIRE(info.size == 1);  // a directory's size is its entry count

  const std::string name63(RamfsService::kNameMax, 'n');
  REQUIRE(fs.create("/" + name63, NodeKind::kFile) == Status::kOk);
  REQUIRE(fs.open("/" + name63) == Status::kOk);
  REQUIRE(fs.create("/" + name63 + "x", NodeKind::kFile) == Status::kTooLong);
  // In the middle of a path too, an over-long component is tooLong (no such name exists).
  REQUIRE(fs.create("/" + name63 + "x/y", NodeKind::kFile) == Status::kTooLong);
  REQUIRE(fs.open("/" + name63 + "x") == Status::kTooLong);

  for (const char* bad : {"", "d", "/", "/.", "/..", "/d/.", "/d/..", "/./x", "/../x", "//x/y"})
    CHECK(fs.create(bad, NodeKind::kFile) == Status::kInvalidArgument);
  REQUIRE(fs.create("/missing/x", NodeKind::kFile) == Status::kNotFound);
  REQUIRE(fs.create("/d/f/x", NodeKind::kFile) == Status::kNotDirectory);
  REQUIRE(fs.create("/d/f/x/y", NodeKind::kDirectory) == Status::kNotDirectory);
  REQUIRE(fs.create("/d", NodeKind::kFile) == Status::kExists);
  REQUIRE(fs.create("/d/f", NodeKind::kDirectory) == Status::kExists);
  REQUIRE(fs.create("/d/", NodeKind::kDirectory) == Status::kExists);  // a trailing slash
  REQUIRE(fs.usage().nodes == 4);
  fs.finish();
}

TEST_CASE("symlink nodes: their bytes are the target, never followed, freed with the node",
          "[ramfs]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  uint64_t link = 0;
  REQUIRE(fs.create("/d/l", NodeKind::kSymlink, &link) == Status::kOk);
  fs.write_all(link, 0, "../elsewhere/" + std::string(3000, 't'));
  fs::NodeInfo info;
  REQUIRE(fs.open("/d/l", &info) == Status::kOk);
  CHECK(info.kind == NodeKind::kSymlink);
  CHECK(info.size == 3013);
  CHECK(fs.read_all(link, 0, 13) == "../elsewhere/");
  CHECK(fs.usage().data_bytes == kExtent);
  CHECK(fs.create("/d/l/x", NodeKind::kFile) == Status::kNotDirectory);  // not followed
  CHECK(fs.open("/d/l/x") == Status::kNotDirectory);
  FileSystem::ListResponse listed;
  CHECK(fs.list(link, 0, &listed) == Status::kNotDirectory);
  fs.dir("/e");
  CHECK(fs.truncate(link, 2) == Status::kOk);
  CHECK(fs.read_all(link, 0, 2) == "..");
  REQUIRE(fs.rename("/d/l", "/e/l") == Status::kOk);  // moved like a file
  REQUIRE(fs.remove("/e/l") == Status::kOk);
  CHECK(fs.usage().data_bytes == 0);  // its extent went with it
  fs.finish();
}

// The path a node is created under must be one open finds it by: an empty component before
// the last ("/d//x", "//x") or more than one trailing slash ("/d/x//") was skipped by create
// (and rename) and refused by open, so create made a node by a name no path could give.
TEST_CASE("bug: create accepts a path with an empty component that open refuses", "[ramfs][bug]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  for (const char* path : {"/d//x", "//x", "/d///x", "/d/x//", "/x//"}) {
    INFO(path);
    CHECK(fs.create(path, NodeKind::kFile) == Status::kInvalidArgument);
    CHECK(fs.rename("/d", path) == Status::kInvalidArgument);
  }
  REQUIRE(fs.open("/d/x") == Status::kNotFound);
  REQUIRE(fs.open("/x") == Status::kNotFound);
  REQUIRE(fs.usage().nodes == 2);
  // Once the node exists, open refuses the same paths; one trailing slash is fine for both.
  REQUIRE(fs.create("/d/x/", NodeKind::kDirectory) == Status::kOk);
  REQUIRE(fs.open("/d/x/") == Status::kOk);
  REQUIRE(fs.open("/d/x") == Status::kOk);
  for (const char* path : {"/d//x", "//d/x", "/d/x//"}) {
    INFO(path);
    CHECK(fs.open(path) == Status::kInvalidArgument);
  }
  fs.finish();
}

// Spread over directories, so that no directory's chain of names is the whole table.
constexpr uint32_t kSpread = 32;

TEST_CASE("create: exactly kMaxNodes nodes, then kNoSpace", "[ramfs][limit]") {
  Fs fs(loopback_or_local());
  for (uint32_t d = 0; d < kSpread; ++d)
    fs.dir("/d" + std::to_string(d));
  uint64_t middle = 0;
  for (uint32_t i = 1 + kSpread; i < RamfsService::kMaxNodes; ++i) {
    const std::string path = "/d" + std::to_string(i % kSpread) + "/n" + std::to_string(i);
    REQUIRE(fs.create(path, NodeKind::kFile, i == 1000 ? &middle : nullptr) == Status::kOk);
  }
  REQUIRE(fs.usage().nodes == RamfsService::kMaxNodes);
  REQUIRE(fs.create("/one_more", NodeKind::kFile) == Status::kNoSpace);
  REQUIRE(fs.create("/d0/one_more", NodeKind::kDirectory) == Status::kNoSpace);
  REQUIRE(fs.open("/one_more") == Status::kNotFound);
  REQUIRE(fs.usage().names == RamfsService::kMaxNodes - 1);
  // A node removed from the middle of the table: the next one takes its slot.
  REQUIRE(fs.remove("/d8/n1000") == Status::kOk);
  uint64_t again = 0;
  REQUIRE(fs.create("/one_more", NodeKind::kFile, &again) == Status::kOk);
  REQUIRE((again & 0xffffffff) == (middle & 0xffffffff));
  REQUIRE(fs.create("/two_more", NodeKind::kFile) == Status::kNoSpace);
  fs.finish();
}

TEST_CASE("open: every error", "[ramfs]") {
  Fs fs(loopback_or_local());
  fs.file("/f");
  REQUIRE(fs.open("") == Status::kInvalidArgument);
  REQUIRE(fs.open("f") == Status::kInvalidArgument);
  REQUIRE(fs.open("/.") == Status::kInvalidArgument);
  REQUIRE(fs.open("//") == Status::kInvalidArgument);
  REQUIRE(fs.open("/" + std::string(RamfsService::kNameMax + 1, 'x')) == Status::kTooLong);
  REQUIRE(fs.open("/g") == Status::kNotFound);
  REQUIRE(fs.open("/f/g") == Status::kNotDirectory);
  fs.finish();
}

TEST_CASE("read: end of file, past it, straddling it", "[ramfs][eof]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  const std::string data = pattern(1000, 1);
  fs.write_all(f, 0, data);
  REQUIRE(fs.size_of(f) == 1000);
  std::string out;
  REQUIRE(fs.read(f, 0, 512, &out) == Status::kOk);
  REQUIRE(out == data.substr(0, 512));
  REQUIRE(fs.read(f, 990, 512, &out) == Status::kOk);  // straddles the end
  REQUIRE(out == data.substr(990));
  REQUIRE(fs.read(f, 999, 2, &out) == Status::kOk);
  REQUIRE(out == data.substr(999));
  REQUIRE(fs.read(f, 1000, 512, &out) == Status::kOk);  // at the end
  REQUIRE(out.empty());
  REQUIRE(fs.read(f, 1001, 512, &out) == Status::kOk);  // past it, in the same extent
  REQUIRE(out.empty());
  for (uint64_t far : {kExtent, kLimit - 1, kLimit, kLimit + 1, uint64_t{1} << 63, ~uint64_t{0}}) {
    INFO("offset " << far);
    REQUIRE(fs.read(f, far, 512, &out) == Status::kOk);
    REQUIRE(out.empty());
  }
  REQUIRE(fs.read(f, 0, 0, &out) == Status::kOk);
  REQUIRE(out.empty());
  // At most a message's Data (992 bytes) a call, whatever the length asks.
  constexpr uint32_t kData = decltype(FileSystem::ReadResponse::data)::kMax;
  static_assert(kData == 992);
  REQUIRE(fs.read(f, 0, kData + 1, &out) == Status::kOk);
  REQUIRE(out.size() == kData);
  REQUIRE(fs.read(f, 0, ~0u, &out) == Status::kOk);
  REQUIRE(out.size() == kData);
  fs.finish();
}

TEST_CASE("read: at and past the end of a file of exactly 32 MiB", "[ramfs][eof][limit]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  REQUIRE(fs.write(f, kLimit - 10, pattern(10, 3)) == Status::kOk);
  REQUIRE(fs.size_of(f) == kLimit);
  std::string out;
  REQUIRE(fs.read(f, kLimit - 10, 512, &out) == Status::kOk);
  REQUIRE(out == pattern(10, 3));
  REQUIRE(fs.read(f, kLimit, 512, &out) == Status::kOk);
  REQUIRE(out.empty());
  REQUIRE(fs.read(f, kLimit + kExtent, 512, &out) == Status::kOk);
  REQUIRE(out.empty());
  REQUIRE(fs.read(f, 0, 512, &out) == Status::kOk);  // the hole before the data
  REQUIRE(out == std::string(512, '\0'));
  fs.finish();
}

TEST_CASE("read, write, truncate, stat, list: node ids that are not (or no longer) valid",
          "[ramfs][generation]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  const uint64_t index = f & 0xffffffff;
  const uint64_t generation = f >> 32;
  std::string out;
  FileSystem::ListResponse listing;
  const std::vector<uint64_t> bad = {
      0,                                             // index 0, generation 0: not the root's
      f + (uint64_t{1} << 32),                       // a generation to come
      (generation << 32) | (index + 1),              // a free slot
      (generation << 32) | RamfsService::kMaxNodes,  // past the table
      (generation << 32) | 0xffffffff,
      ~uint64_t{0},
  };
  for (uint64_t id : bad) {
    INFO("node id " << std::hex << id);
    CHECK(fs.read(id, 0, 1, &out) == Status::kBadHandle);
    CHECK(fs.write(id, 0, "x") == Status::kBadHandle);
    CHECK(fs.truncate(id, 0) == Status::kBadHandle);
    CHECK(fs.stat(id) == Status::kBadHandle);
    CHECK(fs.list(id, 0, &listing) == Status::kBadHandle);
  }
  // A removed node's id stays refused, also after its slot is reused.
  REQUIRE(fs.write(f, 0, "data") == Status::kOk);
  REQUIRE(fs.remove("/f") == Status::kOk);
  REQUIRE(fs.stat(f) == Status::kBadHandle);
  const uint64_t g = fs.file("/g");
  REQUIRE((g & 0xffffffff) == index);  // the same slot
  REQUIRE(g != f);
  CHECK(fs.read(f, 0, 1, &out) == Status::kBadHandle);
  CHECK(fs.write(f, 0, "x") == Status::kBadHandle);
  CHECK(fs.truncate(f, 0) == Status::kBadHandle);
  CHECK(fs.stat(f) == Status::kBadHandle);
  REQUIRE(fs.size_of(g) == 0);  // nothing of the old file's data
  REQUIRE(fs.read(g, 0, 512, &out) == Status::kOk);
  REQUIRE(out.empty());
  fs.finish();
}

TEST_CASE("read, write, truncate on a directory; list on a file", "[ramfs]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  const uint64_t f = fs.file("/f");
  std::string out;
  REQUIRE(fs.read(d, 0, 1, &out) == Status::kIsDirectory);
  REQUIRE(fs.write(d, 0, "x") == Status::kIsDirectory);
  REQUIRE(fs.truncate(d, 0) == Status::kIsDirectory);
  REQUIRE(fs.read(fs.root(), 0, 1, &out) == Status::kIsDirectory);
  FileSystem::ListResponse listing;
  REQUIRE(fs.list(f, 0, &listing) == Status::kNotDirectory);
  fs.finish();
}

TEST_CASE("write: holes read as zeros", "[ramfs][hole]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  REQUIRE(fs.write(f, 100, "abc") == Status::kOk);
  REQUIRE(fs.size_of(f) == 103);
  REQUIRE(fs.read_all(f, 0, 103) == std::string(100, '\0') + "abc");
  // Far past the end, across extents: the extents between are never allocated.
  const uint64_t far = 5 * kExtent + 7;
  REQUIRE(fs.write(f, far, "xyz") == Status::kOk);
  REQUIRE(fs.size_of(f) == far + 3);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);
  REQUIRE(fs.read_all(f, 103, far - 103) == std::string(far - 103, '\0'));
  std::string out;
  REQUIRE(fs.read(f, far - 2, 512, &out) == Status::kOk);
  REQUIRE(out == std::string(2, '\0') + "xyz");
  // Overwriting inside the file does not change its size.
  REQUIRE(fs.write(f, 101, "B") == Status::kOk);
  REQUIRE(fs.size_of(f) == far + 3);
  REQUIRE(fs.read(f, 99, 5, &out) == Status::kOk);
  REQUIRE(out == std::string("\0aBc\0", 5));
  fs.finish();
}

TEST_CASE("write: a write across an extent boundary", "[ramfs]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  const std::string data = pattern(512, 9);
  REQUIRE(fs.write(f, kExtent - 200, data) == Status::kOk);
  REQUIRE(fs.size_of(f) == kExtent + 312);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);
  REQUIRE(fs.read_all(f, kExtent - 200, 512) == data);
  fs.finish();
}

TEST_CASE("write: the 32 MiB limit, exactly: across it a short write", "[ramfs][limit]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  // Ending exactly at the limit is fine; across it, what fits is stored (a short count, as Linux
  // writes up to a file size limit); starting at it or past it, nothing.
  REQUIRE(fs.write(f, kLimit - 512, pattern(512, 5)) == Status::kOk);
  REQUIRE(fs.size_of(f) == kLimit);
  REQUIRE(fs.write(f, kLimit - 1, "z") == Status::kOk);
  uint32_t written = 0;
  REQUIRE(fs.write(f, kLimit - 511, pattern(512, 6), &written) == Status::kOk);
  REQUIRE(written == 511);
  REQUIRE(fs.write(f, kLimit - 1, "zz", &written) == Status::kOk);
  REQUIRE(written == 1);
  REQUIRE(fs.write(f, kLimit, "z") == Status::kTooLong);
  REQUIRE(fs.write(f, kLimit + 1, "z") == Status::kTooLong);
  REQUIRE(fs.write(f, kLimit + kExtent, "z") == Status::kTooLong);
  REQUIRE(fs.write(f, uint64_t{1} << 63, "z") == Status::kTooLong);
  REQUIRE(fs.write(f, ~uint64_t{0}, "z") == Status::kTooLong);
  REQUIRE(fs.write(f, ~uint64_t{0} - 511, pattern(512, 5)) == Status::kTooLong);
  REQUIRE(fs.size_of(f) == kLimit);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);  // only the last extent was written, and the index
  std::string out;
  REQUIRE(fs.read(f, kLimit - 2, 512, &out) == Status::kOk);
  REQUIRE(out == pattern(512, 6).substr(509, 1) + "z");
  fs.finish();
}

TEST_CASE("write: nothing to write changes nothing, wherever it points", "[ramfs][limit]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  REQUIRE(fs.write(f, 0, "abc") == Status::kOk);
  for (const uint64_t offset : {uint64_t{100}, kLimit, uint64_t{1} << 40, ~uint64_t{0}}) {
    uint32_t written = 7;
    REQUIRE(fs.write(f, offset, "", &written) == Status::kOk);
    REQUIRE(written == 0);
    REQUIRE(fs.size_of(f) == 3);  // (the size once followed the offset, up to 2^40 and beyond)
  }
  fs.finish();
}

TEST_CASE("write: no memory for an extent", "[ramfs]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  test::fail_extents_after(0);
  REQUIRE(fs.write(f, 0, "abc") == Status::kNoSpace);
  REQUIRE(fs.size_of(f) == 0);
  REQUIRE(fs.usage().data_bytes == 0);
  // One extent left: a write across the boundary writes what fits in the first and says so.
  test::fail_extents_after(1);
  uint32_t written = 0;
  REQUIRE(fs.write(f, kExtent - 100, pattern(300, 2), &written) == Status::kOk);
  REQUIRE(written == 100);
  REQUIRE(fs.size_of(f) == kExtent);
  REQUIRE(fs.read_all(f, kExtent - 100, 100) == pattern(300, 2).substr(0, 100));
  // Writing inside the extent it has needs no new one.
  REQUIRE(fs.write(f, 0, "x") == Status::kOk);
  REQUIRE(fs.write(f, kExtent, "x") == Status::kNoSpace);
  REQUIRE(fs.size_of(f) == kExtent);
  fs.finish();
}

// One byte at the start of each of blocks [0, blocks) of `node`: an extent each, and the index
// extent once past the direct ones.
void fill_blocks(Fs& fs, uint64_t node, uint64_t blocks) {
  for (uint64_t b = 0; b < blocks; ++b)
    REQUIRE(fs.write(node, b * kExtent, "x") == Status::kOk);
}

TEST_CASE("write: the table of extents runs out (kMaxExtents), part way through a write",
          "[ramfs][limit]") {
  Fs fs(loopback_or_local());
  constexpr uint64_t kBlocks = RamfsService::kExtentsPerFile;
  static_assert(2 * (kBlocks + 1) == RamfsService::kMaxExtents + 2);
  // A file with every block (and its index extent), and one with two blocks fewer: the table.
  const uint64_t a = fs.file("/a");
  fill_blocks(fs, a, kBlocks);
  const uint64_t b = fs.file("/b");
  fill_blocks(fs, b, kBlocks - 2);
  REQUIRE(fs.usage().data_bytes == uint64_t{RamfsService::kMaxExtents} * kExtent);
  REQUIRE(test::live_extents() == RamfsService::kMaxExtents);
  const uint64_t c = fs.file("/c");
  REQUIRE(fs.write(c, 0, "x") == Status::kNoSpace);
  REQUIRE(fs.write(b, (kBlocks - 2) * kExtent, "x") == Status::kNoSpace);
  REQUIRE(fs.size_of(c) == 0);
  REQUIRE(fs.size_of(b) == (kBlocks - 3) * kExtent + 1);
  // One extent free: a write across two new blocks stores what fits in the first (short).
  REQUIRE(fs.truncate(b, (kBlocks - 3) * kExtent) == Status::kOk);
  REQUIRE(fs.usage().data_bytes == uint64_t{RamfsService::kMaxExtents - 1} * kExtent);
  uint32_t written = 0;
  REQUIRE(fs.write(b, (kBlocks - 2) * kExtent - 100, pattern(512, 8), &written) == Status::kOk);
  REQUIRE(written == 100);
  REQUIRE(fs.size_of(b) == (kBlocks - 2) * kExtent);
  REQUIRE(fs.read_all(b, (kBlocks - 2) * kExtent - 100, 100) == pattern(512, 8).substr(0, 100));
  // One extent free, a block past the direct ones of a file with no index: the index takes the
  // extent, the block finds none, and the index goes again.
  REQUIRE(fs.truncate(b, (kBlocks - 3) * kExtent) == Status::kOk);
  REQUIRE(fs.write(c, kIndirect, "x") == Status::kNoSpace);
  REQUIRE(fs.size_of(c) == 0);
  REQUIRE(fs.usage().data_bytes == uint64_t{RamfsService::kMaxExtents - 1} * kExtent);
  REQUIRE(fs.write(c, kIndirect - 1, "x") == Status::kOk);  // a direct block takes it
  REQUIRE(fs.usage().data_bytes == uint64_t{RamfsService::kMaxExtents} * kExtent);
  // Removing a file frees its blocks and its index.
  REQUIRE(fs.remove("/a") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == uint64_t{RamfsService::kMaxExtents - kBlocks - 1} * kExtent);
  REQUIRE(fs.write(c, kIndirect, "x") == Status::kOk);
  fs.finish();
}

TEST_CASE("write: past the direct extents into the index extent; holes there read as zeros",
          "[ramfs][indirect]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  // Across the boundary: the last direct block, the index extent and the first block it names.
  const std::string data = pattern(1000, 11);
  fs.write_all(f, kIndirect - 300, data);
  REQUIRE(fs.size_of(f) == kIndirect + 700);
  REQUIRE(fs.usage().data_bytes == 3 * kExtent);
  REQUIRE(fs.read_all(f, kIndirect - 300, 1000) == data);
  std::string out;
  REQUIRE(fs.read(f, kIndirect - 10, 20, &out) == Status::kOk);
  REQUIRE(out == data.substr(290, 20));
  // Far into the indirect blocks: those between are holes, no extent of theirs allocated.
  const uint64_t far = kIndirect + 20 * kExtent + 5;
  REQUIRE(fs.write(f, far, "far") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 4 * kExtent);
  REQUIRE(fs.read_all(f, kIndirect + 700, far - kIndirect - 700) ==
          std::string(far - kIndirect - 700, '\0'));
  REQUIRE(fs.read(f, far - 2, 512, &out) == Status::kOk);
  REQUIRE(out == std::string(2, '\0') + "far");
  // A hole across the boundary reads as zeros too: only the far blocks were written.
  const uint64_t g = fs.file("/g");
  REQUIRE(fs.write(g, kIndirect + 3 * kExtent, "g") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 6 * kExtent);  // its block and its index
  REQUIRE(fs.read(g, kIndirect - 256, 512, &out) == Status::kOk);
  REQUIRE(out == std::string(512, '\0'));
  // Every block of a 32 MiB file, each with bytes of its own, read back.
  const uint64_t h = fs.file("/h");
  for (uint64_t b = 0; b < RamfsService::kExtentsPerFile; ++b)
    REQUIRE(fs.write(h, b * kExtent + b % 512, pattern(32, b)) == Status::kOk);
  REQUIRE(fs.usage().data_bytes == (6 + RamfsService::kExtentsPerFile + 1) * kExtent);
  for (uint64_t b = 0; b < RamfsService::kExtentsPerFile; ++b) {
    REQUIRE(fs.read(h, b * kExtent + b % 512, 32, &out) == Status::kOk);
    REQUIRE(out == pattern(32, b));
  }
  REQUIRE(fs.remove("/h") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 6 * kExtent);
  fs.finish();
}

TEST_CASE("write: no memory for the index extent, or for the block after it", "[ramfs][indirect]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  test::fail_extents_after(0);
  REQUIRE(fs.write(f, kIndirect, "x") == Status::kNoSpace);
  // The index is made, its block is not: the index goes again, nothing changed.
  test::fail_extents_after(1);
  REQUIRE(fs.write(f, kIndirect, "x") == Status::kNoSpace);
  REQUIRE(fs.size_of(f) == 0);
  REQUIRE(fs.usage().data_bytes == 0);
  REQUIRE(test::live_extents() == 0);
  // Across the boundary: the last direct block fits, the index with it, not the block after.
  test::fail_extents_after(2);
  uint32_t written = 0;
  REQUIRE(fs.write(f, kIndirect - 100, pattern(512, 3), &written) == Status::kOk);
  REQUIRE(written == 100);
  REQUIRE(fs.size_of(f) == kIndirect);
  REQUIRE(fs.usage().data_bytes == kExtent);
  REQUIRE(test::live_extents() == 1);
  fs.finish();
}

TEST_CASE("truncate: back below the direct extents frees the index extent", "[ramfs][indirect]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  const std::string data = pattern(3 * kExtent, 12);
  fs.write_all(f, kIndirect - kExtent, data);  // the last direct block, then two indirect ones
  REQUIRE(fs.usage().data_bytes == 4 * kExtent);
  // Into the first indirect block: the second goes, the index stays (it names the first).
  REQUIRE(fs.truncate(f, kIndirect + 10) == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 3 * kExtent);
  // To the boundary exactly: no block past the direct ones is left, and the index goes.
  REQUIRE(fs.truncate(f, kIndirect) == Status::kOk);
  REQUIRE(fs.usage().data_bytes == kExtent);
  REQUIRE(test::live_extents() == 1);
  // Growing again: zeros past the cut, the direct block's bytes kept.
  REQUIRE(fs.truncate(f, kIndirect + 2 * kExtent) == Status::kOk);
  REQUIRE(fs.read_all(f, kIndirect - kExtent, kExtent) == data.substr(0, kExtent));
  REQUIRE(fs.read_all(f, kIndirect, 2 * kExtent) == std::string(2 * kExtent, '\0'));
  REQUIRE(fs.usage().data_bytes == kExtent);
  // A cut that leaves only holes past the direct blocks frees the index too, though the file
  // still reaches past them.
  REQUIRE(fs.write(f, kIndirect + 30 * kExtent, "far") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 3 * kExtent);
  REQUIRE(fs.truncate(f, kIndirect + 20 * kExtent + 1) == Status::kOk);
  REQUIRE(fs.usage().data_bytes == kExtent);
  REQUIRE(fs.read_all(f, kIndirect, 20 * kExtent + 1) == std::string(20 * kExtent + 1, '\0'));
  // Written there again, the file gets a fresh index whose other entries are holes.
  REQUIRE(fs.write(f, kIndirect + 5 * kExtent, "again") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 3 * kExtent);
  REQUIRE(fs.read_all(f, kIndirect, 5 * kExtent + 5) == std::string(5 * kExtent, '\0') + "again");
  REQUIRE(fs.truncate(f, 0) == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 0);
  fs.finish();
}

TEST_CASE("truncate: shrinking frees, growing reads zeros", "[ramfs][hole]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  const std::string data = pattern(3 * kExtent, 4);
  fs.write_all(f, 0, data);
  REQUIRE(fs.usage().data_bytes == 3 * kExtent);
  // Into the middle of the second extent: the third goes, the second keeps its head.
  REQUIRE(fs.truncate(f, kExtent + 100) == Status::kOk);
  REQUIRE(fs.size_of(f) == kExtent + 100);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);
  std::string out;
  REQUIRE(fs.read(f, kExtent + 90, 512, &out) == Status::kOk);
  REQUIRE(out == data.substr(kExtent + 90, 10));
  // Growing again: everything past the cut reads as zeros, in the kept extent and beyond.
  REQUIRE(fs.truncate(f, 3 * kExtent) == Status::kOk);
  REQUIRE(fs.size_of(f) == 3 * kExtent);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);  // growing allocates nothing
  REQUIRE(fs.read_all(f, 0, kExtent + 100) == data.substr(0, kExtent + 100));
  REQUIRE(fs.read_all(f, kExtent + 100, 2 * kExtent - 100) == std::string(2 * kExtent - 100, '\0'));
  // The same size again changes nothing; to 0 frees everything.
  REQUIRE(fs.truncate(f, 3 * kExtent) == Status::kOk);
  REQUIRE(fs.truncate(f, 0) == Status::kOk);
  REQUIRE(fs.size_of(f) == 0);
  REQUIRE(fs.usage().data_bytes == 0);
  REQUIRE(fs.read(f, 0, 512, &out) == Status::kOk);
  REQUIRE(out.empty());
  REQUIRE(fs.truncate(f, 10) == Status::kOk);
  REQUIRE(fs.read(f, 0, 512, &out) == Status::kOk);
  REQUIRE(out == std::string(10, '\0'));
  fs.finish();
}

TEST_CASE("truncate: the 32 MiB limit, exactly", "[ramfs][limit]") {
  Fs fs(loopback_or_local());
  const uint64_t f = fs.file("/f");
  REQUIRE(fs.truncate(f, kLimit) == Status::kOk);
  REQUIRE(fs.size_of(f) == kLimit);
  REQUIRE(fs.truncate(f, kLimit + 1) == Status::kTooLong);
  REQUIRE(fs.truncate(f, uint64_t{1} << 63) == Status::kTooLong);
  REQUIRE(fs.truncate(f, ~uint64_t{0}) == Status::kTooLong);
  REQUIRE(fs.size_of(f) == kLimit);
  std::string out;
  REQUIRE(fs.read(f, kLimit - 3, 512, &out) == Status::kOk);
  REQUIRE(out == std::string(3, '\0'));
  REQUIRE(fs.read(f, kLimit, 512, &out) == Status::kOk);
  REQUIRE(out.empty());
  REQUIRE(fs.usage().data_bytes == 0);
  fs.finish();
}

TEST_CASE("stat: files and directories", "[ramfs]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  const uint64_t f = fs.file("/d/f");
  fs.file("/d/g");
  REQUIRE(fs.write(f, 10, "abc") == Status::kOk);
  fs::NodeInfo info;
  REQUIRE(fs.stat(f, &info) == Status::kOk);
  REQUIRE(info.node == f);
  REQUIRE(info.kind == NodeKind::kFile);
  REQUIRE(info.size == 13);
  REQUIRE(fs.stat(d, &info) == Status::kOk);
  REQUIRE(info.node == d);
  REQUIRE(info.kind == NodeKind::kDirectory);
  REQUIRE(info.size == 2);
  fs.finish();
}

TEST_CASE("list: pages of 8, cookies, the end", "[ramfs][list]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  int calls = 0;
  REQUIRE(fs.names(d, &calls).empty());
  REQUIRE(calls == 1);
  std::vector<std::string> made;
  for (int i = 0; i < 20; ++i) {
    made.push_back("e" + std::to_string(i));
    fs.file("/d/" + made.back());
  }
  const std::vector<std::string> listed = fs.names(d, &calls);
  REQUIRE(calls == 3);      // 8 + 8 + 4
  REQUIRE(listed == made);  // in slot order: here, the order they were made in

  FileSystem::ListResponse resp;
  REQUIRE(fs.list(d, 0, &resp) == Status::kOk);
  REQUIRE(resp.entries.size == 8);
  REQUIRE(!resp.done);
  fs::NodeInfo info;
  REQUIRE(fs.open("/d/e0", &info) == Status::kOk);
  REQUIRE(resp.entries.items[0].node == info.node);
  REQUIRE(resp.entries.items[0].kind == NodeKind::kFile);
  for (uint32_t i = 1; i < 8; ++i)  // each entry's cookie goes on right after it
    REQUIRE(resp.entries.items[i].next > resp.entries.items[i - 1].next);
  REQUIRE(resp.next == resp.entries.items[7].next);
  const uint32_t after_e3 = resp.entries.items[3].next;
  REQUIRE(fs.list(d, after_e3, &resp) == Status::kOk);
  REQUIRE(std::string(resp.entries.items[0].name.data, resp.entries.items[0].name.size) == "e4");
  // The last page: four entries, and the end.
  REQUIRE(fs.list(d, 0, &resp) == Status::kOk);
  REQUIRE(fs.list(d, resp.next, &resp) == Status::kOk);
  REQUIRE(fs.list(d, resp.next, &resp) == Status::kOk);
  REQUIRE(resp.entries.size == 4);
  REQUIRE(resp.done);
  // Exactly a page's worth left: one full page that ends the listing.
  REQUIRE(fs.list(d, 0, &resp) == Status::kOk);
  const uint32_t after_e11 = [&] {
    FileSystem::ListResponse second;
    REQUIRE(fs.list(d, resp.next, &second) == Status::kOk);
    return second.entries.items[3].next;
  }();
  REQUIRE(fs.list(d, after_e11, &resp) == Status::kOk);
  REQUIRE(resp.entries.size == 8);
  REQUIRE(resp.done);
  for (uint32_t cookie : {resp.next, 1000u, ~0u}) {
    REQUIRE(fs.list(d, cookie, &resp) == Status::kOk);
    REQUIRE(resp.entries.size == 0);
    REQUIRE(resp.done);
  }
  fs.finish();
}

TEST_CASE("list: names added and removed while listing; the rest listed exactly once",
          "[ramfs][list]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  for (int i = 0; i < 30; ++i)
    fs.file("/d/f" + std::to_string(i));
  // Remove each name as it is listed (rm -r's loop), and add one per page: every original
  // name is seen once, the listing ends, and the directory holds only what was added.
  std::vector<std::string> seen;
  uint32_t cookie = 0;
  int added = 0;
  for (int calls = 0; calls < 100; ++calls) {
    FileSystem::ListResponse resp;
    REQUIRE(fs.list(d, cookie, &resp) == Status::kOk);
    for (uint32_t i = 0; i < resp.entries.size; ++i) {
      const std::string name(resp.entries.items[i].name.data, resp.entries.items[i].name.size);
      seen.push_back(name);
      REQUIRE(fs.remove("/d/" + name) == Status::kOk);
    }
    fs.file("/d/new" + std::to_string(added++));
    cookie = resp.next;
    if (resp.done) break;
  }
  std::vector<std::string> originals;
  for (const std::string& name : seen)
    if (name.rfind("f", 0) == 0) originals.push_back(name);
  std::sort(originals.begin(), originals.end());
  REQUIRE(originals.size() == 30);
  REQUIRE(std::unique(originals.begin(), originals.end()) == originals.end());
  fs.finish();
}

TEST_CASE("remove: files, empty directories and every error", "[ramfs]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  const uint64_t f = fs.file("/d/f");
  REQUIRE(fs.write(f, 0, "abc") == Status::kOk);
  REQUIRE(fs.remove("/") == Status::kInvalidArgument);
  REQUIRE(fs.remove("") == Status::kInvalidArgument);
  REQUIRE(fs.remove("d") == Status::kInvalidArgument);
  REQUIRE(fs.remove("/d/..") == Status::kInvalidArgument);
  REQUIRE(fs.remove("/x") == Status::kNotFound);
  REQUIRE(fs.remove("/d/f/x") == Status::kNotDirectory);
  REQUIRE(fs.remove("/d") == Status::kNotEmpty);
  REQUIRE(fs.usage().data_bytes == kExtent);
  REQUIRE(fs.remove("/d/f") == Status::kOk);
  REQUIRE(fs.usage().data_bytes == 0);
  REQUIRE(test::live_extents() == 0);
  REQUIRE(fs.remove("/d/f") == Status::kNotFound);
  REQUIRE(fs.remove("/d") == Status::kOk);
  REQUIRE(fs.open("/d") == Status::kNotFound);
  REQUIRE(fs.usage().nodes == 1);
  fs.finish();
}

TEST_CASE("rename: moves keep the node; every error", "[ramfs][rename]") {
  Fs fs(loopback_or_local());
  const uint64_t a = fs.dir("/a");
  const uint64_t b = fs.dir("/a/b");
  const uint64_t f = fs.file("/a/f");
  const uint64_t g = fs.file("/g");
  REQUIRE(fs.write(f, 0, "f-data") == Status::kOk);
  REQUIRE(fs.write(g, 0, "g-data") == Status::kOk);

  // From: a malformed path, a missing node, the root.
  REQUIRE(fs.rename("", "/x") == Status::kInvalidArgument);
  REQUIRE(fs.rename("a", "/x") == Status::kInvalidArgument);
  REQUIRE(fs.rename("/missing", "/x") == Status::kNotFound);
  REQUIRE(fs.rename("/g/x", "/x") == Status::kNotDirectory);
  REQUIRE(fs.rename("/", "/x") == Status::kInvalidArgument);
  // To: malformed, too long, below a missing directory or a file.
  REQUIRE(fs.rename("/g", "") == Status::kInvalidArgument);
  REQUIRE(fs.rename("/g", "/") == Status::kInvalidArgument);
  REQUIRE(fs.rename("/g", "/..") == Status::kInvalidArgument);
  REQUIRE(fs.rename("/g", "/" + std::string(RamfsService::kNameMax + 1, 'x')) == Status::kTooLong);
  REQUIRE(fs.rename("/g", "/missing/x") == Status::kNotFound);
  REQUIRE(fs.rename("/g", "/a/f/x") == Status::kNotDirectory);
  // A directory cannot move below itself.
  REQUIRE(fs.rename("/a", "/a/x") == Status::kInvalidArgument);
  REQUIRE(fs.rename("/a", "/a/b/x") == Status::kInvalidArgument);
  // An existing directory is never replaced, and a directory never replaces a file.
  REQUIRE(fs.rename("/g", "/a/b") == Status::kExists);
  REQUIRE(fs.rename("/a/b", "/g") == Status::kExists);
  REQUIRE(fs.rename("/a/b", "/a") == Status::kExists);
  // Nothing moved so far.
  fs::NodeInfo info;
  REQUIRE(fs.open("/g", &info) == Status::kOk);
  REQUIRE(info.node == g);
  REQUIRE(fs.usage().nodes == 5);

  // Onto itself: nothing happens.
  REQUIRE(fs.rename("/g", "/g") == Status::kOk);
  REQUIRE(fs.open("/g", &info) == Status::kOk);
  REQUIRE(info.node == g);
  // A move into another directory keeps the node id and the data.
  REQUIRE(fs.rename("/g", "/a/b/h") == Status::kOk);
  REQUIRE(fs.open("/g") == Status::kNotFound);
  REQUIRE(fs.open("/a/b/h", &info) == Status::kOk);
  REQUIRE(info.node == g);
  REQUIRE(fs.read_all(g, 0, 6) == "g-data");
  REQUIRE(fs.size_of(b) == 1);
  REQUIRE(fs.size_of(fs.root()) == 1);
  // A file replaces a file: the old one's id is refused and its data freed.
  REQUIRE(fs.rename("/a/b/h", "/a/f") == Status::kOk);
  REQUIRE(fs.stat(f) == Status::kBadHandle);
  REQUIRE(fs.open("/a/f", &info) == Status::kOk);
  REQUIRE(info.node == g);
  REQUIRE(fs.read_all(g, 0, 6) == "g-data");
  REQUIRE(fs.usage().nodes == 4);
  REQUIRE(fs.usage().data_bytes == kExtent);
  // A directory moves with what it holds.
  REQUIRE(fs.rename("/a", "/z") == Status::kOk);
  REQUIRE(fs.open("/z/f", &info) == Status::kOk);
  REQUIRE(info.node == g);
  REQUIRE(fs.open("/z/b") == Status::kOk);
  REQUIRE(fs.stat(a) == Status::kOk);
  // Below itself is checked from where a directory is now: "/q" moved into "/z" has "/z" above
  // it, so "/z" cannot move below "/z/q".
  fs.dir("/q");
  REQUIRE(fs.rename("/q", "/z/q") == Status::kOk);
  REQUIRE(fs.rename("/z", "/z/q/x") == Status::kInvalidArgument);
  REQUIRE(fs.rename("/z/q", "/q") == Status::kOk);
  REQUIRE(fs.rename("/z", "/q/z") == Status::kOk);
  REQUIRE(fs.rename("/q", "/q/z/b/q") == Status::kInvalidArgument);
  fs.finish();
}

TEST_CASE("link: a second name for a file, one node, its bytes shared", "[ramfs][link]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  const uint64_t f = fs.file("/f");
  REQUIRE(fs.write(f, 0, "first") == Status::kOk);
  REQUIRE(fs.links_of(f) == 1);
  REQUIRE(fs.link(f, "/d/g") == Status::kOk);
  fs::NodeInfo info;
  REQUIRE(fs.open("/d/g", &info) == Status::kOk);
  REQUIRE(info.node == f);  // the same node, not a copy
  REQUIRE(info.kind == NodeKind::kFile);
  REQUIRE(info.size == 5);
  REQUIRE(info.links == 2);
  REQUIRE(fs.open("/f", &info) == Status::kOk);
  REQUIRE(info.links == 2);
  REQUIRE(fs.usage().nodes == 3);
  REQUIRE(fs.usage().names == 3);
  REQUIRE(fs.size_of(fs.node_at("/d")) == 1);  // the new name is the directory's entry
  // Written through the node one name found, read through the node the other finds.
  REQUIRE(fs.write(fs.node_at("/d/g"), 5, "+second") == Status::kOk);
  REQUIRE(fs.read_all(fs.node_at("/f"), 0, 12) == "first+second");
  REQUIRE(fs.truncate(fs.node_at("/f"), 3) == Status::kOk);
  REQUIRE(fs.size_of(fs.node_at("/d/g")) == 3);
  REQUIRE(fs.usage().data_bytes == kExtent);  // one copy of the bytes
  // More names, in the same directory and others; each counts.
  REQUIRE(fs.link(f, "/f2") == Status::kOk);
  REQUIRE(fs.link(f, "/d/g2") == Status::kOk);
  REQUIRE(fs.links_of(f) == 4);
  REQUIRE(fs.remove("/d/g2") == Status::kOk);
  REQUIRE(fs.links_of(f) == 3);
  fs.finish();
}

TEST_CASE("link: removing one name keeps the node; the last name takes it", "[ramfs][link]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  const uint64_t f = fs.file("/d/f");
  fs.write_all(f, 0, pattern(2 * kExtent, 6));
  REQUIRE(fs.link(f, "/g") == Status::kOk);
  REQUIRE(fs.remove("/d/f") == Status::kOk);
  REQUIRE(fs.open("/d/f") == Status::kNotFound);
  REQUIRE(fs.stat(f) == Status::kOk);  // the id still works: "/g" names the node
  REQUIRE(fs.links_of(f) == 1);
  REQUIRE(fs.node_at("/g") == f);
  REQUIRE(fs.read_all(f, 0, 2 * kExtent) == pattern(2 * kExtent, 6));
  REQUIRE(fs.usage().nodes == 3);
  REQUIRE(fs.usage().names == 2);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);
  REQUIRE(fs.size_of(fs.node_at("/d")) == 0);  // empty: the other name is elsewhere
  // The last name goes: the node with it, its bytes freed, its id refused.
  REQUIRE(fs.remove("/g") == Status::kOk);
  REQUIRE(fs.stat(f) == Status::kBadHandle);
  REQUIRE(fs.usage().nodes == 2);
  REQUIRE(fs.usage().names == 1);
  REQUIRE(fs.usage().data_bytes == 0);
  REQUIRE(test::live_extents() == 0);
  // The slot, reused, is a new node: the old id still refused.
  const uint64_t again = fs.file("/again");
  REQUIRE((again & 0xffffffff) == (f & 0xffffffff));
  REQUIRE(fs.stat(f) == Status::kBadHandle);
  REQUIRE(fs.link(f, "/stale") == Status::kBadHandle);
  fs.finish();
}

TEST_CASE("link: symbolic links take names too; directories do not", "[ramfs][link]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  uint64_t l = 0;
  REQUIRE(fs.create("/l", NodeKind::kSymlink, &l) == Status::kOk);
  REQUIRE(fs.write(l, 0, "target") == Status::kOk);
  REQUIRE(fs.link(l, "/d/l2") == Status::kOk);
  fs::NodeInfo info;
  REQUIRE(fs.open("/d/l2", &info) == Status::kOk);
  REQUIRE(info.node == l);
  REQUIRE(info.kind == NodeKind::kSymlink);
  REQUIRE(info.links == 2);
  // A directory has one name (the root too); asking for a second is isDirectory, changing
  // nothing.
  REQUIRE(fs.links_of(d) == 1);
  REQUIRE(fs.links_of(fs.root()) == 1);
  REQUIRE(fs.link(d, "/d2") == Status::kIsDirectory);
  REQUIRE(fs.link(fs.root(), "/r") == Status::kIsDirectory);
  REQUIRE(fs.open("/d2") == Status::kNotFound);
  REQUIRE(fs.open("/r") == Status::kNotFound);
  REQUIRE(fs.links_of(d) == 1);
  REQUIRE(fs.usage().names == 3);
  fs.finish();
}

TEST_CASE("link: every error, nothing changed", "[ramfs][link]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  const uint64_t f = fs.file("/f");
  fs.file("/d/g");
  // An existing name is never replaced: a file, a directory, the node's own name.
  REQUIRE(fs.link(f, "/d/g") == Status::kExists);
  REQUIRE(fs.link(f, "/d") == Status::kExists);
  REQUIRE(fs.link(f, "/f") == Status::kExists);
  REQUIRE(fs.link(f, "/d/") == Status::kExists);
  // The new name's parent: missing, or not a directory.
  REQUIRE(fs.link(f, "/missing/x") == Status::kNotFound);
  REQUIRE(fs.link(f, "/f/x") == Status::kNotDirectory);
  REQUIRE(fs.link(f, "/d/g/x") == Status::kNotDirectory);
  // Malformed and over-long names.
  for (const char* bad : {"", "x", "/", "/.", "/..", "/d/..", "//x", "/d//x"}) {
    INFO(bad);
    CHECK(fs.link(f, bad) == Status::kInvalidArgument);
  }
  const std::string name63(RamfsService::kNameMax, 'n');
  REQUIRE(fs.link(f, "/" + name63 + "x") == Status::kTooLong);
  REQUIRE(fs.link(f, "/" + name63) == Status::kOk);  // exactly the longest name
  REQUIRE(fs.remove("/" + name63) == Status::kOk);
  // Node ids that name nothing.
  REQUIRE(fs.link(0xffff, "/x") == Status::kBadHandle);
  REQUIRE(fs.link(f + (uint64_t{1} << 32), "/x") == Status::kBadHandle);  // a later generation
  REQUIRE(fs.link(~uint64_t{0}, "/x") == Status::kBadHandle);
  REQUIRE(fs.links_of(f) == 1);
  REQUIRE(fs.usage().names == 3);
  REQUIRE(fs.open("/x") == Status::kNotFound);
  fs.finish();
}

TEST_CASE("link: the table of names runs out (kMaxNames)", "[ramfs][link][limit]") {
  Fs fs(loopback_or_local());
  for (uint32_t d = 0; d < kSpread; ++d)
    fs.dir("/d" + std::to_string(d));
  const uint64_t f = fs.file("/f");
  for (uint32_t i = 1 + kSpread; i < RamfsService::kMaxNames; ++i)
    REQUIRE(fs.link(f, "/d" + std::to_string(i % kSpread) + "/l" + std::to_string(i)) ==
            Status::kOk);
  REQUIRE(fs.usage().names == RamfsService::kMaxNames);
  REQUIRE(fs.links_of(f) == RamfsService::kMaxNames - kSpread);
  REQUIRE(fs.link(f, "/one_more") == Status::kNoSpace);
  // Nodes are left but no name for one: create fails too, and makes no node.
  REQUIRE(fs.create("/g", NodeKind::kFile) == Status::kNoSpace);
  REQUIRE(fs.usage().nodes == 2 + kSpread);
  REQUIRE(fs.open("/one_more") == Status::kNotFound);
  REQUIRE(fs.remove("/d1/l33") == Status::kOk);
  REQUIRE(fs.create("/g", NodeKind::kFile) == Status::kOk);
  REQUIRE(fs.links_of(f) == RamfsService::kMaxNames - kSpread - 1);
  REQUIRE(fs.link(f, "/one_more") == Status::kNoSpace);
  fs.finish();
}

TEST_CASE("link: rename between two names of one node, and over a name of a linked node",
          "[ramfs][link][rename]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  const uint64_t f = fs.file("/f");
  REQUIRE(fs.write(f, 0, "f-data") == Status::kOk);
  REQUIRE(fs.link(f, "/d/f2") == Status::kOk);
  // Both names name one node: nothing happens, both stay (Linux's rename).
  REQUIRE(fs.rename("/f", "/d/f2") == Status::kOk);
  REQUIRE(fs.node_at("/f") == f);
  REQUIRE(fs.node_at("/d/f2") == f);
  REQUIRE(fs.links_of(f) == 2);
  REQUIRE(fs.rename("/d/f2", "/f") == Status::kOk);
  REQUIRE(fs.node_at("/f") == f);
  REQUIRE(fs.node_at("/d/f2") == f);
  // One of the names moves: the other stays, and so does the count.
  REQUIRE(fs.rename("/d/f2", "/f3") == Status::kOk);
  REQUIRE(fs.open("/d/f2") == Status::kNotFound);
  REQUIRE(fs.node_at("/f3") == f);
  REQUIRE(fs.links_of(f) == 2);
  REQUIRE(fs.size_of(fs.node_at("/d")) == 0);
  // Another file over one of the names: that name is the other file's now, the node keeps its
  // other name and its bytes.
  const uint64_t g = fs.file("/g");
  REQUIRE(fs.write(g, 0, "g-data") == Status::kOk);
  REQUIRE(fs.rename("/g", "/f") == Status::kOk);
  REQUIRE(fs.node_at("/f") == g);
  REQUIRE(fs.stat(f) == Status::kOk);
  REQUIRE(fs.links_of(f) == 1);
  REQUIRE(fs.node_at("/f3") == f);
  REQUIRE(fs.read_all(f, 0, 6) == "f-data");
  REQUIRE(fs.read_all(g, 0, 6) == "g-data");
  REQUIRE(fs.usage().nodes == 4);
  REQUIRE(fs.usage().data_bytes == 2 * kExtent);
  // A name of a linked node over a plain file: that file goes.
  REQUIRE(fs.link(f, "/f4") == Status::kOk);
  REQUIRE(fs.rename("/f4", "/f") == Status::kOk);
  REQUIRE(fs.stat(g) == Status::kBadHandle);
  REQUIRE(fs.node_at("/f") == f);
  REQUIRE(fs.links_of(f) == 2);
  REQUIRE(fs.usage().data_bytes == kExtent);
  fs.finish();
}

TEST_CASE("link: a listing shows every name, a node under each of its names",
          "[ramfs][link][list]") {
  Fs fs(loopback_or_local());
  const uint64_t d = fs.dir("/d");
  const uint64_t f = fs.file("/d/f");
  REQUIRE(fs.link(f, "/d/g") == Status::kOk);
  REQUIRE(fs.link(f, "/h") == Status::kOk);
  FileSystem::ListResponse resp;
  REQUIRE(fs.list(d, 0, &resp) == Status::kOk);
  REQUIRE(resp.done);
  REQUIRE(resp.entries.size == 2);
  REQUIRE(resp.entries.items[0].name.equals("f"));
  REQUIRE(resp.entries.items[1].name.equals("g"));
  for (uint32_t i = 0; i < 2; ++i) {
    REQUIRE(resp.entries.items[i].node == f);
    REQUIRE(resp.entries.items[i].kind == NodeKind::kFile);
  }
  REQUIRE(fs.names(fs.root()) == std::vector<std::string>{"d", "h"});
  // Names come and go while a directory is listed (links of the names listed made and removed,
  // listed names renamed over): every name there throughout is listed exactly once.
  for (int i = 0; i < 20; ++i)
    REQUIRE(fs.link(f, "/d/n" + std::to_string(i)) == Status::kOk);
  std::vector<std::string> seen;
  uint32_t cookie = 0;
  int made = 0;
  for (int calls = 0; calls < 100; ++calls) {
    REQUIRE(fs.list(d, cookie, &resp) == Status::kOk);
    for (uint32_t i = 0; i < resp.entries.size; ++i) {
      const std::string name(resp.entries.items[i].name.data, resp.entries.items[i].name.size);
      seen.push_back(name);
      if (name[0] == 'n') REQUIRE(fs.remove("/d/" + name) == Status::kOk);
    }
    REQUIRE(fs.link(f, "/d/m" + std::to_string(made++)) == Status::kOk);
    cookie = resp.next;
    if (resp.done) break;
  }
  std::vector<std::string> originals;
  for (const std::string& name : seen)
    if (name[0] == 'n' || name == "f" || name == "g") originals.push_back(name);
  std::sort(originals.begin(), originals.end());
  REQUIRE(originals.size() == 22);
  REQUIRE(std::unique(originals.begin(), originals.end()) == originals.end());
  REQUIRE(fs.links_of(f) == 3 + static_cast<uint32_t>(made));
  fs.finish();
}

// ---- attributes ----

// A node's attributes as the file system has them, in one line for comparisons.
std::string attributes(Fs& fs, uint64_t node) {
  fs::NodeInfo i;
  REQUIRE(fs.stat(node, &i) == Status::kOk);
  return "mode " + std::to_string(i.mode) + " uid " + std::to_string(i.uid) + " gid " +
         std::to_string(i.gid) + " atime " + std::to_string(i.atime) + " mtime " +
         std::to_string(i.mtime) + " ctime " + std::to_string(i.ctime);
}

// The times of a node, "atime mtime ctime".
std::string times(Fs& fs, uint64_t node) {
  fs::NodeInfo i;
  REQUIRE(fs.stat(node, &i) == Status::kOk);
  return std::to_string(i.atime) + " " + std::to_string(i.mtime) + " " + std::to_string(i.ctime);
}

TEST_CASE("attributes: kept as created; each change's time where POSIX puts it", "[ramfs][attr]") {
  Fs fs(loopback_or_local());
  const FileSystem::Client& c = fs.client();
  REQUIRE(attributes(fs, 0x1'0000'0000) == "mode 493 uid 0 gid 0 atime 0 mtime 0 ctime 0");
  FileSystem::CreateRequest create;
  create.path.set("/d");
  create.kind = NodeKind::kDirectory;
  create.mode = 01777;
  create.uid = 1000;
  create.gid = 100;
  create.time = 5;
  FileSystem::CreateResponse made;
  REQUIRE(c.create(create, made) == Status::kOk);
  const uint64_t d = made.node;
  REQUIRE(attributes(fs, d) == "mode 1023 uid 1000 gid 100 atime 5 mtime 5 ctime 5");
  REQUIRE(times(fs, 0x1'0000'0000) == "0 5 5");  // the root's names changed
  create.path.set("/d/f");
  create.kind = NodeKind::kFile;
  create.mode = 04755;
  create.time = 6;
  REQUIRE(c.create(create, made) == Status::kOk);
  const uint64_t f = made.node;
  REQUIRE(attributes(fs, f) == "mode 2541 uid 1000 gid 100 atime 6 mtime 6 ctime 6");
  REQUIRE(times(fs, d) == "5 6 6");
  FileSystem::WriteRequest write;
  write.node = f;
  write.data.size = 3;
  write.time = 7;
  FileSystem::WriteResponse wrote;
  REQUIRE(c.write(write, wrote) == Status::kOk);
  REQUIRE(times(fs, f) == "6 7 7");
  std::string bytes;
  REQUIRE(fs.read(f, 0, 3, &bytes) == Status::kOk);  // a read changes no time
  REQUIRE(times(fs, f) == "6 7 7");
  FileSystem::TruncateRequest truncate;
  truncate.node = f;
  truncate.size = 1;
  truncate.time = 8;
  FileSystem::TruncateResponse truncated;
  REQUIRE(c.truncate(truncate, truncated) == Status::kOk);
  REQUIRE(times(fs, f) == "6 8 8");
  REQUIRE(times(fs, d) == "5 6 6");  // the directory's names did not change
  FileSystem::LinkRequest link;
  link.node = f;
  link.to.set("/g");
  link.time = 9;
  FileSystem::LinkResponse linked;
  REQUIRE(c.link(link, linked) == Status::kOk);
  REQUIRE(times(fs, f) == "6 8 9");
  REQUIRE(times(fs, 0x1'0000'0000) == "0 9 9");
  FileSystem::RenameRequest rename;
  rename.from.set("/d/f");
  rename.to.set("/f");
  rename.time = 10;
  FileSystem::RenameResponse renamed;
  REQUIRE(c.rename(rename, renamed) == Status::kOk);
  REQUIRE(times(fs, f) == "6 8 10");
  REQUIRE(times(fs, d) == "5 10 10");
  REQUIRE(times(fs, 0x1'0000'0000) == "0 10 10");
  FileSystem::RemoveRequest remove;
  remove.path.set("/g");  // one of its two names: the node stays
  remove.time = 11;
  FileSystem::RemoveResponse removed;
  REQUIRE(c.remove(remove, removed) == Status::kOk);
  REQUIRE(times(fs, f) == "6 8 11");
  REQUIRE(times(fs, 0x1'0000'0000) == "0 11 11");
  REQUIRE(attributes(fs, f) == "mode 2541 uid 1000 gid 100 atime 6 mtime 8 ctime 11");
  fs.finish();
}

TEST_CASE("attributes: setattr takes what it names, the ctime always; every error",
          "[ramfs][attr]") {
  Fs fs(loopback_or_local());
  const FileSystem::Client& c = fs.client();
  const uint64_t f = fs.file("/f");
  FileSystem::SetattrRequest req;
  req.node = f;
  req.change.set_mode = true;
  req.change.mode = 0640;
  req.change.uid = 5;  // not named: not taken
  req.change.atime = 6;
  req.change.ctime = 20;
  FileSystem::SetattrResponse resp;
  REQUIRE(c.setattr(req, resp) == Status::kOk);
  REQUIRE(resp.info.node == f);
  REQUIRE(resp.info.mode == 0640);
  REQUIRE(attributes(fs, f) == "mode 416 uid 0 gid 0 atime 0 mtime 0 ctime 20");
  req.change = {};
  req.change.set_uid = req.change.set_gid = req.change.set_atime = req.change.set_mtime = true;
  req.change.uid = 1;
  req.change.gid = 2;
  req.change.atime = -3;  // before the epoch
  req.change.mtime = 4;
  req.change.ctime = 21;
  REQUIRE(c.setattr(req, resp) == Status::kOk);
  REQUIRE(attributes(fs, f) == "mode 416 uid 1 gid 2 atime -3 mtime 4 ctime 21");
  // Errors change nothing: a mode past the permission bits, a node that is gone.
  req.change = {};
  req.change.set_mode = true;
  req.change.mode = 010000;
  req.change.ctime = 22;
  REQUIRE(c.setattr(req, resp) == Status::kInvalidArgument);
  FileSystem::CreateRequest create;
  create.path.set("/g");
  create.mode = 010000;
  FileSystem::CreateResponse made;
  REQUIRE(c.create(create, made) == Status::kInvalidArgument);
  REQUIRE(fs.open("/g") == Status::kNotFound);
  REQUIRE(attributes(fs, f) == "mode 416 uid 1 gid 2 atime -3 mtime 4 ctime 21");
  REQUIRE(fs.remove("/f") == Status::kOk);
  req.change.mode = 0;
  REQUIRE(c.setattr(req, resp) == Status::kBadHandle);
  fs.finish();
}

TEST_CASE("stop: every file's bytes go back, whatever is left", "[ramfs]") {
  Fs fs(loopback_or_local());
  fs.dir("/d");
  fs.write_all(fs.file("/d/a"), 0, pattern(3 * kExtent + 5, 1));
  fs.write_all(fs.file("/b"), 5 * kExtent, "x");  // a hole, then an extent
  REQUIRE(test::live_extents() == 5);
  fs.service().stop();
  REQUIRE(test::live_extents() == 0);
}

}  // namespace
}  // namespace hmk::svc::ramfs

// A randomized model check of the direct + index extent scheme: bytes, size and the extents
// held, with allocations failing now and then.
namespace hmk::svc::ramfs {
namespace {
TEST_CASE("random writes and truncates against a model", "[ramfs][model]") {
  Fs fs(false);
  const uint64_t f = fs.file("/f");
  std::string model;
  std::vector<bool> allocated(RamfsService::kExtentsPerFile, false);
  uint64_t seed = 12345;
  auto rnd = [&]() {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  const uint64_t span = kIndirect + 40 * kExtent;
  for (int round = 0; round < 4000; ++round) {
    const uint64_t op = rnd() % 10;
    if (op < 7) {
      const uint64_t off = rnd() % span;
      const uint64_t len = 1 + rnd() % 992;
      const std::string data = pattern(len, rnd());
      int64_t allowance = (rnd() % 8 == 0) ? static_cast<int64_t>(rnd() % 2) : -1;
      test::fail_extents_after(allowance);
      uint32_t written = 0;
      const Status s = fs.write(f, off, data, &written);
      // model
      uint64_t done = 0;
      int64_t left = allowance;
      bool index = false;
      for (uint32_t b = RamfsService::kDirectExtents; b < allocated.size(); ++b)
        index |= allocated[b];
      while (done < len) {
        const uint64_t at = off + done;
        const uint32_t b = static_cast<uint32_t>(at / kExtent);
        const uint64_t chunk = std::min<uint64_t>(len - done, kExtent - at % kExtent);
        bool ok = true;
        if (!allocated[b]) {
          bool new_index = false;
          if (b >= RamfsService::kDirectExtents && !index) {
            if (left == 0)
              ok = false;
            else {
              if (left > 0) --left;
              index = true;
              new_index = true;
            }
          }
          if (ok) {
            if (left == 0) {
              ok = false;
              if (new_index) index = false;
            } else {
              if (left > 0) --left;
              allocated[b] = true;
            }
          }
        }
        if (!ok) break;
        done += chunk;
      }
      test::fail_extents_after(-1);
      if (done == 0) {
        REQUIRE(s == Status::kNoSpace);
      } else {
        REQUIRE(s == Status::kOk);
        REQUIRE(written == done);
        if (model.size() < off + done) model.resize(off + done, '\0');
        model.replace(off, done, data.substr(0, done));
      }
    } else if (op < 9) {
      const uint64_t size = rnd() % span;
      REQUIRE(fs.truncate(f, size) == Status::kOk);
      if (size < model.size()) {
        for (uint64_t b = (size + kExtent - 1) / kExtent; b < allocated.size(); ++b)
          allocated[b] = false;
      }
      model.resize(size, '\0');
    } else {
      const uint64_t off = model.empty() ? 0 : rnd() % model.size();
      const uint64_t len = std::min<uint64_t>(992, model.size() - off);
      std::string out;
      REQUIRE(fs.read(f, off, static_cast<uint32_t>(len), &out) == Status::kOk);
      REQUIRE(out == model.substr(off, len));
    }
    REQUIRE(fs.size_of(f) == model.size());
    uint64_t expect = 0;
    bool any_indirect = false;
    for (uint32_t b = 0; b < allocated.size(); ++b) {
      if (allocated[b]) ++expect;
      if (allocated[b] && b >= RamfsService::kDirectExtents) any_indirect = true;
    }
    if (any_indirect) ++expect;
    INFO("round " << round);
    REQUIRE(fs.usage().data_bytes == expect * kExtent);
  }
  REQUIRE(fs.read_all(f, 0, model.size()) == model);
  fs.finish();
}
}  // namespace
}  // namespace hmk::svc::ramfs
