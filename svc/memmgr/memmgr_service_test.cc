// memmgr on the host, through the host service environment (svc/lib/test_env.h): map, unmap and
// protect keeping the map canonical (adjacent pages of the same rights and backing are one
// region), the argument checks, budgets, move (more, keep), copy, close and clear, place, fault,
// find, running out of spaces, of pool records and of a space's own regions (nothing changes
// then), and thousands of random calls checked against a page-by-page model. Each test runs
// twice: through a local channel (a direct call) and through the loopback transport (encoded, as
// over IPC).
#include "svc/memmgr/memmgr_service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "svc/lib/test_env.h"

namespace hmk::svc::memmgr {
namespace {

using rpc::Status;
using M = MemmgrService;
constexpr uint64_t kPage = M::kPageSize;
constexpr uint64_t kBase = 0x40000000;  // where the tests put their regions
constexpr uint64_t kNoLimit = UINT64_MAX;
constexpr uint8_t kR = 1;
constexpr uint8_t kW = 2;
constexpr uint8_t kX = 4;
constexpr uint8_t kRW = kR | kW;

// The address of page `n` from kBase.
constexpr uint64_t at(uint64_t n) {
  return kBase + n * kPage;
}

// A memmgr started in the host environment, and a client of it.
class Mm {
 public:
  explicit Mm(bool loopback) : service_(std::make_unique<MemmgrService>()) {
    test::reset();
    svc::Env env;
    REQUIRE(service_->start(env) == Status::kOk);
    MemoryManager::Server* server = service_.get();
    client_ =
        MemoryManager::Client(loopback ? test::loopback(server, &MemoryManager::dispatch_erased,
                                                        MemoryManager::kInterfaceId)
                                       : MemoryManager::local_channel(server));
  }

  // The new space, or 0 with *status set.
  uint32_t open(uint64_t budget = kNoLimit, Status* status = nullptr) {
    MemoryManager::OpenRequest req;
    req.budget = budget;
    MemoryManager::OpenResponse resp;
    const Status s = client_.open(req, resp);
    if (status != nullptr) *status = s;
    return s == Status::kOk ? resp.space : 0;
  }
  uint32_t copy(uint32_t space, Status* status = nullptr) {
    MemoryManager::CopyRequest req;
    req.space = space;
    MemoryManager::CopyResponse resp;
    const Status s = client_.copy(req, resp);
    if (status != nullptr) *status = s;
    return s == Status::kOk ? resp.copy : 0;
  }
  Status close(uint32_t space) {
    MemoryManager::CloseRequest req;
    req.space = space;
    MemoryManager::CloseResponse resp;
    return client_.close(req, resp);
  }
  Status set_budget(uint32_t space, uint64_t budget) {
    MemoryManager::SetBudgetRequest req;
    req.space = space;
    req.budget = budget;
    MemoryManager::SetBudgetResponse resp;
    return client_.set_budget(req, resp);
  }
  Status map(uint32_t space, uint64_t start, uint64_t pages, uint8_t rights,
             Backing backing = Backing::kPrivate) {
    MemoryManager::MapRequest req;
    req.space = space;
    req.start = start;
    req.pages = pages;
    req.rights = rights;
    req.backing = backing;
    MemoryManager::MapResponse resp;
    return client_.map(req, resp);
  }
  Status unmap(uint32_t space, uint64_t start, uint64_t pages) {
    MemoryManager::UnmapRequest req;
    req.space = space;
    req.start = start;
    req.pages = pages;
    MemoryManager::UnmapResponse resp;
    return client_.unmap(req, resp);
  }
  Status protect(uint32_t space, uint64_t start, uint64_t pages, uint8_t rights) {
    MemoryManager::ProtectRequest req;
    req.space = space;
    req.start = start;
    req.pages = pages;
    req.rights = rights;
    MemoryManager::ProtectResponse resp;
    return client_.protect(req, resp);
  }
  Status move(uint32_t space, uint64_t from, uint64_t pages, uint64_t to, uint64_t more = 0,
              bool keep = false) {
    MemoryManager::MoveRequest req;
    req.space = space;
    req.from = from;
    req.pages = pages;
    req.to = to;
    req.more = more;
    req.keep = keep;
    MemoryManager::MoveResponse resp;
    return client_.move(req, resp);
  }
  Status admit(uint32_t space, uint64_t start, uint64_t pages) {
    MemoryManager::AdmitRequest req;
    req.space = space;
    req.start = start;
    req.pages = pages;
    MemoryManager::AdmitResponse resp;
    return client_.admit(req, resp);
  }
  Status clear(uint32_t space) {
    MemoryManager::ClearRequest req;
    req.space = space;
    MemoryManager::ClearResponse resp;
    return client_.clear(req, resp);
  }
  // place's status; *start from its answer.
  Status place(uint32_t space, uint64_t pages, uint64_t lowest, uint64_t below,
               uint64_t* start = nullptr) {
    MemoryManager::PlaceRequest req;
    req.space = space;
    req.pages = pages;
    req.lowest = lowest;
    req.below = below;
    MemoryManager::PlaceResponse resp;
    const Status s = client_.place(req, resp);
    if (start != nullptr) *start = resp.start;
    return s;
  }
  // fault(space, address, access); REQUIREs that the call succeeds.
  FaultResult fault(uint32_t space, uint64_t address, Access access) {
    MemoryManager::FaultRequest req;
    req.space = space;
    req.address = address;
    req.access = access;
    MemoryManager::FaultResponse resp;
    REQUIRE(client_.fault(req, resp) == Status::kOk);
    return resp.result;
  }
  Status fault_status(uint32_t space) {
    MemoryManager::FaultRequest req;
    req.space = space;
    MemoryManager::FaultResponse resp;
    return client_.fault(req, resp);
  }
  // find's status; *region from its answer.
  Status find(uint32_t space, uint64_t address, Region* region = nullptr) {
    MemoryManager::FindRequest req;
    req.space = space;
    req.address = address;
    MemoryManager::FindResponse resp;
    const Status s = client_.find(req, resp);
    if (region != nullptr) *region = resp.region;
    return s;
  }
  // find(space, address); REQUIREs that there is a region.
  Region found(uint32_t space, uint64_t address) {
    Region region;
    REQUIRE(find(space, address, &region) == Status::kOk);
    return region;
  }
  // Every region of the space, in order (through find).
  std::vector<Region> regions(uint32_t space) {
    std::vector<Region> out;
    Region region;
    uint64_t address = 0;
    while (find(space, address, &region) == Status::kOk) {
      out.push_back(region);
      address = region.start + region.pages * kPage;
      if (address == 0) break;  // a region at the very top
    }
    return out;
  }
  // info(space); REQUIREs that it is open.
  SpaceInfo info(uint32_t space) {
    MemoryManager::InfoRequest req;
    req.space = space;
    MemoryManager::InfoResponse resp;
    REQUIRE(client_.info(req, resp) == Status::kOk);
    return resp.info;
  }
  Status info_status(uint32_t space) {
    MemoryManager::InfoRequest req;
    req.space = space;
    MemoryManager::InfoResponse resp;
    return client_.info(req, resp);
  }
  Status attach(uint32_t space, uint32_t target) {
    MemoryManager::AttachRequest req;
    req.space = space;
    req.target.handle = target;
    MemoryManager::AttachResponse resp;
    return client_.attach(req, resp);
  }
  // install's status; *kernel from its answer.
  Status install(uint32_t space, uint64_t start, uint64_t pages, uint8_t rights, uint32_t memory,
                 uint64_t first_page = 0, uint32_t* kernel = nullptr) {
    MemoryManager::InstallRequest req;
    req.space = space;
    req.start = start;
    req.pages = pages;
    req.rights = rights;
    req.memory.handle = memory;
    req.first_page = first_page;
    MemoryManager::InstallResponse resp;
    const Status s = client_.install(req, resp);
    if (kernel != nullptr) *kernel = resp.kernel;
    return s;
  }
  Status withdraw(uint32_t space, uint64_t start, uint64_t pages, uint32_t* kernel = nullptr) {
    MemoryManager::WithdrawRequest req;
    req.space = space;
    req.start = start;
    req.pages = pages;
    MemoryManager::WithdrawResponse resp;
    const Status s = client_.withdraw(req, resp);
    if (kernel != nullptr) *kernel = resp.kernel;
    return s;
  }
  // page_in's status; *answer from its answer.
  Status page_in(uint32_t space, uint64_t address, Access access,
                 MemoryManager::PageInResponse* answer) {
    MemoryManager::PageInRequest req;
    req.space = space;
    req.address = address;
    req.access = access;
    return client_.page_in(req, *answer);
  }
  void stop() { service_->stop(); }
  Usage usage() {
    MemoryManager::UsageResponse resp;
    REQUIRE(client_.usage(MemoryManager::UsageRequest{}, resp) == Status::kOk);
    return resp.usage;
  }

