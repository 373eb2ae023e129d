// procmgr (procmgr_service.h).
#include "svc/procmgr/procmgr_service.h"

namespace hmk::svc::procmgr {

using rpc::Status;

rpc::Status ProcmgrService::start(svc::Env&) {
  for (Entry& e : entries_)
    e = Entry{State::kFree, false, 0, 0, 0, 0};
  for (uint16_t& n : names_)
    n = 0;
  last_ = 0;
  return Status::kOk;
}

int32_t ProcmgrService::allocate() {
  // Every id once, the last one given included (id 0 is never one).
  for (int32_t i = 1; i <= kMaxIds; ++i) {  // bound: kMaxIds ids
    const int32_t id = (last_ + i) % kMaxIds;
    if (id == 0 || entries_[id].state != State::kFree || names_[id] != 0) continue;
    last_ = id;
    return id;
  }
  return 0;
}

void ProcmgrService::name(const Entry& e, int delta) {
  names_[e.group] = static_cast<uint16_t>(names_[e.group] + delta);
  names_[e.session] = static_cast<uint16_t>(names_[e.session] + delta);
}

bool ProcmgrService::is(int32_t id, State state) const {
  return id > 0 && id < kMaxIds && entries_[id].state == state;
}

// Whether a live or ended process of `session` is in `group` (a group lasts while a member is
// there, ended members included, as in Linux until they are reaped).
bool ProcmgrService::group_in_session(int32_t group, int32_t session) const {
  for (const Entry& e : entries_) {  // bound: kMaxIds entries
    if ((e.state == State::kLive || e.state == State::kEnded) && e.group == group &&
        e.session == session) {
      return true;
    }
  }
  return false;
}

void ProcmgrService::collect(int32_t pid) {
  name(entries_[pid], -1);
  entries_[pid].state = State::kCollected;
  entries_[pid].parent = 0;
}

rpc::Status ProcmgrService::ping(const ProcessManager::PingRequest&, ProcessManager::PingResponse&,
                                 const rpc::CallContext&) {
  return Status::kOk;
}

rpc::Status ProcmgrService::spawn(const ProcessManager::SpawnRequest& req,
                                  ProcessManager::SpawnResponse& resp, const rpc::CallContext&) {
  const bool have_reaper = entries_[kReaper].state != State::kFree;
  if (req.parent == 0) {
    if (have_reaper || last_ != 0) return Status::kInvalidArgument;
    last_ = 0;  // the reaper takes id 1
  } else {
    if (!have_reaper) return Status::kInvalidArgument;
    if (!is(req.parent, State::kLive)) return Status::kNotFound;
  }
  const int32_t pid = allocate();
  if (pid == 0) return Status::kNoSpace;
  Entry& e = entries_[pid];
  if (req.parent == 0) {
    e = Entry{State::kLive, false, 0, pid, pid, 0};
  } else {
    const Entry& parent = entries_[req.parent];
    e = Entry{State::kLive, false, req.parent, parent.group, parent.session, 0};
  }
  name(e, +1);
  resp.pid = pid;
  return Status::kOk;
}

rpc::Status ProcmgrService::add_thread(const ProcessManager::AddThreadRequest& req,
                                       ProcessManager::AddThreadResponse& resp,
                                       const rpc::CallContext&) {
  if (!is(req.pid, State::kLive)) return Status::kNotFound;
  const int32_t tid = allocate();
  if (tid == 0) return Status::kNoSpace;
  entries_[tid] = Entry{State::kThread, false, req.pid, 0, 0, 0};
  resp.tid = tid;
  return Status::kOk;
}

rpc::Status ProcmgrService::release(const ProcessManager::ReleaseRequest& req,
                                    ProcessManager::ReleaseResponse&, const rpc::CallContext&) {
  if (!is(req.id, State::kThread) && !is(req.id, State::kCollected)) {
    return Status::kInvalidArgument;
  }
  entries_[req.id] = Entry{State::kFree, false, 0, 0, 0, 0};
  return Status::kOk;
}

rpc::Status ProcmgrService::exit(const ProcessManager::ExitRequest& req,
                                 ProcessManager::ExitResponse&, const rpc::CallContext&) {
  if (req.pid == kReaper) return Status::kInvalidArgument;
  if (!is(req.pid, State::kLive)) return Status::kNotFound;
  // Its children go to the reaper, which collects the ended ones at once.
  for (Entry& child : entries_) {  // bound: kMaxIds entries
    if ((child.state != State::kLive && child.state != State::kEnded) || child.parent != req.pid) {
      continue;
    }
    child.parent = kReaper;
    if (child.state == State::kEnded) {
      name(child, -1);
      child.state = State::kCollected;
      child.parent = 0;
    }
  }
  Entry& e = entries_[req.pid];
  e.state = State::kEnded;
  e.status = req.status;
  if (req.discard || e.parent == kReaper) collect(req.pid);
  return Status::kOk;
}

rpc::Status ProcmgrService::wait(const ProcessManager::WaitRequest& req,
                                 ProcessManager::WaitResponse& resp, const rpc::CallContext&) {
  if (req.select == INT32_MIN) return Status::kInvalidArgument;  // (Linux: ESRCH) no -select
  if (!is(req.parent, State::kLive)) return Status::kNotFound;
  const int32_t own_group = entries_[req.parent].group;
  bool any = false;
  for (int32_t id = 1; id < kMaxIds; ++id) {  // bound: kMaxIds - 1 ids
    const Entry& e = entries_[id];
    if ((e.state != State::kLive && e.state != State::kEnded) || e.parent != req.parent) continue;
    const bool chosen = req.select > 0     ? id == req.select
                        : req.select == -1 ? true
                        : req.select == 0  ? e.group == own_group
                                           : e.group == -req.select;
    if (!chosen) continue;
    any = true;
    if (e.state != State::kEnded) continue;
    resp.pid = id;
    resp.status = e.status;
    if (!req.keep) collect(id);
    return Status::kOk;
  }
  return any ? Status::kWouldBlock : Status::kNotFound;
}

rpc::Status ProcmgrService::set_group(const ProcessManager::SetGroupRequest& req,
                                      ProcessManager::SetGroupResponse& resp,
                                      const rpc::CallContext&) {
  using R = GroupResult;
  resp.result = R::kOk;
  if (req.group < 0) {
    resp.result = R::kInvalid;
    return Status::kOk;
  }
  if (!is(req.caller, State::kLive)) {
    resp.result = R::kNoProcess;
    return Status::kOk;
  }
  const int32_t pid = req.pid == 0 ? req.caller : req.pid;
  const int32_t group = req.group == 0 ? pid : req.group;
  const Entry& caller = entries_[req.caller];
  // In setpgid's order: a thread's id; not the caller nor its child; a child in another session
  // (before: one that ran a new program); a session leader; no such group in the session.
  if (is(pid, State::kThread)) {
    resp.result = R::kInvalid;
  } else if (!is(pid, State::kLive) || (pid != req.caller && entries_[pid].parent != req.caller)) {
    resp.result = R::kNoProcess;
  } else if (pid != req.caller && entries_[pid].executed &&
             entries_[pid].session == caller.session) {
    resp.result = R::kExecuted;
  } else if (entries_[pid].session != caller.session || entries_[pid].session == pid ||
             (group != pid && !group_in_session(group, caller.session))) {
    resp.result = R::kNotPermitted;
  } else {
    name(entries_[pid], -1);
    entries_[pid].group = group;
    name(entries_[pid], +1);
  }
  return Status::kOk;
}

rpc::Status ProcmgrService::new_session(const ProcessManager::NewSessionRequest& req,
                                        ProcessManager::NewSessionResponse& resp,
                                        const rpc::CallContext&) {
  if (!is(req.pid, State::kLive)) {
    resp.result = GroupResult::kNoProcess;
    return Status::kOk;
  }
  for (int32_t id = 1; id < kMaxIds; ++id) {  // bound: kMaxIds - 1 ids
    const Entry& e = entries_[id];
    if ((e.state == State::kLive || e.state == State::kEnded) && e.group == req.pid) {
      resp.result = GroupResult::kNotPermitted;  // it leads a group (or its id names one)
      return Status::kOk;
    }
  }
  name(entries_[req.pid], -1);
  entries_[req.pid].group = req.pid;
  entries_[req.pid].session = req.pid;
  name(entries_[req.pid], +1);
  resp.result = GroupResult::kOk;
  return Status::kOk;
}

rpc::Status ProcmgrService::executed(const ProcessManager::ExecutedRequest& req,
                                     ProcessManager::ExecutedResponse&, const rpc::CallContext&) {
  if (!is(req.pid, State::kLive)) return Status::kNotFound;
  entries_[req.pid].executed = true;
  return Status::kOk;
}

rpc::Status ProcmgrService::info(const ProcessManager::InfoRequest& req,
                                 ProcessManager::InfoResponse& resp, const rpc::CallContext&) {
  if (!is(req.pid, State::kLive) && !is(req.pid, State::kEnded)) return Status::kNotFound;
  const Entry& e = entries_[req.pid];
  resp.info.pid = req.pid;
  resp.info.parent = e.parent;
  resp.info.group = e.group;
  resp.info.session = e.session;
  resp.info.ended = e.state == State::kEnded;
  resp.info.status = e.status;
  return Status::kOk;
}

rpc::Status ProcmgrService::usage(const ProcessManager::UsageRequest&,
                                  ProcessManager::UsageResponse& resp, const rpc::CallContext&) {
  resp.usage = {};
  for (const Entry& e : entries_) {  // bound: kMaxIds entries
    if (e.state != State::kFree) ++resp.usage.ids;
    if (e.state == State::kLive) ++resp.usage.processes;
    if (e.state == State::kEnded) ++resp.usage.ended;
  }
  resp.usage.max_ids = kMaxIds;
  return Status::kOk;
}

}  // namespace hmk::svc::procmgr
