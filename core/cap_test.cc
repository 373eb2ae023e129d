// Capability tables and the derivation tree through the system calls: derive within rights,
// badge rules, delete moving children up, revoke reaching every descendant across tables, table
// growth and its quota, and random derive/copy/delete/revoke sequences checked slot by slot
// against a shadow model.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using arch::kRdi;
using arch::kRsi;

Handle out_handle(Thread* t) {
  return static_cast<Handle>(t->regs()[kRdi]);
}

TEST_CASE("cap_derive: within the source's rights, with the badge rules") {
  Harness h;
  auto p = h.spawn("p");
  Thread* t = p.thread;
  Handle ep = h.create_endpoint(p.space);
  Handle mem = h.create_memory(p.space, 1);
  const uint64_t all_ep =
      abi::kRightSend | abi::kRightReceive | abi::kRightGrant | abi::kRightManage;

  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep, abi::kRightSend, 0}) == Status::kOk);
  const Handle send = out_handle(t);
  REQUIRE(h.cap(p.space, send)->parent == h.cap(p.space, ep));
  REQUIRE(h.cap(p.space, send)->rights == abi::kRightSend);
  REQUIRE(h.syscall(t, Syscall::kCapInfo, {send}) == Status::kOk);
  REQUIRE(t->regs()[kRdi] == (static_cast<uint64_t>(ObjectType::kEndpoint) |
                              static_cast<uint64_t>(abi::kRightSend) << 8));
  REQUIRE(t->regs()[kRsi] == 0);

  // Escalation, undefined rights, empty slots.
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {send, abi::kRightSend | abi::kRightReceive, 0}) ==
          Status::kPermissionDenied);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep, all_ep | (1u << 7), 0}) ==
          Status::kInvalidArgument);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {40, 0, 0}) == Status::kInvalidCapability);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {0, 0, 0}) == Status::kInvalidCapability);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep | (1ull << 32), 0, 0}) ==
          Status::kInvalidCapability);

  // Badges: endpoints and notifications only, once.
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {mem, abi::kRightRead, 7}) == Status::kInvalidArgument);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep, abi::kRightSend, 7}) == Status::kOk);
  const Handle badged = out_handle(t);
  REQUIRE(h.syscall(t, Syscall::kCapInfo, {badged}) == Status::kOk);
  REQUIRE(t->regs()[kRsi] == 7);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {badged, abi::kRightSend, 8}) ==
          Status::kInvalidArgument);
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {badged, abi::kRightSend, 0}) == Status::kOk);
  REQUIRE(h.cap(p.space, out_handle(t))->badge == 7);                      // inherited
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {mem, 0, 0}) == Status::kOk);  // no rights at all
  REQUIRE(h.syscall(t, Syscall::kCapInfo, {out_handle(t)}) == Status::kOk);
  REQUIRE(t->regs()[kRdi] == static_cast<uint64_t>(ObjectType::kMemory));
  REQUIRE(h.syscall(t, Syscall::kCapInfo, {41}) == Status::kInvalidCapability);
  h.finish();
}

TEST_CASE("cap_delete moves the children up to the parent") {
  Harness h;
  auto p = h.spawn("p");
  Thread* t = p.thread;
  Handle a = h.create_endpoint(p.space);
  h.syscall(t, Syscall::kCapDerive, {a, abi::kRightSend | abi::kRightGrant, 0});
  Handle b = out_handle(t);
  h.syscall(t, Syscall::kCapDerive, {b, abi::kRightSend, 0});
  Handle c1 = out_handle(t);
  h.syscall(t, Syscall::kCapDerive, {b, abi::kRightSend, 0});
  Handle c2 = out_handle(t);
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {b}) == Status::kOk);
  REQUIRE(h.cap(p.space, b) == nullptr);
  REQUIRE(h.cap(p.space, c1)->parent == h.cap(p.space, a));
  REQUIRE(h.cap(p.space, c2)->parent == h.cap(p.space, a));
  // Deleting a root makes its children roots.
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {a}) == Status::kOk);
  REQUIRE(h.cap(p.space, c1)->parent == nullptr);
  REQUIRE(h.cap(p.space, c2)->parent == nullptr);
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {a}) == Status::kInvalidCapability);
  // The endpoint lives while any capability names it.
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {c1}) == Status::kOk);
  const size_t before = live_object_count();
  REQUIRE(h.syscall(t, Syscall::kCapDelete, {c2}) == Status::kOk);
  REQUIRE(live_object_count() == before - 1);
  h.finish();
}