 private:
  std::unique_ptr<MemmgrService> service_;
  MemoryManager::Client client_;
};

bool same(const Region& a, const Region& b) {
  return a.start == b.start && a.pages == b.pages && a.rights == b.rights && a.backing == b.backing;
}

Region region(uint64_t start, uint64_t pages, uint8_t rights, Backing backing = Backing::kPrivate) {
  return Region{start, pages, rights, backing};
}

// CHECKs that the space holds exactly `want`, and info agrees.
void check_map(Mm& mm, uint32_t space, const std::vector<Region>& want) {
  const std::vector<Region> got = mm.regions(space);
  REQUIRE(got.size() == want.size());
  uint64_t pages = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("region " << i << " at " << std::hex << got[i].start << " pages " << got[i].pages);
    CHECK(same(got[i], want[i]));
    pages += want[i].pages;
  }
  CHECK(mm.info(space).regions == want.size());
  CHECK(mm.info(space).pages == pages);
}

TEST_CASE("map, unmap and protect keep adjacent pages of the same kind one region") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  REQUIRE(s != 0);
  REQUIRE(mm.map(s, at(0), 4, kRW) == Status::kOk);
  REQUIRE(mm.map(s, at(4), 4, kRW) == Status::kOk);  // continues it: one region
  check_map(mm, s, {region(at(0), 8, kRW)});
  REQUIRE(mm.map(s, at(10), 2, kRW) == Status::kOk);  // a gap: two
  REQUIRE(mm.map(s, at(8), 2, kRW) == Status::kOk);   // fills it: one again
  check_map(mm, s, {region(at(0), 12, kRW)});
  // protect a middle part: three; back: one.
  REQUIRE(mm.protect(s, at(3), 2, kR) == Status::kOk);
  check_map(mm, s, {region(at(0), 3, kRW), region(at(3), 2, kR), region(at(5), 7, kRW)});
  REQUIRE(mm.protect(s, at(3), 2, kRW) == Status::kOk);
  check_map(mm, s, {region(at(0), 12, kRW)});
  // Protect across a free gap: the free pages stay free.
  REQUIRE(mm.unmap(s, at(5), 2) == Status::kOk);
  check_map(mm, s, {region(at(0), 5, kRW), region(at(7), 5, kRW)});
  REQUIRE(mm.protect(s, at(4), 4, kX) == Status::kOk);
  check_map(
      mm, s,
      {region(at(0), 4, kRW), region(at(4), 1, kX), region(at(7), 1, kX), region(at(8), 4, kRW)});
  REQUIRE(mm.protect(s, at(0), 20, kR) == Status::kOk);
  check_map(mm, s, {region(at(0), 5, kR), region(at(7), 5, kR)});
  REQUIRE(mm.map(s, at(5), 2, kR) == Status::kOk);  // joins both sides
  check_map(mm, s, {region(at(0), 12, kR)});
  CHECK(mm.info(s).regions == 1);
  // Backing counts: the same rights with another backing stay apart.
  REQUIRE(mm.map(s, at(12), 1, kR, Backing::kShared) == Status::kOk);
  REQUIRE(mm.map(s, at(13), 1, kR, Backing::kFile) == Status::kOk);
  REQUIRE(mm.map(s, at(14), 1, kR, Backing::kFile) == Status::kOk);
  check_map(mm, s,
            {region(at(0), 12, kR), region(at(12), 1, kR, Backing::kShared),
             region(at(13), 2, kR, Backing::kFile)});
  // protect keeps the backing; unmapping nothing is fine; unmap all.
  REQUIRE(mm.protect(s, at(12), 3, kRW) == Status::kOk);
  check_map(mm, s,
            {region(at(0), 12, kR), region(at(12), 1, kRW, Backing::kShared),
             region(at(13), 2, kRW, Backing::kFile)});
  CHECK(mm.unmap(s, at(100), 5) == Status::kOk);
  CHECK(mm.protect(s, at(100), 5, kR) == Status::kOk);
  REQUIRE(mm.unmap(s, 0, UINT64_MAX / kPage) == Status::kOk);
  check_map(mm, s, {});
}

