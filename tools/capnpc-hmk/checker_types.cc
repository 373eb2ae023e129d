// The checker's second half: a field's schema type resolved to a model Type, or the reason the
// transport cannot carry it.
#include "tools/capnpc-hmk/checker.h"

namespace hmk::capnpc {
namespace {

// The integer type `which` (one of INT8 .. UINT64).
Type integer(schema::Type::Which which) {
  Type t;
  t.kind = Type::Kind::kInt;
  t.is_signed = which == schema::Type::INT8 || which == schema::Type::INT16 ||
                which == schema::Type::INT32 || which == schema::Type::INT64;
  switch (which) {
    case schema::Type::INT8:
    case schema::Type::UINT8:
      t.bytes = 1;
      break;
    case schema::Type::INT16:
    case schema::Type::UINT16:
      t.bytes = 2;
      break;
    case schema::Type::INT32:
    case schema::Type::UINT32:
      t.bytes = 4;
      break;
    default:
      t.bytes = 8;
      break;
  }
  return t;
}

}  // namespace

bool Checker::resolve_type(schema::Type::Reader t, uint32_t max, bool has_max, Location& loc,
                           Type* out) {
  const bool pointer = t.isText() || t.isData() || t.isList();
  if (has_max && !pointer) {
    report(loc, "$Hmk.maxSize applies only to Text, Data and List, not " + schema_.type_name(t));
    return false;
  }
  switch (t.which()) {
    case schema::Type::BOOL:
      out->kind = Type::Kind::kBool;
      return true;
    case schema::Type::INT8:
    case schema::Type::INT16:
    case schema::Type::INT32:
    case schema::Type::INT64:
    case schema::Type::UINT8:
    case schema::Type::UINT16:
    case schema::Type::UINT32:
    case schema::Type::UINT64:
      *out = integer(t.which());
      return true;
    case schema::Type::TEXT:
    case schema::Type::DATA:
      if (!check_bound(loc, schema_.type_name(t), max, has_max)) return false;
      out->kind = t.isText() ? Type::Kind::kText : Type::Kind::kData;
      out->max = max;
      return true;
    case schema::Type::LIST:
      return resolve_list(t, max, has_max, loc, out);
    case schema::Type::ENUM:
      return resolve_enum(t, loc, out);
    case schema::Type::STRUCT:
      return resolve_struct(t, loc, out);
    case schema::Type::INTERFACE:
      return resolve_interface(t, loc, out);
    case schema::Type::VOID:
    case schema::Type::FLOAT32:
    case schema::Type::FLOAT64:
    case schema::Type::ANY_POINTER:
      reject_type(t, loc);
      return false;
  }
  report(loc, "unknown type");
  return false;
}

// Whether a Text, Data or List (`what`) has a usable $Hmk.maxSize.
bool Checker::check_bound(const Location& loc, const std::string& what, uint32_t max,
                          bool has_max) {
  if (!has_max) {
    report(loc, what + " needs $Hmk.maxSize(N): the transport cannot carry an unbounded value");
    return false;
  }
  if (max == 0) {
    report(loc, "$Hmk.maxSize(0) on " + what + ": the bound must be at least 1");
    return false;
  }
  if (max > kMaxBytes) {
    report(loc, "$Hmk.maxSize(" + std::to_string(max) + ") on " + what +
                    " is over 1024 (rpc::kMaxBytes): no message could carry it");
    return false;
  }
  return true;
}

bool Checker::resolve_list(schema::Type::Reader t, uint32_t max, bool has_max, Location& loc,
                           Type* out) {
  const std::string name = schema_.type_name(t);
  auto elem = t.getList().getElementType();
  if (elem.isList() || elem.isText() || elem.isData()) {
    report(loc, name +
                    " is not supported: $Hmk.maxSize bounds the list, its elements would "
                    "be unbounded");
    return false;
  }
  if (!check_bound(loc, name, max, has_max)) return false;
  auto resolved = std::make_shared<Type>();
  if (!resolve_type(elem, 0, false, loc, resolved.get())) return false;
  out->kind = Type::Kind::kList;
  out->max = max;
  out->elem = resolved;
  return true;
}

bool Checker::resolve_enum(schema::Type::Reader t, const Location& loc, Type* out) {
  const uint64_t id = t.getEnum().getTypeId();
  if (is_generic_brand(t.getEnum().getBrand()) || schema_.node(id).getIsGeneric()) {
    report(loc, "generic enum " + schema_.type_name(t) + " is not supported");
    return false;
  }
  out->kind = Type::Kind::kEnum;
  out->id = id;
  return true;
}

bool Checker::resolve_struct(schema::Type::Reader t, Location& loc, Type* out) {
  const uint64_t id = t.getStruct().getTypeId();
  if (is_generic_brand(t.getStruct().getBrand()) || schema_.node(id).getIsGeneric()) {
    report(loc, "generic struct " + schema_.type_name(t) + " is not supported");
    structs_state_[id] = State::kBad;  // reported once
    return false;
  }
  if (!check_struct(id, loc)) return false;
  out->kind = Type::Kind::kStruct;
  out->id = id;
  return true;
}

bool Checker::resolve_interface(schema::Type::Reader t, const Location& loc, Type* out) {
  const uint64_t id = t.getInterface().getTypeId();
  if (is_generic_brand(t.getInterface().getBrand()) || schema_.node(id).getIsGeneric()) {
    report(loc, "generic interface " + schema_.type_name(t) + " is not supported");
    return false;
  }
  out->kind = Type::Kind::kCap;
  out->id = id;
  return true;
}

// Void, floating point and AnyPointer: types the transport has no encoding for.
void Checker::reject_type(schema::Type::Reader t, const Location& loc) {
  const std::string name = schema_.type_name(t);
  if (t.isVoid()) {
    report(loc, "Void is not supported: a field must carry a value");
  } else if (t.isFloat32() || t.isFloat64()) {
    report(loc, name +
                    " is not supported: the kernel builds without floating-point registers "
                    "(-mgeneral-regs-only)");
  } else if (t.getAnyPointer().isUnconstrained()) {
    report(loc, "AnyPointer is not supported: the generator needs a concrete type");
  } else {
    report(loc, "generic type parameters are not supported");
  }
}

}  // namespace hmk::capnpc
