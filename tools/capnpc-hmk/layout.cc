#include "tools/capnpc-hmk/layout.h"

#include <algorithm>

namespace hmk::capnpc {

Layout Layouts::layout(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kBool:
      return {1, 1};
    case Type::Kind::kInt:
      return {t.bytes, t.bytes};
    case Type::Kind::kEnum:
      return {2, 2};
    case Type::Kind::kCap:
      return {4, 4};
    case Type::Kind::kText:
    case Type::Kind::kData:
      return {round_up(4 + t.max, 4), 4};
    case Type::Kind::kList: {
      const Layout e = layout(*t.elem);
      const int64_t align = std::max<int64_t>(4, e.align);
      return {sat(round_up(round_up(4, e.align) + sat_mul(t.max, e.size), align)), align};
    }
    case Type::Kind::kStruct:
      return struct_layout(structs_.at(t.id));
  }
  return {};
}

Layout Layouts::struct_layout(const Struct& s) {
  int64_t offset = 0;
  int64_t align = 1;
  for (const auto& f : s.fields) {
    const Layout l = layout(f.type);
    offset = sat(round_up(offset, l.align) + l.size);
    align = std::max(align, l.align);
  }
  return {offset == 0 ? 1 : round_up(offset, align), align};
}

Growth Layouts::growth(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kBool:
      return Growth::scalar(1);
    case Type::Kind::kInt:
      return Growth::scalar(t.bytes);
    case Type::Kind::kEnum:
      return Growth::scalar(2);
    case Type::Kind::kCap:
      return Growth::scalar(4);
    case Type::Kind::kText:
    case Type::Kind::kData:
      return Growth::scalar(4).then(Growth::bytes(t.max));
    case Type::Kind::kList:
      if (is_byte_list(t)) return Growth::scalar(4).then(Growth::bytes(t.max));
      return Growth::scalar(4).then(growth(*t.elem).repeat(t.max));
    case Type::Kind::kStruct: {
      auto it = growth_.find(t.id);
      if (it != growth_.end()) return it->second;
      const Growth g = struct_growth(structs_.at(t.id));
      growth_.emplace(t.id, g);
      return g;
    }
  }
  return Growth::identity();
}

Growth Layouts::struct_growth(const Struct& s) {
  Growth g = Growth::identity();
  for (const auto& f : s.fields)
    g = g.then(growth(f.type));
  return g;
}

int64_t Layouts::caps(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kCap:
      return 1;
    case Type::Kind::kList:
      return sat_mul(t.max, caps(*t.elem));
    case Type::Kind::kStruct:
      return struct_caps(structs_.at(t.id));
    default:
      return 0;
  }
}

int64_t Layouts::struct_caps(const Struct& s) {
  int64_t n = 0;
  for (const auto& f : s.fields)
    n = sat(n + caps(f.type));
  return n;
}

}  // namespace hmk::capnpc