TEST_CASE("map refuses a range in use and bad arguments, and changes nothing then") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  REQUIRE(mm.map(s, at(4), 4, kR) == Status::kOk);
  CHECK(mm.map(s, at(4), 4, kR) == Status::kExists);
  CHECK(mm.map(s, at(2), 3, kR) == Status::kExists);  // its last page
  CHECK(mm.map(s, at(7), 3, kR) == Status::kExists);  // its first page
  CHECK(mm.map(s, at(0), 20, kR) == Status::kExists);
  CHECK(mm.map(s, at(5), 1, kR) == Status::kExists);
  CHECK(mm.map(s, at(0) + 1, 1, kR) == Status::kInvalidArgument);  // unaligned
  CHECK(mm.map(s, at(0) + 2048, 1, kR) == Status::kInvalidArgument);
  CHECK(mm.map(s, at(0), 0, kR) == Status::kInvalidArgument);                   // empty
  CHECK(mm.map(s, UINT64_MAX - kPage + 1, 2, kR) == Status::kInvalidArgument);  // wraps
  CHECK(mm.map(s, at(0), UINT64_MAX / kPage + 1, kR) == Status::kInvalidArgument);
  CHECK(mm.map(s, kPage, UINT64_MAX / kPage, kR) == Status::kInvalidArgument);
  CHECK(mm.map(s, at(0), 1, 8) == Status::kInvalidArgument);  // not one of the three bits
  CHECK(mm.map(s, at(0), 1, 0xff) == Status::kInvalidArgument);
  CHECK(mm.unmap(s, at(0) + 1, 1) == Status::kInvalidArgument);
  CHECK(mm.unmap(s, at(0), 0) == Status::kInvalidArgument);
  CHECK(mm.protect(s, at(0), 1, 8) == Status::kInvalidArgument);
  CHECK(mm.protect(s, at(0), 0, kR) == Status::kInvalidArgument);
  check_map(mm, s, {region(at(4), 4, kR)});
  // The last page below 2^64 is not one (its end is no address); the one below it is. Rights 0
  // (reserved) make a region too.
  CHECK(mm.map(s, UINT64_MAX - kPage + 1, 1, kR) == Status::kInvalidArgument);
  CHECK(mm.map(s, UINT64_MAX - 2 * kPage + 1, 1, 0) == Status::kOk);
  CHECK(mm.map(s, 0, 1, kRW) == Status::kOk);
  check_map(mm, s,
            {region(0, 1, kRW), region(at(4), 4, kR), region(UINT64_MAX - 2 * kPage + 1, 1, 0)});
  // Spaces that are not open.
  CHECK(mm.map(0, at(0), 1, kR) == Status::kNotFound);
  CHECK(mm.map(M::kMaxSpaces, at(0), 1, kR) == Status::kNotFound);
  CHECK(mm.map(s + 1, at(0), 1, kR) == Status::kNotFound);
  CHECK(mm.unmap(s + 1, at(0), 1) == Status::kNotFound);
  CHECK(mm.protect(s + 1, at(0), 1, kR) == Status::kNotFound);
  CHECK(mm.move(s + 1, at(0), 1, at(9)) == Status::kNotFound);
  CHECK(mm.set_budget(s + 1, 1) == Status::kNotFound);
  CHECK(mm.clear(s + 1) == Status::kNotFound);
  CHECK(mm.close(s + 1) == Status::kNotFound);
  CHECK(mm.copy(s + 1) == 0);
  CHECK(mm.place(s + 1, 1, 0, at(0)) == Status::kNotFound);
  CHECK(mm.fault_status(s + 1) == Status::kNotFound);
  CHECK(mm.find(s + 1, 0) == Status::kNotFound);
  CHECK(mm.info_status(s + 1) == Status::kNotFound);
  CHECK(mm.info_status(0) == Status::kNotFound);
  CHECK(mm.info_status(UINT32_MAX) == Status::kNotFound);
}

TEST_CASE("budgets: growth past the budget is refused, a budget below the pages allowed") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open(10);
  CHECK(mm.info(s).budget == 10);
  REQUIRE(mm.map(s, at(0), 6, kR) == Status::kOk);
  REQUIRE(mm.map(s, at(10), 4, kRW) == Status::kOk);  // exactly the budget
  CHECK(mm.map(s, at(20), 1, kR) == Status::kNoSpace);
  CHECK(mm.map(s, at(6), 1, kR) == Status::kNoSpace);  // even one that would merge
  // Below the pages in use: only growth is refused.
  REQUIRE(mm.set_budget(s, 5) == Status::kOk);
  CHECK(mm.info(s).budget == 5);
  CHECK(mm.info(s).pages == 10);
  CHECK(mm.map(s, at(20), 1, kR) == Status::kNoSpace);
  CHECK(mm.protect(s, at(0), 2, kRW) == Status::kOk);
  CHECK(mm.move(s, at(10), 4, at(30)) == Status::kOk);  // no growth
  CHECK(mm.move(s, at(30), 4, at(10), 1) == Status::kNoSpace);
  REQUIRE(mm.unmap(s, at(0), 6) == Status::kOk);
  CHECK(mm.info(s).pages == 4);
  CHECK(mm.map(s, at(20), 1, kR) == Status::kOk);  // 5: the budget
  CHECK(mm.map(s, at(21), 1, kR) == Status::kNoSpace);
  check_map(mm, s, {region(at(20), 1, kR), region(at(30), 4, kRW)});
  // move: `more` counts, and keep counts the pages twice.
  REQUIRE(mm.set_budget(s, 8) == Status::kOk);
  CHECK(mm.move(s, at(30), 4, at(40), 4) == Status::kNoSpace);  // 5 + 4 > 8
  CHECK(mm.move(s, at(30), 4, at(40), 3, true) == Status::kNoSpace);
  CHECK(mm.move(s, at(30), 4, at(40), 0, true) == Status::kNoSpace);  // 5 + 4 > 8
  check_map(mm, s, {region(at(20), 1, kR), region(at(30), 4, kRW)});
  REQUIRE(mm.move(s, at(30), 4, at(40), 3) == Status::kOk);  // 8
  check_map(mm, s, {region(at(20), 1, kR), region(at(40), 7, kRW)});
  REQUIRE(mm.set_budget(s, 15) == Status::kOk);
  CHECK(mm.move(s, at(40), 7, at(60), 1, true) == Status::kNoSpace);  // 8 + 7 + 1 > 15
  REQUIRE(mm.move(s, at(40), 7, at(60), 0, true) == Status::kOk);     // 15
  CHECK(mm.info(s).pages == 15);
  // No limit.
  const uint32_t big = mm.open(kNoLimit);
  CHECK(mm.map(big, 0, UINT64_MAX / kPage, kR) == Status::kOk);
  CHECK(mm.info(big).pages == UINT64_MAX / kPage);
  REQUIRE(mm.set_budget(big, 0) == Status::kOk);
  CHECK(mm.unmap(big, at(1), 1) == Status::kOk);
  CHECK(mm.map(big, at(1), 1, kR) == Status::kNoSpace);
}

TEST_CASE("admit: a replacing region counts only its growth; over the budget nothing fits") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open(10);
  REQUIRE(mm.map(s, at(0), 6, kR) == Status::kOk);
  REQUIRE(mm.map(s, at(8), 2, kRW) == Status::kOk);  // 8 of 10
  CHECK(mm.admit(s, at(0), 6) == Status::kOk);       // replaces 6: no growth
  CHECK(mm.admit(s, at(4), 4) == Status::kOk);       // replaces [4, 6): 2 more, 10
  CHECK(mm.admit(s, at(6), 4) == Status::kOk);       // replaces [8, 10): 2 more, 10
  CHECK(mm.admit(s, at(6), 5) == Status::kNoSpace);  // replaces [8, 10): 3 more, 11
  CHECK(mm.admit(s, at(20), 2) == Status::kOk);
  CHECK(mm.admit(s, at(20), 3) == Status::kNoSpace);
  CHECK(mm.info(s).pages == 8);  // nothing changed
  CHECK(mm.admit(s, at(1), 0) == Status::kInvalidArgument);
  CHECK(mm.admit(s + 1, at(0), 1) == Status::kNotFound);
  // Over the budget (lowered below the use), even a replacement of the same size is refused.
  REQUIRE(mm.set_budget(s, 7) == Status::kOk);
  CHECK(mm.admit(s, at(0), 6) == Status::kNoSpace);
  REQUIRE(mm.set_budget(s, 8) == Status::kOk);
  CHECK(mm.admit(s, at(0), 6) == Status::kOk);
}

