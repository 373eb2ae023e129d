// The probe (probe_service.h).
#include "test/services/probe_service.h"

#include "svc/lib/rpc_ipc.h"
#include "svc/lib/rpc_status.h"
#include "svc/lib/syscall.h"

namespace hmk::test::probe {

rpc::Status ProbeService::start(svc::Env&) {
  return rpc::Status::kOk;
}

rpc::Status ProbeService::usage(const Probe::UsageRequest&, Probe::UsageResponse& resp,
                                const rpc::CallContext&) {
  const Result<rt::QuotaInfo> q = rt::quota_info(abi::kSelfSpace);
  if (!q.ok()) return rpc::from_kernel(q.status());
  resp.usage.quota_used = q->used;
  resp.usage.quota_limit = q->limit;
  return rpc::Status::kOk;
}

}  // namespace hmk::test::probe
