// The services test: one client program that exercises the console and the file system through
// the generated clients. Every profile (profiles/BUILD) runs this same program with the same
// assertions; only where the services run differs.
//
// Output: one line per check, "SVC-NNNN description ... ok" or "... FAIL (details)", then a
// summary. The exit status is the number of failed checks.
#include "core/lib/format.h"
#include "core/lib/util.h"
#include "svc/console/console.hmk.h"
#include "svc/lib/print.h"
#include "svc/lib/rpc_ipc.h"
#include "svc/lib/syscall.h"
#include "svc/ramfs/ramfs.hmk.h"
#include "test/services/client_calls.h"

using hmk::rpc::Status;
using hmk::svc::console::Console;
using hmk::svc::fs::FileSystem;
using hmk::svc::fs::NodeKind;

namespace {

int g_passed = 0;
int g_failed = 0;

void check(const char* id, const char* what, bool ok, const char* detail = "") {
  if (ok) {
    ++g_passed;
    hmk::rt::print("%s %s ... ok\n", id, what);
  } else {
    ++g_failed;
    hmk::rt::print("%s %s ... FAIL %s\n", id, what, detail);
  }
}

void expect_status(const char* id, const char* what, Status got, Status want) {
  char detail[96];
  hmk::snformat(detail, sizeof(detail), "(got %s, want %s)", hmk::rpc::status_name(got),
                hmk::rpc::status_name(want));
  check(id, what, got == want, detail);
}

Console::Client g_console;
FileSystem::Client g_fs;

void say(const char* text) {
  hmk::test::services::say(g_console, text);
}

Status create(const char* path, NodeKind kind, uint64_t* node = nullptr) {
  return hmk::test::services::create(g_fs, path, kind, node);
}

Status open(const char* path, hmk::svc::fs::NodeInfo* info) {
  FileSystem::OpenRequest req;
  req.path.set(path);
  FileSystem::OpenResponse resp;
  const Status s = g_fs.open(req, resp);
  *info = resp.info;
  return s;
}

Status remove(const char* path) {
  return hmk::test::services::remove(g_fs, path);
}

uint8_t pattern(uint64_t i) {
  return static_cast<uint8_t>(i * 7 + (i >> 8) + 1);
}

// Writes `size` bytes of pattern() at `offset`, as much as a message carries a call.
bool write_pattern(uint64_t node, uint64_t offset, uint64_t size) {
  for (uint64_t done = 0; done < size;) {
    FileSystem::WriteRequest req;
    req.node = node;
    req.offset = offset + done;
    req.data.size = static_cast<uint32_t>(hmk::min<uint64_t>(size - done, req.data.kMax));
    for (uint32_t i = 0; i < req.data.size; ++i)
      req.data.data[i] = pattern(offset + done + i);
    FileSystem::WriteResponse resp;
    if (g_fs.write(req, resp) != Status::kOk || resp.written != req.data.size) return false;
    done += req.data.size;
  }
  return true;
}

bool read_matches(uint64_t node, uint64_t offset, uint64_t size) {
  for (uint64_t done = 0; done < size;) {
    FileSystem::ReadRequest req;
    req.node = node;
    req.offset = offset + done;
    req.length = static_cast<uint32_t>(hmk::min<uint64_t>(size - done, 512));
    FileSystem::ReadResponse resp;
    if (g_fs.read(req, resp) != Status::kOk || resp.data.size != req.length) return false;
    for (uint32_t i = 0; i < resp.data.size; ++i)
      if (resp.data.data[i] != pattern(offset + done + i)) return false;
    done += resp.data.size;
  }
  return true;
}

uint64_t size_of(uint64_t node) {
  FileSystem::StatRequest req;
  req.node = node;
  FileSystem::StatResponse resp;
  return g_fs.stat(req, resp) == Status::kOk ? resp.info.size : ~0ull;
}

// SVC-0003 .. SVC-0009: the null call and creating nodes; the directory and file it made.
void test_create(uint64_t* dir, uint64_t* file) {
  FileSystem::PingResponse pong;
  expect_status("SVC-0003", "null call (ping)", g_fs.ping({}, pong), Status::kOk);

  expect_status("SVC-0004", "create a directory", create("/dir", NodeKind::kDirectory, dir),
                Status::kOk);
  expect_status("SVC-0005", "create a file in it", create("/dir/a", NodeKind::kFile, file),
                Status::kOk);
  expect_status("SVC-0006", "create an existing name", create("/dir/a", NodeKind::kFile),
                Status::kExists);
  expect_status("SVC-0007", "create below a missing directory", create("/none/x", NodeKind::kFile),
                Status::kNotFound);
  expect_status("SVC-0008", "create a relative path", create("dir/b", NodeKind::kFile),
                Status::kInvalidArgument);
  expect_status("SVC-0009", "create below a file", create("/dir/a/x", NodeKind::kFile),
                Status::kNotDirectory);
}

// SVC-0010 .. SVC-0017: writing, reading, holes and truncation of `file`.
void test_read_write(uint64_t file) {
  check("SVC-0010", "write 4 KiB, a message's worth a call", write_pattern(file, 0, 4096));
  check("SVC-0011", "stat: the size is 4096", size_of(file) == 4096);
  check("SVC-0012", "read the 4 KiB back", read_matches(file, 0, 4096));
  {
    FileSystem::ReadRequest req;
    req.node = file;
    req.offset = 4096;
    req.length = 100;
    FileSystem::ReadResponse resp;
    const Status s = g_fs.read(req, resp);
    check("SVC-0013", "read at the end of the file gives 0 bytes",
          s == Status::kOk && resp.data.size == 0);
  }
  check("SVC-0014", "write past the end across an extent boundary",
        write_pattern(file, 20000, 1000) && size_of(file) == 21000 &&
            read_matches(file, 20000, 1000));
  {
    FileSystem::ReadRequest req;
    req.node = file;
    req.offset = 8000;
    req.length = 512;
    FileSystem::ReadResponse resp;
    bool zeros = g_fs.read(req, resp) == Status::kOk && resp.data.size == 512;
    for (uint32_t i = 0; zeros && i < resp.data.size; ++i)
      zeros = resp.data.data[i] == 0;
    check("SVC-0015", "the hole reads as zeros", zeros);
  }
  {
    FileSystem::TruncateRequest req;
    req.node = file;
    req.size = 100;
    FileSystem::TruncateResponse resp;
    const Status s = g_fs.truncate(req, resp);
    check("SVC-0016", "truncate to 100 bytes",
          s == Status::kOk && size_of(file) == 100 && read_matches(file, 0, 100));
    req.size = 200;
    FileSystem::ReadRequest rreq;
    rreq.node = file;
    rreq.offset = 100;
    rreq.length = 100;
    FileSystem::ReadResponse rresp;
    bool zeros = g_fs.truncate(req, resp) == Status::kOk && g_fs.read(rreq, rresp) == Status::kOk &&
                 rresp.data.size == 100;
    for (uint32_t i = 0; zeros && i < rresp.data.size; ++i)
      zeros = rresp.data.data[i] == 0;
    check("SVC-0017", "growing again by truncate reads zeros past the old end", zeros);
  }
}

// SVC-0018 .. SVC-0019: a directory of twelve entries, more than one list() reply holds.
void test_listing(uint64_t dir) {
  bool made = true;
  for (int i = 0; i < 11; ++i) {
    char path[32];
    hmk::snformat(path, sizeof(path), "/dir/f%02d", i);
    made = made && create(path, NodeKind::kFile) == Status::kOk;
  }
  check("SVC-0018", "create 11 more files", made);
  {
    uint32_t cookie = 0;
    uint32_t seen = 0;
    uint32_t calls = 0;
    bool found_a = false;
    bool done = false;
    while (!done && calls < 10) {
      FileSystem::ListRequest req;
      req.node = dir;
      req.cookie = cookie;
      FileSystem::ListResponse resp;
      if (g_fs.list(req, resp) != Status::kOk) break;
      ++calls;
      for (uint32_t i = 0; i < resp.entries.size; ++i) {
        ++seen;
        found_a = found_a || resp.entries.items[i].name.equals("a");
      }
      cookie = resp.next;
      done = resp.done;
    }
    char detail[64];
    hmk::snformat(detail, sizeof(detail), "(%u entries in %u calls)", seen, calls);
    check("SVC-0019", "list the directory in pages", done && seen == 12 && found_a && calls == 2,
          detail);
  }
}

// SVC-0020 .. SVC-0024, SVC-0046: rename, link, remove, and everything freed afterwards.
void test_rename_remove(uint64_t file) {
  {
    FileSystem::RenameRequest req;
    req.from.set("/dir/a");
    req.to.set("/dir/b");
    FileSystem::RenameResponse resp;
    hmk::svc::fs::NodeInfo info;
    const bool ok = g_fs.rename(req, resp) == Status::kOk &&
                    open("/dir/a", &info) == Status::kNotFound &&
                    open("/dir/b", &info) == Status::kOk && info.node == file && info.size == 200;
    check("SVC-0020", "rename keeps the node", ok);
  }
  {
    FileSystem::LinkRequest req;
    req.node = file;
    req.to.set("/dir/c");
    FileSystem::LinkResponse resp;
    hmk::svc::fs::NodeInfo info;
    const Status linked = g_fs.link(req, resp);
    const bool two = open("/dir/c", &info) == Status::kOk && info.node == file && info.links == 2;
    const Status removed = remove("/dir/c");
    const bool one = open("/dir/b", &info) == Status::kOk && info.node == file && info.links == 1 &&
                     info.size == 200;
    char detail[96];
    hmk::snformat(detail, sizeof(detail), "(link %s, remove %s)", hmk::rpc::status_name(linked),
                  hmk::rpc::status_name(removed));
    check("SVC-0046", "link names the node twice; removing one name keeps it",
          linked == Status::kOk && two && removed == Status::kOk && one, detail);
  }
  expect_status("SVC-0021", "remove a directory that is not empty", remove("/dir"),
                Status::kNotEmpty);
  bool removed = remove("/dir/b") == Status::kOk;
  for (int i = 0; i < 11; ++i) {
    char path[32];
    hmk::snformat(path, sizeof(path), "/dir/f%02d", i);
    removed = removed && remove(path) == Status::kOk;
  }
  check("SVC-0022", "remove the files, then the directory",
        removed && remove("/dir") == Status::kOk);
  check("SVC-0023", "a removed node's id is refused", size_of(file) == ~0ull);
  {
    FileSystem::UsageResponse resp;
    const Status s = g_fs.usage({}, resp);
    char detail[96];
    hmk::snformat(detail, sizeof(detail), "(%u nodes, %lu data bytes)", resp.usage.nodes,
                  resp.usage.data_bytes);
    check("SVC-0024", "everything is freed: only the root is left, no data",
          s == Status::kOk && resp.usage.nodes == 1 && resp.usage.data_bytes == 0, detail);
  }
}

void test_files() {
  uint64_t dir = 0;
  uint64_t file = 0;
  test_create(&dir, &file);
  test_read_write(file);
  test_listing(dir);
  test_rename_remove(file);
}

// The 32 MiB file limit (ramfs's 2048 extents, all but the first 12 named by an index extent)
// at its exact edges, through the real transport: in the kernel profile a mistake here would
// read or write kernel memory.
void test_limits() {
  constexpr uint64_t kLimit = 32 << 20;
  uint64_t big = 0;
  if (create("/big", NodeKind::kFile, &big) != Status::kOk) {
    check("SVC-0025", "create /big", false);
    return;
  }
  // The status, or kIo for a short write of other than `expect` bytes (default: all).
  auto write = [&](uint64_t offset, uint32_t size, uint32_t expect = ~0u) {
    FileSystem::WriteRequest req;
    req.node = big;
    req.offset = offset;
    req.data.size = size;
    for (uint32_t i = 0; i < size; ++i)
      req.data.data[i] = pattern(i);
    FileSystem::WriteResponse resp;
    const Status s = g_fs.write(req, resp);
    return s == Status::kOk && resp.written != (expect == ~0u ? size : expect) ? Status::kIo : s;
  };
  auto read = [&](uint64_t offset, uint32_t length, uint32_t* got) {
    FileSystem::ReadRequest req;
    req.node = big;
    req.offset = offset;
    req.length = length;
    FileSystem::ReadResponse resp;
    const Status s = g_fs.read(req, resp);
    *got = resp.data.size;
    return s;
  };
  auto truncate = [&](uint64_t size) {
    FileSystem::TruncateRequest req;
    req.node = big;
    req.size = size;
    FileSystem::TruncateResponse resp;
    return g_fs.truncate(req, resp);
  };
  check("SVC-0025",
        "a write ending exactly at 32 MiB is accepted, one across it stores what fits, one at it "
        "is kTooLong",
        write(kLimit - 512, 512) == Status::kOk && write(kLimit - 1, 1) == Status::kOk &&
            write(kLimit - 1, 2, 1) == Status::kOk && write(kLimit, 1) == Status::kTooLong &&
            write(~0ull, 1) == Status::kTooLong && size_of(big) == kLimit);
  uint32_t at_end = 1;
  uint32_t past = 1;
  uint32_t far = 1;
  uint32_t straddling = 0;
  check("SVC-0026", "read at and past the end of a 32 MiB file gives 0 bytes, across it the rest",
        read(kLimit, 512, &at_end) == Status::kOk && at_end == 0 &&
            read(kLimit + 1, 512, &past) == Status::kOk && past == 0 &&
            read(~0ull, 512, &far) == Status::kOk && far == 0 &&
            read(kLimit - 3, 512, &straddling) == Status::kOk && straddling == 3);
  check("SVC-0027", "truncate to exactly 32 MiB is accepted, one byte more is kTooLong",
        truncate(0) == Status::kOk && truncate(kLimit) == Status::kOk &&
            truncate(kLimit + 1) == Status::kTooLong && size_of(big) == kLimit &&
            remove("/big") == Status::kOk);
}

uint64_t own_used() {
  hmk::Result<hmk::rt::QuotaInfo> q = hmk::rt::quota_info(hmk::abi::kSelfSpace);
  return q.ok() ? q->used : ~0ull;
}

// Filling ramfs until a write finds no extent. In a process, the domain's quota covers ramfs's
// whole table of extents (its manifest line's quota=, from ramfs's quota_mib), so the table (4096
// extents, 64 MiB) runs out; in the kernel every extent is charged to this client, whose 16 MiB
// run out first. Either way that write fails with kNoSpace, and removing the files frees it all.
void test_no_space() {
  constexpr uint64_t kExtentBytes = 16 * 1024;
  constexpr uint64_t kTableExtents = 4096;
  constexpr uint64_t kFileBytes = 12 * kExtentBytes;  // its direct extents only: no index extent
  constexpr uint32_t kMaxFiles = 400;                 // 75 MiB: more than the table holds
  char path[16];
  uint32_t files = 0;
  uint64_t extents = 0;
  Status s = Status::kOk;
  const uint64_t own_before = own_used();
  while (s == Status::kOk && files < kMaxFiles) {
    hmk::snformat(path, sizeof(path), "/fill%u", files);
    uint64_t node = 0;
    s = create(path, NodeKind::kFile, &node);
    if (s != Status::kOk) break;
    ++files;
    for (uint64_t at = 0; at < kFileBytes && s == Status::kOk; at += kExtentBytes) {
      s = hmk::test::services::write_byte(g_fs, node, at);  // one byte: one extent
      if (s == Status::kOk) ++extents;
    }
  }
  const uint64_t own_full = own_used();
  bool removed = true;
  for (uint32_t i = 0; i < files; ++i) {
    hmk::snformat(path, sizeof(path), "/fill%u", i);
    removed = remove(path) == Status::kOk && removed;
  }
  FileSystem::UsageResponse usage;
  const Status counted = g_fs.usage({}, usage);
  const bool table_ran_out = extents == kTableExtents;
  const bool client_paid = own_full - own_before == extents * kExtentBytes;
  char detail[200];
  hmk::snformat(detail, sizeof(detail),
                "(%s after %lu extents in %u files, this client paying %lu bytes; removed: %s; "
                "then %u nodes, %lu bytes)",
                hmk::rpc::status_name(s), extents, files, own_full - own_before,
                removed ? "yes" : "no", usage.usage.nodes, usage.usage.data_bytes);
  check("SVC-0028",
        "filling ramfs: the table of extents (in a process) or the client's quota (in the kernel) "
        "runs out, the write that finds no extent is kNoSpace; removing the files frees it all",
        s == Status::kNoSpace && extents > 0 && table_ran_out != client_paid && removed &&
            counted == Status::kOk && usage.usage.nodes == 1 && usage.usage.data_bytes == 0,
        detail);
}

// Requests no generated client would send, straight through the channel: the server must
// answer each with an error and keep serving.
void test_malformed() {
  hmk::rpc::Message msg;
  msg.label = 99;
  msg.size = 0;
  Status s = g_fs.channel().call(msg);
  expect_status("SVC-0030", "unknown method ordinal",
                s == Status::kOk ? static_cast<Status>(msg.label) : s, Status::kBadMethod);

  msg = hmk::rpc::Message();
  msg.label = static_cast<uint32_t>(FileSystem::Method::kWrite);
  hmk::rpc::Writer w(msg);
  w.scalar<uint64_t>(1);  // node only: offset and data are missing
  s = g_fs.channel().call(msg);
  expect_status("SVC-0031", "short message", s == Status::kOk ? static_cast<Status>(msg.label) : s,
                Status::kBadMessage);

  msg = hmk::rpc::Message();
  msg.label = static_cast<uint32_t>(FileSystem::Method::kWrite);
  hmk::rpc::Writer w2(msg);
  w2.scalar<uint64_t>(1);
  w2.scalar<uint64_t>(0);
  // A Data count one over its maximum of 512, with all 513 bytes there: only the count is wrong
  // (a count without its bytes would be refused as a short message as well).
  static const uint8_t kOver[513] = {};
  w2.bytes(kOver, sizeof(kOver), sizeof(kOver));
  s = g_fs.channel().call(msg);
  expect_status("SVC-0032", "oversize length (513 bytes of data, at most 512)",
                s == Status::kOk ? static_cast<Status>(msg.label) : s, Status::kBadMessage);

  msg = hmk::rpc::Message();
  msg.label = static_cast<uint32_t>(FileSystem::Method::kCreate);
  hmk::rpc::Writer w3(msg);
  w3.bytes("/x", 2, 256);
  w3.scalar<uint16_t>(7);  // no NodeKind 7
  s = g_fs.channel().call(msg);
  expect_status("SVC-0033", "enum value out of range",
                s == Status::kOk ? static_cast<Status>(msg.label) : s, Status::kBadMessage);

  FileSystem::PingResponse pong;
  expect_status("SVC-0034", "the server still answers", g_fs.ping({}, pong), Status::kOk);

  // notify_on_input takes a capability: a request that names one but carries none.
  msg = hmk::rpc::Message();
  msg.label = static_cast<uint32_t>(Console::Method::kNotifyOnInput);
  hmk::rpc::Writer w4(msg);
  w4.scalar<uint32_t>(0);  // "the message's capability 0", which is not there
  s = g_console.channel().call(msg);
  expect_status("SVC-0035", "missing capability",
                s == Status::kOk ? static_cast<Status>(msg.label) : s, Status::kMissingCapability);
}

void test_console() {
  {
    Console::NotifyOnInputRequest req;
    Console::NotifyOnInputResponse resp;
    hmk::Result<hmk::abi::Handle> endpoint = hmk::rt::endpoint_create();
    req.notifier.handle = endpoint.ok() ? *endpoint : 0;
    expect_status("SVC-0043", "a notifier that is no notification is refused",
                  g_console.notify_on_input(req, resp), Status::kInvalidArgument);
    if (endpoint.ok()) (void)hmk::rt::cap_delete(*endpoint);
  }
  hmk::Result<hmk::abi::Handle> notifier = hmk::rt::notification_create();
  {
    Console::NotifyOnInputRequest req;
    Console::NotifyOnInputResponse resp;
    req.notifier.handle = notifier.ok() ? *notifier : 0;
    expect_status("SVC-0044", "register a notification for input (a capability in a request)",
                  g_console.notify_on_input(req, resp), Status::kOk);
  }
  say("services test: hello through the console service\n");
  Console::FlushResponse flushed;
  expect_status("SVC-0040", "console write and flush", g_console.flush({}, flushed), Status::kOk);
  say("services test: type a line (the test expects: hello hmk)\n");
  Console::ReadLineResponse line;
  const Status s = g_console.read_line({}, line);
  char detail[300];
  hmk::snformat(detail, sizeof(detail), "(%s, '%.*s')", hmk::rpc::status_name(s),
                static_cast<int>(line.line.size), line.line.data);
  check("SVC-0041", "read a line", s == Status::kOk && line.line.equals("hello hmk"), detail);
  hmk::Result<uint64_t> bits =
      notifier.ok() ? hmk::rt::poll(*notifier) : hmk::Result<uint64_t>(0ull);
  check("SVC-0045", "the line also signalled the notification", bits.ok() && *bits != 0);
  Console::StatsResponse stats;
  const Status t = g_console.stats({}, stats);
  hmk::snformat(detail, sizeof(detail), "(%lu interrupts, %lu bytes out, %lu in)",
                stats.stats.interrupts, stats.stats.bytes_out, stats.stats.bytes_in);
  check("SVC-0042", "the UART is interrupt-driven: interrupts, bytes out and in counted",
        t == Status::kOk && stats.stats.interrupts > 0 && stats.stats.bytes_out >= 50 &&
            stats.stats.bytes_in >= 10,
        detail);
  hmk::rt::print("%s\n", detail);
}

}  // namespace

int main() {
  hmk::rt::print("services test: start\n");
  g_console = Console::Client(hmk::rt::connect("console", Console::kInterfaceId));
  g_fs = FileSystem::Client(hmk::rt::connect("vfs", FileSystem::kInterfaceId));
  check("SVC-0001", "the manifest granted console and vfs",
        g_console.channel().kind() != hmk::rpc::Channel::Kind::kNone &&
            g_fs.channel().kind() != hmk::rpc::Channel::Kind::kNone);
  check(
      "SVC-0002", "ramfs was not granted, so it cannot be reached",
      hmk::rt::connect("ramfs", FileSystem::kInterfaceId).kind() == hmk::rpc::Channel::Kind::kNone);
  // The kernel refuses the call (no such capability); the transport reports that as kNoService.
  const FileSystem::Client stranger(hmk::rpc::Channel::ipc(0x7fff, FileSystem::kInterfaceId));
  FileSystem::PingResponse pong;
  expect_status("SVC-0029", "a call through a handle this process does not hold",
                stranger.ping({}, pong), Status::kNoService);
  test_files();
  test_limits();
  test_no_space();
  test_malformed();
  test_console();
  hmk::rt::print("services test: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed;
}