TEST_CASE("move: regions keep rights, backing and layout; more follows the last page") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  REQUIRE(mm.map(s, at(0), 2, kR) == Status::kOk);
  REQUIRE(mm.map(s, at(2), 3, kRW, Backing::kShared) == Status::kOk);
  REQUIRE(mm.map(s, at(5), 1, kX, Backing::kFile) == Status::kOk);
  REQUIRE(mm.map(s, at(8), 2, kRW) == Status::kOk);
  // A part of the first region to the last of the second: cut at both ends.
  REQUIRE(mm.move(s, at(1), 3, at(20), 2) == Status::kOk);
  check_map(mm, s,
            {region(at(0), 1, kR), region(at(4), 1, kRW, Backing::kShared),
             region(at(5), 1, kX, Backing::kFile), region(at(8), 2, kRW), region(at(20), 1, kR),
             region(at(21), 4, kRW, Backing::kShared)});
  // Errors: a hole in the source, an overlap, a target in use, bad arguments.
  CHECK(mm.move(s, at(5), 4, at(40)) == Status::kNotFound);  // at(6), at(7) free
  CHECK(mm.move(s, at(30), 1, at(40)) == Status::kNotFound);
  CHECK(mm.move(s, at(20), 5, at(22)) == Status::kInvalidArgument);
  CHECK(mm.move(s, at(20), 5, at(16)) == Status::kInvalidArgument);
  CHECK(mm.move(s, at(20), 5, at(15), 1) == Status::kInvalidArgument);  // more reaches it
  CHECK(mm.move(s, at(20), 5, at(7)) == Status::kExists);
  CHECK(mm.move(s, at(0), 1, at(6), 2) == Status::kExists);  // the `more` pages are in use
  CHECK(mm.move(s, at(20) + 1, 1, at(40)) == Status::kInvalidArgument);
  CHECK(mm.move(s, at(20), 1, at(40) + 1) == Status::kInvalidArgument);
  CHECK(mm.move(s, at(20), 0, at(40)) == Status::kInvalidArgument);
  CHECK(mm.move(s, at(20), 1, UINT64_MAX - kPage + 1, 1) == Status::kInvalidArgument);
  CHECK(mm.move(s, at(20), 1, at(40), UINT64_MAX) == Status::kInvalidArgument);
  check_map(mm, s,
            {region(at(0), 1, kR), region(at(4), 1, kRW, Backing::kShared),
             region(at(5), 1, kX, Backing::kFile), region(at(8), 2, kRW), region(at(20), 1, kR),
             region(at(21), 4, kRW, Backing::kShared)});
  // Moved next to a region of its kind: merged. Right after its own old place, too.
  REQUIRE(mm.move(s, at(8), 2, at(10), 0) == Status::kOk);
  REQUIRE(mm.move(s, at(20), 1, at(1)) == Status::kOk);
  check_map(mm, s,
            {region(at(0), 2, kR), region(at(4), 1, kRW, Backing::kShared),
             region(at(5), 1, kX, Backing::kFile), region(at(10), 2, kRW),
             region(at(21), 4, kRW, Backing::kShared)});
  // keep: the old range stays as it was; the copy is apart from it.
  REQUIRE(mm.move(s, at(0), 2, at(30), 1, true) == Status::kOk);
  check_map(mm, s,
            {region(at(0), 2, kR), region(at(4), 1, kRW, Backing::kShared),
             region(at(5), 1, kX, Backing::kFile), region(at(10), 2, kRW),
             region(at(21), 4, kRW, Backing::kShared), region(at(30), 3, kR)});
  // A range inside one region, kept, to just below it: merges with what is left of it.
  REQUIRE(mm.move(s, at(10), 1, at(9), 0, true) == Status::kOk);
  REQUIRE(mm.move(s, at(22), 1, at(12), 0, true) == Status::kOk);  // another backing: apart
  check_map(mm, s,
            {region(at(0), 2, kR), region(at(4), 1, kRW, Backing::kShared),
             region(at(5), 1, kX, Backing::kFile), region(at(9), 3, kRW),
             region(at(12), 1, kRW, Backing::kShared), region(at(21), 4, kRW, Backing::kShared),
             region(at(30), 3, kR)});
}

TEST_CASE("copy: the same regions and budget, independent afterwards") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open(50);
  REQUIRE(mm.map(s, at(0), 4, kRW) == Status::kOk);
  REQUIRE(mm.map(s, at(4), 2, kR, Backing::kShared) == Status::kOk);
  REQUIRE(mm.map(s, at(10), 3, kX, Backing::kFile) == Status::kOk);
  const uint32_t c = mm.copy(s);
  REQUIRE(c != 0);
  CHECK(c != s);
  const std::vector<Region> before = {region(at(0), 4, kRW), region(at(4), 2, kR, Backing::kShared),
                                      region(at(10), 3, kX, Backing::kFile)};
  check_map(mm, c, before);
  CHECK(mm.info(c).budget == 50);
  CHECK(mm.usage().regions == 6);
  REQUIRE(mm.unmap(c, at(0), 5) == Status::kOk);
  REQUIRE(mm.set_budget(c, 7) == Status::kOk);
  REQUIRE(mm.map(s, at(20), 1, kR) == Status::kOk);
  check_map(mm, c, {region(at(5), 1, kR, Backing::kShared), region(at(10), 3, kX, Backing::kFile)});
  check_map(mm, s,
            {region(at(0), 4, kRW), region(at(4), 2, kR, Backing::kShared),
             region(at(10), 3, kX, Backing::kFile), region(at(20), 1, kR)});
  CHECK(mm.info(s).budget == 50);
  REQUIRE(mm.close(s) == Status::kOk);
  check_map(mm, c, {region(at(5), 1, kR, Backing::kShared), region(at(10), 3, kX, Backing::kFile)});
  const uint32_t empty = mm.open(3);
  const uint32_t e2 = mm.copy(empty);
  check_map(mm, e2, {});
  CHECK(mm.info(e2).budget == 3);
}

TEST_CASE("close frees the regions and the id; clear keeps the space and its budget") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const Usage start = mm.usage();
  CHECK(start.spaces == 0);
  CHECK(start.regions == 0);
  CHECK(start.pages == 0);
  CHECK(start.max_spaces == M::kMaxSpaces - 1);
  CHECK(start.max_regions == M::kMaxRegions);
  const uint32_t a = mm.open(100);
  const uint32_t b = mm.open(100);
  CHECK(a == 1);  // ids from 1, the next after the last one given
  CHECK(b == 2);
  REQUIRE(mm.map(a, at(0), 3, kR) == Status::kOk);
  REQUIRE(mm.map(a, at(5), 3, kR) == Status::kOk);
  REQUIRE(mm.map(b, at(0), 7, kRW) == Status::kOk);
  CHECK(mm.usage().spaces == 2);
  CHECK(mm.usage().regions == 3);
  CHECK(mm.usage().pages == 13);
  REQUIRE(mm.clear(a) == Status::kOk);
  check_map(mm, a, {});
  CHECK(mm.info(a).budget == 100);
  CHECK(mm.usage().regions == 1);
  CHECK(mm.map(a, at(0), 100, kR) == Status::kOk);  // the same budget
  REQUIRE(mm.close(b) == Status::kOk);
  CHECK(mm.close(b) == Status::kNotFound);  // once
  CHECK(mm.info_status(b) == Status::kNotFound);
  CHECK(mm.usage().spaces == 1);
  CHECK(mm.usage().regions == 1);
  CHECK(mm.usage().pages == 100);
  CHECK(mm.open() == 3);  // not b's id at once
  REQUIRE(mm.close(a) == Status::kOk);
  REQUIRE(mm.close(3) == Status::kOk);
  const Usage end = mm.usage();
  CHECK(end.spaces == 0);
  CHECK(end.regions == 0);
  CHECK(end.pages == 0);
}

