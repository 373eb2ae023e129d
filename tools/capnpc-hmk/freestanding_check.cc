// Compiled for the kernel and for user programs (see :freestanding_test): the generated code must
// build freestanding with their flags (-ffreestanding -nostdinc -mgeneral-regs-only -Werror, no
// exceptions or RTTI). Nothing here runs; taking the dispatchers' addresses and calling every
// client method makes the compiler emit all of the generated code.
#include "tools/capnpc-hmk/testdata/example.hmk.h"
#include "tools/capnpc-hmk/testdata/importer.hmk.h"

namespace hmk::capnpc_check {

using hmk::svc::importer::Painter;
using hmk::test::example::Example;

extern const rpc::DispatchFn kDispatchers[] = {&Example::dispatch_erased,
                                               &Painter::dispatch_erased};

rpc::Status call_every_method(const Example::Client& client, const Painter::Client& painter) {
  rpc::Status s = rpc::Status::kOk;
  {
    Example::PingRequest req;
    Example::PingResponse resp;
    s = client.ping(req, resp);
  }
  {
    Example::EchoRequest req;
    Example::EchoResponse resp;
    if (s == rpc::Status::kOk) s = client.echo(req, resp);
  }
  {
    Example::DrawRequest req;
    Example::DrawResponse resp;
    if (s == rpc::Status::kOk) s = client.draw(req, resp);
  }
  {
    Example::ShareRequest req;
    Example::ShareResponse resp;
    if (s == rpc::Status::kOk) s = client.share(req, resp);
  }
  {
    Example::BytesRequest req;
    Example::BytesResponse resp;
    if (s == rpc::Status::kOk) s = client.bytes(req, resp);
  }
  {
    Example::GatherRequest req;
    Example::GatherResponse resp;
    if (s == rpc::Status::kOk) s = client.gather(req, resp);
  }
  {
    Example::DeleteRequest req;
    Example::DeleteResponse resp;
    if (s == rpc::Status::kOk) s = client.delete_(req, resp);
  }
  {
    Painter::PaintRequest req;
    Painter::PaintResponse resp;
    if (s == rpc::Status::kOk) s = painter.paint(req, resp);
  }
  {
    Painter::CornerRequest req;
    Painter::CornerResponse resp;
    if (s == rpc::Status::kOk) s = painter.corner(req, resp);
  }
  {
    Painter::FillAreaRequest req;
    Painter::FillAreaResponse resp;
    if (s == rpc::Status::kOk) s = painter.fill_area(req, resp);
  }
  return s;
}

}  // namespace hmk::capnpc_check
