#include "tools/capnpc-hmk/interface_emitter.h"

#include <set>
#include <string>

#include "tools/capnpc-hmk/client_emitter.h"
#include "tools/capnpc-hmk/names.h"
#include "tools/capnpc-hmk/server_emitter.h"

namespace hmk::capnpc {
namespace {

// The names the interface's struct declares, which hide namespace-scope types of the same name.
std::set<std::string> declared_names(const Interface& i) {
  std::set<std::string> names = {"Method", "Server", "Client"};
  for (const auto& m : i.methods) {
    names.insert(m.upper + "Request");
    names.insert(m.upper + "Response");
  }
  return names;
}

}  // namespace

void InterfaceEmitter::emit_interface(Out& out, const Interface& i) {
  refs_.set_hidden(declared_names(i));
  struct Clear {
    Refs& refs;
    ~Clear() { refs.clear_hidden(); }
  } clear{refs_};
  out.doc(0, i.doc);
  out.line(0, "struct " + i.cpp_name + " {");
  out.line(2, "static constexpr uint64_t kInterfaceId = " + hex64(i.id) + ";");
  out.line(2, "static constexpr const char kName[] = \"" + i.schema_name + "\";");
  out.blank();
  emit_method_enum(out, i);
  for (const auto& m : i.methods) {
    out.blank();
    emit_method_types(out, m);
  }
  out.blank();
  emit_server_class(out, i);
  out.blank();
  emit_client_class(out, i);
  out.blank();
  emit_local_channel(out);
  out.blank();
  emit_dispatch_declarations(out, i);
  out.line(0, "};");
}

void InterfaceEmitter::emit_method_enum(Out& out, const Interface& i) {
  if (i.methods.empty()) {
    out.line(2, "enum class Method : uint32_t {};");
  } else {
    out.line(2, "enum class Method : uint32_t {");
    for (const auto& m : i.methods)
      out.line(4, "k" + m.upper + " = " + std::to_string(m.ordinal) + ",");
    out.line(2, "};");
  }
  out.line(2, "static constexpr uint32_t kMethodCount = " + std::to_string(i.methods.size()) + ";");
}

// FooRequest and FooResponse, their sizes, and the most bytes and capabilities they encode to.
void InterfaceEmitter::emit_method_types(Out& out, const Method& m) {
  const std::pair<const char*, const Struct*> halves[] = {{"Request", &m.request},
                                                          {"Response", &m.response}};
  for (const auto& [suffix, half] : halves)
    types_.emit_struct_body(out, 2, m.upper + suffix, *half);
  for (const auto& [suffix, half] : halves)
    out.line(2, "static_assert(sizeof(" + m.upper + suffix +
                    ") == " + std::to_string(layouts_.struct_layout(*half).size) + ");");
  for (const auto& [suffix, half] : halves) {
    const std::string sname = m.upper + suffix;
    out.line(2, "static constexpr uint32_t k" + sname + "MaxBytes = " +
                    std::to_string(layouts_.struct_growth(*half).from_start()) + ";");
    out.line(2, "static constexpr uint32_t k" + sname +
                    "MaxCaps = " + std::to_string(layouts_.struct_caps(*half)) + ";");
    out.line(2, "static_assert(k" + sname + "MaxBytes <= rpc::kMaxBytes);");
    out.line(2, "static_assert(k" + sname + "MaxCaps <= rpc::kMaxCaps);");
  }
}

void InterfaceEmitter::emit_method_functions(Out& out, const std::vector<Interface>& interfaces) {
  bool any_method = false;
  for (const auto& i : interfaces)
    any_method = any_method || !i.methods.empty();
  if (!any_method) return;
  out.line(0, "namespace detail {");
  for (const auto& i : interfaces)
    for (const auto& m : i.methods) {
      out.blank();
      codecs_.emit_functions(out, i.cpp_name + "::" + m.upper + "Request", m.request);
      out.blank();
      codecs_.emit_functions(out, i.cpp_name + "::" + m.upper + "Response", m.response);
    }
  out.blank();
  out.line(0, "}  // namespace detail");
}

void InterfaceEmitter::emit_definitions(Out& out, const Interface& i) {
  emit_client_definitions(out, i);
  emit_server_definitions(out, i);
}

}  // namespace hmk::capnpc