TEST_CASE("cap_revoke removes every descendant in every table, keeps the capability") {
  Harness h;
  auto a = h.spawn("a");
  auto b = h.spawn("b");
  auto c = h.spawn("c");
  Handle ep = h.create_endpoint(a.space);
  Handle to_b = h.give(a.space, b.space, abi::kRightManage);
  Handle c_space_in_b = h.give(b.space, c.space, abi::kRightManage);
  // a: ep -> (copy) b: x -> (copy) c: y, and a: ep -> a: z -> b: w.
  REQUIRE(h.syscall(a.thread, Syscall::kCapCopyTo,
                    {to_b, ep, abi::kRightSend | abi::kRightGrant}) == Status::kOk);
  const Handle x = out_handle(a.thread);
  REQUIRE(h.syscall(b.thread, Syscall::kCapCopyTo, {c_space_in_b, x, abi::kRightSend}) ==
          Status::kOk);
  const Handle y = out_handle(b.thread);
  REQUIRE(h.syscall(a.thread, Syscall::kCapDerive, {ep, abi::kRightSend, 0}) == Status::kOk);
  const Handle z = out_handle(a.thread);
  REQUIRE(h.syscall(a.thread, Syscall::kCapCopyTo, {to_b, z, abi::kRightSend}) == Status::kOk);
  const Handle w = out_handle(a.thread);
  REQUIRE(h.cap(c.space, y)->parent == h.cap(b.space, x));
  REQUIRE(h.cap(b.space, w)->parent == h.cap(a.space, z));

  // Copies cannot add rights either, and need authority over the target space.
  REQUIRE(h.syscall(b.thread, Syscall::kCapCopyTo, {c_space_in_b, x, abi::kRightsAll}) ==
          Status::kPermissionDenied);
  REQUIRE(h.syscall(b.thread, Syscall::kCapCopyTo, {x, x, abi::kRightSend}) ==
          Status::kInvalidCapability);

  REQUIRE(h.syscall(a.thread, Syscall::kCapRevoke, {ep}) == Status::kOk);
  REQUIRE(h.cap(a.space, ep) != nullptr);
  REQUIRE(h.cap(a.space, ep)->first_child == nullptr);
  REQUIRE(h.cap(b.space, x) == nullptr);
  REQUIRE(h.cap(c.space, y) == nullptr);
  REQUIRE(h.cap(a.space, z) == nullptr);
  REQUIRE(h.cap(b.space, w) == nullptr);
  REQUIRE(h.syscall(a.thread, Syscall::kCapRevoke, {55}) == Status::kInvalidCapability);
  h.finish();
}

TEST_CASE("cap_copy_to a dead space is kPeerClosed") {
  Harness h;
  auto a = h.spawn("a");
  auto b = h.spawn("b");
  Handle to_b = h.give(a.space, b.space, abi::kRightManage);
  Handle ep = h.create_endpoint(a.space);
  h.syscall(b.thread, Syscall::kProcessExit, {0});
  REQUIRE(!b.space->alive());
  REQUIRE(h.syscall(a.thread, Syscall::kCapCopyTo, {to_b, ep, abi::kRightSend}) ==
          Status::kPeerClosed);
  Handle weak = h.grant(a.space, to_b, a.space, 0);
  REQUIRE(h.syscall(a.thread, Syscall::kCapCopyTo, {weak, ep, abi::kRightSend}) ==
          Status::kPermissionDenied);
  h.finish();
}

