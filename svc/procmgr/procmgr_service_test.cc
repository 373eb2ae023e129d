// procmgr on the host, through the host service environment (svc/lib/test_env.h): ids handed out
// and reused only once released, the reaper, exit's reparenting, wait's selection and its
// statuses, setGroup's and newSession's rules, thread ids, running out of ids, and a thousand
// spawn/exit/wait/release rounds that leave the table as they found it. Each test runs twice:
// through a local channel (a direct call) and through the loopback transport (encoded, as over
// IPC).
#include "svc/procmgr/procmgr_service.h"

#include <catch2/catch.hpp>
#include <memory>

#include "svc/lib/test_env.h"

namespace hmk::svc::procmgr {
namespace {

using rpc::Status;
using R = GroupResult;
constexpr int32_t kNoPid = -1;

// A procmgr started in the host environment, with the reaper made, and a client of it.
class Pm {
 public:
  explicit Pm(bool loopback) : service_(std::make_unique<ProcmgrService>()) {
    test::reset();
    svc::Env env;
    REQUIRE(service_->start(env) == Status::kOk);
    ProcessManager::Server* server = service_.get();
    client_ =
        ProcessManager::Client(loopback ? test::loopback(server, &ProcessManager::dispatch_erased,
                                                         ProcessManager::kInterfaceId)
                                        : ProcessManager::local_channel(server));
  }

  // The new pid, or kNoPid with *status set.
  int32_t spawn(int32_t parent, Status* status = nullptr) {
    ProcessManager::SpawnRequest req;
    req.parent = parent;
    ProcessManager::SpawnResponse resp;
    const Status s = client_.spawn(req, resp);
    if (status != nullptr) *status = s;
    return s == Status::kOk ? resp.pid : kNoPid;
  }
  int32_t add_thread(int32_t pid, Status* status = nullptr) {
    ProcessManager::AddThreadRequest req;
    req.pid = pid;
    ProcessManager::AddThreadResponse resp;
    const Status s = client_.add_thread(req, resp);
    if (status != nullptr) *status = s;
    return s == Status::kOk ? resp.tid : kNoPid;
  }
  Status release(int32_t id) {
    ProcessManager::ReleaseRequest req;
    req.id = id;
    ProcessManager::ReleaseResponse resp;
    return client_.release(req, resp);
  }
  Status exit(int32_t pid, int32_t status, bool discard = false) {
    ProcessManager::ExitRequest req;
    req.pid = pid;
    req.status = status;
    req.discard = discard;
    ProcessManager::ExitResponse resp;
    return client_.exit(req, resp);
  }
  // wait's status; *pid and *status from its answer.
  Status wait(int32_t parent, int32_t select, bool keep = false, int32_t* pid = nullptr,
              int32_t* status = nullptr) {
    ProcessManager::WaitRequest req;
    req.parent = parent;
    req.select = select;
    req.keep = keep;
    ProcessManager::WaitResponse resp;
    const Status s = client_.wait(req, resp);
    if (pid != nullptr) *pid = resp.pid;
    if (status != nullptr) *status = resp.status;
    return s;
  }
  R set_group(int32_t caller, int32_t pid, int32_t group) {
    ProcessManager::SetGroupRequest req;
    req.caller = caller;
    req.pid = pid;
    req.group = group;
    ProcessManager::SetGroupResponse resp;
    REQUIRE(client_.set_group(req, resp) == Status::kOk);
    return resp.result;
  }
  R new_session(int32_t pid) {
    ProcessManager::NewSessionRequest req;
    req.pid = pid;
    ProcessManager::NewSessionResponse resp;
    REQUIRE(client_.new_session(req, resp) == Status::kOk);
    return resp.result;
  }
  Status executed(int32_t pid) {
    ProcessManager::ExecutedRequest req;
    req.pid = pid;
    ProcessManager::ExecutedResponse resp;
    return client_.executed(req, resp);
  }
  // info(pid); REQUIREs that it is known.
  ProcessInfo info(int32_t pid) {
    ProcessManager::InfoRequest req;
    req.pid = pid;
    ProcessManager::InfoResponse resp;
    REQUIRE(client_.info(req, resp) == Status::kOk);
    return resp.info;
  }
  bool known(int32_t pid) {
    ProcessManager::InfoRequest req;
    req.pid = pid;
    ProcessManager::InfoResponse resp;
    return client_.info(req, resp) == Status::kOk;
  }
  Usage usage() {
    ProcessManager::UsageResponse resp;
    REQUIRE(client_.usage(ProcessManager::UsageRequest{}, resp) == Status::kOk);
    return resp.usage;
  }

