// The probe (probe.capnp): reports its domain's quota, for tests that check what calls leave
// behind in a domain (received capabilities, page tables, threads).
#pragma once

#include "svc/lib/service.h"
#include "test/services/probe.hmk.h"

namespace hmk::test::probe {

class ProbeService final : public svc::Service, public Probe::Server {
 public:
  rpc::Status start(svc::Env& env) override;
  rpc::Status usage(const Probe::UsageRequest& req, Probe::UsageResponse& resp,
                    const rpc::CallContext& ctx) override;
};

}  // namespace hmk::test::probe