TEST_CASE("tables grow a page at a time, charged to the process, up to their limit") {
  Harness h;
  auto p = h.spawn("p");
  Thread* t = p.thread;
  Handle ep = h.create_endpoint(p.space);
  Quota& q = p.space->own_quota();
  REQUIRE(p.space->caps().page_count() == 1);
  // Fill the first page (slot 0 is never used), then one more slot adds a page.
  while (p.space->caps().free_slots(1) > 0) {
    REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep, abi::kRightSend, 0}) == Status::kOk);
  }
  const uint64_t used = q.used();
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep, abi::kRightSend, 0}) == Status::kOk);
  REQUIRE(out_handle(t) == CapTable::kSlotsPerPage);
  REQUIRE(p.space->caps().page_count() == 2);
  REQUIRE(q.used() == used + kPageSize);
  // The largest table: fill it (kernel side, it is quick), then derive once more.
  Capability* root = h.cap(p.space, ep);
  while (p.space->caps().page_count() < CapTable::kMaxPages || p.space->caps().free_slots(1) > 0) {
    h.give(p.space, root->object, abi::kRightSend, 0, root);
  }
  REQUIRE(h.syscall(t, Syscall::kCapDerive, {ep, abi::kRightSend, 0}) == Status::kQuotaExceeded);
  REQUIRE(h.syscall(t, Syscall::kEndpointCreate) == Status::kQuotaExceeded);
  // Revoke empties them all; the pages stay with the table until the process ends.
  REQUIRE(h.syscall(t, Syscall::kCapRevoke, {ep}) == Status::kOk);
  REQUIRE(p.space->caps().page_count() == CapTable::kMaxPages);
  h.finish();
}

// ---- random sequences against a shadow model ----

// The model: every capability to the test objects, by id, with its slot and parent.
struct ModelCap {
  int object;  // index into Model::objects
  uint32_t rights;
  uint64_t badge;
  int parent;  // id, or -1
  int space;
  Handle handle;
  bool live;
};

struct Model {
  std::vector<KernelObject*> objects;
  std::vector<ModelCap> caps;
  std::vector<std::map<Handle, int>> slots;  // per space: handle -> id
  std::vector<std::vector<bool>> occupied;   // per space: slots the kernel has in use
  std::vector<size_t> pages;                 // per space: table pages

  Handle lowest_free(int space) {
    std::vector<bool>& occ = occupied[space];
    for (Handle h = 1; h < occ.size(); ++h) {
      if (!occ[h]) return h;
    }
    return static_cast<Handle>(occ.size());  // the table grows
  }
  int add(int object, uint32_t rights, uint64_t badge, int parent, int space) {
    Handle h = lowest_free(space);
    if (h == occupied[space].size()) occupied[space].resize(h + CapTable::kSlotsPerPage, false);
    occupied[space][h] = true;
    caps.push_back({object, rights, badge, parent, space, h, true});
    slots[space][h] = static_cast<int>(caps.size() - 1);
    return static_cast<int>(caps.size() - 1);
  }
  void remove(int id) {
    ModelCap& c = caps[id];
    for (ModelCap& other : caps) {
      if (other.live && other.parent == id) other.parent = c.parent;
    }
    c.live = false;
    occupied[c.space][c.handle] = false;
    slots[c.space].erase(c.handle);
  }
  bool descends(int id, int ancestor) const {
    for (int p = caps[id].parent; p >= 0; p = caps[p].parent) {
      if (p == ancestor) return true;
    }
    return false;
  }
  void revoke(int id) {
    for (size_t i = 0; i < caps.size(); ++i) {
      if (caps[i].live && descends(static_cast<int>(i), id)) {
        caps[i].live = false;
        occupied[caps[i].space][caps[i].handle] = false;
        slots[caps[i].space].erase(caps[i].handle);
      }
    }
  }
};

