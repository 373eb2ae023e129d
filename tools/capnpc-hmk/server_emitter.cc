#include "tools/capnpc-hmk/server_emitter.h"

namespace hmk::capnpc {
namespace {

// serve_foo(): one method's request decoded, the server called, the response encoded.
void emit_serve(Out& out, const Interface& i, const Method& m) {
  out.call(0, "inline rpc::Status " + i.cpp_name + "::serve_" + m.name,
           {"Server& server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, " {");
  out.line(2, m.upper + "Request req;");
  out.line(2, "rpc::Reader r(msg);");
  out.line(2,
           "// Capabilities the request does not name go now; the named ones with a failed call.");
  out.line(2, "if (!detail::decode(r, &req)) return rpc::refuse_message(msg, r.status());");
  out.line(2, "if (msg.cap_count != 0) rpc::drop_caps(msg, rpc::kAllCaps & ~r.caps_taken());");
  out.line(2, m.upper + "Response resp;");
  out.call(2, "const rpc::Status status = server." + m.name, {"req", "resp", "ctx"}, ";");
  out.line(2, "if (status != rpc::Status::kOk) {");
  out.line(4, "if (msg.cap_count != 0) rpc::drop_caps(msg, r.caps_taken());");
  out.line(4, "return status;");
  out.line(2, "}");
  out.line(2, "if (!detail::check(resp)) return rpc::Status::kBadMessage;");
  out.line(2, "rpc::Writer w(msg);");
  out.line(2, "detail::encode(w, resp);");
  out.line(2, "return w.ok() ? rpc::Status::kOk : rpc::Status::kBadMessage;");
  out.line(0, "}");
}

// dispatch()'s switch over the method ordinals, inside the header check.
void emit_dispatch_switch(Out& out, const Interface& i) {
  out.line(4, "switch (msg.label) {");
  for (const auto& m : i.methods) {
    out.line(6, "case static_cast<uint32_t>(Method::k" + m.upper + "):");
    out.call(8, "status = serve_" + m.name, {"server", "msg", "ctx"}, ";");
    out.line(8, "break;");
  }
  out.line(6, "default:  // no serve_ function takes it: its capabilities go now");
  out.line(8, "status = rpc::Status::kBadMethod;");
  out.line(8, "if (msg.cap_count != 0) rpc::drop_caps(msg, rpc::kAllCaps);");
  out.line(8, "break;");
  out.line(4, "}");
}

void emit_dispatch(Out& out, const Interface& i) {
  // Without methods nothing reads the server or the context (and -Werror forbids unused ones).
  const bool none = i.methods.empty();
  out.call(0, "inline rpc::Status " + i.cpp_name + "::dispatch",
           {none ? "Server&" : "Server& server", "rpc::Message& msg",
            none ? "const rpc::CallContext&" : "const rpc::CallContext& ctx"},
           " {");
  out.line(2, "rpc::Status status = rpc::Status::kBadMessage;");
  out.line(2, "if (msg.size <= rpc::kMaxBytes && msg.cap_count <= rpc::kMaxCaps) {");
  emit_dispatch_switch(out, i);
  out.line(2, "} else if (msg.cap_count != 0) {");
  out.line(4, "rpc::drop_caps(msg, rpc::kAllCaps);  // a header no serve_ function may read");
  out.line(2, "}");
  out.line(2, "msg.label = static_cast<uint32_t>(status);");
  out.line(2, "if (status != rpc::Status::kOk) {");
  out.line(4, "msg.size = 0;");
  out.line(4, "msg.cap_count = 0;");
  out.line(2, "}");
  out.line(2, "return status;");
  out.line(0, "}");
}

}  // namespace

void emit_server_class(Out& out, const Interface& i) {
  out.line(2, "// What a service implements. Called by dispatch() (another domain, the kernel) or");
  out.line(2, "// directly by a Client on a local channel.");
  out.line(2, "class Server {");
  for (size_t k = 0; k < i.methods.size(); ++k) {
    const auto& m = i.methods[k];
    out.line(3, k == 0 ? "public:" : "");
    out.doc(4, m.doc);
    out.call(4, "virtual rpc::Status " + m.name,
             {"const " + m.upper + "Request& req", m.upper + "Response& resp",
              "const rpc::CallContext& ctx"},
             " = 0;");
  }
  if (!i.methods.empty()) out.blank();
  out.line(3, "protected:");
  out.line(4, "~Server() = default;  // not virtual: freestanding builds have no operator delete");
  out.line(2, "};");
}

void emit_local_channel(Out& out) {
  out.line(2,
           "// A local channel to `server` (converted to Server* here, so a class that also has");
  out.line(2, "// other bases is passed correctly).");
  out.line(2, "static rpc::Channel local_channel(Server* server) {");
  out.line(4, "return rpc::Channel::local(server, kInterfaceId);");
  out.line(2, "}");
}

void emit_dispatch_declarations(Out& out, const Interface& i) {
  out.line(2, "// Decodes `msg` as a request, calls the server and encodes the reply into `msg`");
  out.line(2, "// (label = the Status; the response, or nothing on an error). Trusts nothing in");
  out.line(2, "// `msg`: an unknown ordinal is kBadMethod; a short message, a count over its");
  out.line(2, "// maximum, a bad enum or bool is kBadMessage; a capability index the message does");
  out.line(2, "// not carry is kMissingCapability. The server is not called in those cases.");
  out.call(2, "static rpc::Status dispatch",
           {"Server& server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, ";");
  out.line(2, "// dispatch() for a type-erased server: an rpc::DispatchFn.");
  out.call(2, "static rpc::Status dispatch_erased",
           {"void* server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, ";");
  if (i.methods.empty()) return;
  out.blank();
  out.line(1, "private:");
  for (const auto& m : i.methods)
    out.call(2, "static rpc::Status serve_" + m.name,
             {"Server& server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, ";");
}

void emit_server_definitions(Out& out, const Interface& i) {
  for (const auto& m : i.methods) {
    out.blank();
    emit_serve(out, i, m);
  }
  out.blank();
  emit_dispatch(out, i);
  out.blank();
  out.call(0, "inline rpc::Status " + i.cpp_name + "::dispatch_erased",
           {"void* server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, " {");
  out.line(2, "return dispatch(*static_cast<Server*>(server), msg, ctx);");
  out.line(0, "}");
}

}  // namespace hmk::capnpc
