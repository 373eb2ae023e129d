// memmgr (memmgr_service.h).
#include "svc/memmgr/memmgr_service.h"

namespace hmk::svc::memmgr {
namespace {

using rpc::Status;

constexpr uint64_t kPageMask = MemmgrService::kPageSize - 1;
constexpr uint8_t kAllRights = 7;  // read 1, write 2, execute 4

// The end of [start, start + pages pages) in *end: false if start is not page aligned, there
// are no pages, or the range wraps past 2^64.
bool range_end(uint64_t start, uint64_t pages, uint64_t* end) {
  if ((start & kPageMask) != 0 || pages == 0 || pages > UINT64_MAX / MemmgrService::kPageSize) {
    return false;
  }
  const uint64_t bytes = pages * MemmgrService::kPageSize;
  if (bytes > UINT64_MAX - start) return false;
  *end = start + bytes;
  return true;
}

bool valid_backing(Backing b) {
  return static_cast<uint16_t>(b) < kBackingCount;
}

// The rights bit an access needs (0: no such access).
uint8_t right_for(Access access) {
  switch (access) {
    case Access::kRead:
      return 1;
    case Access::kWrite:
      return 2;
    case Access::kExecute:
      return 4;
  }
  return 0;
}

// Growth over the budget is refused; no growth never is (the budget may be below the pages).
bool over_budget(uint64_t pages, uint64_t budget, uint64_t growth) {
  return growth != 0 && (pages > budget || growth > budget - pages);
}

uint64_t min(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

uint64_t max(uint64_t a, uint64_t b) {
  return a > b ? a : b;
}

// The runs that pieces [lo, hi) handed in address order make (what settle leaves of them).
struct Runs {
  uint32_t count = 0;
  uint64_t end = 0;
  uint8_t rights = 0;
  Backing backing = Backing::kPrivate;

  void add(uint64_t lo, uint64_t hi, uint8_t r, Backing b) {
    if (lo == hi) return;
    if (count == 0 || lo != end || r != rights || b != backing) ++count;
    end = hi;
    rights = r;
    backing = b;
  }
};

}  // namespace

rpc::Status MemmgrService::start(svc::Env&) {
  for (uint32_t i = 0; i < kPoolSize; ++i) {  // bound: kPoolSize records
    records_[i] = Record{0, 0, i + 1 < kPoolSize ? i + 1 : kNone, 0, Backing::kPrivate};
  }
  free_ = 0;
  free_count_ = kPoolSize;
  for (Space& s : spaces_)  // bound: kMaxSpaces spaces
    s = Space{false, kNone, 0, 0, 0, 0, false};
  last_ = 0;
  return Status::kOk;
}

MemmgrService::Space* MemmgrService::space_of(uint32_t id) {
  if (id == 0 || id >= kMaxSpaces || !spaces_[id].open) return nullptr;
  return &spaces_[id];
}

uint32_t MemmgrService::allocate() {
  // Every id once, the last one given included (id 0 is never one).
  for (uint32_t i = 1; i <= kMaxSpaces; ++i) {  // bound: kMaxSpaces ids
    const uint32_t id = (last_ + i) % kMaxSpaces;
    if (id == 0 || spaces_[id].open) continue;
    last_ = id;
    return id;
  }
  return 0;
}

uint32_t MemmgrService::take() {
  const uint32_t r = free_;
  free_ = records_[r].next;
  --free_count_;
  return r;
}

void MemmgrService::give(uint32_t r) {
  records_[r].next = free_;
  free_ = r;
  ++free_count_;
}

uint32_t MemmgrService::room() const {
  return free_count_ > kSpare ? free_count_ - kSpare : 0;
}

bool MemmgrService::fits(const Space& s, int64_t delta) const {
  if (delta <= 0) return true;
  const uint64_t more = static_cast<uint64_t>(delta);
  return more <= room() && s.regions + more <= kMaxRegionsPerSpace;
}

uint64_t MemmgrService::end_of(uint32_t r) const {
  return records_[r].start + records_[r].pages * kPageSize;
}

bool MemmgrService::mergeable(uint32_t a, uint32_t b) const {
  const Record& x = records_[a];
  const Record& y = records_[b];
  return end_of(a) == y.start && x.rights == y.rights && x.backing == y.backing;
}

uint32_t MemmgrService::region_after(const Space& s, uint64_t address) const {
  uint32_t r = s.first;
  while (r != kNone && end_of(r) <= address)  // bound: the space's regions
    r = records_[r].next;
  return r;
}

uint32_t MemmgrService::region_before(const Space& s, uint64_t address) const {
  uint32_t prev = kNone;
  // bound: the space's regions
  for (uint32_t r = s.first; r != kNone && end_of(r) <= address; r = records_[r].next)
    prev = r;
  return prev;
}

bool MemmgrService::is_free(const Space& s, uint64_t start, uint64_t end) const {
  const uint32_t r = region_after(s, start);
  return r == kNone || records_[r].start >= end;
}

bool MemmgrService::covered(const Space& s, uint64_t start, uint64_t end) const {
  uint64_t at = start;
  // bound: the space's regions
  for (uint32_t r = region_after(s, start); r != kNone && at < end; r = records_[r].next) {
    if (records_[r].start > at) return false;  // a hole at `at`
    at = end_of(r);
  }
  return at >= end;
}

bool MemmgrService::allows(const Space& s, uint64_t start, uint64_t end, uint8_t rights) const {
  uint64_t at = start;
  // bound: the space's regions
  for (uint32_t r = region_after(s, start); r != kNone && at < end; r = records_[r].next) {
    if (records_[r].start > at || (records_[r].rights & rights) != rights) return false;
    at = end_of(r);
  }
  return at >= end;
}

void MemmgrService::end(Space& s) {
  drop_regions(s);
  if (s.target != 0 && !s.borrowed) rpc::drop_cap(s.target);
  s.target = 0;
  s.open = false;
}

bool MemmgrService::spans(const Space& s, uint64_t address) const {
  const uint32_t r = region_after(s, address);
  return r != kNone && records_[r].start < address;
}

uint32_t MemmgrService::regions_in(const Space& s, uint64_t start, uint64_t end) const {
  uint32_t n = 0;
  // bound: the space's regions
  for (uint32_t r = region_after(s, start); r != kNone && records_[r].start < end;
       r = records_[r].next) {
    ++n;
  }
  return n;
}

uint64_t MemmgrService::pages_in(const Space& s, uint64_t start, uint64_t end) const {
  uint64_t pages = 0;
  // bound: the space's regions
  for (uint32_t r = region_after(s, start); r != kNone && records_[r].start < end;
       r = records_[r].next) {
    const uint64_t lo = records_[r].start > start ? records_[r].start : start;
    const uint64_t hi = end_of(r) < end ? end_of(r) : end;
    pages += (hi - lo) / kPageSize;
  }
  return pages;
}

// The regions touching [start, end] (their pages in it, or ending or starting at its ends) are
// all protect can change, merges included: a region before them ends below `start`, so it is
// not adjacent to one of them, or adjacent to the part of the first below `start`, which keeps
// its rights (and the map was canonical); the same above `end`. Their pieces after protect,
// counted as runs, less their number, is the change.
int64_t MemmgrService::protect_delta(const Space& s, uint64_t start, uint64_t end,
                                     uint8_t rights) const {
  Runs runs;
  int64_t before = 0;
  // bound: the space's regions
  for (uint32_t r = s.first; r != kNone && records_[r].start <= end; r = records_[r].next) {
    const Record& rec = records_[r];
    const uint64_t rec_end = end_of(r);
    if (rec_end < start) continue;
    ++before;
    const uint64_t lo = max(rec.start, start);
    const uint64_t hi = min(rec_end, end);
    runs.add(rec.start, lo, rec.rights, rec.backing);
    runs.add(lo, hi, rights, rec.backing);
    runs.add(hi, rec_end, rec.rights, rec.backing);
  }
  return static_cast<int64_t>(runs.count) - before;
}

void MemmgrService::link(Space& s, uint32_t prev, uint32_t r) {
  if (prev == kNone) {
    s.first = r;
  } else {
    records_[prev].next = r;
  }
}

void MemmgrService::cut_at(Space& s, uint64_t address) {
  const uint32_t r = region_after(s, address);
  if (r == kNone || records_[r].start >= address) return;
  Record& rec = records_[r];
  const uint64_t below = (address - rec.start) / kPageSize;
  const uint32_t n = take();
  records_[n] = Record{address, rec.pages - below, rec.next, rec.rights, rec.backing};
  rec.pages = below;
  rec.next = n;
}

MemmgrService::Chain MemmgrService::cut_out(Space& s, uint64_t start, uint64_t end, uint64_t to) {
  cut_at(s, start);
  cut_at(s, end);
  // The range is covered: its regions run from the one after `prev` to the one ending at `end`.
  const uint32_t prev = region_before(s, start);
  const uint32_t first = prev == kNone ? s.first : records_[prev].next;
  uint32_t last = first;
  while (end_of(last) != end)  // bound: the space's regions
    last = records_[last].next;
  link(s, prev, records_[last].next);
  records_[last].next = kNone;
  for (uint32_t r = first; r != kNone; r = records_[r].next)  // bound: the chain's regions
    records_[r].start = records_[r].start - start + to;
  return Chain{first, last};
}

MemmgrService::Chain MemmgrService::copy_out(const Space& s, uint64_t start, uint64_t end,
                                             uint64_t to) {
  Chain chain{kNone, kNone};
  // bound: the space's regions
  for (uint32_t r = region_after(s, start); r != kNone && records_[r].start < end;
       r = records_[r].next) {
    const Record& rec = records_[r];
    const uint64_t lo = max(rec.start, start);
    const uint64_t hi = min(end_of(r), end);
    const uint32_t n = take();
    records_[n] = Record{lo - start + to, (hi - lo) / kPageSize, kNone, rec.rights, rec.backing};
    if (chain.first == kNone) {
      chain.first = n;
    } else {
      records_[chain.last].next = n;
    }
    chain.last = n;
  }
  return chain;
}

void MemmgrService::drop_regions(Space& s) {
  uint32_t r = s.first;
  while (r != kNone) {  // bound: the space's regions
    const uint32_t next = records_[r].next;
    give(r);
    r = next;
  }
  s.first = kNone;
  s.regions = 0;
  s.pages = 0;
}

void MemmgrService::settle(Space& s) {
  s.regions = 0;
  s.pages = 0;
  // bound: the space's regions; each merge takes one of them away
  for (uint32_t r = s.first; r != kNone; r = records_[r].next) {
    Record& rec = records_[r];
    while (rec.next != kNone && mergeable(r, rec.next)) {  // bound: the regions after r
      const uint32_t next = rec.next;
      rec.pages += records_[next].pages;
      rec.next = records_[next].next;
      give(next);
    }
    ++s.regions;
    s.pages += rec.pages;
  }
}

rpc::Status MemmgrService::ping(const MemoryManager::PingRequest&, MemoryManager::PingResponse&,
                                const rpc::CallContext&) {
  return Status::kOk;
}

rpc::Status MemmgrService::open(const MemoryManager::OpenRequest& req,
                                MemoryManager::OpenResponse& resp, const rpc::CallContext&) {
  const uint32_t id = allocate();
  if (id == 0) return Status::kNoSpace;
  spaces_[id] = Space{true, kNone, 0, 0, req.budget, 0, false};
  resp.space = id;
  return Status::kOk;
}

rpc::Status MemmgrService::copy(const MemoryManager::CopyRequest& req,
                                MemoryManager::CopyResponse& resp, const rpc::CallContext&) {
  const Space* from = space_of(req.space);
  if (from == nullptr) return Status::kNotFound;
  if (from->regions > room()) return Status::kNoSpace;
  const uint32_t id = allocate();
  if (id == 0) return Status::kNoSpace;
  Space& to = spaces_[id];
  to = Space{true, kNone, 0, 0, from->budget, 0, false};
  uint32_t tail = kNone;
  for (uint32_t r = from->first; r != kNone; r = records_[r].next) {  // bound: its regions
    const uint32_t n = take();
    records_[n] = records_[r];
    records_[n].next = kNone;
    link(to, tail, n);
    tail = n;
  }
  settle(to);
  resp.copy = id;
  return Status::kOk;
}

rpc::Status MemmgrService::close(const MemoryManager::CloseRequest& req,
                                 MemoryManager::CloseResponse&, const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  end(*s);
  return Status::kOk;
}

rpc::Status MemmgrService::set_budget(const MemoryManager::SetBudgetRequest& req,
                                      MemoryManager::SetBudgetResponse&, const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  s->budget = req.budget;
  return Status::kOk;
}

rpc::Status MemmgrService::map(const MemoryManager::MapRequest& req, MemoryManager::MapResponse&,
                               const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  uint64_t end = 0;
  if (!range_end(req.start, req.pages, &end) || req.rights > kAllRights ||
      !valid_backing(req.backing)) {
    return Status::kInvalidArgument;
  }
  if (!is_free(*s, req.start, end)) return Status::kExists;
  if (over_budget(s->pages, s->budget, req.pages)) return Status::kNoSpace;
  // A record more, unless it continues a region on either side (then settle merges it away).
  const uint32_t prev = region_before(*s, req.start);
  const uint32_t next = prev == kNone ? s->first : records_[prev].next;
  int64_t delta = 1;
  if (prev != kNone && end_of(prev) == req.start && records_[prev].rights == req.rights &&
      records_[prev].backing == req.backing) {
    --delta;
  }
  if (next != kNone && records_[next].start == end && records_[next].rights == req.rights &&
      records_[next].backing == req.backing) {
    --delta;
  }
  if (!fits(*s, delta)) return Status::kNoSpace;
  // Commit.
  const uint32_t n = take();
  records_[n] = Record{req.start, req.pages, next, req.rights, req.backing};
  link(*s, prev, n);
  settle(*s);
  return Status::kOk;
}

rpc::Status MemmgrService::unmap(const MemoryManager::UnmapRequest& req,
                                 MemoryManager::UnmapResponse&, const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  uint64_t end = 0;
  if (!range_end(req.start, req.pages, &end)) return Status::kInvalidArgument;
  // Only a region holding pages below and above the range leaves two: a record more.
  const uint32_t first = region_after(*s, req.start);
  const bool splits = first != kNone && records_[first].start < req.start && end_of(first) > end;
  if (!fits(*s, splits ? 1 : 0)) return Status::kNoSpace;
  // Commit: cut at both ends, drop the whole regions between.
  cut_at(*s, req.start);
  cut_at(*s, end);
  const uint32_t prev = region_before(*s, req.start);
  uint32_t r = prev == kNone ? s->first : records_[prev].next;
  while (r != kNone && records_[r].start < end) {  // bound: the space's regions
    const uint32_t next = records_[r].next;
    give(r);
    r = next;
  }
  link(*s, prev, r);
  settle(*s);
  return Status::kOk;
}

rpc::Status MemmgrService::protect(const MemoryManager::ProtectRequest& req,
                                   MemoryManager::ProtectResponse&, const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  uint64_t end = 0;
  if (!range_end(req.start, req.pages, &end) || req.rights > kAllRights) {
    return Status::kInvalidArgument;
  }
  if (!fits(*s, protect_delta(*s, req.start, end, req.rights))) return Status::kNoSpace;
  // Commit: cut at both ends, new rights for the whole regions between.
  cut_at(*s, req.start);
  cut_at(*s, end);
  // bound: the space's regions
  for (uint32_t r = region_after(*s, req.start); r != kNone && records_[r].start < end;
       r = records_[r].next) {
    records_[r].rights = req.rights;
  }
  settle(*s);
  return Status::kOk;
}

rpc::Status MemmgrService::move(const MemoryManager::MoveRequest& req, MemoryManager::MoveResponse&,
                                const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  uint64_t from_end = 0;
  uint64_t to_end = 0;
  if (!range_end(req.from, req.pages, &from_end) || req.more > UINT64_MAX - req.pages ||
      !range_end(req.to, req.pages + req.more, &to_end)) {
    return Status::kInvalidArgument;
  }
  if (req.to < from_end && req.from < to_end) return Status::kInvalidArgument;  // overlapping
  if (!covered(*s, req.from, from_end)) return Status::kNotFound;
  if (!is_free(*s, req.to, to_end)) return Status::kExists;
  // A copy's pages count twice.
  if (over_budget(s->pages, s->budget, req.more + (req.keep ? req.pages : 0))) {
    return Status::kNoSpace;
  }
  // The worst case: a copy takes a record for each region of the range, a move one for each
  // end it cuts (merges at the target may give some back).
  const int64_t worst = req.keep ? regions_in(*s, req.from, from_end)
                                 : (spans(*s, req.from) ? 1 : 0) + (spans(*s, from_end) ? 1 : 0);
  if (!fits(*s, worst)) return Status::kNoSpace;
  // Commit: the regions (or their copies) moved to `to`, the last one `more` pages longer,
  // linked in where the target was free.
  const Chain chain =
      req.keep ? copy_out(*s, req.from, from_end, req.to) : cut_out(*s, req.from, from_end, req.to);
  records_[chain.last].pages += req.more;
  const uint32_t prev = region_before(*s, req.to);
  records_[chain.last].next = prev == kNone ? s->first : records_[prev].next;
  link(*s, prev, chain.first);
  settle(*s);
  return Status::kOk;
}

rpc::Status MemmgrService::clear(const MemoryManager::ClearRequest& req,
                                 MemoryManager::ClearResponse&, const rpc::CallContext&) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  drop_regions(*s);
  return Status::kOk;
}

rpc::Status MemmgrService::place(const MemoryManager::PlaceRequest& req,
                                 MemoryManager::PlaceResponse& resp, const rpc::CallContext&) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  if (req.pages == 0 || ((req.lowest | req.below) & kPageMask) != 0) {
    return Status::kInvalidArgument;
  }
  if (req.pages > UINT64_MAX / kPageSize) return Status::kNoSpace;
  const uint64_t bytes = req.pages * kPageSize;
  // Each gap (below the first region, between two, above the last) clipped to [lowest, below);
  // the gaps come in address order, so the last that has room has the highest fit.
  bool found = false;
  uint64_t gap = 0;
  // bound: the space's regions, then the gap above the last
  for (uint32_t r = s->first;; r = records_[r].next) {
    const uint64_t lo = max(gap, req.lowest);
    const uint64_t hi = min(r == kNone ? UINT64_MAX : records_[r].start, req.below);
    if (hi > lo && hi - lo >= bytes) {
      resp.start = hi - bytes;
      found = true;
    }
    if (r == kNone) break;
    gap = end_of(r);
  }
  return found ? Status::kOk : Status::kNoSpace;
}

