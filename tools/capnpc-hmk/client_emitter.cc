#include "tools/capnpc-hmk/client_emitter.h"

namespace hmk::capnpc {
namespace {

// The part of a Client method that calls a server in the same domain (a local channel).
void emit_local_call(Out& out, const Method& m) {
  out.line(2, "if (void* local = channel_.local_server(kInterfaceId)) {");
  out.line(4, "Server* server = static_cast<Server*>(local);");
  out.call(4, "const rpc::Status status = server->" + m.name, {"req", "resp", "rpc::kDirectCall"},
           ";");
  out.line(4,
           "if (status == rpc::Status::kOk && !detail::check(resp)) "
           "return rpc::Status::kBadMessage;");
  out.line(4, "return status;");
  out.line(2, "}");
}

// The part of a Client method that sends the request over the channel and decodes the reply.
void emit_remote_call(Out& out, const Method& m) {
  out.line(2, "rpc::Message msg;");
  out.line(2, "msg.label = static_cast<uint32_t>(Method::k" + m.upper + ");");
  out.line(2, "rpc::Writer w(msg);");
  out.line(2, "detail::encode(w, req);");
  out.line(2, "if (!w.ok()) return rpc::Status::kInvalidArgument;");
  out.line(2, "RPC_TRY(channel_.call(msg));");
  out.line(2, "// An error reply hands nothing over; a response keeps the capabilities it names.");
  out.line(2,
           "if (msg.label != 0) return rpc::refuse_message(msg, "
           "static_cast<rpc::Status>(msg.label));");
  out.line(2, "rpc::Reader r(msg);");
  out.line(2, "if (!detail::decode(r, &resp)) return rpc::refuse_message(msg, r.status());");
  out.line(2, "if (msg.cap_count != 0) rpc::drop_caps(msg, rpc::kAllCaps & ~r.caps_taken());");
  out.line(2, "return rpc::Status::kOk;");
}

}  // namespace

void emit_client_class(Out& out, const Interface& i) {
  out.line(2, "// What a caller uses: the same code whether the channel is local or ipc.");
  out.line(2, "class Client {");
  out.line(3, "public:");
  out.line(4, "Client() = default;");
  out.line(4, "explicit Client(rpc::Channel channel) : channel_(channel) {}");
  out.line(4, "const rpc::Channel& channel() const { return channel_; }");
  for (const auto& m : i.methods) {
    out.blank();
    out.doc(4, m.doc);
    out.call(4, "rpc::Status " + m.name,
             {"const " + m.upper + "Request& req", m.upper + "Response& resp"}, " const;");
  }
  out.blank();
  out.line(3, "private:");
  out.line(4, "rpc::Channel channel_;");
  out.line(2, "};");
}

void emit_client_definitions(Out& out, const Interface& i) {
  for (const auto& m : i.methods) {
    out.blank();
    out.call(0, "inline rpc::Status " + i.cpp_name + "::Client::" + m.name,
             {"const " + m.upper + "Request& req", m.upper + "Response& resp"}, " const {");
    out.line(2, "if (!detail::check(req)) return rpc::Status::kInvalidArgument;");
    emit_local_call(out, m);
    emit_remote_call(out, m);
    out.line(0, "}");
  }
}

}  // namespace hmk::capnpc
