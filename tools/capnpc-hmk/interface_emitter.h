// An interface as one C++ struct: its id and name, the Method enum, each method's Request and
// Response structs with their bounds, then the Server and Client classes and dispatch().
#pragma once

#include <vector>

#include "tools/capnpc-hmk/codec_emitter.h"
#include "tools/capnpc-hmk/layout.h"
#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/out.h"
#include "tools/capnpc-hmk/refs.h"
#include "tools/capnpc-hmk/type_emitter.h"

namespace hmk::capnpc {

class InterfaceEmitter {
 public:
  InterfaceEmitter(Refs& refs, Layouts& layouts, TypeEmitter& types, CodecEmitter& codecs)
      : refs_(refs), layouts_(layouts), types_(types), codecs_(codecs) {}

  // The interface's struct, with declarations only.
  void emit_interface(Out& out, const Interface& i);
  // namespace detail { the codec functions of every method's Request and Response } (nothing
  // if no interface has a method).
  void emit_method_functions(Out& out, const std::vector<Interface>& interfaces);
  // The definitions of the client's and the server's functions.
  void emit_definitions(Out& out, const Interface& i);

 private:
  void emit_method_enum(Out& out, const Interface& i);
  void emit_method_types(Out& out, const Method& m);

  Refs& refs_;
  Layouts& layouts_;
  TypeEmitter& types_;
  CodecEmitter& codecs_;
};

}  // namespace hmk::capnpc
