// procmgr: process ids and the tree of processes (procmgr.capnp's ProcessManager).
//
// One fixed table indexed by id holds every id's state: free, a thread of a process, a live
// process, an ended one waiting for its parent, or a collected one whose id the client has not
// released yet. Every call is a bounded walk of that table at most.
#pragma once

#include "svc/lib/service.h"
#include "svc/procmgr/procmgr.hmk.h"

namespace hmk::svc::procmgr {

class ProcmgrService final : public svc::Service, public ProcessManager::Server {
 public:
  // As many ids as the Linux shim has slots for (linuxcompat/shim.h, kMaxIds).
  static constexpr int32_t kMaxIds = 1024;
  static constexpr int32_t kReaper = 1;

  rpc::Status start(svc::Env& env) override;

  rpc::Status ping(const ProcessManager::PingRequest& req, ProcessManager::PingResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status spawn(const ProcessManager::SpawnRequest& req, ProcessManager::SpawnResponse& resp,
                    const rpc::CallContext& ctx) override;
  rpc::Status add_thread(const ProcessManager::AddThreadRequest& req,
                         ProcessManager::AddThreadResponse& resp,
                         const rpc::CallContext& ctx) override;
  rpc::Status release(const ProcessManager::ReleaseRequest& req,
                      ProcessManager::ReleaseResponse& resp, const rpc::CallContext& ctx) override;
  rpc::Status exit(const ProcessManager::ExitRequest& req, ProcessManager::ExitResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status wait(const ProcessManager::WaitRequest& req, ProcessManager::WaitResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status set_group(const ProcessManager::SetGroupRequest& req,
                        ProcessManager::SetGroupResponse& resp,
                        const rpc::CallContext& ctx) override;
  rpc::Status new_session(const ProcessManager::NewSessionRequest& req,
                          ProcessManager::NewSessionResponse& resp,
                          const rpc::CallContext& ctx) override;
  rpc::Status executed(const ProcessManager::ExecutedRequest& req,
                       ProcessManager::ExecutedResponse& resp,
                       const rpc::CallContext& ctx) override;
  rpc::Status info(const ProcessManager::InfoRequest& req, ProcessManager::InfoResponse& resp,
                   const rpc::CallContext& ctx) override;
  rpc::Status usage(const ProcessManager::UsageRequest& req, ProcessManager::UsageResponse& resp,
                    const rpc::CallContext& ctx) override;

 private:
  enum class State : uint8_t { kFree, kThread, kLive, kEnded, kCollected };

  struct Entry {
    State state;
    bool executed;   // a live process that ran a new program (setGroup)
    int32_t parent;  // a process's parent; a thread's process
    int32_t group;
    int32_t session;
    int32_t status;  // once ended
  };

  // The next free id after the last one given (as Linux hands out pids) that no group or
  // session is named after (Linux keeps such a pid while the group or session lasts), or 0.
  int32_t allocate();
  // A live or ended process joins or leaves the group and session it names (names_).
  void name(const Entry& e, int delta);
  bool is(int32_t id, State state) const;
  bool group_in_session(int32_t group, int32_t session) const;
  void collect(int32_t pid);

  Entry entries_[kMaxIds];
  // For each id, how many live or ended processes have it as their group and as their session
  // (each counted apart): the id is not handed out while that is above 0.
  uint16_t names_[kMaxIds];
  int32_t last_ = 0;
};

}  // namespace hmk::svc::procmgr
