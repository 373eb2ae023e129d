#include "tools/capnpc-hmk/codec_emitter.h"

namespace hmk::capnpc {

void CodecEmitter::emit_functions(Out& out, const std::string& name, const Struct& s) {
  emit_encode_function(out, name, s);
  out.blank();
  emit_decode_function(out, name, s);
  out.blank();
  emit_check_function(out, name, s);
}

void CodecEmitter::emit_encode_function(Out& out, const std::string& name, const Struct& s) {
  if (s.fields.empty()) {
    out.line(0, "inline void encode(rpc::Writer&, const " + name + "&) {}");
    return;
  }
  out.line(0, "inline void encode(rpc::Writer& w, const " + name + "& v) {");
  for (const auto& f : s.fields)
    emit_encode(out, 2, f.type, "v." + f.name);
  out.line(0, "}");
}

void CodecEmitter::emit_decode_function(Out& out, const std::string& name, const Struct& s) {
  if (s.fields.empty()) {
    out.line(0, "inline bool decode(rpc::Reader&, " + name + "*) {");
  } else {
    out.line(0, "inline bool decode(rpc::Reader& r, " + name + "* v) {");
    for (const auto& f : s.fields)
      emit_decode(out, 2, f.type, "v->" + f.name);
  }
  out.line(2, "return true;");
  out.line(0, "}");
}

void CodecEmitter::emit_check_function(Out& out, const std::string& name, const Struct& s) {
  if (!struct_needs_check(s)) {
    out.line(0, "inline bool check(const " + name + "&) {");
  } else {
    out.line(0, "inline bool check(const " + name + "& v) {");
    for (const auto& f : s.fields)
      emit_check(out, 2, f.type, "v." + f.name);
  }
  out.line(2, "return true;");
  out.line(0, "}");
}

void CodecEmitter::emit_encode(Out& out, int indent, const Type& t, const std::string& expr) {
  switch (t.kind) {
    case Type::Kind::kBool:
      out.line(indent, "w.boolean(" + expr + ");");
      return;
    case Type::Kind::kInt:
      out.line(indent, "w.scalar(" + expr + ");");
      return;
    case Type::Kind::kEnum:
      out.line(indent, "w.scalar(static_cast<uint16_t>(" + expr + "));");
      return;
    case Type::Kind::kCap:
      out.line(indent, "w.cap(" + expr + ");");
      return;
    case Type::Kind::kStruct:
      out.line(indent, refs_.detail_ref(t.id) + "encode(w, " + expr + ");");
      return;
    case Type::Kind::kText:
    case Type::Kind::kData:
      out.call(indent, "w.bytes", {expr + ".data", expr + ".size", std::to_string(t.max)}, ";");
      return;
    case Type::Kind::kList:
      if (is_byte_list(t)) {
        out.call(indent, "w.bytes", {expr + ".items", expr + ".size", std::to_string(t.max)}, ";");
        return;
      }
      out.line(indent, "w.count(" + expr + ".size, " + std::to_string(t.max) + ");");
      out.line(indent, "if (!w.ok()) return;");
      out.line(indent, "for (uint32_t i = 0; i < " + expr + ".size; ++i)");
      emit_encode(out, indent + 2, *t.elem, expr + ".items[i]");
      return;
  }
}

void CodecEmitter::emit_decode(Out& out, int indent, const Type& t, const std::string& expr) {
  auto fail_unless = [&](const std::string& cond) {
    out.line(indent, "if (!" + cond + ") return false;");
  };
  switch (t.kind) {
    case Type::Kind::kBool:
      fail_unless("r.boolean(&" + expr + ")");
      return;
    case Type::Kind::kInt:
      fail_unless("r.scalar(&" + expr + ")");
      return;
    case Type::Kind::kEnum:
      fail_unless("r.enumeration(&" + expr + ", " + refs_.enum_count(t.id) + ")");
      return;
    case Type::Kind::kCap:
      fail_unless("r.cap(&" + expr + ")");
      return;
    case Type::Kind::kStruct:
      fail_unless(refs_.detail_ref(t.id) + "decode(r, &" + expr + ")");
      return;
    case Type::Kind::kText:
    case Type::Kind::kData:
      fail_unless("r.bytes(" + expr + ".data, &" + expr + ".size, " + std::to_string(t.max) + ")");
      return;
    case Type::Kind::kList:
      if (is_byte_list(t)) {
        fail_unless("r.bytes(" + expr + ".items, &" + expr + ".size, " + std::to_string(t.max) +
                    ")");
        return;
      }
      fail_unless("r.count(&" + expr + ".size, " + std::to_string(t.max) + ")");
      out.line(indent, "for (uint32_t i = 0; i < " + expr + ".size; ++i)");
      emit_decode(out, indent + 2, *t.elem, expr + ".items[i]");
      return;
  }
}

void CodecEmitter::emit_check(Out& out, int indent, const Type& t, const std::string& expr) {
  switch (t.kind) {
    case Type::Kind::kEnum:
      out.line(indent, "if (static_cast<uint16_t>(" + expr + ") >= " + refs_.enum_count(t.id) +
                           ") return false;");
      return;
    case Type::Kind::kStruct:
      if (needs_check(t))
        out.line(indent, "if (!" + refs_.detail_ref(t.id) + "check(" + expr + ")) return false;");
      return;
    case Type::Kind::kText:
    case Type::Kind::kData:
      out.line(indent, "if (" + expr + ".size > " + std::to_string(t.max) + ") return false;");
      return;
    case Type::Kind::kList:
      out.line(indent, "if (" + expr + ".size > " + std::to_string(t.max) + ") return false;");
      if (needs_check(*t.elem)) {
        out.line(indent, "for (uint32_t i = 0; i < " + expr + ".size; ++i)");
        emit_check(out, indent + 2, *t.elem, expr + ".items[i]");
      }
      return;
    default:
      return;
  }
}

bool CodecEmitter::needs_check(const Type& t) {
  switch (t.kind) {
    case Type::Kind::kEnum:
    case Type::Kind::kText:
    case Type::Kind::kData:
    case Type::Kind::kList:
      return true;
    case Type::Kind::kStruct:
      return struct_needs_check(structs_.at(t.id));
    default:
      return false;
  }
}

bool CodecEmitter::struct_needs_check(const Struct& s) {
  for (const auto& f : s.fields)
    if (needs_check(f.type)) return true;
  return false;
}

}  // namespace hmk::capnpc