rpc::Status MemmgrService::fault(const MemoryManager::FaultRequest& req,
                                 MemoryManager::FaultResponse& resp, const rpc::CallContext&) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  const uint8_t right = right_for(req.access);
  if (right == 0) return Status::kInvalidArgument;
  const uint32_t r = region_after(*s, req.address);
  if (r == kNone || records_[r].start > req.address) {
    resp.result = FaultResult::kUnmapped;
  } else {
    resp.result = (records_[r].rights & right) != 0 ? FaultResult::kResolve : FaultResult::kDenied;
  }
  return Status::kOk;
}

rpc::Status MemmgrService::attach(const MemoryManager::AttachRequest& req,
                                  MemoryManager::AttachResponse&, const rpc::CallContext& ctx) {
  Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  if (s->target != 0) return Status::kExists;
  if (req.target.handle == 0) return Status::kBadHandle;
  // Kept until close: ours over IPC (the call layer's rule); a direct caller's own handle, which
  // it keeps alive until then (the interface says so), otherwise.
  s->target = req.target.handle;
  s->borrowed = ctx.direct;
  return Status::kOk;
}

rpc::Status MemmgrService::install(const MemoryManager::InstallRequest& req,
                                   MemoryManager::InstallResponse& resp,
                                   const rpc::CallContext& ctx) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  if (s->target == 0) return Status::kBadHandle;
  uint64_t end = 0;
  if (!range_end(req.start, req.pages, &end) || req.rights == 0 ||
      (req.rights & ~kAllRights) != 0 || !allows(*s, req.start, end, req.rights)) {
    return Status::kInvalidArgument;  // the call layer gives `memory` back
  }
  resp.kernel = static_cast<uint32_t>(
      space_map(s->target, req.memory.handle, req.start, req.first_page, req.pages, req.rights));
  if (!ctx.direct) rpc::drop_cap(req.memory.handle);  // the mapping holds the object
  return Status::kOk;
}