TEST_CASE("random derive, copy, delete and revoke agree with a shadow model") {
  const uint64_t seed = GENERATE(1, 2, 3, 4, 5, 6, 7, 8);
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };

  Harness h;
  constexpr int kSpaces = 3;
  std::vector<Harness::Process> procs;
  for (int i = 0; i < kSpaces; ++i)
    procs.push_back(h.spawn("p"));
  // Every process may copy into every other: handles to[i][j] in i's table.
  Handle to[kSpaces][kSpaces];
  for (int i = 0; i < kSpaces; ++i) {
    for (int j = 0; j < kSpaces; ++j)
      to[i][j] = h.give(procs[i].space, procs[j].space, abi::kRightManage);
  }
  Model m;
  m.slots.resize(kSpaces);
  for (int i = 0; i < kSpaces; ++i) {
    CapTable& table = procs[i].space->caps();
    m.occupied.emplace_back(table.page_count() * CapTable::kSlotsPerPage, false);
    for (Handle hd = 1; hd < m.occupied[i].size(); ++hd)
      m.occupied[i][hd] = table.lookup(hd) != nullptr;
  }
  // The objects: an endpoint and a notification (badgeable) and a memory object.
  const Handle ep = h.create_endpoint(procs[0].space);
  const Handle nt = h.create_notification(procs[1].space);
  const Handle mem = h.create_memory(procs[2].space, 1);
  const std::pair<int, Handle> roots[] = {{0, ep}, {1, nt}, {2, mem}};
  for (auto [space, handle] : roots) {
    Capability* c = h.cap(procs[space].space, handle);
    m.objects.push_back(c->object);
    m.occupied[space][handle] = true;
    m.caps.push_back(
        {static_cast<int>(m.objects.size() - 1), c->rights, 0, -1, space, handle, true});
    m.slots[space][handle] = static_cast<int>(m.caps.size() - 1);
  }

  auto compare = [&] {
    for (int s = 0; s < kSpaces; ++s) {
      CapTable& table = procs[s].space->caps();
      for (Handle hd = 1; hd < table.page_count() * CapTable::kSlotsPerPage; ++hd) {
        Capability* c = table.lookup(hd);
        auto it = m.slots[s].find(hd);
        if (it == m.slots[s].end()) {
          INFO("space " << s << " slot " << hd);
          REQUIRE(((c == nullptr) == !m.occupied[s][hd]));
          continue;
        }
        const ModelCap& mc = m.caps[it->second];
        INFO("space " << s << " slot " << hd << " model id " << it->second);
        REQUIRE(c != nullptr);
        REQUIRE(c->object == m.objects[mc.object]);
        REQUIRE(c->rights == mc.rights);
        REQUIRE(c->badge == mc.badge);
        if (mc.parent < 0) {
          REQUIRE(c->parent == nullptr);
        } else {
          const ModelCap& pc = m.caps[mc.parent];
          REQUIRE(c->parent == procs[pc.space].space->caps().lookup(pc.handle));
        }
      }
    }
  };

  for (int step = 0; step < 400; ++step) {
    // A live model capability, or now and then an empty slot.
    std::vector<int> live;
    for (size_t i = 0; i < m.caps.size(); ++i) {
      if (m.caps[i].live) live.push_back(static_cast<int>(i));
    }
    if (live.empty()) break;
    const int id = live[pick(live.size())];
    const ModelCap src = m.caps[id];
    const int space = src.space;
    Thread* t = procs[space].thread;
    const bool badgeable = src.object != 2;
    uint32_t rights = static_cast<uint32_t>(rng()) & src.rights;
    if (pick(8) == 0) rights |= 1u << pick(7);  // maybe beyond the source's
    uint64_t badge = pick(4) == 0 ? 1 + pick(1000) : 0;
    INFO("step " << step << " cap " << id);
    switch (pick(6)) {
      case 0:
      case 1: {  // derive in the same table
        Status want = Status::kOk;
        if ((rights & ~src.rights) != 0) {
          want = Status::kPermissionDenied;
        } else if (badge != 0 && (src.badge != 0 || !badgeable)) {
          want = Status::kInvalidArgument;
        }
        REQUIRE(h.syscall(t, Syscall::kCapDerive, {src.handle, rights, badge}) == want);
        if (want == Status::kOk) {
          const int child = m.add(src.object, rights, badge != 0 ? badge : src.badge, id, space);
          REQUIRE(out_handle(t) == m.caps[child].handle);
        }
        break;
      }
      case 2: {  // copy into another table
        const int target = static_cast<int>(pick(kSpaces));
        const Status want = (rights & ~src.rights) != 0 ? Status::kPermissionDenied : Status::kOk;
        REQUIRE(h.syscall(t, Syscall::kCapCopyTo, {to[space][target], src.handle, rights}) == want);
        if (want == Status::kOk) {
          const int child = m.add(src.object, rights, src.badge, id, target);
          REQUIRE(out_handle(t) == m.caps[child].handle);
        }
        break;
      }
      case 3:
      case 4:
        if (src.parent < 0 && pick(3) != 0) break;  // keep the roots around for longer
        REQUIRE(h.syscall(t, Syscall::kCapDelete, {src.handle}) == Status::kOk);
        m.remove(id);
        break;
      case 5:
        REQUIRE(h.syscall(t, Syscall::kCapRevoke, {src.handle}) == Status::kOk);
        m.revoke(id);
        break;
    }
    compare();
  }
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
