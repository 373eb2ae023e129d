// The stub generator behind capnpc-hmk: turns a capnp CodeGeneratorRequest into one freestanding
// C++ header per requested schema file (see docs/services.md for the generated API).
#pragma once

#include <string>
#include <vector>

#include <capnp/schema.capnp.h>

namespace hmk::capnpc {

// The bounds of svc/lib/rpc.h; the generated headers static_assert against the real ones.
inline constexpr uint64_t kMaxBytes = 1024;
inline constexpr uint64_t kMaxCaps = 4;

struct OutputFile {
  std::string path;  // relative to the output directory: the schema's path, .capnp -> .hmk.h
  std::string contents;
};

// Generates the headers of every requested file. Returns false if any schema uses something the
// transport cannot carry; `errors` then holds one line per problem, of the form
// "<file>: interface X, method y, field z: <what is wrong>", and `outputs` must not be written.
bool generate(capnp::schema::CodeGeneratorRequest::Reader request, std::vector<OutputFile>* outputs,
              std::vector<std::string>* errors);

}  // namespace hmk::capnpc