rpc::Status MemmgrService::withdraw(const MemoryManager::WithdrawRequest& req,
                                    MemoryManager::WithdrawResponse& resp,
                                    const rpc::CallContext&) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  if (s->target == 0) return Status::kBadHandle;
  uint64_t end = 0;
  if (!range_end(req.start, req.pages, &end)) return Status::kInvalidArgument;
  resp.kernel = static_cast<uint32_t>(space_unmap(s->target, req.start, req.pages));
  return Status::kOk;
}

rpc::Status MemmgrService::page_in(const MemoryManager::PageInRequest& req,
                                   MemoryManager::PageInResponse& resp,
                                   const rpc::CallContext& ctx) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  if (s->target == 0) return Status::kBadHandle;
  MemoryManager::FaultRequest question;
  question.space = req.space;
  question.address = req.address;
  question.access = req.access;
  MemoryManager::FaultResponse answer;
  if (const Status st = fault(question, answer, ctx); st != Status::kOk) return st;
  resp.result = answer.result;
  resp.kernel = 0;
  if (answer.result == FaultResult::kResolve) {
    resp.kernel =
        static_cast<uint32_t>(space_resolve_fault(s->target, req.address, right_for(req.access)));
  }
  return Status::kOk;
}

void MemmgrService::stop() {
  for (Space& s : spaces_) {  // bound: kMaxSpaces spaces
    if (s.open) end(s);
  }
}