TEST_CASE("place: the highest free range within [lowest, below)") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  uint64_t start = 0;
  REQUIRE(mm.place(s, 4, at(0), at(100), &start) == Status::kOk);
  CHECK(start == at(96));
  REQUIRE(mm.place(s, 1, 0, UINT64_MAX - kPage + 1, &start) == Status::kOk);
  CHECK(start == UINT64_MAX - 2 * kPage + 1);
  REQUIRE(mm.map(s, at(90), 10, kR) == Status::kOk);
  REQUIRE(mm.map(s, at(80), 5, kR) == Status::kOk);
  // [85, 90) is free: 5 pages fit, 6 do not.
  REQUIRE(mm.place(s, 5, at(0), at(100), &start) == Status::kOk);
  CHECK(start == at(85));
  REQUIRE(mm.place(s, 4, at(0), at(100), &start) == Status::kOk);
  CHECK(start == at(86));
  REQUIRE(mm.place(s, 6, at(0), at(100), &start) == Status::kOk);
  CHECK(start == at(74));  // skips the gap too small
  REQUIRE(mm.place(s, 6, at(0), at(120), &start) == Status::kOk);
  CHECK(start == at(114));  // above the regions
  REQUIRE(mm.place(s, 2, at(0), at(95), &start) == Status::kOk);
  CHECK(start == at(88));  // `below` cuts the search
  REQUIRE(mm.place(s, 3, at(86), at(100), &start) == Status::kOk);
  CHECK(start == at(87));
  CHECK(mm.place(s, 5, at(86), at(100)) == Status::kNoSpace);  // `lowest` cuts the gap
  CHECK(mm.place(s, 1, at(80), at(85)) == Status::kNoSpace);
  CHECK(mm.place(s, 1, at(50), at(50)) == Status::kNoSpace);
  CHECK(mm.place(s, 1, at(60), at(50)) == Status::kNoSpace);
  REQUIRE(mm.place(s, 80, at(0), at(100), &start) == Status::kOk);
  CHECK(start == at(0));
  CHECK(mm.place(s, 81, at(0), at(100)) == Status::kNoSpace);
  CHECK(mm.place(s, UINT64_MAX, 0, at(100)) == Status::kNoSpace);
  CHECK(mm.place(s, 0, at(0), at(100)) == Status::kInvalidArgument);
  CHECK(mm.place(s, 1, at(0) + 1, at(100)) == Status::kInvalidArgument);
  CHECK(mm.place(s, 1, at(0), at(100) - 1) == Status::kInvalidArgument);
  // Full: noSpace.
  REQUIRE(mm.map(s, at(0), 80, kRW) == Status::kOk);
  REQUIRE(mm.map(s, at(85), 5, kRW) == Status::kOk);
  CHECK(mm.place(s, 1, at(0), at(100)) == Status::kNoSpace);
  REQUIRE(mm.place(s, 1, at(0), at(101), &start) == Status::kOk);
  CHECK(start == at(100));
  // A place's answer maps.
  CHECK(mm.map(s, start, 1, kR) == Status::kOk);
}

TEST_CASE("fault: resolve, unmapped or denied, per access and rights") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  const uint8_t rights[] = {0, kR, kW, kRW, kX, kR | kX, kW | kX, kR | kW | kX};
  for (uint64_t i = 0; i < 8; ++i)
    REQUIRE(mm.map(s, at(2 * i), 1, rights[i]) == Status::kOk);
  for (uint64_t i = 0; i < 8; ++i) {
    INFO("rights " << int{rights[i]});
    const uint64_t page = at(2 * i);
    const auto want = [&](uint8_t bit) {
      return (rights[i] & bit) != 0 ? FaultResult::kResolve : FaultResult::kDenied;
    };
    CHECK(mm.fault(s, page, Access::kRead) == want(kR));
    CHECK(mm.fault(s, page + kPage - 1, Access::kWrite) == want(kW));  // any byte of the page
    CHECK(mm.fault(s, page + 100, Access::kExecute) == want(kX));
    CHECK(mm.fault(s, page + kPage, Access::kRead) == FaultResult::kUnmapped);
  }
  CHECK(mm.fault(s, at(0), Access::kRead) == FaultResult::kDenied);  // rights 0: reserved
  CHECK(mm.fault(s, at(0), Access::kWrite) == FaultResult::kDenied);
  CHECK(mm.fault(s, at(0), Access::kExecute) == FaultResult::kDenied);
  CHECK(mm.fault(s, 0, Access::kRead) == FaultResult::kUnmapped);
  CHECK(mm.fault(s, at(0) - 1, Access::kRead) == FaultResult::kUnmapped);
  CHECK(mm.fault(s, UINT64_MAX, Access::kRead) == FaultResult::kUnmapped);
  REQUIRE(mm.protect(s, at(0), 16, kRW) == Status::kOk);
  CHECK(mm.fault(s, at(0), Access::kWrite) == FaultResult::kResolve);
  CHECK(mm.fault(s, at(8), Access::kExecute) == FaultResult::kDenied);
}

// The core as memmgr's kernel calls reach it (test_env.h): every call recorded, answered
// `answer`, and every capability given back.
struct Kernel final : test::FakeKernel {
  struct Call {
    char what;  // 'm'ap, 'u'nmap, 'r'esolve
    uint32_t space;
    uint32_t memory;
    uint64_t address;
    uint64_t first_page;
    uint64_t pages;
    uint32_t rights;
    bool operator==(const Call& o) const {
      return what == o.what && space == o.space && memory == o.memory && address == o.address &&
             first_page == o.first_page && pages == o.pages && rights == o.rights;
    }
  };
  hmk::Status map(uint32_t space, uint32_t memory, uint64_t vaddr, uint64_t first_page,
                  uint64_t pages, uint32_t rights) override {
    calls.push_back({'m', space, memory, vaddr, first_page, pages, rights});
    return answer;
  }
  hmk::Status unmap(uint32_t space, uint64_t vaddr, uint64_t pages) override {
    calls.push_back({'u', space, 0, vaddr, 0, pages, 0});
    return answer;
  }
  hmk::Status resolve_fault(uint32_t space, uint64_t address, uint32_t access) override {
    calls.push_back({'r', space, 0, address, 0, 0, access});
    return answer;
  }
  void drop(uint32_t handle) override { dropped.push_back(handle); }

  std::vector<Call> calls;
  std::vector<uint32_t> dropped;
  hmk::Status answer = hmk::Status::kOk;
};

