// The stub generator behind capnpc-hmk: turns a capnp CodeGeneratorRequest into one freestanding
// C++ header per requested schema file (see docs/services.md for the generated API).
//
// The parts, in the order a file goes through them: schema.h indexes the request; checker.h
// validates each declaration (field types: checker_types.cc) and builds the model (model.h),
// using layout.h and growth.h for sizes and bounds; the emitters write the header through
// refs.h (names across files) and out.h (text): type_emitter.h (enums, structs),
// codec_emitter.h (encode/decode/check), interface_emitter.h (an interface's struct) with
// client_emitter.h and server_emitter.h.
#pragma once

#include <string>
#include <vector>

#include <capnp/schema.capnp.h>

namespace hmk::capnpc {

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