 private:
  std::unique_ptr<ProcmgrService> service_;
  ProcessManager::Client client_;
};

// A procmgr with its reaper (pid 1).
struct Started {
  explicit Started(bool loopback) : pm(loopback) { REQUIRE(pm.spawn(0) == 1); }
  Pm pm;
};

TEST_CASE("the reaper comes first, once; ids go up and are reused only once released") {
  const bool loopback = GENERATE(false, true);
  Pm pm(loopback);
  Status s = Status::kOk;
  CHECK(pm.spawn(1, &s) == kNoPid);  // no reaper yet
  CHECK(s == Status::kInvalidArgument);
  CHECK(pm.spawn(0) == 1);
  CHECK(pm.spawn(0, &s) == kNoPid);  // a second one
  CHECK(s == Status::kInvalidArgument);
  CHECK(pm.info(1).parent == 0);
  CHECK(pm.info(1).group == 1);
  CHECK(pm.info(1).session == 1);
  const int32_t a = pm.spawn(1);
  const int32_t b = pm.spawn(a);
  CHECK(a == 2);
  CHECK(b == 3);
  CHECK(pm.info(b).parent == a);
  CHECK(pm.info(b).group == 1);  // the parent's group and session
  CHECK(pm.info(b).session == 1);
  CHECK(pm.spawn(99, &s) == kNoPid);  // a parent that is not live
  CHECK(s == Status::kNotFound);
  CHECK(pm.spawn(ProcmgrService::kMaxIds, &s) == kNoPid);
  CHECK(s == Status::kNotFound);
  CHECK(pm.spawn(-5, &s) == kNoPid);
  CHECK(s == Status::kNotFound);
  // b ends and is collected: its id stays taken until released.
  REQUIRE(pm.exit(b, 7 << 8) == Status::kOk);
  CHECK(pm.release(b) == Status::kInvalidArgument);  // not collected yet
  int32_t pid = 0;
  int32_t status = 0;
  REQUIRE(pm.wait(a, -1, false, &pid, &status) == Status::kOk);
  CHECK(pid == b);
  CHECK(status == 7 << 8);
  CHECK_FALSE(pm.known(b));
  CHECK(pm.usage().ids == 3);                        // 1, a, and b's id not yet released
  CHECK(pm.release(a) == Status::kInvalidArgument);  // live
  CHECK(pm.release(1) == Status::kInvalidArgument);
  CHECK(pm.release(0) == Status::kInvalidArgument);
  CHECK(pm.release(ProcmgrService::kMaxIds) == Status::kInvalidArgument);
  CHECK(pm.release(b) == Status::kOk);
  CHECK(pm.release(b) == Status::kInvalidArgument);  // once
  CHECK(pm.usage().ids == 2);
  CHECK(pm.spawn(a) == 4);  // the next id after the last one given, as Linux hands out pids
}

TEST_CASE("wait: which child, wouldBlock while none has ended, notFound when none matches") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t parent = pm.spawn(1);
  const int32_t x = pm.spawn(parent);
  const int32_t y = pm.spawn(parent);
  const int32_t other = pm.spawn(1);  // not parent's child
  CHECK(pm.wait(parent, -1) == Status::kWouldBlock);
  CHECK(pm.wait(parent, y) == Status::kWouldBlock);
  CHECK(pm.wait(parent, other) == Status::kNotFound);  // not its child
  CHECK(pm.wait(parent, 999) == Status::kNotFound);
  CHECK(pm.wait(x, -1) == Status::kNotFound);    // no children at all
  CHECK(pm.wait(999, -1) == Status::kNotFound);  // no such waiter
  // Groups: y in a group of its own.
  REQUIRE(pm.set_group(parent, y, 0) == R::kOk);
  CHECK(pm.wait(parent, -y) == Status::kWouldBlock);
  REQUIRE(pm.exit(y, 3) == Status::kOk);
  CHECK(pm.wait(parent, 0) == Status::kWouldBlock);  // y is in another group: x has not ended
  REQUIRE(pm.exit(x, 4) == Status::kOk);
  int32_t pid = 0;
  int32_t status = 0;
  // 0: the parent's own group (x, not y).
  REQUIRE(pm.wait(parent, 0, /*keep=*/true, &pid, &status) == Status::kOk);
  CHECK(pid == x);
  CHECK(status == 4);
  // keep: still there, ended.
  CHECK(pm.info(x).ended);
  CHECK(pm.info(x).status == 4);
  CHECK(pm.usage().ended == 2);
  REQUIRE(pm.wait(parent, -y, false, &pid, &status) == Status::kOk);
  CHECK(pid == y);
  CHECK(status == 3);
  CHECK(pm.wait(parent, -y) == Status::kNotFound);  // the group is empty now
  REQUIRE(pm.wait(parent, x, false, &pid) == Status::kOk);
  CHECK(pid == x);
  CHECK(pm.wait(parent, -1) == Status::kNotFound);
  CHECK(pm.usage().ended == 0);
  CHECK(pm.release(x) == Status::kOk);
  CHECK(pm.release(y) == Status::kOk);
  CHECK(pm.exit(other, 0) == Status::kOk);  // the reaper's child: collected at once
  CHECK_FALSE(pm.known(other));
  CHECK(pm.release(other) == Status::kOk);
}

TEST_CASE("exit: the children go to the reaper, which collects those that have ended") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t p = pm.spawn(1);
  const int32_t live = pm.spawn(p);
  const int32_t ended = pm.spawn(p);
  const int32_t grandchild = pm.spawn(live);
  REQUIRE(pm.exit(ended, 1) == Status::kOk);
  CHECK(pm.exit(ended, 1) == Status::kNotFound);     // once
  CHECK(pm.exit(1, 0) == Status::kInvalidArgument);  // the reaper never ends
  REQUIRE(pm.exit(p, 2) == Status::kOk);
  CHECK(pm.info(live).parent == 1);
  CHECK(pm.info(grandchild).parent == live);  // only p's own children move
  CHECK_FALSE(pm.known(ended));               // collected by the reaper
  CHECK(pm.release(ended) == Status::kOk);
  CHECK_FALSE(pm.known(p));  // its parent is the reaper: collected at once
  CHECK(pm.release(p) == Status::kOk);
  // discard: a parent that does not collect.
  const int32_t q = pm.spawn(live);
  REQUIRE(pm.exit(q, 9, /*discard=*/true) == Status::kOk);
  CHECK_FALSE(pm.known(q));
  CHECK(pm.wait(live, q) == Status::kNotFound);
  CHECK(pm.release(q) == Status::kOk);
  // A dead process has no children, spawns nothing, gets no threads.
  Status s = Status::kOk;
  CHECK(pm.spawn(p, &s) == kNoPid);
  CHECK(s == Status::kNotFound);
  CHECK(pm.add_thread(p, &s) == kNoPid);
  CHECK(s == Status::kNotFound);
}

