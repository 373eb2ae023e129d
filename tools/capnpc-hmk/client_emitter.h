// The client side of an interface: the Client class, one method per schema method, each calling
// a local server directly or encoding the request for the channel and decoding the reply.
#pragma once

#include "tools/capnpc-hmk/model.h"
#include "tools/capnpc-hmk/out.h"

namespace hmk::capnpc {

// `class Client {...};` inside the interface's struct.
void emit_client_class(Out& out, const Interface& i);
// The Client methods' definitions, after the interface's struct.
void emit_client_definitions(Out& out, const Interface& i);

}  // namespace hmk::capnpc