TEST_CASE("kernel mappings: attach, install only where the regions allow, withdraw, pageIn") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  Kernel kernel;
  test::use_kernel(&kernel);
  using Calls = std::vector<Kernel::Call>;
  using Handles = std::vector<uint32_t>;
  // Over IPC memmgr owns what a call brings: the call layer gives back a refused call's, and
  // memmgr what it is done with. A direct call lends the caller's own handles (rpc.h): memmgr
  // deletes none of them, whatever it answers.
  const Handles refused = loopback ? Handles{70} : Handles{};
  const auto owned = [&](const Handles& handles) { return loopback ? handles : Handles{}; };
  const uint32_t s = mm.open();
  REQUIRE(mm.map(s, at(0), 4, kRW) == Status::kOk);

  // Nothing attached yet.
  CHECK(mm.install(s, at(0), 1, kR, 70) == Status::kBadHandle);
  CHECK(mm.withdraw(s, at(0), 1) == Status::kBadHandle);
  MemoryManager::PageInResponse paged;
  CHECK(mm.page_in(s, at(0), Access::kRead, &paged) == Status::kBadHandle);
  CHECK(kernel.calls.empty());
  CHECK(kernel.dropped == refused);
  kernel.dropped.clear();

  CHECK(mm.attach(99, 70) == Status::kNotFound);
  REQUIRE(mm.attach(s, 50) == Status::kOk);
  CHECK(mm.attach(s, 70) == Status::kExists);  // the first one stays
  CHECK(kernel.dropped.size() == refused.size() * 2);
  kernel.dropped.clear();

  // Where the regions allow it: mapped in the attached space, the memory given back.
  uint32_t answer = 1;
  REQUIRE(mm.install(s, at(1), 3, kRW, 60, 5, &answer) == Status::kOk);
  CHECK(answer == 0);
  CHECK(kernel.calls == Calls{{'m', 50, 60, at(1), 5, 3, kRW}});
  CHECK(kernel.dropped == owned({60}));

  // Not where they do not: past the regions, over a hole, more rights than the region's, bad
  // arguments. Nothing reaches the kernel.
  REQUIRE(mm.map(s, at(5), 1, kR) == Status::kOk);
  REQUIRE(mm.protect(s, at(2), 1, kR) == Status::kOk);
  kernel.calls.clear();
  kernel.dropped.clear();
  CHECK(mm.install(s, at(3), 2, kR, 70) == Status::kInvalidArgument);   // page 4: no region
  CHECK(mm.install(s, at(0), 6, kR, 70) == Status::kInvalidArgument);   // the hole at page 4
  CHECK(mm.install(s, at(1), 2, kRW, 70) == Status::kInvalidArgument);  // page 2 is read-only
  CHECK(mm.install(s, at(0), 1, kR | kX, 70) == Status::kInvalidArgument);
  CHECK(mm.install(s, at(0), 1, 0, 70) == Status::kInvalidArgument);
  CHECK(mm.install(s, at(0), 1, 8 | kR, 70) == Status::kInvalidArgument);
  CHECK(mm.install(s, at(0) + 1, 1, kR, 70) == Status::kInvalidArgument);
  CHECK(mm.install(s, at(0), 0, kR, 70) == Status::kInvalidArgument);
  CHECK(kernel.calls.empty());
  CHECK(kernel.dropped.size() == refused.size() * 8);
  kernel.dropped.clear();
  REQUIRE(mm.install(s, at(0), 3, kR, 61) == Status::kOk);  // read-only over both
  REQUIRE(mm.install(s, at(5), 1, kR, 62, 0) == Status::kOk);
  CHECK(kernel.calls == Calls{{'m', 50, 61, at(0), 0, 3, kR}, {'m', 50, 62, at(5), 0, 1, kR}});
  CHECK(kernel.dropped == owned({61, 62}));

  // The kernel's refusal is passed on as it is; the memory is given back all the same.
  kernel.calls.clear();
  kernel.dropped.clear();
  kernel.answer = hmk::Status::kPermissionDenied;
  REQUIRE(mm.install(s, at(0), 1, kR, 63, 0, &answer) == Status::kOk);
  CHECK(answer == static_cast<uint32_t>(hmk::Status::kPermissionDenied));
  CHECK(kernel.dropped == owned({63}));

  // withdraw: anywhere (taking a mapping away gives nothing), the kernel's answer passed on.
  kernel.calls.clear();
  kernel.answer = hmk::Status::kOk;
  REQUIRE(mm.withdraw(s, at(1), 3, &answer) == Status::kOk);
  REQUIRE(mm.withdraw(s, at(100), 2, &answer) == Status::kOk);
  CHECK(mm.withdraw(s, at(0) + 5, 1) == Status::kInvalidArgument);
  CHECK(kernel.calls == Calls{{'u', 50, 0, at(1), 0, 3, 0}, {'u', 50, 0, at(100), 0, 2, 0}});

  // pageIn: resolved in the kernel only when the region allows the access.
  kernel.calls.clear();
  REQUIRE(mm.page_in(s, at(1) + 8, Access::kWrite, &paged) == Status::kOk);
  CHECK(paged.result == FaultResult::kResolve);
  REQUIRE(mm.page_in(s, at(2), Access::kWrite, &paged) == Status::kOk);
  CHECK(paged.result == FaultResult::kDenied);
  REQUIRE(mm.page_in(s, at(4), Access::kRead, &paged) == Status::kOk);
  CHECK(paged.result == FaultResult::kUnmapped);
  kernel.answer = hmk::Status::kOutOfMemory;
  REQUIRE(mm.page_in(s, at(5), Access::kRead, &paged) == Status::kOk);
  CHECK(paged.result == FaultResult::kResolve);
  CHECK(paged.kernel == static_cast<uint32_t>(hmk::Status::kOutOfMemory));
  CHECK(kernel.calls == Calls{{'r', 50, 0, at(1) + 8, 0, 0, kW}, {'r', 50, 0, at(5), 0, 0, kR}});

  // A copy has no address space attached; close and stop give the attached ones back.
  const uint32_t c = mm.copy(s);
  CHECK(mm.install(c, at(0), 1, kR, 70) == Status::kBadHandle);
  REQUIRE(mm.attach(c, 51) == Status::kOk);
  const uint32_t t = mm.open();
  REQUIRE(mm.attach(t, 52) == Status::kOk);
  kernel.dropped.clear();
  REQUIRE(mm.close(s) == Status::kOk);
  CHECK(kernel.dropped == owned({50}));
  mm.stop();
  CHECK(kernel.dropped == owned({50, 51, 52}));
  CHECK(mm.usage().spaces == 0);
  test::use_kernel(nullptr);
}

TEST_CASE("find: the first region ending after the address") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  CHECK(mm.find(s, 0) == Status::kNotFound);
  REQUIRE(mm.map(s, at(10), 2, kR) == Status::kOk);
  REQUIRE(mm.map(s, at(4), 2, kRW) == Status::kOk);  // mapped out of order
  REQUIRE(mm.map(s, at(20), 1, kX) == Status::kOk);
  CHECK(same(mm.found(s, 0), region(at(4), 2, kRW)));
  CHECK(same(mm.found(s, at(4)), region(at(4), 2, kRW)));
  CHECK(same(mm.found(s, at(6) - 1), region(at(4), 2, kRW)));
  CHECK(same(mm.found(s, at(6)), region(at(10), 2, kR)));  // its end: the next one
  CHECK(same(mm.found(s, at(11) + 5), region(at(10), 2, kR)));
  CHECK(same(mm.found(s, at(12)), region(at(20), 1, kX)));
  CHECK(mm.find(s, at(21)) == Status::kNotFound);
  CHECK(mm.find(s, UINT64_MAX) == Status::kNotFound);
}

