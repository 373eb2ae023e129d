// One-line calls the services' test clients share (svc_test.cc, hardening_test.cc): a text to
// the console, the FileSystem calls that take a path, a one-byte write.
#pragma once

#include <stdint.h>

#include "svc/console/console.hmk.h"
#include "svc/ramfs/ramfs.hmk.h"

namespace hmk::test::services {

// Writes `text` (at most one message's worth) to the console.
inline void say(const svc::console::Console::Client& console, const char* text) {
  svc::console::Console::WriteRequest req;
  req.data.size = 0;
  while (text[req.data.size] != '\0' && req.data.size < req.data.kMax) {
    req.data.data[req.data.size] = static_cast<uint8_t>(text[req.data.size]);
    ++req.data.size;
  }
  svc::console::Console::WriteResponse resp;
  (void)console.write(req, resp);
}

inline rpc::Status create(const svc::fs::FileSystem::Client& fs, const char* path,
                          svc::fs::NodeKind kind, uint64_t* node = nullptr) {
  svc::fs::FileSystem::CreateRequest req;
  req.path.set(path);
  req.kind = kind;
  svc::fs::FileSystem::CreateResponse resp;
  const rpc::Status s = fs.create(req, resp);
  if (node != nullptr) *node = resp.node;
  return s;
}

inline rpc::Status remove(const svc::fs::FileSystem::Client& fs, const char* path) {
  svc::fs::FileSystem::RemoveRequest req;
  req.path.set(path);
  svc::fs::FileSystem::RemoveResponse resp;
  return fs.remove(req, resp);
}

// Writes one byte at `offset` of the file `node`: enough to make ramfs allocate the extent that
// holds it.
inline rpc::Status write_byte(const svc::fs::FileSystem::Client& fs, uint64_t node,
                              uint64_t offset) {
  svc::fs::FileSystem::WriteRequest req;
  req.node = node;
  req.offset = offset;
  req.data.size = 1;
  req.data.data[0] = 0x5a;
  svc::fs::FileSystem::WriteResponse resp;
  return fs.write(req, resp);
}

}  // namespace hmk::test::services
