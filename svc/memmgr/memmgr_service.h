// memmgr: address spaces' regions and page budgets (memmgr.capnp's MemoryManager).
//
// One fixed table indexed by space id holds every address space; one shared pool holds the
// region records of all of them. A space's regions are a singly linked list through the pool
// (index links), sorted by start, never overlapping, and always canonical: no two adjacent
// regions (one's end the next's start) have the same rights and backing, so the map does not
// depend on how the client split its calls. Free records are a list of their own.
//
// Every change follows one pattern: decode and check everything (the records the result takes
// included), then commit: cut the regions at the ends of the range, change the whole regions
// between, and settle (merge what became adjacent and mergeable, recount). The room check
// counts the result, or for move the worst case of it; the cuts may briefly take up to kSpare
// records more than that before settle merges them away, so the pool holds kSpare records over
// kMaxRegions that are never in use between calls. Every walk is bounded by a space's regions
// (kMaxRegionsPerSpace, kSpare more during a call) or by a fixed table.
//
// The kernel mappings: a space may have a kernel address space attached (a capability memmgr
// keeps until close). install maps a lent memory object there only where the space's regions
// allow it (range and rights), withdraw unmaps, page_in resolves a user-level pager's fault; the
// calls themselves are the domain's (service.h: space_map, space_unmap, space_resolve_fault).
#pragma once

#include "svc/lib/service.h"
#include "svc/memmgr/memmgr.hmk.h"

namespace hmk::svc::memmgr {

class MemmgrService final : public svc::Service, public MemoryManager::Server {
 public:
  // Space ids are 1 .. kMaxSpaces - 1 (0 is never one).
  static constexpr uint32_t kMaxSpaces = 1024;
  // Region records, shared by every space.
  static constexpr uint32_t kMaxRegions = 8192;
  // A space's own limit (the Linux shim's: linuxcompat/address_space.h, kMaxRegions).
  static constexpr uint32_t kMaxRegionsPerSpace = 512;
  static constexpr uint64_t kPageSize = 4096;

  rpc::Status start(svc::Env& env) override;

