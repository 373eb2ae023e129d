#include "tools/capnpc-hmk/type_emitter.h"

#include "tools/capnpc-hmk/names.h"

namespace hmk::capnpc {

std::string TypeEmitter::cpp_type(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kBool:
      return "bool";
    case Type::Kind::kInt:
      return std::string(t.is_signed ? "int" : "uint") + std::to_string(t.bytes * 8) + "_t";
    case Type::Kind::kEnum:
    case Type::Kind::kStruct:
      return refs_.type_ref(t.id);
    case Type::Kind::kText:
      return "rpc::Text<" + std::to_string(t.max) + ">";
    case Type::Kind::kData:
      return "rpc::Data<" + std::to_string(t.max) + ">";
    case Type::Kind::kList:
      return "rpc::List<" + cpp_type(*t.elem) + ", " + std::to_string(t.max) + ">";
    case Type::Kind::kCap:
      return "rpc::Cap";
  }
  return "?";
}

// A field starts at zero: false, 0 or the enum's first enumerant (structs and the rpc types
// initialize themselves).
std::string TypeEmitter::initializer(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kBool:
      return " = false";
    case Type::Kind::kInt:
      return " = 0";
    case Type::Kind::kEnum:
      return " = " + refs_.first_enumerant(t.id);
    default:
      return "";
  }
}

void TypeEmitter::emit_enum(Out& out, uint64_t id) {
  auto enumerants = schema_.node(id).getEnum().getEnumerants();
  const std::string name = schema_.flat_name(id);
  out.doc(0, schema_.doc_of(id));
  out.line(0, "enum class " + name + " : uint16_t {");
  for (uint32_t k : in_code_order(enumerants)) {
    out.doc(2, schema_.member_doc(id, k));
    out.line(2, "k" + upper_first(str(enumerants[k].getName())) + " = " + std::to_string(k) + ",");
  }
  out.line(0, "};");
  out.line(0, "inline constexpr uint16_t k" + name +
                  "Count = " + std::to_string(enumerants.size()) + ";");
  out.blank();
}

void TypeEmitter::emit_struct(Out& out, uint64_t id) {
  const std::string name = schema_.flat_name(id);
  const Struct& s = structs_.at(id);
  out.doc(0, schema_.doc_of(id));
  emit_struct_body(out, 0, name, s);
  out.line(0, "static_assert(sizeof(" + name +
                  ") == " + std::to_string(layouts_.struct_layout(s).size) + ");");
  out.blank();
}

void TypeEmitter::emit_struct_body(Out& out, int indent, const std::string& name, const Struct& s) {
  if (s.fields.empty()) {
    out.line(indent, "struct " + name + " {};");
    return;
  }
  out.line(indent, "struct " + name + " {");
  for (const auto& f : s.fields) {
    out.doc(indent + 2, f.doc);
    out.line(indent + 2, cpp_type(f.type) + " " + f.name + initializer(f.type) + ";");
  }
  out.line(indent, "};");
}

std::vector<uint64_t> TypeEmitter::dependency_order(const std::vector<uint64_t>& ids) {
  std::set<uint64_t> done;
  std::vector<uint64_t> order;
  for (uint64_t id : ids)
    order_struct(id, &done, &order);
  return order;
}

void TypeEmitter::order_struct(uint64_t id, std::set<uint64_t>* done,
                               std::vector<uint64_t>* order) {
  if (!done->insert(id).second) return;
  std::vector<uint64_t> deps;
  for (const auto& f : structs_.at(id).fields) {
    const Type* t = &f.type;
    if (t->kind == Type::Kind::kList) t = t->elem.get();
    if (t->kind == Type::Kind::kStruct && schema_.file_of(t->id) == refs_.file())
      deps.push_back(t->id);
  }
  for (uint64_t d : deps)
    order_struct(d, done, order);
  order->push_back(id);
}

}  // namespace hmk::capnpc
