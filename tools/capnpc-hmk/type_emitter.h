// The C++ declarations of a schema's enums and structs (and of the request and response structs
// inside an interface).
#pragma once

#include <stdint.h>

#include <set>
#include <string>
#include <vector>

#include "tools/capnpc-hmk/layout.h"
#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/out.h"
#include "tools/capnpc-hmk/refs.h"
#include "tools/capnpc-hmk/schema.h"

namespace hmk::capnpc {

class TypeEmitter {
 public:
  TypeEmitter(const Schema& schema, Refs& refs, Layouts& layouts, const StructMap& structs)
      : schema_(schema), refs_(refs), layouts_(layouts), structs_(structs) {}

  // The C++ type of a field.
  std::string cpp_type(const Type& t);

  // `enum class Foo : uint16_t {...}` and kFooCount.
  void emit_enum(Out& out, uint64_t id);
  // A named struct: its doc, its declaration and a static_assert of its size.
  void emit_struct(Out& out, uint64_t id);
  // `struct name {...};` with the fields of `s`.
  void emit_struct_body(Out& out, int indent, const std::string& name, const Struct& s);

  // The same-file structs among `ids` ordered so that every struct follows the structs it
  // contains.
  std::vector<uint64_t> dependency_order(const std::vector<uint64_t>& ids);

 private:
  std::string initializer(const Type& t);
  void order_struct(uint64_t id, std::set<uint64_t>* done, std::vector<uint64_t>* order);

  const Schema& schema_;
  Refs& refs_;
  Layouts& layouts_;
  const StructMap& structs_;
};

}  // namespace hmk::capnpc