  rpc::Status ping(const MemoryManager::PingRequest& req, MemoryManager::PingResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status open(const MemoryManager::OpenRequest& req, MemoryManager::OpenResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status copy(const MemoryManager::CopyRequest& req, MemoryManager::CopyResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status close(const MemoryManager::CloseRequest& req, MemoryManager::CloseResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status set_budget(const MemoryManager::SetBudgetRequest& req,
                         MemoryManager::SetBudgetResponse& resp,
                         const rpc::CallContext& ctx) override;
  rpc::Status map(const MemoryManager::MapRequest& req, MemoryManager::MapResponse& resp,
                  const rpc::CallContext& ctx) override;
  rpc::Status unmap(const MemoryManager::UnmapRequest& req, MemoryManager::UnmapResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status protect(const MemoryManager::ProtectRequest& req,
                      MemoryManager::ProtectResponse& resp, const rpc::CallContext& ctx) override;
  rpc::Status move(const MemoryManager::MoveRequest& req, MemoryManager::MoveResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status clear(const MemoryManager::ClearRequest& req, MemoryManager::ClearResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status place(const MemoryManager::PlaceRequest& req, MemoryManager::PlaceResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status fault(const MemoryManager::FaultRequest& req, MemoryManager::FaultResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status find(const MemoryManager::FindRequest& req, MemoryManager::FindResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status info(const MemoryManager::InfoRequest& req, MemoryManager::InfoResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status usage(const MemoryManager::UsageRequest& req, MemoryManager::UsageResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status admit(const MemoryManager::AdmitRequest& req, MemoryManager::AdmitResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status attach(const MemoryManager::AttachRequest& req, MemoryManager::AttachResponse& resp,
                     const rpc::CallContext& ctx) override;
  rpc::Status install(const MemoryManager::InstallRequest& req,
                      MemoryManager::InstallResponse& resp, const rpc::CallContext& ctx) override;
  rpc::Status withdraw(const MemoryManager::WithdrawRequest& req,
                       MemoryManager::WithdrawResponse& resp, const rpc::CallContext& ctx) override;
  rpc::Status page_in(const MemoryManager::PageInRequest& req, MemoryManager::PageInResponse& resp,
                      const rpc::CallContext& ctx) override;

  // The address spaces still attached give their capabilities back (the system is ending).
  void stop() override;

 private:
  static constexpr uint32_t kNone = ~0u;
  // Records a call may hold over kMaxRegions for a moment: the two cuts at the ends of a range.
  static constexpr uint32_t kSpare = 2;
  static constexpr uint32_t kPoolSize = kMaxRegions + kSpare;

  // A region [start, start + pages * kPageSize), or a free record (on the free list).
  struct Record {
    uint64_t start;
    uint64_t pages;
    uint32_t next;  // the next region of its space, or the next free record (kNone ends)
    uint8_t rights;
    Backing backing;
  };

  struct Space {
    bool open;
    uint32_t first;    // its lowest region (kNone: none)
    uint32_t regions;  // how many; `pages`, the pages they span (both as of the last settle)
    uint64_t pages;
    uint64_t budget;
    uint32_t target;  // the kernel address space attached (a handle memmgr holds; 0: none)
    bool borrowed;    // `target` is a direct caller's own handle (rpc.h): not memmgr's to delete
  };

  // Regions [first .. last], linked in order, out of any space's list (move's).
  struct Chain {
    uint32_t first;
    uint32_t last;
  };

  // The open space `id`, or nullptr.
  Space* space_of(uint32_t id);
  // The next closed id after the last one given (ids come back as late as they can), or 0.
  uint32_t allocate();

  // The pool: take() needs a free record (the caller counted them); give() returns one.
  uint32_t take();
  void give(uint32_t r);
  // Records that can still be taken with at most kMaxRegions in use.
  uint32_t room() const;
  // Whether `s` may have `delta` regions more (in the pool and under its own limit).
  bool fits(const Space& s, int64_t delta) const;

  uint64_t end_of(uint32_t r) const;
  bool mergeable(uint32_t a, uint32_t b) const;
  // The first region of `s` ending after `address`, or kNone.
  uint32_t region_after(const Space& s, uint64_t address) const;
  // The last region of `s` ending at or below `address`, or kNone.
  uint32_t region_before(const Space& s, uint64_t address) const;
  bool is_free(const Space& s, uint64_t start, uint64_t end) const;
  // Whether [start, end) lies in regions throughout.
  bool covered(const Space& s, uint64_t start, uint64_t end) const;
  // Whether [start, end) lies in regions throughout whose rights include `rights`.
  bool allows(const Space& s, uint64_t start, uint64_t end, uint8_t rights) const;
  // Closes `s`: its regions go, its attached address space is given back.
  void end(Space& s);
  // Whether one region holds pages on both sides of `address` (a cut there takes a record).
  bool spans(const Space& s, uint64_t address) const;
  // The regions with a page in [start, end).
  uint32_t regions_in(const Space& s, uint64_t start, uint64_t end) const;
  // The pages of [start, end) that lie in regions.
  uint64_t pages_in(const Space& s, uint64_t start, uint64_t end) const;
  // The regions protect(start, end, rights) adds to `s` (below 0: the merges it makes).
  int64_t protect_delta(const Space& s, uint64_t start, uint64_t end, uint8_t rights) const;

  // Makes `r` the region after `prev` (kNone: the first) of `s`; r's next must already be set.
  void link(Space& s, uint32_t prev, uint32_t r);
  // Cuts the region holding pages on both sides of `address` in two (takes a record).
  void cut_at(Space& s, uint64_t address);
  // Unlinks the regions of [start, end), cut at both ends; they are then the chain returned,
  // moved to start at `to`.
  Chain cut_out(Space& s, uint64_t start, uint64_t end, uint64_t to);
  // A copy of the pages of [start, end), moved to start at `to`, as a chain.
  Chain copy_out(const Space& s, uint64_t start, uint64_t end, uint64_t to);
  void drop_regions(Space& s);
  // Merges adjacent mergeable regions of `s` (the canonical form) and recounts it.
  void settle(Space& s);

  Record records_[kPoolSize];
  uint32_t free_ = kNone;
  uint32_t free_count_ = 0;
  Space spaces_[kMaxSpaces];
  uint32_t last_ = 0;
};

}  // namespace hmk::svc::memmgr
