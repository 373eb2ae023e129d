#include "tools/capnpc-hmk/schema.h"

#include "tools/capnpc-hmk/names.h"

namespace hmk::capnpc {
namespace {

// tools/capnpc-hmk/hmk.capnp: the annotation is recognized by its fixed id.
constexpr uint64_t kNamespaceAnnotation = 0x8b23d8bf22a4b150;

// A file name made a namespace part: "fs.capnp" -> "fs", other characters -> '_'.
std::string file_stem_identifier(std::string name) {
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  const size_t dot = name.find('.');
  if (dot != std::string::npos) name = name.substr(0, dot);
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) c = '_';
  }
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) name = "_" + name;
  return name;
}

// The schema names of the built-in types; nullptr for the others.
const char* builtin_type_name(schema::Type::Which which) {
  switch (which) {
    case schema::Type::VOID:
      return "Void";
    case schema::Type::BOOL:
      return "Bool";
    case schema::Type::INT8:
      return "Int8";
    case schema::Type::INT16:
      return "Int16";
    case schema::Type::INT32:
      return "Int32";
    case schema::Type::INT64:
      return "Int64";
    case schema::Type::UINT8:
      return "UInt8";
    case schema::Type::UINT16:
      return "UInt16";
    case schema::Type::UINT32:
      return "UInt32";
    case schema::Type::UINT64:
      return "UInt64";
    case schema::Type::FLOAT32:
      return "Float32";
    case schema::Type::FLOAT64:
      return "Float64";
    case schema::Type::TEXT:
      return "Text";
    case schema::Type::DATA:
      return "Data";
    case schema::Type::ANY_POINTER:
      return "AnyPointer";
    case schema::Type::LIST:
    case schema::Type::ENUM:
    case schema::Type::STRUCT:
    case schema::Type::INTERFACE:
      return nullptr;
  }
  return "?";
}

}  // namespace

Schema::Schema(schema::CodeGeneratorRequest::Reader request) {
  for (auto node : request.getNodes()) {
    nodes_.emplace(node.getId(), node);
    for (auto nested : node.getNestedNodes())
      parent_[nested.getId()] = node.getId();
  }
  for (auto info : request.getSourceInfo())
    infos_.emplace(info.getId(), info);
}

std::string Schema::doc_of(uint64_t id) const {
  auto it = infos_.find(id);
  return it == infos_.end() ? "" : str(it->second.getDocComment());
}

std::string Schema::member_doc(uint64_t id, uint32_t index) const {
  auto it = infos_.find(id);
  if (it == infos_.end()) return "";
  auto members = it->second.getMembers();
  return index < members.size() ? str(members[index].getDocComment()) : "";
}

std::string Schema::schema_name(uint64_t id) const {
  const std::string display = str(node(id).getDisplayName());
  const size_t colon = display.find(':');
  return colon == std::string::npos ? display : display.substr(colon + 1);
}

std::string Schema::flat_name(uint64_t id) const {
  std::string s = schema_name(id);
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

uint64_t Schema::file_of(uint64_t id) const {
  while (has_node(id) && !node(id).isFile()) {
    const uint64_t scope = node(id).getScopeId();
    if (scope != 0) {
      id = scope;
    } else {
      auto it = parent_.find(id);
      if (it == parent_.end()) return 0;
      id = it->second;
    }
  }
  return id;
}

std::string Schema::file_namespace(uint64_t file_id) const {
  auto file = node(file_id);
  for (auto a : file.getAnnotations())
    if (a.getId() == kNamespaceAnnotation && a.getValue().isText())
      return str(a.getValue().getText());
  return "hmk::svc::" + escape_reserved(file_stem_identifier(str(file.getDisplayName())));
}

std::string Schema::type_name(schema::Type::Reader t) const {
  if (const char* builtin = builtin_type_name(t.which())) return builtin;
  switch (t.which()) {
    case schema::Type::LIST:
      return "List(" + type_name(t.getList().getElementType()) + ")";
    case schema::Type::ENUM:
      return named(t.getEnum().getTypeId());
    case schema::Type::STRUCT:
      return named(t.getStruct().getTypeId());
    case schema::Type::INTERFACE:
      return named(t.getInterface().getTypeId());
    default:
      return "?";
  }
}

}  // namespace hmk::capnpc
