// The server side of an interface: the Server class a service implements, and dispatch(), which
// decodes a request without trusting it, calls the server and encodes the reply.
#pragma once

#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/out.h"

namespace hmk::capnpc {

// `class Server {...};` inside the interface's struct.
void emit_server_class(Out& out, const Interface& i);
// local_channel(), which makes a Client call a Server directly.
void emit_local_channel(Out& out);
// The declarations of dispatch(), dispatch_erased() and the private serve_ functions: the end
// of the interface's struct.
void emit_dispatch_declarations(Out& out, const Interface& i);
// Their definitions, after the interface's struct.
void emit_server_definitions(Out& out, const Interface& i);

}  // namespace hmk::capnpc
