// The detail::encode, detail::decode and detail::check functions of a struct: writing it into a
// message, reading it back without trusting the message, and checking its bounds and enums.
#pragma once

#include <string>

#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/out.h"
#include "tools/capnpc-hmk/refs.h"

namespace hmk::capnpc {

class CodecEmitter {
 public:
  CodecEmitter(Refs& refs, const StructMap& structs) : refs_(refs), structs_(structs) {}

  // encode(), decode() and check() of struct `s`, whose C++ name is `name`.
  void emit_functions(Out& out, const std::string& name, const Struct& s);

 private:
  void emit_encode_function(Out& out, const std::string& name, const Struct& s);
  void emit_decode_function(Out& out, const std::string& name, const Struct& s);
  void emit_check_function(Out& out, const std::string& name, const Struct& s);

  // Encodes `expr` (an lvalue of type t).
  void emit_encode(Out& out, int indent, const Type& t, const std::string& expr);
  // Decodes into `expr` (a pointer expression's target, written as an lvalue).
  void emit_decode(Out& out, int indent, const Type& t, const std::string& expr);
  // Checks `expr`'s sizes and enums.
  void emit_check(Out& out, int indent, const Type& t, const std::string& expr);

  // Whether check() has anything to look at (bounds, enum ranges).
  bool needs_check(const Type& t);
  bool struct_needs_check(const Struct& s);

  Refs& refs_;
  const StructMap& structs_;
};

}  // namespace hmk::capnpc
