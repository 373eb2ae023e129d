// Starting a server blob on a thread of this process.
#include "svc/lib/servers.h"

namespace hmk::rt {

Result<Thread> start_local_server(ServerBlob blob, ServerPage* page, abi::Handle endpoint,
                                  uint32_t priority, IpcBufferMode ipc) {
  // The blob runs in place: it is position-independent code in this program's text.
  Thread t = TRY(create_thread_at(reinterpret_cast<uint64_t>(blob.begin),
                                  reinterpret_cast<uint64_t>(page), priority, ipc));
  *page = ServerPage{};
  page->endpoint = endpoint;
  page->ipc_buffer = ipc == IpcBufferMode::kSet ? reinterpret_cast<uint64_t>(t.ipc_buffer()) : 0;
  const Status s = t.start();
  if (s != Status::kOk) {
    (void)t.release();
    return s;
  }
  return t;
}

}  // namespace hmk::rt