TEST_CASE("out of address spaces: noSpace until one closes") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  uint32_t last = 0;
  for (uint32_t i = 1; i < M::kMaxSpaces; ++i) {
    last = mm.open(i);
    REQUIRE(last == i);
  }
  CHECK(mm.usage().spaces == M::kMaxSpaces - 1);
  Status s = Status::kOk;
  CHECK(mm.open(1, &s) == 0);
  CHECK(s == Status::kNoSpace);
  CHECK(mm.copy(last, &s) == 0);
  CHECK(s == Status::kNoSpace);
  REQUIRE(mm.close(500) == Status::kOk);
  CHECK(mm.open(7) == 500);
  CHECK(mm.info(500).budget == 7);
  CHECK(mm.open(1, &s) == 0);
  REQUIRE(mm.close(3) == Status::kOk);
  CHECK(mm.copy(500) == 3);
  CHECK(mm.info(3).budget == 7);
}

// Fills `space` with `n` one-page regions from page `first`, the rights alternating (so no two
// merge).
void fill(Mm& mm, uint32_t space, uint64_t first, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i)
    REQUIRE(mm.map(space, at(first + i), 1, i % 2 == 0 ? kR : kRW) == Status::kOk);
}

TEST_CASE("out of pool records: noSpace and nothing changes; merges still go through") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  constexpr uint32_t kFull = M::kMaxRegions / M::kMaxRegionsPerSpace - 1;  // 15
  uint32_t full[kFull];
  for (uint32_t& f : full) {
    f = mm.open();
    fill(mm, f, 0, M::kMaxRegionsPerSpace);
  }
  // s: one region of 3 pages (kRW, after a kR one) and 509 one-page ones: room for one more in
  // the space, and one record left in the pool, which t takes.
  const uint32_t s = mm.open();
  fill(mm, s, 0, 1);
  REQUIRE(mm.map(s, at(1), 3, kRW) == Status::kOk);
  fill(mm, s, 4, M::kMaxRegionsPerSpace - 3);
  CHECK(mm.info(s).regions == M::kMaxRegionsPerSpace - 1);
  CHECK(mm.usage().regions == M::kMaxRegions - 1);
  const uint32_t t = mm.open();
  REQUIRE(mm.map(t, at(600), 1, kX) == Status::kOk);
  const Usage usage = mm.usage();
  CHECK(usage.regions == M::kMaxRegions);
  const SpaceInfo info = mm.info(s);
  const std::vector<Region> before = mm.regions(s);
  // Every change that needs a record more: noSpace, nothing changed.
  CHECK(mm.unmap(s, at(2), 1) == Status::kNoSpace);  // the middle of [1, 4)
  CHECK(mm.protect(s, at(2), 1, kX) == Status::kNoSpace);
  CHECK(mm.protect(s, at(1), 1, kX) == Status::kNoSpace);  // one end of it
  CHECK(mm.map(s, at(700), 1, kR) == Status::kNoSpace);
  CHECK(mm.map(t, at(700), 1, kR) == Status::kNoSpace);
  CHECK(mm.move(s, at(2), 1, at(800)) == Status::kNoSpace);  // cuts at both ends
  CHECK(mm.move(s, at(1), 1, at(800)) == Status::kNoSpace);  // cuts at one
  CHECK(mm.move(s, at(4), 1, at(800), 0, true) == Status::kNoSpace);
  CHECK(mm.copy(t) == 0);
  CHECK(mm.open() != 0);  // an empty space needs no record
  CHECK(mm.copy(mm.open()) != 0);
  {
    const std::vector<Region> after = mm.regions(s);
    REQUIRE(after.size() == before.size());
    for (size_t i = 0; i < before.size(); ++i)
      CHECK(same(after[i], before[i]));
    CHECK(mm.info(s).pages == info.pages);
    CHECK(mm.info(s).regions == info.regions);
    CHECK(mm.usage().regions == usage.regions);
    CHECK(mm.usage().pages == usage.pages);
  }
  // Changes that need no record more go through: merges, whole regions, ends.
  CHECK(mm.map(t, at(601), 1, kX) == Status::kOk);     // continues [600, 601)
  CHECK(mm.unmap(t, at(601), 1) == Status::kOk);       // the end of a region
  CHECK(mm.unmap(s, at(3), 1) == Status::kOk);         // the last page of [1, 4)
  CHECK(mm.map(s, at(3), 1, kRW) == Status::kOk);      // back: merged
  CHECK(mm.protect(s, at(4), 1, kRW) == Status::kOk);  // merges three into one: -2
  CHECK(mm.usage().regions == M::kMaxRegions - 2);
  CHECK(same(mm.found(s, at(1)), region(at(1), 5, kRW)));
  CHECK(mm.move(t, at(600), 1, at(800)) == Status::kOk);  // whole: no cut
  // Now there is room: the unmap that cuts [1, 6) in two goes through.
  CHECK(mm.unmap(s, at(2), 1) == Status::kOk);
  CHECK(mm.usage().regions == M::kMaxRegions - 1);
  CHECK(same(mm.found(s, at(1)), region(at(1), 1, kRW)));
  CHECK(same(mm.found(s, at(2)), region(at(3), 3, kRW)));
  // Closing every space gives every record back.
  for (const uint32_t f : full)
    REQUIRE(mm.close(f) == Status::kOk);
  REQUIRE(mm.close(s) == Status::kOk);
  REQUIRE(mm.close(t) == Status::kOk);
  CHECK(mm.usage().regions == 0);
  CHECK(mm.usage().pages == 0);
}

TEST_CASE("a space's own limit: kMaxRegionsPerSpace regions") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const uint32_t s = mm.open();
  fill(mm, s, 0, M::kMaxRegionsPerSpace - 1);
  REQUIRE(mm.map(s, at(1000), 4, kX) == Status::kOk);
  CHECK(mm.info(s).regions == M::kMaxRegionsPerSpace);
  CHECK(mm.map(s, at(2000), 1, kR) == Status::kNoSpace);
  CHECK(mm.unmap(s, at(1001), 1) == Status::kNoSpace);
  CHECK(mm.protect(s, at(1001), 1, kR) == Status::kNoSpace);
  CHECK(mm.move(s, at(0), 2, at(3000), 0, true) == Status::kNoSpace);
  CHECK(mm.info(s).regions == M::kMaxRegionsPerSpace);
  CHECK(same(mm.found(s, at(1000)), region(at(1000), 4, kX)));
  // Another space is not limited by it; merging and whole-region changes still go.
  const uint32_t other = mm.open();
  CHECK(mm.map(other, at(0), 1, kR) == Status::kOk);
  CHECK(mm.map(s, at(1004), 1, kX) == Status::kOk);
  CHECK(mm.unmap(s, at(1004), 1) == Status::kOk);
  CHECK(mm.move(s, at(1000), 4, at(3000)) == Status::kOk);
  CHECK(mm.unmap(s, at(0), 1) == Status::kOk);
  CHECK(mm.map(s, at(2000), 1, kR) == Status::kOk);  // room for one again
  CHECK(mm.info(s).regions == M::kMaxRegionsPerSpace);
  // A copy of a full space is a full space.
  const uint32_t c = mm.copy(s);
  REQUIRE(c != 0);
  CHECK(mm.info(c).regions == M::kMaxRegionsPerSpace);
}

// The random test's model: each page of a window of kWindow pages from kBase, free or mapped
// with rights and backing.
constexpr uint64_t kWindow = 64;

struct Page {
  bool used = false;
  uint8_t rights = 0;
  Backing backing = Backing::kPrivate;
};

struct Model {
  Page pages[kWindow];
  uint64_t budget = 0;