TEST_CASE("setGroup and newSession: setpgid's and setsid's rules") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t shell = pm.spawn(1);
  REQUIRE(pm.new_session(shell) == R::kOk);
  CHECK(pm.info(shell).session == shell);
  CHECK(pm.info(shell).group == shell);
  CHECK(pm.new_session(shell) == R::kNotPermitted);  // it leads a group
  CHECK(pm.new_session(999) == R::kNoProcess);
  const int32_t job = pm.spawn(shell);
  const int32_t job2 = pm.spawn(shell);
  const int32_t stranger = pm.spawn(1);
  CHECK(pm.set_group(shell, job, -1) == R::kInvalid);
  CHECK(pm.set_group(shell, stranger, 0) == R::kNoProcess);  // not its child
  CHECK(pm.set_group(999, job, 0) == R::kNoProcess);
  CHECK(pm.set_group(shell, 999, 0) == R::kNoProcess);
  CHECK(pm.set_group(shell, shell, 0) == R::kNotPermitted);  // a session leader stays
  CHECK(pm.set_group(shell, job, 0) == R::kOk);              // a group of its own
  CHECK(pm.info(job).group == job);
  CHECK(pm.set_group(shell, job2, job) == R::kOk);  // into an existing group of the session
  CHECK(pm.info(job2).group == job);
  CHECK(pm.set_group(shell, job2, 500) == R::kNotPermitted);  // no such group
  CHECK(pm.set_group(shell, job2, 1) == R::kNotPermitted);    // another session's group
  CHECK(pm.set_group(job2, 0, job2) == R::kOk);               // pid 0: the caller itself
  CHECK(pm.info(job2).group == job2);
  REQUIRE(pm.executed(job) == Status::kOk);
  CHECK(pm.set_group(shell, job, job2) == R::kExecuted);  // its child ran a new program
  CHECK(pm.set_group(job, 0, job2) == R::kOk);            // but it may move itself
  CHECK(pm.executed(999) == Status::kNotFound);
  // A child in another session: notPermitted.
  const int32_t child = pm.spawn(shell);
  REQUIRE(pm.new_session(child) == R::kOk);
  CHECK(pm.set_group(shell, child, shell) == R::kNotPermitted);
  // A group lives on while an ended member is there.
  REQUIRE(pm.exit(job, 0) == Status::kOk);
  REQUIRE(pm.exit(job2, 0) == Status::kOk);
  const int32_t late = pm.spawn(shell);
  CHECK(pm.set_group(shell, late, job2) == R::kOk);
}

