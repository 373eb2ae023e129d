// The checker: validates a schema file's declarations against what the transport can carry and
// builds the model from those that pass. Every problem is one line of `errors`.
#pragma once

#include <stdint.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/capnpc-hmk/layout.h"
#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/schema.h"

namespace hmk::capnpc {

// Where a problem is: "<file>: interface X, method y" plus the chain of fields that leads to it,
// rendered "field a (struct S, field b (struct T, field c))".
struct Location {
  std::string head;
  std::vector<std::pair<std::string, std::string>> hops;  // (struct, field); first struct unused

  std::string render(const std::string& problem) const;
};

class Checker {
 public:
  // Checked structs go into `structs`; `layouts` reads the same map.
  Checker(const Schema& schema, StructMap& structs, Layouts& layouts,
          std::vector<std::string>& errors)
      : schema_(schema), structs_(structs), layouts_(layouts), errors_(errors) {}

  // The declarations `decls` of file `file_name` (in declaration order), checked: the usable
  // ones are added to `out`, the others reported.
  void check_file(const std::string& file_name, const std::vector<uint64_t>& decls, FileModel* out);

 private:
  enum class State { kChecking, kOk, kBad };

  static bool is_generic_brand(schema::Brand::Reader brand);
  void report(const Location& loc, const std::string& problem);

  bool check_interface(uint64_t id, const std::string& file_name, Interface* out);
  bool check_method(uint64_t iface_id, uint32_t index, const Location& loc, Method* out);
  bool check_method_bounds(const Location& mloc, const Method& method);
  bool check_unique(const Location& loc, const char* what, const std::string& schema_name,
                    const std::string& cpp_name, std::map<std::string, std::string>& seen);
  void check_enum(uint64_t id, const std::string& file_name, FileModel* out);
  void check_named_struct(uint64_t id, const std::string& file_name, FileModel* out);

  // Validates a named struct once; later references only learn whether it is usable.
  bool check_struct(uint64_t id, Location& loc);
  // The fields of struct node `id` in declaration order; problems are reported at `loc` (whose
  // last hop is the field that leads here, if any).
  bool collect_fields(uint64_t id, Location& loc, Struct* out);
  bool collect_field(uint64_t id, uint32_t index, Location& loc, bool* union_reported, Struct* out);
  void report_group(uint64_t group, const Location& loc);

  // checker_types.cc. Resolves a field's (or list element's) type; `max` is its $Hmk.maxSize, 0 if
  // absent.
  bool resolve_type(schema::Type::Reader t, uint32_t max, bool has_max, Location& loc, Type* out);
  bool check_bound(const Location& loc, const std::string& what, uint32_t max, bool has_max);
  bool resolve_list(schema::Type::Reader t, uint32_t max, bool has_max, Location& loc, Type* out);
  bool resolve_enum(schema::Type::Reader t, const Location& loc, Type* out);
  bool resolve_struct(schema::Type::Reader t, Location& loc, Type* out);
  bool resolve_interface(schema::Type::Reader t, const Location& loc, Type* out);
  void reject_type(schema::Type::Reader t, const Location& loc);

  const Schema& schema_;
  StructMap& structs_;
  Layouts& layouts_;
  std::vector<std::string>& errors_;
  std::map<uint64_t, State> structs_state_;
};

}  // namespace hmk::capnpc