  uint64_t used() const {
    uint64_t n = 0;
    for (const Page& p : pages)
      n += p.used ? 1 : 0;
    return n;
  }
  bool all(uint64_t first, uint64_t n, bool used) const {
    for (uint64_t i = first; i < first + n; ++i)
      if (pages[i].used != used) return false;
    return true;
  }
  // The canonical regions: the maximal runs of used pages of one kind.
  std::vector<Region> regions() const {
    std::vector<Region> out;
    for (uint64_t i = 0; i < kWindow; ++i) {
      const Page& p = pages[i];
      if (!p.used) continue;
      Region* last = out.empty() ? nullptr : &out.back();
      if (last != nullptr && last->start + last->pages * kPage == at(i) &&
          last->rights == p.rights && last->backing == p.backing) {
        ++last->pages;
      } else {
        out.push_back(region(at(i), 1, p.rights, p.backing));
      }
    }
    return out;
  }

  Status map(uint64_t first, uint64_t n, uint8_t rights, Backing backing) {
    if (!all(first, n, false)) return Status::kExists;
    if (used() + n > budget) return Status::kNoSpace;
    for (uint64_t i = first; i < first + n; ++i)
      pages[i] = Page{true, rights, backing};
    return Status::kOk;
  }
  void unmap(uint64_t first, uint64_t n) {
    for (uint64_t i = first; i < first + n; ++i)
      pages[i] = Page{};
  }
  void protect(uint64_t first, uint64_t n, uint8_t rights) {
    for (uint64_t i = first; i < first + n; ++i)
      if (pages[i].used) pages[i].rights = rights;
  }
  Status move(uint64_t from, uint64_t n, uint64_t to, uint64_t more, bool keep) {
    if (to < from + n && from < to + n + more) return Status::kInvalidArgument;
    if (!all(from, n, true)) return Status::kNotFound;
    if (!all(to, n + more, false)) return Status::kExists;
    if (more + (keep ? n : 0) > 0 && used() + more + (keep ? n : 0) > budget) {
      return Status::kNoSpace;
    }
    for (uint64_t i = 0; i < n; ++i)
      pages[to + i] = pages[from + i];
    for (uint64_t i = 0; i < more; ++i)
      pages[to + n + i] = pages[from + n - 1];
    if (!keep) unmap(from, n);
    return Status::kOk;
  }
};

// Checks the space against the model: the same regions (so canonical: the model's runs are
// maximal), the same pages, and what fault says of a few pages.
void check_model(Mm& mm, uint32_t space, const Model& model, uint32_t* rng) {
  const std::vector<Region> want = model.regions();
  const std::vector<Region> got = mm.regions(space);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("region " << i);
    REQUIRE(same(got[i], want[i]));
    if (i > 0) {  // canonical: no two adjacent regions of one kind
      REQUIRE((got[i - 1].start + got[i - 1].pages * kPage != got[i].start ||
               got[i - 1].rights != got[i].rights || got[i - 1].backing != got[i].backing));
    }
  }
  const SpaceInfo info = mm.info(space);
  REQUIRE(info.pages == model.used());
  REQUIRE(info.regions == want.size());
  REQUIRE(info.budget == model.budget);
  for (int i = 0; i < 4; ++i) {
    *rng = *rng * 1103515245u + 12345u;
    const uint64_t page = (*rng >> 8) % kWindow;
    const Page& p = model.pages[page];
    const FaultResult want_write = !p.used                ? FaultResult::kUnmapped
                                   : (p.rights & kW) != 0 ? FaultResult::kResolve
                                                          : FaultResult::kDenied;
    REQUIRE(mm.fault(space, at(page) + (*rng & 0xfff), Access::kWrite) == want_write);
  }
}

// A small xorshift generator: the same sequence on every run.
struct Random {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

struct MoveArgs {
  uint64_t from;
  uint64_t pages;
  uint64_t to;
  uint64_t more;
  bool keep;
};

// Mostly a move that can go (a mapped source, a free target off it), now and then any.
MoveArgs random_move(Random& rnd, const Model& model) {
  MoveArgs m{rnd.below(kWindow), 1, 0, rnd.below(3), rnd.below(4) == 0};
  const bool fitting = rnd.below(4) != 0;
  if (fitting) {
    for (int tries = 0; tries < 64 && !model.pages[m.from].used; ++tries)
      m.from = rnd.below(kWindow);
    uint64_t run = 0;
    while (m.from + run < kWindow && run < 8 && model.pages[m.from + run].used)
      ++run;
    m.pages = run == 0 ? 1 : 1 + rnd.below(run);
  } else {
    m.pages = 1 + rnd.below(kWindow - m.from < 8 ? kWindow - m.from : 8);
  }
  const uint64_t span = m.pages + m.more;
  std::vector<uint64_t> targets;
  for (uint64_t to = 0; to + span <= kWindow; ++to) {
    const bool off = to + span <= m.from || m.from + m.pages <= to;
    if (!fitting || (off && model.all(to, span, false))) targets.push_back(to);
  }
  m.to = targets.empty() ? rnd.below(kWindow - span + 1) : targets[rnd.below(targets.size())];
  return m;
}

TEST_CASE("random map, unmap, protect and move calls agree with a page-by-page model") {
  const bool loopback = GENERATE(false, true);
  Mm mm(loopback);
  const Usage start = mm.usage();
  Model model;
  model.budget = 48;
  const uint32_t s = mm.open(model.budget);
  Random rnd;
  uint32_t rng = 1;
  const Backing backings[] = {Backing::kPrivate, Backing::kShared, Backing::kFile};
  for (int step = 0; step < 4000; ++step) {
    const uint64_t first = rnd.below(kWindow);
    const uint64_t n = 1 + rnd.below(kWindow - first < 8 ? kWindow - first : 8);
    const uint8_t rights =
        static_cast<uint8_t>(rnd.below(3) == 0 ? rnd.below(8) : kR + rnd.below(2));
    const uint64_t op = rnd.below(10);
    INFO("step " << step << " op " << op << " first " << first << " pages " << n);
    if (op < 4) {
      const Backing backing = backings[rnd.below(3)];
      REQUIRE(mm.map(s, at(first), n, rights, backing) == model.map(first, n, rights, backing));
    } else if (op < 6) {
      REQUIRE(mm.unmap(s, at(first), n) == Status::kOk);
      model.unmap(first, n);
    } else if (op < 8) {
      REQUIRE(mm.protect(s, at(first), n, rights) == Status::kOk);
      model.protect(first, n, rights);
    } else {
      const MoveArgs m = random_move(rnd, model);
      INFO("from " << m.from << " pages " << m.pages << " to " << m.to << " more " << m.more
                   << " keep " << m.keep);
      REQUIRE(mm.move(s, at(m.from), m.pages, at(m.to), m.more, m.keep) ==
              model.move(m.from, m.pages, m.to, m.more, m.keep));
    }
    if (step % 500 == 499) {  // now and then another budget, sometimes below the pages
      model.budget = 24 + rnd.below(40);
      REQUIRE(mm.set_budget(s, model.budget) == Status::kOk);
    }
    check_model(mm, s, model, &rng);
  }
  REQUIRE(mm.close(s) == Status::kOk);
  const Usage end = mm.usage();
  CHECK(end.spaces == start.spaces);
  CHECK(end.regions == start.regions);
  CHECK(end.pages == start.pages);
}

}  // namespace
}  // namespace hmk::svc::memmgr
