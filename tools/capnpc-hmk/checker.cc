#include "tools/capnpc-hmk/checker.h"

#include "tools/capnpc-hmk/names.h"

namespace hmk::capnpc {
namespace {

// tools/capnpc-hmk/hmk.capnp: the annotation is recognized by its fixed id.
constexpr uint64_t kMaxSizeAnnotation = 0xeaea1202ef027f45;
// /capnp/stream.capnp:StreamResult, the result type of `-> stream`.
constexpr uint64_t kStreamResultId = 0x995f9a3377c0b16e;

bool is_zero_default(schema::Value::Reader v) {
  switch (v.which()) {
    case schema::Value::BOOL:
      return !v.getBool();
    case schema::Value::INT8:
      return v.getInt8() == 0;
    case schema::Value::INT16:
      return v.getInt16() == 0;
    case schema::Value::INT32:
      return v.getInt32() == 0;
    case schema::Value::INT64:
      return v.getInt64() == 0;
    case schema::Value::UINT8:
      return v.getUint8() == 0;
    case schema::Value::UINT16:
      return v.getUint16() == 0;
    case schema::Value::UINT32:
      return v.getUint32() == 0;
    case schema::Value::UINT64:
      return v.getUint64() == 0;
    case schema::Value::ENUM:
      return v.getEnum() == 0;
    default:
      return false;  // pointers: any explicit default is unsupported
  }
}

}  // namespace

std::string Location::render(const std::string& problem) const {
  std::string s = head;
  for (size_t i = 0; i < hops.size(); ++i) {
    if (i == 0) {
      s += ", field " + hops[i].second;
    } else {
      s += " (struct " + hops[i].first + ", field " + hops[i].second;
    }
  }
  if (hops.size() > 1) s += std::string(hops.size() - 1, ')');
  return s + ": " + problem;
}

bool Checker::is_generic_brand(schema::Brand::Reader brand) {
  for (auto scope : brand.getScopes())
    if (scope.isBind() && scope.getBind().size() > 0) return true;
  return false;
}

void Checker::report(const Location& loc, const std::string& problem) {
  errors_.push_back(loc.render(problem));
}

// ---- declarations ----

void Checker::check_file(const std::string& file_name, const std::vector<uint64_t>& decls,
                         FileModel* out) {
  // Interfaces first, so that a struct's problems are reported on the method that uses it.
  for (uint64_t id : decls) {
    if (!schema_.node(id).isInterface()) continue;
    Interface i;
    if (check_interface(id, file_name, &i)) out->interfaces.push_back(std::move(i));
  }
  for (uint64_t id : decls) {
    auto n = schema_.node(id);
    if (n.isEnum()) {
      check_enum(id, file_name, out);
    } else if (n.isStruct() && !n.getStruct().getIsGroup()) {
      check_named_struct(id, file_name, out);
    }
  }
}

void Checker::check_enum(uint64_t id, const std::string& file_name, FileModel* out) {
  if (schema_.node(id).getIsGeneric()) {
    errors_.push_back(file_name + ": enum " + schema_.schema_name(id) +
                      ": enums in generic structs are not supported");
    return;
  }
  out->enums.push_back(id);
}

void Checker::check_named_struct(uint64_t id, const std::string& file_name, FileModel* out) {
  Location loc{file_name + ": struct " + schema_.schema_name(id), {}};
  if (schema_.node(id).getIsGeneric()) {
    if (structs_state_.count(id) == 0) report(loc, "generic structs are not supported");
    structs_state_[id] = State::kBad;
    return;
  }
  if (check_struct(id, loc)) out->structs.push_back(id);
}

bool Checker::check_interface(uint64_t id, const std::string& file_name, Interface* out) {
  auto n = schema_.node(id);
  Location loc{file_name + ": interface " + schema_.schema_name(id), {}};
  out->id = id;
  out->schema_name = schema_.schema_name(id);
  out->cpp_name = schema_.flat_name(id);
  out->doc = schema_.doc_of(id);
  if (n.getIsGeneric()) {
    report(loc, "generic interfaces are not supported");
    return false;
  }
  auto iface = n.getInterface();
  if (iface.getSuperclasses().size() > 0) {
    report(loc,
           "interface inheritance (extends) is not supported: declare the methods in one "
           "interface");
    return false;
  }
  bool ok = true;
  std::map<std::string, std::string> cpp_names;  // C++ name -> the schema's
  for (uint32_t index : in_code_order(iface.getMethods())) {
    Method method;
    const std::string mname = str(iface.getMethods()[index].getName());
    if (check_method(id, index, loc, &method) &&
        check_unique(Location{loc.head + ", method " + mname, {}}, "method", mname, method.name,
                     cpp_names)) {
      out->methods.push_back(std::move(method));
    } else {
      ok = false;
    }
  }
  return ok;
}

// Whether `cpp_name`, made from the schema's `schema_name`, is not yet in `seen`; it is then.
bool Checker::check_unique(const Location& loc, const char* what, const std::string& schema_name,
                           const std::string& cpp_name, std::map<std::string, std::string>& seen) {
  auto [it, added] = seen.emplace(cpp_name, schema_name);
  if (!added) {
    report(loc, std::string("the C++ name ") + cpp_name + " is also that of " + what + " " +
                    it->second + ": rename one");
  }
  return added;
}

// Method number `index` of interface `iface_id`, whose location is `loc`.
bool Checker::check_method(uint64_t iface_id, uint32_t index, const Location& loc, Method* out) {
  auto m = schema_.node(iface_id).getInterface().getMethods()[index];
  const std::string mname = str(m.getName());
  Location mloc{loc.head + ", method " + mname, {}};
  if (m.getImplicitParameters().size() > 0) {
    report(mloc, "generic methods are not supported");
    return false;
  }
  if (m.getResultStructType() == kStreamResultId) {
    report(mloc, "streaming (-> stream) is not supported: every call gets a reply");
    return false;
  }
  if (is_generic_brand(m.getParamBrand()) || is_generic_brand(m.getResultBrand()) ||
      schema_.node(m.getParamStructType()).getIsGeneric() ||
      schema_.node(m.getResultStructType()).getIsGeneric()) {
    report(mloc, "generic parameter or result structs are not supported");
    return false;
  }
  if (mname == "channel") {
    report(mloc, "the name is taken by the generated Client::channel(); rename the method");
    return false;
  }
  out->name = cpp_member(mname);
  out->upper = upper_first(mname);
  out->ordinal = static_cast<uint16_t>(index);
  out->doc = schema_.member_doc(iface_id, index);
  bool ok = collect_fields(m.getParamStructType(), mloc, &out->request);
  ok = collect_fields(m.getResultStructType(), mloc, &out->response) && ok;
  return ok && check_method_bounds(mloc, *out);
}

// Whether the method's request and response fit in one message, whatever they hold.
bool Checker::check_method_bounds(const Location& mloc, const Method& method) {
  bool ok = true;
  for (const auto* half : {&method.request, &method.response}) {
    const char* what = half == &method.request ? "request" : "response";
    const int64_t bytes = layouts_.struct_growth(*half).from_start();
    const int64_t cap_count = layouts_.struct_caps(*half);
    if (bytes > static_cast<int64_t>(kMaxBytes)) {
      report(mloc, std::string("the ") + what + " can take " +
                       (bytes >= kHuge ? "over " + std::to_string(kHuge) : std::to_string(bytes)) +
                       " bytes, more than a message carries (rpc::kMaxBytes = 1024)");
      ok = false;
    }
    if (cap_count > static_cast<int64_t>(kMaxCaps)) {
      report(mloc, std::string("the ") + what + " can carry " + std::to_string(cap_count) +
                       " capabilities, more than a message carries (rpc::kMaxCaps = 4)");
      ok = false;
    }
  }
  return ok;
}

// ---- structs and their fields ----

bool Checker::check_struct(uint64_t id, Location& loc) {
  auto it = structs_state_.find(id);
  if (it != structs_state_.end()) {
    if (it->second == State::kChecking) {
      report(loc, "struct " + schema_.schema_name(id) +
                      " contains itself: its C++ layout would be unbounded");
      return false;
    }
    return it->second == State::kOk;
  }
  structs_state_[id] = State::kChecking;
  Struct s;
  const bool ok = collect_fields(id, loc, &s);
  structs_state_[id] = ok ? State::kOk : State::kBad;
  if (ok) structs_.emplace(id, std::move(s));
  return ok;
}

bool Checker::collect_fields(uint64_t id, Location& loc, Struct* out) {
  auto fields = schema_.node(id).getStruct().getFields();
  const std::string struct_name = schema_.schema_name(id);
  bool ok = true;
  bool union_reported = false;
  std::map<std::string, std::string> cpp_names;  // C++ name -> the schema's
  out->id = id;
  for (uint32_t index : in_code_order(fields)) {
    const std::string fname = str(fields[index].getName());
    loc.hops.emplace_back(struct_name, fname);
    struct Pop {
      Location& l;
      ~Pop() { l.hops.pop_back(); }
    } pop{loc};
    const size_t before = out->fields.size();
    ok = collect_field(id, index, loc, &union_reported, out) && ok;
    if (out->fields.size() > before &&
        !check_unique(loc, "field", fname, out->fields.back().name, cpp_names)) {
      out->fields.pop_back();
      ok = false;
    }
  }
  return ok;
}

// Field number `index` of struct `id`, which `loc`'s last hop names; appended to `out`.
bool Checker::collect_field(uint64_t id, uint32_t index, Location& loc, bool* union_reported,
                            Struct* out) {
  auto f = schema_.node(id).getStruct().getFields()[index];
  if (f.getDiscriminantValue() != schema::Field::NO_DISCRIMINANT) {
    if (!*union_reported)
      report(loc, "unions are not supported: a generated struct has no variants");
    *union_reported = true;
    return false;
  }
  if (f.isGroup()) {
    report_group(f.getGroup().getTypeId(), loc);
    return false;
  }
  auto slot = f.getSlot();
  uint32_t max = 0;
  bool has_max = false;
  for (auto a : f.getAnnotations())
    if (a.getId() == kMaxSizeAnnotation && a.getValue().isUint32()) {
      max = a.getValue().getUint32();
      has_max = true;
    }
  Field field;
  field.name = cpp_member(str(f.getName()));
  field.doc = schema_.member_doc(id, index);
  if (!resolve_type(slot.getType(), max, has_max, loc, &field.type)) return false;
  if (slot.getHadExplicitDefault() && !is_zero_default(slot.getDefaultValue())) {
    report(loc, "non-zero default values are not supported: generated fields start at zero");
    return false;
  }
  out->fields.push_back(std::move(field));
  return true;
}

void Checker::report_group(uint64_t group, const Location& loc) {
  if (schema_.has_node(group) && schema_.node(group).getStruct().getDiscriminantCount() > 0) {
    report(loc, "unions are not supported: a generated struct has no variants");
  } else {
    report(loc, "groups are not supported: declare a struct instead");
  }
}

}  // namespace hmk::capnpc
