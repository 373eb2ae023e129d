// The invariant checker can fail: each test builds a real kernel state on the hosted port,
// breaks one invariant by hand, expects the checker to name the violation, and restores the
// state (after which the checker is satisfied again and the test ends leak-free).
#include "proofs/invariants.h"

#include <catch2/catch.hpp>
#include <string>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

using Catch::Matchers::Contains;

std::string violation() {
  const char* v = proofs::check_invariants();
  return v != nullptr ? v : "";
}

// A server waiting for a reply-less message, a client blocked on reply to a second server
// thread, a ready bystander, a notification with a waiter, and a mapping.
struct World {
  explicit World(Harness& h)
      : server(h.spawn("server")), client(h.spawn("client")), bystander(h.spawn("bystander", 50)) {
    ep = h.create_endpoint(server.space);
    ep_client = h.grant(server.space, ep, client.space, abi::kRightSend | abi::kRightGrant, 7);
    ep_child = h.grant(server.space, ep, server.space, abi::kRightSend);
    ep_child2 = h.grant(server.space, ep, server.space, abi::kRightSend);
    n = h.create_notification(client.space);
    mem = h.map_memory(client.space, 0x10000, 2, abi::kRightRead);
    replier = h.add_thread(server.space);
    waiter = h.add_thread(client.space);
    // replier takes the client's call and keeps it; server then waits on the endpoint.
    h.ipc(replier, Syscall::kRecv, ep, MessageInfo::make(0, 0));
    h.ipc(client.thread, Syscall::kCall, ep_client, MessageInfo::make(1, 1), {42});
    REQUIRE(replier->caller() == client.thread);
    h.ipc(server.thread, Syscall::kRecv, ep, MessageInfo::make(0, 0));
    h.syscall(waiter, Syscall::kWait, {n});
    REQUIRE(server.thread->state() == ThreadState::kBlockedOnReceive);
    REQUIRE(client.thread->state() == ThreadState::kBlockedOnReply);
    REQUIRE(waiter->state() == ThreadState::kBlockedOnNotification);
    REQUIRE(bystander.thread->state() == ThreadState::kReady);
    REQUIRE(violation().empty());
  }
  Endpoint* endpoint(Harness& h) { return static_cast<Endpoint*>(h.cap(server.space, ep)->object); }
  Notification* notification(Harness& h) {
    return static_cast<Notification*>(h.cap(client.space, n)->object);
  }

  Harness::Process server, client, bystander;
  Handle ep, ep_client, ep_child, ep_child2, n, mem;
  Thread* replier;
  Thread* waiter;
};

TEST_CASE("a clean world passes, and references are accounted exactly") {
  Harness h;
  World w(h);
  REQUIRE(proofs::accounted_references(*w.endpoint(h)) == 4);  // four capabilities
  auto* m = static_cast<MemoryObject*>(h.cap(w.client.space, w.mem)->object);
  REQUIRE(proofs::accounted_references(*m) == 2);          // a capability and a mapping
  REQUIRE(proofs::accounted_references(*w.replier) == 2);  // its capability and itself
  // The client space: kSelfSpace, two threads; the harness holds one more.
  REQUIRE(proofs::accounted_references(*w.client.space) == 3);
  REQUIRE(w.client.space->refs() == 4);
  REQUIRE(proofs::accounted_references(irq_control()) == 2 + 3);  // three processes' handles
  h.finish();
}

