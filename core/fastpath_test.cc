// The IPC fast paths against the slow path: random register-only calls and reply_recvs, each
// performed on two identical fresh kernels, once the way the port enters (hmk_fastpath_call or
// hmk_fastpath_reply_recv first) and once through syscall_entry alone. Every register of every
// thread, every thread's state and links, the run queues, the endpoint queues and the thread that
// runs next must come out the same.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "platform/hosted/harness.h"

namespace hmk::hosted {
namespace {

// Everything observable about the threads and queues, with threads named by creation index.
struct Snapshot {
  std::vector<std::vector<uint64_t>> threads;
  std::vector<int> run_queues;  // per priority with threads: priority, then indexes, then -1
  std::vector<int> endpoint_queue;
  int current = -1;
  int next_context = -1;
  std::vector<uint64_t> quotas;

  bool operator==(const Snapshot& o) const {
    return threads == o.threads && run_queues == o.run_queues &&
           endpoint_queue == o.endpoint_queue && current == o.current &&
           next_context == o.next_context && quotas == o.quotas;
  }
  std::string describe() const {
    std::ostringstream out;
    out << "current " << current << " next " << next_context << "\n";
    for (size_t i = 0; i < threads.size(); ++i) {
      out << "thread " << i << ":";
      for (uint64_t v : threads[i])
        out << " " << std::hex << v << std::dec;
      out << "\n";
    }
    out << "run queues:";
    for (int v : run_queues)
      out << " " << v;
    out << "\nendpoint:";
    for (int v : endpoint_queue)
      out << " " << v;
    return out.str();
  }
};

// One random scenario, built identically on each run from the same seed.
class Scenario {
 public:
  Scenario(Harness& h, uint64_t seed) : h_(h), rng_(seed) {
    auto prio = [&] { return static_cast<uint8_t>(90 + 10 * pick(3)); };
    server_ = h.spawn("server", prio());
    threads_.push_back(server_.thread);
    ep_ = h.create_endpoint(server_.space);
    const int clients = 1 + pick(2);
    for (int i = 0; i < clients; ++i) {
      clients_.push_back(h.spawn("client", prio()));
      threads_.push_back(clients_.back().thread);
      const uint64_t badge = pick(2) ? rng_() : 0;
      handles_.push_back(
          h.grant(server_.space, ep_, clients_.back().space, abi::kRightSend, badge));
    }
    // Bystanders: ready threads of various priorities that the guards must respect.
    const int bystanders = pick(4);
    for (int i = 0; i < bystanders; ++i)
      threads_.push_back(h.add_thread(clients_[0].space, static_cast<uint8_t>(70 + pick(45))));
  }

