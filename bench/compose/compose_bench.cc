// The composition benchmark: one file workload and a null call through the FileSystem
// interface of vfs, the same program under every profile (bench/compose/BUILD), so the figures
// differ only by where the services run.
//
// Cases (one sample = one repetition, in rdtsc ticks = virtual ns under -icount shift=0):
//   compose.null_rpc    ping, answered by vfs itself: the client-to-service call path
//   compose.create      create /bench.N
//   compose.write_4k    write 4 KiB at offset 0 in eight 512-byte calls
//   compose.read_4k     read it back in eight 512-byte calls (checked after timing)
//   compose.remove      remove the file
//   compose.file_cycle  the four above, end to end
// Every file call goes client -> vfs -> ramfs, so a profile that puts vfs and ramfs together
// saves one hop per call.
#include <stdint.h>

#include "bench/common/report.h"
#include "core/lib/format.h"
#include "svc/lib/clock.h"
#include "svc/lib/print.h"
#include "svc/lib/rpc_ipc.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::bench {
namespace {

using rpc::Status;
using svc::fs::FileSystem;

constexpr int kNullSamples = 2000;
constexpr int kFileSamples = 1000;
constexpr int kWarmup = kWarmupRounds;
constexpr uint32_t kChunk = 512;
constexpr uint32_t kFileBytes = 4096;

uint64_t g_null[kNullSamples];
uint64_t g_create[kFileSamples];
uint64_t g_write[kFileSamples];
uint64_t g_read[kFileSamples];
uint64_t g_remove[kFileSamples];
uint64_t g_cycle[kFileSamples];
FileSystem::Client g_fs;
int g_failures = 0;

void fail(const char* what, Status s) {
  rt::print("BENCH_FAIL %s: %s\n", what, rpc::status_name(s));
  ++g_failures;
}

void null_rpc(uint64_t overhead) {
  FileSystem::PingResponse pong;
  for (int i = -kWarmup; i < kNullSamples; ++i) {
    const uint64_t t0 = rt::cycle_counter();
    const Status s = g_fs.ping({}, pong);
    const uint64_t t1 = rt::cycle_counter();
    if (s != Status::kOk) return fail("compose.null_rpc: ping", s);
    if (i >= 0) g_null[i] = t1 - t0;
  }
  report("compose.null_rpc", g_null, kNullSamples, overhead);
}

// One create / write / read / remove repetition; false (after reporting) on any error.
bool file_cycle(int i, FileSystem::WriteRequest& wreq, uint64_t* times) {
  FileSystem::CreateRequest creq;
  snformat(creq.path.data, sizeof(creq.path.data), "/bench.%d", i);
  creq.path.size = 0;
  while (creq.path.data[creq.path.size] != '\0')
    ++creq.path.size;
  creq.kind = svc::fs::NodeKind::kFile;
  FileSystem::CreateResponse cresp;
  FileSystem::WriteResponse wresp;
  FileSystem::ReadRequest rreq;
  FileSystem::ReadResponse rresp;
  FileSystem::RemoveRequest dreq;
  dreq.path = creq.path;
  FileSystem::RemoveResponse dresp;
  uint8_t back[kFileBytes];

  const uint64_t t0 = rt::cycle_counter();
  Status s = g_fs.create(creq, cresp);
  const uint64_t t1 = rt::cycle_counter();
  if (s != Status::kOk) return fail("compose.create", s), false;
  wreq.node = cresp.node;
  for (uint32_t off = 0; off < kFileBytes && s == Status::kOk; off += kChunk) {
    wreq.offset = off;
    s = g_fs.write(wreq, wresp);
  }
  const uint64_t t2 = rt::cycle_counter();
  if (s != Status::kOk) return fail("compose.write_4k", s), false;
  rreq.node = cresp.node;
  rreq.length = kChunk;
  for (uint32_t off = 0; off < kFileBytes && s == Status::kOk; off += kChunk) {
    rreq.offset = off;
    s = g_fs.read(rreq, rresp);
    for (uint32_t j = 0; j < rresp.data.size && off + j < kFileBytes; ++j)
      back[off + j] = rresp.data.data[j];
  }
  const uint64_t t3 = rt::cycle_counter();
  if (s != Status::kOk) return fail("compose.read_4k", s), false;
  s = g_fs.remove(dreq, dresp);
  const uint64_t t4 = rt::cycle_counter();
  if (s != Status::kOk) return fail("compose.remove", s), false;
  for (uint32_t j = 0; j < kFileBytes; ++j) {
    if (back[j] != wreq.data.data[j % kChunk]) {
      rt::print("BENCH_FAIL compose.read_4k: byte %u differs\n", j);
      ++g_failures;
      return false;
    }
  }
  times[0] = t1 - t0;
  times[1] = t2 - t1;
  times[2] = t3 - t2;
  times[3] = t4 - t3;
  times[4] = t4 - t0;
  return true;
}

void file_workload(uint64_t overhead) {
  FileSystem::WriteRequest wreq;
  wreq.data.size = kChunk;
  for (uint32_t j = 0; j < kChunk; ++j)
    wreq.data.data[j] = static_cast<uint8_t>(j * 13 + 5);
  for (int i = -kWarmup; i < kFileSamples; ++i) {
    uint64_t t[5];
    if (!file_cycle(i + kWarmup, wreq, t)) return;
    if (i < 0) continue;
    g_create[i] = t[0];
    g_write[i] = t[1];
    g_read[i] = t[2];
    g_remove[i] = t[3];
    g_cycle[i] = t[4];
  }
  report("compose.create", g_create, kFileSamples, overhead);
  report("compose.write_4k", g_write, kFileSamples, overhead);
  report("compose.read_4k", g_read, kFileSamples, overhead);
  report("compose.remove", g_remove, kFileSamples, overhead);
  report("compose.file_cycle", g_cycle, kFileSamples, overhead);
}

}  // namespace
}  // namespace hmk::bench

int main() {
  using namespace hmk;
  bench::g_fs = svc::fs::FileSystem::Client(rt::connect("vfs", svc::fs::FileSystem::kInterfaceId));
  if (bench::g_fs.channel().kind() == rpc::Channel::Kind::kNone) {
    rt::print("BENCH_FAIL the manifest did not grant vfs\n");
    return 1;
  }
  rt::print("BENCH_INFO timer=rdtsc unit=virtual_ns chunk=512 file=4096\n");
  const uint64_t overhead = bench::timing_overhead();
  bench::null_rpc(overhead);
  bench::file_workload(overhead);
  return bench::g_failures;
}
