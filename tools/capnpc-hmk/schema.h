// The schema as capnp hands it over: an index of the CodeGeneratorRequest's nodes and doc
// comments, and the names the generator derives from them.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <capnp/schema.capnp.h>

namespace hmk::capnpc {

namespace schema = ::capnp::schema;

class Schema {
 public:
  explicit Schema(schema::CodeGeneratorRequest::Reader request);

  bool has_node(uint64_t id) const { return nodes_.count(id) != 0; }
  schema::Node::Reader node(uint64_t id) const { return nodes_.at(id); }

  // The doc comment of node `id`, and of its `index`th member (field, method, enumerant).
  std::string doc_of(uint64_t id) const;
  std::string member_doc(uint64_t id, uint32_t index) const;

  // "Outer.Inner" for a node declared as Inner inside Outer.
  std::string schema_name(uint64_t id) const;
  // Nested declarations are flattened into the file's namespace: Outer.Inner -> Outer_Inner.
  std::string flat_name(uint64_t id) const;
  // The file node that declares node `id` (0 if none is known).
  uint64_t file_of(uint64_t id) const;
  // $Hmk.namespace, or hmk::svc::<file name without extensions>.
  std::string file_namespace(uint64_t file_id) const;
  // A type as the schema spells it ("List(UInt8)", "Outer.Inner"), for messages.
  std::string type_name(schema::Type::Reader t) const;

 private:
  std::string named(uint64_t id) const { return has_node(id) ? schema_name(id) : "?"; }

  std::map<uint64_t, schema::Node::Reader> nodes_;
  std::map<uint64_t, uint64_t> parent_;
  std::map<uint64_t, schema::Node::SourceInfo::Reader> infos_;
};

// The indices of `list` (fields, methods, enumerants) in the order the schema declares them.
template <typename List>
std::vector<uint32_t> in_code_order(List list) {
  std::vector<std::pair<uint16_t, uint32_t>> order;  // (code order, index)
  for (uint32_t i = 0; i < list.size(); ++i)
    order.emplace_back(list[i].getCodeOrder(), i);
  std::sort(order.begin(), order.end());
  std::vector<uint32_t> indices;
  indices.reserve(order.size());
  for (auto [code_order, index] : order)
    indices.push_back(index);
  return indices;
}

}  // namespace hmk::capnpc
