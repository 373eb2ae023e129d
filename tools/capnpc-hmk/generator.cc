#include "tools/capnpc-hmk/generator.h"

#include <stdint.h>

#include <set>
#include <string>
#include <vector>

#include "tools/capnpc-hmk/checker.h"
#include "tools/capnpc-hmk/codec_emitter.h"
#include "tools/capnpc-hmk/interface_emitter.h"
#include "tools/capnpc-hmk/layout.h"
#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/names.h"
#include "tools/capnpc-hmk/out.h"
#include "tools/capnpc-hmk/refs.h"
#include "tools/capnpc-hmk/schema.h"
#include "tools/capnpc-hmk/type_emitter.h"

namespace hmk::capnpc {
namespace {

// One run over a request: the parts share the schema, the checked structs and the references of
// the header being generated.
class Generator {
 public:
  explicit Generator(schema::CodeGeneratorRequest::Reader request)
      : request_(request),
        schema_(request),
        layouts_(structs_),
        checker_(schema_, structs_, layouts_, errors_),
        refs_(schema_),
        types_(schema_, refs_, layouts_, structs_),
        codecs_(refs_, structs_),
        interfaces_(refs_, layouts_, types_, codecs_) {}

  bool run(std::vector<OutputFile>* outputs, std::vector<std::string>* errors) {
    bool ok = true;
    for (auto file : request_.getRequestedFiles()) {
      OutputFile out;
      if (generate_file(file, &out)) {
        outputs->push_back(std::move(out));
      } else {
        ok = false;
      }
    }
    *errors = errors_;
    return ok && errors_.empty();
  }

 private:
  bool generate_file(schema::CodeGeneratorRequest::RequestedFile::Reader file, OutputFile* result);
  bool check_file(const std::string& file_name, const std::string& ns, FileModel* model);
  void walk(uint64_t id, std::vector<uint64_t>* out) const;
  std::string emit_body(const FileModel& model);
  void emit_structs(Out& out, const std::vector<uint64_t>& structs);
  std::string emit_header(const std::string& file_name, const std::string& ns, std::string body);

  schema::CodeGeneratorRequest::Reader request_;
  std::vector<std::string> errors_;
  Schema schema_;
  StructMap structs_;
  Layouts layouts_;
  Checker checker_;
  Refs refs_;
  TypeEmitter types_;
  CodecEmitter codecs_;
  InterfaceEmitter interfaces_;
};

bool Generator::generate_file(schema::CodeGeneratorRequest::RequestedFile::Reader file,
                              OutputFile* result) {
  refs_.start_file(file.getId());
  const std::string file_name = str(file.getFilename());
  if (!schema_.has_node(file.getId())) {
    errors_.push_back(file_name + ": the request holds no node for this file");
    return false;
  }
  const std::string ns = schema_.file_namespace(file.getId());
  FileModel model;
  if (!check_file(file_name, ns, &model)) return false;
  // Everything checked: emit. The body comes first so that the includes are known.
  const std::string body = emit_body(model);
  result->path = header_path(file_name);
  result->contents = emit_header(file_name, ns, body);
  return true;
}

// Checks the namespace and every declaration of the file; false if anything was reported.
bool Generator::check_file(const std::string& file_name, const std::string& ns, FileModel* model) {
  const size_t errors_before = errors_.size();
  if (!is_cpp_namespace(ns))
    errors_.push_back(file_name + ": $Hmk.namespace(\"" + ns + "\") is not a C++ namespace");
  std::vector<uint64_t> decls;
  walk(refs_.file(), &decls);
  checker_.check_file(file_name, decls, model);
  return errors_.size() == errors_before;
}

// Every declaration of the file in declaration order (depth first).
void Generator::walk(uint64_t id, std::vector<uint64_t>* out) const {
  for (auto nested : schema_.node(id).getNestedNodes()) {
    if (!schema_.has_node(nested.getId())) continue;
    out->push_back(nested.getId());
    walk(nested.getId(), out);
  }
}

// The namespace's contents: enums, structs, their codecs, then the interfaces.
std::string Generator::emit_body(const FileModel& model) {
  Out body;
  for (uint64_t id : model.enums)
    types_.emit_enum(body, id);
  emit_structs(body, types_.dependency_order(model.structs));
  for (const auto& i : model.interfaces) {
    interfaces_.emit_interface(body, i);
    body.blank();
  }
  interfaces_.emit_method_functions(body, model.interfaces);
  for (const auto& i : model.interfaces)
    interfaces_.emit_definitions(body, i);
  return body.text();
}

void Generator::emit_structs(Out& out, const std::vector<uint64_t>& structs) {
  for (uint64_t id : structs)
    types_.emit_struct(out, id);
  if (structs.empty()) return;
  out.line(0, "namespace detail {");
  for (uint64_t id : structs) {
    out.blank();
    codecs_.emit_functions(out, schema_.flat_name(id), structs_.at(id));
  }
  out.blank();
  out.line(0, "}  // namespace detail");
  out.blank();
}

// The whole header: the banner, the includes (rpc.h and the headers of the files the body
// referred to) and the body inside the file's namespace.
std::string Generator::emit_header(const std::string& file_name, const std::string& ns,
                                   std::string body) {
  Out out;
  out.line(0, "// Generated by capnpc-hmk from " + file_name + ". Do not edit.");
  const std::string file_doc = schema_.doc_of(refs_.file());
  if (!file_doc.empty()) {
    out.line(0, "//");
    out.doc(0, file_doc);
  }
  out.line(0, "#pragma once");
  out.blank();
  out.line(0, "#include <stdint.h>");
  out.blank();
  std::set<std::string> includes = {"svc/lib/rpc.h"};
  for (uint64_t f : refs_.used_files())
    includes.insert(header_path(str(schema_.node(f).getDisplayName())));
  for (const auto& inc : includes)
    out.line(0, "#include \"" + inc + "\"");
  out.blank();
  out.line(0, "namespace " + ns + " {");
  out.blank();
  if (ns != "hmk" && ns.compare(0, 5, "hmk::") != 0) {
    out.line(0, "namespace rpc = ::hmk::rpc;");
    out.blank();
  }
  while (body.size() >= 2 && body[body.size() - 1] == '\n' && body[body.size() - 2] == '\n')
    body.pop_back();
  out.raw(body);
  out.blank();
  out.line(0, "}  // namespace " + ns);
  return out.text();
}

}  // namespace

bool generate(capnp::schema::CodeGeneratorRequest::Reader request, std::vector<OutputFile>* outputs,
              std::vector<std::string>* errors) {
  Generator g(request);
  return g.run(outputs, errors);
}

}  // namespace hmk::capnpc