TEST_CASE("an id still naming a group or session is not handed out again") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t shell = pm.spawn(1);
  const int32_t leader = pm.spawn(shell);
  REQUIRE(pm.new_session(leader) == R::kOk);
  const int32_t member = pm.spawn(leader);
  REQUIRE(pm.exit(leader, 0) == Status::kOk);
  int32_t pid = 0;
  REQUIRE(pm.wait(shell, leader, false, &pid) == Status::kOk);
  REQUIRE(pm.release(leader) == Status::kOk);
  REQUIRE(pm.info(member).group == leader);
  REQUIRE(pm.info(member).session == leader);
  // Every other id comes round (twice over), the leader's never while the member lives.
  for (int i = 0; i < 2 * ProcmgrService::kMaxIds; ++i) {
    const int32_t t = pm.add_thread(shell);
    REQUIRE(t != kNoPid);
    REQUIRE(t != leader);
    REQUIRE(pm.release(t) == Status::kOk);
  }
  // Once the member is collected the id is free again.
  REQUIRE(pm.exit(member, 0) == Status::kOk);  // its parent ended: the reaper collects it
  REQUIRE(pm.release(member) == Status::kOk);
  bool reused = false;
  for (int i = 0; i < ProcmgrService::kMaxIds && !reused; ++i) {
    const int32_t t = pm.add_thread(shell);
    REQUIRE(t != kNoPid);
    reused = t == leader;
    REQUIRE(pm.release(t) == Status::kOk);
  }
  CHECK(reused);
}

TEST_CASE("setGroup checks in setpgid's order; wait refuses the most negative select") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t p = pm.spawn(1);
  const int32_t c = pm.spawn(p);
  REQUIRE(pm.new_session(c) == R::kOk);
  REQUIRE(pm.executed(c) == Status::kOk);
  CHECK(pm.set_group(p, c, c) == R::kNotPermitted);  // another session, before exec'd
  const int32_t t = pm.add_thread(p);
  CHECK(pm.set_group(p, t, 0) == R::kInvalid);  // a thread's id (Linux: EINVAL)
  CHECK(pm.wait(p, INT32_MIN) == Status::kInvalidArgument);
  CHECK(pm.wait(p, -1) == Status::kWouldBlock);
}

TEST_CASE("threads: ids from the same space, released by the client") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t p = pm.spawn(1);
  const int32_t t = pm.add_thread(p);
  CHECK(t == p + 1);
  CHECK_FALSE(pm.known(t));  // not a process
  CHECK(pm.spawn(t) == kNoPid);
  CHECK(pm.usage().ids == 3);
  CHECK(pm.usage().processes == 2);
  CHECK(pm.release(t) == Status::kOk);
  CHECK(pm.usage().ids == 2);
}

TEST_CASE("out of ids: noSpace, until one is released") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t p = pm.spawn(1);
  int32_t last = 0;
  for (int32_t i = 0; i < ProcmgrService::kMaxIds - 3; ++i) {
    last = pm.add_thread(p);
    REQUIRE(last != kNoPid);
  }
  CHECK(pm.usage().ids == static_cast<uint32_t>(ProcmgrService::kMaxIds - 1));
  CHECK(pm.usage().max_ids == static_cast<uint32_t>(ProcmgrService::kMaxIds));
  Status s = Status::kOk;
  CHECK(pm.spawn(p, &s) == kNoPid);
  CHECK(s == Status::kNoSpace);
  CHECK(pm.add_thread(p, &s) == kNoPid);
  CHECK(s == Status::kNoSpace);
  REQUIRE(pm.release(last) == Status::kOk);
  CHECK(pm.spawn(p) == last);
}

TEST_CASE("a thousand rounds of spawn, exit, wait, release leave the table as it was") {
  const bool loopback = GENERATE(false, true);
  Started st(loopback);
  Pm& pm = st.pm;
  const int32_t parent = pm.spawn(1);
  const Usage before = pm.usage();
  for (int32_t i = 0; i < 1000; ++i) {
    const int32_t child = pm.spawn(parent);
    REQUIRE(child != kNoPid);
    const int32_t thread = pm.add_thread(child);
    REQUIRE(thread != kNoPid);
    REQUIRE(pm.release(thread) == Status::kOk);
    REQUIRE(pm.exit(child, i) == Status::kOk);
    int32_t pid = 0;
    int32_t status = 0;
    REQUIRE(pm.wait(parent, -1, false, &pid, &status) == Status::kOk);
    REQUIRE(pid == child);
    REQUIRE(status == i);
    REQUIRE(pm.release(child) == Status::kOk);
  }
  const Usage after = pm.usage();
  CHECK(after.ids == before.ids);
  CHECK(after.processes == before.processes);
  CHECK(after.ended == before.ended);
}

}  // namespace
}  // namespace hmk::svc::procmgr
