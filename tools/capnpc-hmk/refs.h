// References to schema declarations from the header being generated: names declared in the same
// file stay bare, others are qualified with their file's namespace (and that file's header is
// included).
#pragma once

#include <stdint.h>

#include <set>
#include <string>

#include "tools/capnpc-hmk/schema.h"

namespace hmk::capnpc {

class Refs {
 public:
  explicit Refs(const Schema& schema) : schema_(schema) {}

  // Starts a header: references are relative to `file_id`, and no other file is used yet.
  void start_file(uint64_t file_id);
  uint64_t file() const { return file_id_; }
  // The files whose declarations the header has referred to so far.
  const std::set<uint64_t>& used_files() const { return used_files_; }

  // Inside an interface's struct, its own Method, Server, Client and FooRequest/FooResponse
  // hide a namespace-scope type of the same name: type_ref() qualifies those while set.
  void set_hidden(std::set<std::string> names) { hidden_ = std::move(names); }
  void clear_hidden() { hidden_.clear(); }

  // A C++ reference to node `id`, spelled `name` inside its own file's namespace.
  std::string qualify(uint64_t id, const std::string& name);
  // The enum or struct `id`.
  std::string type_ref(uint64_t id);
  // The `detail::` namespace of node `id`'s file (for encode, decode, check).
  std::string detail_ref(uint64_t id) { return qualify(id, "detail::"); }
  // kFooCount of enum `id`, and its first enumerant ("{}" if it has none).
  std::string enum_count(uint64_t id);
  std::string first_enumerant(uint64_t id);

 private:
  const Schema& schema_;
  uint64_t file_id_ = 0;
  std::set<uint64_t> used_files_;
  std::set<std::string> hidden_;
};

}  // namespace hmk::capnpc
