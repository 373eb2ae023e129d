#include "tools/capnpc-hmk/refs.h"

#include "tools/capnpc-hmk/names.h"

namespace hmk::capnpc {

void Refs::start_file(uint64_t file_id) {
  file_id_ = file_id;
  used_files_.clear();
}

std::string Refs::qualify(uint64_t id, const std::string& name) {
  const uint64_t file = schema_.file_of(id);
  if (file == file_id_) return name;
  used_files_.insert(file);
  return "::" + schema_.file_namespace(file) + "::" + name;
}

std::string Refs::type_ref(uint64_t id) {
  const std::string name = schema_.flat_name(id);
  if (schema_.file_of(id) == file_id_ && hidden_.count(name) != 0)
    return "::" + schema_.file_namespace(file_id_) + "::" + name;
  return qualify(id, name);
}

std::string Refs::enum_count(uint64_t id) {
  return qualify(id, "k" + schema_.flat_name(id) + "Count");
}

std::string Refs::first_enumerant(uint64_t id) {
  auto enumerants = schema_.node(id).getEnum().getEnumerants();
  return enumerants.size() == 0 ? "{}"
                                : type_ref(id) + "::k" + upper_first(str(enumerants[0].getName()));
}

}  // namespace hmk::capnpc
