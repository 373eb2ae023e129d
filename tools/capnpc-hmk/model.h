// The model: the enums' and structs' fields, the interfaces and their methods as the generator
// emits them, after the checker has validated the schema they come from.
#pragma once

#include <stdint.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hmk::capnpc {

// The bounds of svc/lib/rpc.h; the generated headers static_assert against the real ones.
inline constexpr uint64_t kMaxBytes = 1024;
inline constexpr uint64_t kMaxCaps = 4;

struct Type {
  enum class Kind { kBool, kInt, kEnum, kStruct, kText, kData, kList, kCap };
  Kind kind = Kind::kBool;
  int bytes = 1;                     // kInt: 1, 2, 4 or 8
  bool is_signed = false;            // kInt
  uint64_t id = 0;                   // kEnum, kStruct, kCap: the node
  uint32_t max = 0;                  // kText, kData, kList: $Hmk.maxSize
  std::shared_ptr<const Type> elem;  // kList
};

// A List(UInt8) or List(Int8): encoded like Data, as one run of bytes.
inline bool is_byte_list(const Type& t) {
  return t.kind == Type::Kind::kList && t.elem->kind == Type::Kind::kInt && t.elem->bytes == 1;
}

struct Field {
  std::string name;  // C++ member name
  Type type;
  std::string doc;
};

struct Struct {
  uint64_t id = 0;
  std::vector<Field> fields;  // declaration order (= wire order)
};

// Every named struct that passed the checker, by node id.
using StructMap = std::map<uint64_t, Struct>;

struct Method {
  std::string name;   // C++ name (the schema's, unless C++ reserves it)
  std::string upper;  // UpperCamel, for kConstants and Request/Response names
  uint16_t ordinal = 0;
  std::string doc;
  Struct request;
  Struct response;
};

struct Interface {
  uint64_t id = 0;
  std::string schema_name;  // "Outer.Name"
  std::string cpp_name;     // "Outer_Name"
  std::string doc;
  std::vector<Method> methods;  // declaration order
};

// What one schema file declares, checked.
struct FileModel {
  std::vector<Interface> interfaces;
  std::vector<uint64_t> enums;    // declaration order
  std::vector<uint64_t> structs;  // declaration order
};

}  // namespace hmk::capnpc