TEST_CASE("reference counts") {
  Harness h;
  World w(h);
  Endpoint* ep = w.endpoint(h);
  SECTION("one too many") {
    ep->acquire();
    REQUIRE_THAT(violation(), Contains("Endpoint object") && Contains("5 references, 4"));
    ep->release();
  }
  SECTION("one too few") {
    ep->release();
    REQUIRE_THAT(violation(), Contains("3 references, 4 accounted"));
    ep->acquire();
  }
  SECTION("a space may have one holder beyond the graph, not two") {
    // The harness holds the one reference a process's starter may hold.
    w.server.space->acquire();
    REQUIRE_THAT(violation(), Contains("space 'server' has 5 references, 3 accounted for"));
    w.server.space->release();
  }
  SECTION("a dying object still named by a capability") {
    auto* nt = w.notification(h);
    Capability* c = h.cap(w.client.space, w.n);
    KernelObject* saved = c->object;
    // Its last reference dropped while the capability still names it.
    const uint32_t refs = nt->refs();
    for (uint32_t i = 0; i < refs; ++i)
      nt->release();
    REQUIRE(nt->zombie_node.linked());
    REQUIRE_THAT(violation(), Contains("names an object with no references"));
    for (uint32_t i = 0; i < refs; ++i)
      nt->acquire();
    nt->zombie_node.unlink();
    REQUIRE(c->object == saved);
  }
  SECTION("a live object in the reap queue") {
    List<KernelObject, &KernelObject::zombie_node> fake_reap_queue;
    fake_reap_queue.push_back(ep);
    REQUIRE_THAT(violation(), Contains("but is in the reap queue"));
    ep->zombie_node.unlink();
  }
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("capabilities and the derivation tree") {
  Harness h;
  World w(h);
  Capability* root = h.cap(w.server.space, w.ep);
  Capability* child = h.cap(w.server.space, w.ep_child);
  Capability* client = h.cap(w.client.space, w.ep_client);
  SECTION("a capability to a dead object") {
    KernelObject* saved = child->object;
    static uint64_t not_an_object[8];
    child->object = reinterpret_cast<KernelObject*>(not_an_object);
    REQUIRE_THAT(violation(), Contains("capability in space 'server' slot " +
                                       std::to_string(w.ep_child) + " names a dead object"));
    child->object = saved;
  }
  SECTION("a wrong cached type") {
    child->type = ObjectType::kMemory;
    REQUIRE_THAT(violation(), Contains("caches type MemoryObject for a Endpoint"));
    child->type = ObjectType::kEndpoint;
  }
  SECTION("rights beyond the parent's") {
    child->rights |= abi::kRightRead;
    REQUIRE_THAT(violation(), Contains("beyond its parent's"));
    child->rights &= ~static_cast<uint32_t>(abi::kRightRead);
  }
  SECTION("a badge different from the badged parent's") {
    Handle grandchild = h.grant(w.client.space, w.ep_client, w.client.space, abi::kRightSend);
    Capability* g = h.cap(w.client.space, grandchild);
    g->badge = 8;
    REQUIRE_THAT(violation(), Contains("its badged parent 7"));
    g->badge = 7;
  }
  SECTION("a badge on a memory capability") {
    Capability* m = h.cap(w.client.space, w.mem);
    m->badge = 1;
    REQUIRE_THAT(violation(), Contains("is a badged MemoryObject"));
    m->badge = 0;
  }
  SECTION("sibling links that disagree") {
    // Children are pushed at the front: root's children are ep_child2, ep_child, ep_client.
    REQUIRE(root->first_child == h.cap(w.server.space, w.ep_child2));
    Capability* saved = child->prev_sibling;
    child->prev_sibling = nullptr;
    REQUIRE_THAT(violation(),
                 Contains("is not its parent's first child") || Contains("sibling disagree"));
    child->prev_sibling = saved;
  }
  SECTION("a capability missing from its parent's child list") {
    Capability* saved = client->prev_sibling;
    saved->next_sibling = nullptr;
    REQUIRE_THAT(violation(), Contains("missing from its parent's children"));
    saved->next_sibling = client;
  }
  SECTION("a cycle") {
    root->parent = client;
    REQUIRE(!violation().empty());
    root->parent = nullptr;
  }
  SECTION("a dirty empty slot") {
    Capability* empty = &w.server.space->caps().page(0)[CapTable::kSlotsPerPage - 1];
    REQUIRE(empty->empty());
    empty->badge = 3;
    REQUIRE_THAT(violation(), Contains("is not cleared"));
    empty->badge = 0;
  }
  SECTION("an empty slot whose key names it (a stale handle would find it)") {
    Capability* empty = &w.server.space->caps().page(0)[CapTable::kSlotsPerPage - 1];
    empty->key ^= 1;
    REQUIRE_THAT(violation(), Contains("not its next handle with bit 0 flipped"));
    empty->key ^= 1;
  }
  SECTION("a full slot whose key is another slot's handle") {
    child->key += 1;
    REQUIRE_THAT(violation(), Contains("not a handle of that slot"));
    child->key -= 1;
  }
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("threads in exactly one place") {
  Harness h;
  World w(h);
  Thread* ready = w.bystander.thread;
  SECTION("a ready thread missing from its run queue") {
    Scheduler::Queue::remove(ready);
    REQUIRE_THAT(violation(), Contains("is not in the run queue of its priority 50"));
    scheduler().make_ready(ready);
  }
  SECTION("a run queue whose bitmap bit is clear") {
    scheduler().remove(ready);
    const_cast<Scheduler::Queue&>(scheduler().queue(50)).push_back(ready);
    REQUIRE_THAT(violation(), Contains("bitmap says run queue 50 is empty"));
    Scheduler::Queue::remove(ready);
    scheduler().make_ready(ready);
  }
  SECTION("a thread that claims another state than its queue") {
    Thread* s = w.server.thread;
    ThreadTestAccess::state(s) = ThreadState::kBlockedOnSend;
    REQUIRE_THAT(violation(), Contains("receiver queue of endpoint") ||
                                  Contains("waits to send through a capability that is gone"));
    ThreadTestAccess::state(s) = ThreadState::kBlockedOnReceive;
  }
  SECTION("a thread that is not sending names a send capability") {
    Thread* s = w.server.thread;
    ThreadTestAccess::send_cap(s) = h.cap(w.server.space, w.ep);
    REQUIRE_THAT(violation(), Contains("still names the capability of a finished send"));
    ThreadTestAccess::send_cap(s) = nullptr;
  }
  SECTION("a waiting receive names a capability that is gone, or none") {
    Thread* s = w.server.thread;
    REQUIRE(s->state() == ThreadState::kBlockedOnReceive);
    Capability* used = s->recv_cap();
    REQUIRE(used != nullptr);
    ThreadTestAccess::recv_cap(s) = nullptr;
    REQUIRE_THAT(violation(), Contains("waits to receive through a capability that is gone"));
    Capability stale = *used;
    ThreadTestAccess::recv_cap(s) = &stale;  // not in any table
    REQUIRE_THAT(violation(), Contains("waits to receive through a capability that is gone"));
    ThreadTestAccess::recv_cap(s) = used;
  }
  SECTION("two running threads") {
    ThreadTestAccess::state(ready) = ThreadState::kRunning;
    REQUIRE_THAT(violation(), Contains("running thread") && Contains("is in a queue"));
    ThreadTestAccess::state(ready) = ThreadState::kReady;
  }
  SECTION("a waiter missing from its notification") {
    ThreadQueue::remove(w.waiter);
    REQUIRE_THAT(violation(), Contains("is not among its notification's waiters"));
    w.notification(h)->waiters().push_back(w.waiter);
  }
  SECTION("reply links that do not match") {
    ThreadTestAccess::caller(w.replier) = nullptr;
    REQUIRE_THAT(violation(), Contains("is not its replier's caller"));
    ThreadTestAccess::caller(w.replier) = w.client.thread;
  }
  SECTION("a reply awaited from a thread that is not what it says") {
    Thread* r = w.replier;  // running, holding the client's call
    REQUIRE(scheduler().current() == r);
    ThreadTestAccess::state(r) = ThreadState::kDead;
    REQUIRE(!violation().empty());
    ThreadTestAccess::state(r) = ThreadState::kBlockedOnReceive;
    REQUIRE_THAT(violation(), Contains("is not blocked on a live endpoint"));
    ThreadTestAccess::state(r) = ThreadState::kReady;
    REQUIRE_THAT(violation(), Contains("the current thread is ready"));
    ThreadTestAccess::state(r) = ThreadState::kRunning;
  }
  SECTION("a space that miscounts its live threads") {
    w.client.space->thread_died();
    REQUIRE_THAT(violation(), Contains("space 'client' counts 1 live threads, 2 are started"));
    w.client.space->thread_started();
  }
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("quota accounts") {
  Harness h;
  World w(h);
  Quota& q = w.client.space->own_quota();
  SECTION("an overcharge") {
    REQUIRE(q.charge(64) == Status::kOk);
    REQUIRE_THAT(violation(), Contains("bytes used, its objects, spaces, child accounts"));
    q.uncharge(64);
  }
  SECTION("a kernel-service charge is accounted for, its reference too") {
    REQUIRE(q.charge_external(4096) == Status::kOk);
    REQUIRE(violation().empty());
    q.uncharge(4096);  // as if the record of the charge were lost
    REQUIRE_THAT(violation(), Contains("kernel-service charges account for"));
    REQUIRE(q.charge(4096) == Status::kOk);
    q.uncharge_external(4096);
  }
  SECTION("an undercharge") {
    q.uncharge(1);
    REQUIRE(!violation().empty());
    REQUIRE(q.charge(1) == Status::kOk);
  }
  SECTION("more used than the limit (an uncharge below zero wraps)") {
    const uint64_t used = q.used();
    q.uncharge(used + 1);
    REQUIRE_THAT(violation(), Contains("uses 18446744073709551615 of a"));
    REQUIRE(q.charge(used + 1) == Status::kOk);
  }
  SECTION("an unaccounted reference") {
    q.acquire();
    REQUIRE_THAT(violation(), Contains("references,"));
    q.release();
  }
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("mappings and page tables agree") {
  Harness h;
  World w(h);
  arch::AddressSpace& as = w.client.space->address_space();
  auto* m = static_cast<MemoryObject*>(h.cap(w.client.space, w.mem)->object);
  SECTION("a page missing from the page tables") {
    size_t freed = 0;
    arch::unmap_range(as, 0x11000, 1, kernel_frames(), &freed);
    REQUIRE(freed == 0);  // the mapping's other pages keep the table
    REQUIRE_THAT(violation(), Contains("page 0x11000 of space 'client' is not mapped"));
    size_t tables = 0;
    REQUIRE(arch::map_page(as, 0x11000, m->frame(1), kPageUser, kernel_frames(), &tables) ==
            Status::kOk);
    REQUIRE(tables == 0);
  }
  SECTION("a page writable against its mapping") {
    arch::protect_page(as, 0x10000, kPageUser | kPageWrite);
    REQUIRE_THAT(violation(), Contains("is writable in the page tables"));
    arch::protect_page(as, 0x10000, kPageUser);
  }
  SECTION("a mapping with rights beyond its limit") {
    Mapping* map = w.client.space->mappings().front();
    map->max_rights = 0;
    REQUIRE_THAT(violation(), Contains("beyond its limit"));
    map->max_rights = abi::kRightRead;
  }
  SECTION("a memory object that miscounts its writable or executable mappings") {
    m->mapping_added(abi::kRightWrite);
    REQUIRE_THAT(violation(), Contains("counts 1 writable and 0 executable mappings, its "
                                       "mappings are 0 and 0"));
    m->mapping_removed(abi::kRightWrite);
    m->mapping_added(abi::kRightExecute);
    REQUIRE_THAT(violation(), Contains("counts 0 writable and 1 executable mappings"));
    m->mapping_removed(abi::kRightExecute);
  }
  SECTION("a memory object writable in one mapping and executable in another") {
    // Counts that agree with mappings that break W^X, as if map and protect had not checked:
    // the client's read-only mapping made writable, a second mapping of the object executable.
    auto set_rights = [&](Mapping* map, uint32_t rights) {
      map->memory->mapping_removed(map->rights);
      map->rights = rights;
      map->memory->mapping_added(rights);
      for (uint64_t i = 0; i < map->pages; ++i)
        arch::protect_page(as, map->vaddr + i * kPageSize, page_flags_for_rights(rights));
    };
    Mapping* rw = w.client.space->mappings().front();
    REQUIRE(w.client.space->map(*m, 0x40000, 0, 1, abi::kRightRead, rw->max_rights) == Status::kOk);
    Mapping* rx = w.client.space->mappings().back();
    set_rights(rw, abi::kRightRead | abi::kRightWrite);
    REQUIRE(violation().empty());
    set_rights(rx, abi::kRightRead | abi::kRightExecute);
    REQUIRE_THAT(violation(), Contains("is mapped writable (1) and executable (1) at once"));
    set_rights(rx, abi::kRightRead);
    set_rights(rw, abi::kRightRead);
    REQUIRE(w.client.space->unmap(0x40000, 1) == Status::kOk);
  }
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("mappings do not overlap") {
  Harness h;
  World w(h);
  // The World's mapping is [0x10000, 0x12000); one right above it and one right below touch it
  // without overlapping, which is fine in whichever order the list holds them.
  h.map_memory(w.client.space, 0x12000, 1, abi::kRightRead);
  h.map_memory(w.client.space, 0xe000, 2, abi::kRightRead);
  REQUIRE(violation().empty());
  Mapping* above = nullptr;
  Mapping* below = nullptr;
  for (Mapping* m = w.client.space->mappings().front(); m != nullptr;
       m = w.client.space->mappings().next(m)) {
    if (m->vaddr == 0x12000) above = m;
    if (m->vaddr == 0xe000) below = m;
  }
  REQUIRE(above != nullptr);
  REQUIRE(below != nullptr);
  SECTION("one page into it from above") {
    above->vaddr = 0x11000;
    REQUIRE_THAT(violation(),
                 Contains("overlap") && Contains("0x11000") && Contains("in space 'client'"));
    above->vaddr = 0x12000;
  }
  SECTION("one page into it from below") {
    below->vaddr = 0xf000;
    REQUIRE_THAT(violation(), Contains("overlap") && Contains("0xf000"));
    below->vaddr = 0xe000;
  }
  SECTION("the same range") {
    below->vaddr = 0x10000;
    REQUIRE_THAT(violation(), Contains("overlap"));
    below->vaddr = 0xe000;
  }
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("a notification with waiters has no pending bits") {
  Harness h;
  World w(h);
  Notification* n = w.notification(h);
  REQUIRE(n->waiters().front() == w.waiter);
  // Bits that arrived without waking the waiter: signal while it is off the queue, put it back.
  ThreadQueue::remove(w.waiter);
  n->signal(0x5);
  n->waiters().push_back(w.waiter);
  REQUIRE(w.waiter->state() == ThreadState::kBlockedOnNotification);
  REQUIRE_THAT(violation(), Contains("has waiters and pending bits 0x5"));
  REQUIRE(n->take() == 0x5);
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("interrupt bindings are counted") {
  Harness h;
  World w(h);
  Notification* n = w.notification(h);
  n->add_irq_binding();
  REQUIRE_THAT(violation(), Contains("counts 1 Irq bindings, 0 Irqs bind it"));
  n->remove_irq_binding();
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("I/O port capabilities: no badges, exact references") {
  Harness h;
  World w(h);
  const Handle ports = h.create_ioports(w.client.space, 0x3f8, 8);
  Capability* cap = h.cap(w.client.space, ports);
  REQUIRE(proofs::accounted_references(*cap->object) == 1);
  REQUIRE(violation().empty());
  cap->badge = 9;
  REQUIRE_THAT(violation(), Contains("slot " + std::to_string(ports) + " is a badged IoPorts"));
  cap->badge = 0;
  cap->object->acquire();
  REQUIRE_THAT(violation(), Contains("IoPorts object"));
  REQUIRE_THAT(violation(), Contains("has 2 references, 1 accounted for"));
  cap->object->release();
  REQUIRE(violation().empty());
  h.finish();
}

TEST_CASE("the kernel runs the checker on its way out of slow entries") {
  Harness h;
  auto p = h.spawn("p");
  const uint64_t before = detail::g_hook_calls;
  h.syscall(p.thread, Syscall::kYield);
  REQUIRE(detail::g_hook_calls == before + 1);
  h.finish();
}

}  // namespace
}  // namespace hmk::hosted