  // The scenario's steps; each IPC step goes through `path`. Returns a snapshot after each.
  std::vector<Snapshot> run(Path path, int* fast_taken) {
    std::vector<Snapshot> out;
    if (pick(8) != 0) {  // usually the server waits already
      h_.ipc(server_.thread, Syscall::kRecv, ep_, MessageInfo::make(0, 0));
      out.push_back(snapshot(nullptr));
    }
    for (int round = 0; round < 3; ++round) {
      // A client calls.
      const size_t c = pick(static_cast<int>(clients_.size()));
      Thread* client = clients_[c].thread;
      if (client->state() != ThreadState::kReady && client->state() != ThreadState::kRunning) {
        break;
      }
      h_.make_current(client);
      load(client, Syscall::kCall, handles_[c]);
      h_.enter(client, path);
      *fast_taken += h_.fast_path_taken();
      out.push_back(snapshot(&client->context()));

      // Maybe another client queues behind it (the reply_recv fast path then declines).
      if (clients_.size() > 1 && pick(4) == 0) {
        const size_t o = 1 - c;
        Thread* other = clients_[o].thread;
        if (other->state() == ThreadState::kReady || other->state() == ThreadState::kRunning) {
          h_.make_current(other);
          load(other, Syscall::kCall, handles_[o]);
          h_.enter(other, Path::kSlow);
          out.push_back(snapshot(nullptr));
        }
      }

      // The server answers and waits for the next message.
      Thread* s = server_.thread;
      if (s->caller() == nullptr ||
          (s->state() != ThreadState::kReady && s->state() != ThreadState::kRunning)) {
        break;
      }
      h_.make_current(s);
      load(s, Syscall::kReplyRecv, ep_);
      h_.enter(s, path);
      *fast_taken += h_.fast_path_taken();
      out.push_back(snapshot(nullptr));
    }
    return out;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  // Random registers, then a system call: mostly a well-formed register-only message, now and
  // then one the fast path must decline (capabilities, flags, long, a wrong handle).
  void load(Thread* t, Syscall number, Handle handle) {
    uint64_t* r = t->regs();
    for (uint32_t i = 0; i < arch::kRegCount; ++i)
      r[i] = rng_();
    r[arch::kRax] = static_cast<uint64_t>(number);
    const uint32_t label = static_cast<uint32_t>(rng_());
    uint32_t words = static_cast<uint32_t>(pick(abi::kRegisterWords + 1));
    uint32_t caps = 0;
    uint64_t flags = 0;
    r[arch::kRdi] = handle;
    switch (pick(12)) {
      case 0:
        words = abi::kRegisterWords + 1 + pick(5);  // needs a buffer: refused
        break;
      case 1:
        caps = 1;
        break;
      case 2:
        flags = MessageInfo::kNonBlocking;
        break;
      case 3:
        r[arch::kRdi] = pick(6);  // the null handle, kSelfSpace, ..., maybe empty
        break;
      case 4:
        r[arch::kRdi] = handle | (1ull << 32);
        break;
      default:
        break;
    }
    r[arch::kRsi] = MessageInfo::make(label, words, caps, flags).raw;
  }

  int index_of(const Thread* t) const {
    for (size_t i = 0; i < threads_.size(); ++i) {
      if (threads_[i] == t) return static_cast<int>(i);
    }
    return t == nullptr ? -1 : -2;
  }

  Snapshot snapshot(const arch::UserContext*) {
    Snapshot s;
    for (Thread* t : threads_) {
      std::vector<uint64_t> v(t->regs(), t->regs() + arch::kRegCount);
      v.push_back(t->context().frame.rip);
      v.push_back(t->context().frame.rsp);
      v.push_back(static_cast<uint64_t>(t->state()));
      v.push_back(t->priority());
      v.push_back(t->slice_left());
      v.push_back(static_cast<uint64_t>(index_of(t->caller())));
      v.push_back(static_cast<uint64_t>(index_of(t->replier())));
      v.push_back(t->blocked_on() != nullptr);
      v.push_back(t->send_badge());
      v.push_back(static_cast<uint64_t>(t->send_reply()));
      v.push_back(static_cast<uint64_t>(t->send_grant()));
      s.threads.push_back(v);
    }
    for (uint32_t p = 0; p < abi::kPriorityCount; ++p) {
      const Scheduler::Queue& q = scheduler().queue(p);
      if (q.empty()) continue;
      s.run_queues.push_back(static_cast<int>(p));
      for (Thread* t = q.front(); t != nullptr; t = q.next(t))
        s.run_queues.push_back(index_of(t));
      s.run_queues.push_back(-1);
    }
    auto* ep = static_cast<Endpoint*>(h_.cap(server_.space, ep_)->object);
    s.endpoint_queue.push_back(static_cast<int>(ep->kind()));
    for (Thread* t = ep->queue().front(); t != nullptr; t = ep->queue().next(t))
      s.endpoint_queue.push_back(index_of(t));
    s.current = index_of(scheduler().current());
    for (size_t i = 0; i < threads_.size(); ++i) {
      if (active_context() == &threads_[i]->context()) s.next_context = static_cast<int>(i);
    }
    for (Quota* q = live_quotas().front(); q != nullptr; q = live_quotas().next(q))
      s.quotas.push_back(q->used());
    return s;
  }

  Harness& h_;
  std::mt19937_64 rng_;
  Harness::Process server_;
  Handle ep_;
  std::vector<Harness::Process> clients_;
  std::vector<Handle> handles_;
  std::vector<Thread*> threads_;
};

std::vector<Snapshot> run_once(uint64_t seed, Path path, int* fast_taken) {
  Harness h;
  Scenario scenario(h, seed);
  std::vector<Snapshot> snapshots = scenario.run(path, fast_taken);
  h.finish();
  return snapshots;
}

TEST_CASE("fast path and slow path leave identical states") {
  constexpr uint64_t kSeeds = 300;
  int fast = 0;
  int slow_only = 0;
  size_t steps = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    INFO("seed " << seed);
    std::vector<Snapshot> a = run_once(seed, Path::kEntry, &fast);
    std::vector<Snapshot> b = run_once(seed, Path::kSlow, &slow_only);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      INFO("step " << i << "\nwith the fast path:\n"
                   << a[i].describe() << "\nslow path only:\n"
                   << b[i].describe());
      REQUIRE(a[i] == b[i]);
    }
    steps += a.size();
  }
  REQUIRE(slow_only == 0);
  // The scenarios must exercise the fast path a good deal, not just its guards.
  INFO(fast << " fast-path entries in " << steps << " steps");
  REQUIRE(fast > static_cast<int>(kSeeds) / 2);
}

}  // namespace
}  // namespace hmk::hosted
