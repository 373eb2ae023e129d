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

// The handle a slot's next capability gets after `h`'s is deleted.
Handle next_handle(Handle h) {
  return static_cast<Handle>(CapTable::empty_key(h) ^ 1);
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

TEST_CASE("a handle goes stale when its capability goes, even after the slot is refilled") {
  // The exploit this closes (issue 10, item 4): a server keeps the handle of a capability a
  // client sent it; the client revokes its own copy, which deletes the server's; the server's
  // next capability lands in the same slot, and the kept handle would name it.
  Harness h;
  auto client = h.spawn("client");
  auto server = h.spawn("server");
  Handle to_server = h.give(client.space, server.space, abi::kRightManage);
  Handle ntf = h.create_notification(client.space);
  REQUIRE(h.syscall(client.thread, Syscall::kCapCopyTo, {to_server, ntf, abi::kRightSend}) ==
          Status::kOk);
  const Handle kept = out_handle(client.thread);  // the server's copy, in the server's table
  REQUIRE(h.cap(server.space, kept) != nullptr);
  REQUIRE(h.syscall(client.thread, Syscall::kCapRevoke, {ntf}) == Status::kOk);
  REQUIRE(h.cap(server.space, kept) == nullptr);

  // The server's next capability takes the same slot, under another handle.
  REQUIRE(h.syscall(server.thread, Syscall::kEndpointCreate, {}) == Status::kOk);
  const Handle fresh = out_handle(server.thread);
  REQUIRE(CapTable::slot_of(fresh) == CapTable::slot_of(kept));
  REQUIRE(fresh != kept);
  REQUIRE(fresh == next_handle(kept));
  for (Syscall call : {Syscall::kCapInfo, Syscall::kCapDelete, Syscall::kSignal}) {
    INFO("call " << static_cast<int>(call));
    REQUIRE(h.syscall(server.thread, call, {kept}) == Status::kInvalidCapability);
  }
  REQUIRE(h.syscall(server.thread, Syscall::kCapInfo, {fresh}) == Status::kOk);

  // Deleting by hand ages the slot the same way; handles of full slots are unchanged.
  REQUIRE(h.syscall(server.thread, Syscall::kCapDelete, {fresh}) == Status::kOk);
  REQUIRE(h.syscall(server.thread, Syscall::kNotificationCreate, {}) == Status::kOk);
  REQUIRE(out_handle(server.thread) == next_handle(fresh));
  REQUIRE(h.syscall(server.thread, Syscall::kCapInfo, {fresh}) == Status::kInvalidCapability);
  REQUIRE(h.syscall(server.thread, Syscall::kCapInfo, {abi::kSelfSpace}) == Status::kOk);
  h.finish();
}

TEST_CASE("cap_revoke of a deep chain works in bounded steps, the tree whole after each") {
  // A chain 3000 deep across four tables (a table holds at most 1023): each capability the
  // child of the one before. Revoke does kCapStepBudget units of work per step and restarts.
  Harness h;
  std::vector<Harness::Process> procs;
  for (int i = 0; i < 4; ++i)
    procs.push_back(h.spawn("p"));
  const Handle root = h.create_endpoint(procs[0].space);
  Space* space = procs[0].space;
  Handle last = root;
  constexpr int kDepth = 3000;
  for (int i = 0; i < kDepth; ++i) {  // built kernel-side, checked once (give() checks nothing)
    Space* to = procs[static_cast<size_t>((i + 1) / 900)].space;
    Capability* parent = h.cap(space, last);
    last = h.give(to, parent->object, abi::kRightSend, 0, parent);
    space = to;
  }
  h.check();
  REQUIRE(h.cap(space, last)->object == h.cap(procs[0].space, root)->object);
  h.set_auto_restart(false);
  Thread* t = procs[0].thread;
  h.syscall(t, Syscall::kCapRevoke, {root});  // restarts: rax keeps the number
  int steps = 1;
  while (h.restart_pending(t)) {
    h.continue_restarted(t);  // the harness checks every invariant after each step
    ++steps;
  }
  // A unit to move each link's one child up and one to delete it.
  const int units = 2 * kDepth - 1;
  REQUIRE(steps ==
          (units + static_cast<int>(kCapStepBudget) - 1) / static_cast<int>(kCapStepBudget));
  REQUIRE(status_of(t) == Status::kOk);
  REQUIRE(h.cap(procs[0].space, root)->first_child == nullptr);
  REQUIRE(h.cap(space, last) == nullptr);
  h.finish();
}

TEST_CASE("cap_revoke of a wide tree is bounded per step too") {
  // root -> a -> 3000 children: deleting `a` moves its children, in bounded steps.
  Harness h;
  auto p = h.spawn("p");
  auto q = h.spawn("q");
  auto r = h.spawn("r");
  auto s = h.spawn("s");
  const Handle root = h.create_endpoint(p.space);
  const Handle a = h.grant(p.space, root, p.space, abi::kRightSend);
  Space* tables[] = {p.space, q.space, r.space, s.space};
  Capability* parent = h.cap(p.space, a);
  for (int i = 0; i < 3000; ++i)  // built kernel-side, checked once
    (void)h.give(tables[i / 900], parent->object, abi::kRightSend, 0, parent);
  h.check();
  h.set_auto_restart(false);
  h.syscall(p.thread, Syscall::kCapRevoke, {root});
  int steps = 1;
  while (h.restart_pending(p.thread)) {
    // Never more than a step's budget (plus one deletion) since the last step.
    h.continue_restarted(p.thread);
    ++steps;
  }
  CHECK(steps >= 6);  // 3000 moves and 3001 deletions, 1024 units a step
  REQUIRE(status_of(p.thread) == Status::kOk);
  REQUIRE(h.cap(p.space, root)->first_child == nullptr);
  h.finish();
}

TEST_CASE("cap_delete of a capability with many children moves them up in bounded steps") {
  Harness h;
  auto a = h.spawn("a");
  auto b = h.spawn("b");
  const Handle root = h.create_endpoint(a.space);
  const Handle middle = h.grant(a.space, root, a.space, abi::kRightSend);
  constexpr int kChildren = 1500;  // in two tables
  std::vector<std::pair<Space*, Handle>> children;
  Capability* parent = h.cap(a.space, middle);
  for (int i = 0; i < kChildren; ++i) {  // built kernel-side, checked once
    Space* to = i < 900 ? a.space : b.space;
    children.emplace_back(to, h.give(to, parent->object, abi::kRightSend, 0, parent));
  }
  h.check();
  h.set_auto_restart(false);
  h.syscall(a.thread, Syscall::kCapDelete, {middle});
  REQUIRE(h.restart_pending(a.thread));
  REQUIRE(h.cap(a.space, middle) != nullptr);  // still there, some children already moved
  h.continue_restarted(a.thread);
  REQUIRE(!h.restart_pending(a.thread));
  REQUIRE(status_of(a.thread) == Status::kOk);
  REQUIRE(h.cap(a.space, middle) == nullptr);
  for (auto [space, handle] : children)
    REQUIRE(h.cap(space, handle)->parent == h.cap(a.space, root));
  h.finish();
}

TEST_CASE("a slot that used its last generation is retired, never reused") {
  // A generation that wrapped would bring a stale handle back to life after 2^22 reuses.
  CHECK(CapTable::slot_of(next_handle(37)) == 37);
  CHECK(next_handle(37) == 37 + CapTable::kMaxSlots);
  Harness h;
  auto p = h.spawn("p");
  const Handle ep = h.create_endpoint(p.space);
  Capability* cap = h.cap(p.space, ep);
  const size_t slot = CapTable::slot_of(ep);
  // Age the slot to its last generation (as 4 million deletions would), then delete.
  const Handle last = static_cast<Handle>(slot | CapTable::kLastGeneration << CapTable::kSlotBits);
  cap->key = last;
  REQUIRE(p.space->caps().lookup(last) == cap);
  REQUIRE(h.syscall(p.thread, Syscall::kCapDelete, {last}) == Status::kOk);
  CHECK(CapTable::retired(*cap));
  for (uint64_t gen = 0; gen <= CapTable::kLastGeneration; gen += 0x1'0001)
    CHECK(p.space->caps().lookup(slot | gen << CapTable::kSlotBits) == nullptr);
  CHECK(p.space->caps().lookup(cap->key) == nullptr);
  // The next capabilities go elsewhere.
  for (int i = 0; i < 70; ++i) {
    REQUIRE(h.syscall(p.thread, Syscall::kNotificationCreate, {}) == Status::kOk);
    CHECK(CapTable::slot_of(out_handle(p.thread)) != slot);
  }
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
  std::vector<std::map<size_t, int>> slots;       // per space: slot -> id
  std::vector<std::vector<bool>> occupied;        // per space: slots the kernel has in use
  std::vector<std::vector<uint32_t>> generation;  // per space and slot: times it emptied

  size_t lowest_free(int space) {
    std::vector<bool>& occ = occupied[space];
    for (size_t slot = 1; slot < occ.size(); ++slot) {
      if (!occ[slot]) return slot;
    }
    return occ.size();  // the table grows
  }
  Handle handle_for(int space, size_t slot) const {
    return static_cast<Handle>(slot | generation[space][slot] << CapTable::kSlotBits);
  }
  void grow(int space, size_t slots_now) {
    occupied[space].resize(slots_now, false);
    generation[space].resize(slots_now, 0);
  }
  int add(int object, uint32_t rights, uint64_t badge, int parent, int space) {
    const size_t slot = lowest_free(space);
    if (slot == occupied[space].size()) grow(space, slot + CapTable::kSlotsPerPage);
    occupied[space][slot] = true;
    caps.push_back({object, rights, badge, parent, space, handle_for(space, slot), true});
    slots[space][slot] = static_cast<int>(caps.size() - 1);
    return static_cast<int>(caps.size() - 1);
  }
  void empty(const ModelCap& c) {
    const size_t slot = CapTable::slot_of(c.handle);
    occupied[c.space][slot] = false;
    ++generation[c.space][slot];
    slots[c.space].erase(slot);
  }
  void remove(int id) {
    ModelCap& c = caps[id];
    for (ModelCap& other : caps) {
      if (other.live && other.parent == id) other.parent = c.parent;
    }
    c.live = false;
    empty(c);
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
        empty(caps[i]);
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
  m.occupied.resize(kSpaces);
  m.generation.resize(kSpaces);
  for (int i = 0; i < kSpaces; ++i) {
    CapTable& table = procs[i].space->caps();
    m.grow(i, table.page_count() * CapTable::kSlotsPerPage);
    for (size_t slot = 1; slot < m.occupied[i].size(); ++slot)
      m.occupied[i][slot] = table.lookup(slot) != nullptr;  // fresh tables: generation 0
  }
  // The objects: an endpoint and a notification (badgeable) and a memory object.
  const Handle ep = h.create_endpoint(procs[0].space);
  const Handle nt = h.create_notification(procs[1].space);
  const Handle mem = h.create_memory(procs[2].space, 1);
  const std::pair<int, Handle> roots[] = {{0, ep}, {1, nt}, {2, mem}};
  for (auto [space, handle] : roots) {
    Capability* c = h.cap(procs[space].space, handle);
    m.objects.push_back(c->object);
    m.occupied[space][CapTable::slot_of(handle)] = true;
    m.caps.push_back(
        {static_cast<int>(m.objects.size() - 1), c->rights, 0, -1, space, handle, true});
    m.slots[space][CapTable::slot_of(handle)] = static_cast<int>(m.caps.size() - 1);
  }

  auto compare = [&] {
    for (int s = 0; s < kSpaces; ++s) {
      CapTable& table = procs[s].space->caps();
      REQUIRE(table.page_count() * CapTable::kSlotsPerPage == m.occupied[s].size());
      for (size_t slot = 1; slot < m.occupied[s].size(); ++slot) {
        const Handle now = m.handle_for(s, slot);
        Capability* c = table.lookup(now);
        // The slot's earlier handles are stale whatever it holds now.
        if (m.generation[s][slot] > 0) {
          INFO("space " << s << " slot " << slot << " generation " << m.generation[s][slot]);
          REQUIRE(table.lookup(now - CapTable::kMaxSlots) == nullptr);
        }
        auto it = m.slots[s].find(slot);
        if (it == m.slots[s].end()) {
          INFO("space " << s << " slot " << slot);
          REQUIRE(((c == nullptr) == !m.occupied[s][slot]));
          continue;
        }
        const ModelCap& mc = m.caps[it->second];
        INFO("space " << s << " slot " << slot << " model id " << it->second);
        REQUIRE(mc.handle == now);
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