rpc::Status MemmgrService::find(const MemoryManager::FindRequest& req,
                                MemoryManager::FindResponse& resp, const rpc::CallContext&) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  const uint32_t r = region_after(*s, req.address);
  if (r == kNone) return Status::kNotFound;
  const Record& rec = records_[r];
  resp.region = Region{rec.start, rec.pages, rec.rights, rec.backing};
  return Status::kOk;
}

rpc::Status MemmgrService::admit(const MemoryManager::AdmitRequest& req,
                                 MemoryManager::AdmitResponse&, const rpc::CallContext&) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  uint64_t end = 0;
  if (!range_end(req.start, req.pages, &end)) return Status::kInvalidArgument;
  // As Linux's may_expand_vm: the use less what the region replaces, plus the region, within
  // the budget (so a space over its budget is refused even a same-size replacement).
  const uint64_t after = s->pages - pages_in(*s, req.start, end);
  return req.pages > s->budget || after > s->budget - req.pages ? Status::kNoSpace : Status::kOk;
}

rpc::Status MemmgrService::info(const MemoryManager::InfoRequest& req,
                                MemoryManager::InfoResponse& resp, const rpc::CallContext&) {
  const Space* s = space_of(req.space);
  if (s == nullptr) return Status::kNotFound;
  resp.info = SpaceInfo{s->pages, s->budget, s->regions};
  return Status::kOk;
}

rpc::Status MemmgrService::usage(const MemoryManager::UsageRequest&,
                                 MemoryManager::UsageResponse& resp, const rpc::CallContext&) {
  resp.usage = {};
  for (const Space& s : spaces_) {  // bound: kMaxSpaces spaces
    if (!s.open) continue;
    ++resp.usage.spaces;
    resp.usage.pages += s.pages;
  }
  resp.usage.regions = kPoolSize - free_count_;
  resp.usage.max_spaces = kMaxSpaces - 1;  // id 0 is never one
  resp.usage.max_regions = kMaxRegions;
  return Status::kOk;
}

}  // namespace hmk::svc::memmgr
