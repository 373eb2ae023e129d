// Tests of the code capnpc-hmk generates, through testdata/example.capnp and importer.capnp:
// local calls, a loopback transport (defined here as rpc::Channel::call), malformed requests and
// random bytes fed to the dispatcher.
#include <stdint.h>
#include <string.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <vector>

#include "tools/capnpc-hmk/testdata/example.hmk.h"
#include "tools/capnpc-hmk/testdata/importer.hmk.h"

namespace ex = hmk::test::example;
namespace imp = hmk::svc::importer;
namespace rpc = hmk::rpc;
using Example = ex::Example;
using rpc::Status;

// ---- the loopback transport ----

namespace {

struct Endpoint {
  void* server;
  rpc::DispatchFn dispatch;
  uint64_t badge;
};

std::map<uint32_t, Endpoint>& endpoints() {
  static std::map<uint32_t, Endpoint> map;
  return map;
}
int transport_calls = 0;
// What the generated code gave up (rpc::drop_cap), in order.
std::vector<uint32_t>& dropped() {
  static std::vector<uint32_t> handles;
  return handles;
}
// Capabilities change tables on the way: the receiver sees the sender's handle + kHandleShift.
constexpr uint32_t kHandleShift = 1000;

// What the kernel transport does to a message: whole 8-byte words (the tail zero-padded) and
// capability handles translated into the receiver's table.
void carry(rpc::Message& msg) {
  while (msg.size % 8 != 0 && msg.size < rpc::kMaxBytes)
    msg.data[msg.size++] = 0;
  for (uint32_t i = 0; i < msg.cap_count && i < rpc::kMaxCaps; ++i)
    msg.caps[i] += kHandleShift;
}

}  // namespace

void rpc::drop_cap(uint32_t handle) {
  dropped().push_back(handle);
}

rpc::Status rpc::Channel::call(Message& msg) const {
  if (kind() != Kind::kIpc) return Status::kNoService;
  auto it = endpoints().find(handle());
  if (it == endpoints().end()) return Status::kNoService;
  ++transport_calls;
  carry(msg);
  msg.badge = it->second.badge;
  it->second.dispatch(it->second.server, msg, CallContext{it->second.badge});
  carry(msg);
  return Status::kOk;
}

namespace {

// ---- a server of every method ----

class TestServer final : public Example::Server {
 public:
  int calls = 0;
  Status next_status = Status::kOk;  // what the next call returns
  bool bad_response = false;         // answer with an enum out of range
  uint64_t last_badge = 0;
  bool last_direct = false;  // the call came through a local channel (CallContext::direct)
  const void* last_request = nullptr;
  Example::GatherRequest last_gather;
  Example::ShareRequest last_share;

  Status ping(const Example::PingRequest& req, Example::PingResponse&,
              const rpc::CallContext& ctx) override {
    return enter(&req, ctx);
  }
  Status echo(const Example::EchoRequest& req, Example::EchoResponse& resp,
              const rpc::CallContext& ctx) override {
    resp.scalars = req.scalars;
    if (bad_response) resp.scalars.color = static_cast<ex::Color>(ex::kColorCount);
    return enter(&req, ctx);
  }
  Status draw(const Example::DrawRequest& req, Example::DrawResponse& resp,
              const rpc::CallContext& ctx) override {
    resp.shape = req.shape;
    resp.area = req.note.size;
    for (uint32_t i = 0; i < req.shape.points.size; ++i)
      resp.area += static_cast<uint64_t>(req.shape.points.items[i].x) * 3 +
                   static_cast<uint64_t>(req.shape.points.items[i].y);
    if (bad_response) resp.shape.points.size = 5;
    return enter(&req, ctx);
  }
  Status share(const Example::ShareRequest& req, Example::ShareResponse& resp,
               const rpc::CallContext& ctx) override {
    last_share = req;
    resp.peer.handle = req.target.handle + 1;
    resp.count = req.data.size;
    return enter(&req, ctx);
  }
  Status bytes(const Example::BytesRequest& req, Example::BytesResponse& resp,
               const rpc::CallContext& ctx) override {
    resp.words.size = req.raw.size < 4 ? req.raw.size : 4;
    for (uint32_t i = 0; i < resp.words.size; ++i)
      resp.words.items[i] = uint64_t{req.raw.items[i]} << 56 | i;
    resp.halves.size = req.signed_.size < 3 ? req.signed_.size : 3;
    for (uint32_t i = 0; i < resp.halves.size; ++i)
      resp.halves.items[i] = static_cast<int16_t>(req.signed_.items[i] * 256);
    return enter(&req, ctx);
  }
  Status gather(const Example::GatherRequest& req, Example::GatherResponse& resp,
                const rpc::CallContext& ctx) override {
    last_gather = req;
    resp.kind = req.kind;
    resp.pair = req.pair;
    return enter(&req, ctx);
  }
  Status delete_(const Example::DeleteRequest& req, Example::DeleteResponse& resp,
                 const rpc::CallContext& ctx) override {
    resp.new_ = req.default_ ? 7 : 3;
    return enter(&req, ctx);
  }

 private:
  Status enter(const void* req, const rpc::CallContext& ctx) {
    ++calls;
    last_request = req;
    last_badge = ctx.badge;
    last_direct = ctx.direct;
    const Status s = next_status;
    next_status = Status::kOk;
    return s;
  }
};

class TestPainter final : public imp::Painter::Server {
 public:
  Status paint(const imp::Painter::PaintRequest& req, imp::Painter::PaintResponse& resp,
               const rpc::CallContext&) override {
    resp.kind = req.canvas.shapes.size == 2 && req.with.handle == 9 + kHandleShift
                    ? ex::Example_Kind::kLarge
                    : ex::Example_Kind::kSmall;
    return Status::kOk;
  }
  Status corner(const imp::Painter::CornerRequest& req, imp::Painter::CornerResponse& resp,
                const rpc::CallContext&) override {
    resp.point.x = -req.point.y;
    resp.point.y = req.point.x;
    return Status::kOk;
  }
  Status fill_area(const imp::Painter::FillAreaRequest& req, imp::Painter::FillAreaResponse& resp,
                   const rpc::CallContext&) override {
    resp.pixel_count = req.fill_color == ex::Color::kBlue ? 64 : 16;
    resp.max_url_length = req.thread_local_ ? 2048 : 0;
    return Status::kOk;
  }
};

// Registers `server` as endpoint `handle` for the loopback transport.
template <class Interface>
rpc::Channel serve(uint32_t handle, typename Interface::Server* server, uint64_t badge = 0) {
  endpoints()[handle] = Endpoint{server, &Interface::dispatch_erased, badge};
  return rpc::Channel::ipc(handle, Interface::kInterfaceId);
}

ex::Scalars sample_scalars() {
  ex::Scalars s;
  s.flag = true;
  s.i8 = INT8_MIN;
  s.i16 = -12345;
  s.i32 = INT32_MIN + 7;
  s.i64 = INT64_MIN + 3;
  s.u8 = 0xfe;
  s.u16 = 0xfedc;
  s.u32 = 0xfedcba98;
  s.u64 = UINT64_MAX - 1;
  s.color = ex::Color::kBlue;
  return s;
}

bool same(const ex::Scalars& a, const ex::Scalars& b) {
  return a.flag == b.flag && a.i8 == b.i8 && a.i16 == b.i16 && a.i32 == b.i32 && a.i64 == b.i64 &&
         a.u8 == b.u8 && a.u16 == b.u16 && a.u32 == b.u32 && a.u64 == b.u64 && a.color == b.color;
}

ex::Shape full_shape() {
  ex::Shape s;
  REQUIRE(s.name.set("sixteen-chars-ok"));
  s.points.size = 4;
  for (uint32_t i = 0; i < 4; ++i)
    s.points.items[i] = ex::Point{static_cast<int32_t>(i) - 2, static_cast<int32_t>(i * i)};
  s.origin = ex::Point{-1, 1};
  s.tags.size = 3;
  s.tags.items[0] = 1;
  s.tags.items[1] = 0xffffffff;
  s.tags.items[2] = 42;
  s.blob.size = 8;
  for (uint32_t i = 0; i < 8; ++i)
    s.blob.data[i] = static_cast<uint8_t>(0xa0 + i);
  s.colors.size = 2;
  s.colors.items[0] = ex::Color::kGreen;
  s.colors.items[1] = ex::Color::kBlue;
  s.flags.size = 3;
  s.flags.items[0] = true;
  s.flags.items[1] = false;
  s.flags.items[2] = true;
  return s;
}

bool same(const ex::Shape& a, const ex::Shape& b) {
  if (a.name.size != b.name.size || memcmp(a.name.data, b.name.data, a.name.size) != 0)
    return false;
  if (a.points.size != b.points.size) return false;
  for (uint32_t i = 0; i < a.points.size; ++i)
    if (a.points.items[i].x != b.points.items[i].x || a.points.items[i].y != b.points.items[i].y)
      return false;
  if (a.origin.x != b.origin.x || a.origin.y != b.origin.y) return false;
  if (a.tags.size != b.tags.size) return false;
  for (uint32_t i = 0; i < a.tags.size; ++i)
    if (a.tags.items[i] != b.tags.items[i]) return false;
  if (a.blob.size != b.blob.size || memcmp(a.blob.data, b.blob.data, a.blob.size) != 0)
    return false;
  if (a.colors.size != b.colors.size) return false;
  for (uint32_t i = 0; i < a.colors.size; ++i)
    if (a.colors.items[i] != b.colors.items[i]) return false;
  if (a.flags.size != b.flags.size) return false;
  for (uint32_t i = 0; i < a.flags.size; ++i)
    if (a.flags.items[i] != b.flags.items[i]) return false;
  return true;
}

// A request message for `method`, encoded by the generated encoder.
template <class Request>
rpc::Message encoded(Example::Method method, const Request& req) {
  rpc::Message msg;
  msg.label = static_cast<uint32_t>(method);
  rpc::Writer w(msg);
  ex::detail::encode(w, req);
  REQUIRE(w.ok());
  return msg;
}

// Runs dispatch and checks the reply carries `expected` and nothing else when it is an error.
Status dispatch(TestServer& server, rpc::Message& msg) {
  const Status s = Example::dispatch(server, msg, rpc::CallContext{5});
  CHECK(msg.label == static_cast<uint32_t>(s));
  if (s != Status::kOk) {
    CHECK(msg.size == 0);
    CHECK(msg.cap_count == 0);
  }
  return s;
}

}  // namespace

TEST_CASE("generated constants follow the schema", "[stubgen]") {
  STATIC_REQUIRE(Example::kMethodCount == 7);
  STATIC_REQUIRE(static_cast<uint32_t>(Example::Method::kDelete) == 6);
  STATIC_REQUIRE(ex::kColorCount == 3);
  STATIC_REQUIRE(static_cast<uint16_t>(ex::Color::kBlue) == 2);
  STATIC_REQUIRE(Example::kShareRequestMaxCaps == 1);
  STATIC_REQUIRE(Example::kGatherRequestMaxCaps == 2);
  STATIC_REQUIRE(Example::kPingRequestMaxBytes == 0);
  REQUIRE(strcmp(Example::kName, "Example") == 0);
  REQUIRE(Example::kInterfaceId != imp::Painter::kInterfaceId);
  // The dispatcher fits the runtime's type-erased table.
  rpc::DispatchFn fn = &Example::dispatch_erased;
  REQUIRE(fn != nullptr);
  // Defaults: zero, the first enumerant, empty bounded values.
  Example::GatherRequest g;
  REQUIRE(g.kind == ex::Example_Kind::kSmall);
  REQUIRE(g.caps.size == 0);
  REQUIRE(g.pair.second == 0);
  ex::Scalars s;
  REQUIRE(s.color == ex::Color::kRed);
  REQUIRE_FALSE(s.flag);
}

TEST_CASE("local channel: calls go straight to the server", "[stubgen]") {
  TestServer server;
  transport_calls = 0;
  const Example::Client client(Example::local_channel(&server));

  SECTION("a call is a direct call with the caller's own request object") {
    Example::EchoRequest req;
    req.scalars = sample_scalars();
    Example::EchoResponse resp;
    REQUIRE(client.echo(req, resp) == Status::kOk);
    REQUIRE(server.calls == 1);
    REQUIRE(server.last_request == &req);
    REQUIRE(server.last_badge == 0);
    REQUIRE(server.last_direct);  // the capabilities it names are the caller's, lent
    REQUIRE(same(resp.scalars, req.scalars));
    REQUIRE(transport_calls == 0);
  }
  SECTION("capabilities keep their handles") {
    Example::ShareRequest req;
    req.target.handle = 41;
    Example::ShareResponse resp;
    REQUIRE(client.share(req, resp) == Status::kOk);
    REQUIRE(server.last_share.target.handle == 41);
    REQUIRE(resp.peer.handle == 42);
  }
  SECTION("the server's status comes back as is") {
    server.next_status = Status::kNotFound;
    Example::PingRequest req;
    Example::PingResponse resp;
    REQUIRE(client.ping(req, resp) == Status::kNotFound);
    REQUIRE(server.calls == 1);
  }
  SECTION("check() rejects a request the transport could not carry; the server is not called") {
    Example::DrawRequest draw;
    draw.shape = full_shape();
    Example::DrawResponse draw_resp;
    REQUIRE(client.draw(draw, draw_resp) == Status::kOk);
    REQUIRE(server.calls == 1);

    auto rejected = [&](auto mutate) {
      Example::DrawRequest bad = draw;
      mutate(bad);
      const int before = server.calls;
      REQUIRE(client.draw(bad, draw_resp) == Status::kInvalidArgument);
      REQUIRE(server.calls == before);
    };
    rejected([](Example::DrawRequest& r) { r.shape.name.size = 17; });
    rejected([](Example::DrawRequest& r) { r.note.size = 33; });
    rejected([](Example::DrawRequest& r) { r.shape.points.size = 5; });
    rejected([](Example::DrawRequest& r) { r.shape.tags.size = 4; });
    rejected([](Example::DrawRequest& r) { r.shape.blob.size = 9; });
    rejected([](Example::DrawRequest& r) { r.shape.flags.size = 4; });
    rejected([](Example::DrawRequest& r) { r.shape.colors.size = 3; });
    rejected([](Example::DrawRequest& r) { r.shape.colors.items[1] = static_cast<ex::Color>(3); });

    Example::GatherRequest gather;
    gather.kind = static_cast<ex::Example_Kind>(2);
    Example::GatherResponse gather_resp;
    REQUIRE(client.gather(gather, gather_resp) == Status::kInvalidArgument);
    Example::EchoRequest echo;
    echo.scalars.color = static_cast<ex::Color>(0xffff);
    Example::EchoResponse echo_resp;
    REQUIRE(client.echo(echo, echo_resp) == Status::kInvalidArgument);
    REQUIRE(server.calls == 1);
  }
  SECTION("a response out of bounds is kBadMessage, as on the wire") {
    server.bad_response = true;
    Example::EchoRequest req;
    Example::EchoResponse resp;
    REQUIRE(client.echo(req, resp) == Status::kBadMessage);
  }
  SECTION("a local channel to another interface is not a local server for this one") {
    const Example::Client wrong(rpc::Channel::local(&server, imp::Painter::kInterfaceId));
    Example::PingRequest req;
    Example::PingResponse resp;
    REQUIRE(wrong.ping(req, resp) == Status::kNoService);
    REQUIRE(server.calls == 0);
    const Example::Client none{};
    REQUIRE(none.ping(req, resp) == Status::kNoService);
  }
}

TEST_CASE("loopback transport: every type survives the round trip", "[stubgen]") {
  TestServer server;
  transport_calls = 0;
  const Example::Client client(serve<Example>(3, &server, /*badge=*/77));

  SECTION("no parameters, no results") {
    Example::PingRequest req;
    Example::PingResponse resp;
    REQUIRE(client.ping(req, resp) == Status::kOk);
    REQUIRE(server.calls == 1);
    REQUIRE(server.last_badge == 77);
    REQUIRE(!server.last_direct);
    REQUIRE(transport_calls == 1);
  }
  SECTION("every scalar width, bool and enum") {
    Example::EchoRequest req;
    req.scalars = sample_scalars();
    Example::EchoResponse resp;
    REQUIRE(client.echo(req, resp) == Status::kOk);
    REQUIRE(same(resp.scalars, req.scalars));
    REQUIRE(server.last_request != &req);
    req.scalars = ex::Scalars{};
    req.scalars.i64 = INT64_MAX;
    req.scalars.u64 = UINT64_MAX;
    REQUIRE(client.echo(req, resp) == Status::kOk);
    REQUIRE(same(resp.scalars, req.scalars));
  }
  SECTION("text, data, lists of structs, scalars, enums and bools, nested structs") {
    Example::DrawRequest req;
    req.shape = full_shape();
    REQUIRE(req.note.set("thirty-two bytes of note text ok"));
    Example::DrawResponse resp;
    REQUIRE(client.draw(req, resp) == Status::kOk);
    REQUIRE(same(resp.shape, req.shape));
    REQUIRE(resp.area == 32 + (-2 * 3 + 0) + (-1 * 3 + 1) + (0 + 4) + (3 + 9));
    // Empty values travel too.
    req = Example::DrawRequest{};
    REQUIRE(client.draw(req, resp) == Status::kOk);
    REQUIRE(same(resp.shape, ex::Shape{}));
    REQUIRE(resp.area == 0);
  }
  SECTION("byte lists and wider lists") {
    Example::BytesRequest req;
    req.raw.size = 32;
    for (uint32_t i = 0; i < 32; ++i)
      req.raw.items[i] = static_cast<uint8_t>(255 - i);
    req.signed_.size = 3;
    req.signed_.items[0] = -128;
    req.signed_.items[1] = 127;
    req.signed_.items[2] = -1;
    Example::BytesResponse resp;
    REQUIRE(client.bytes(req, resp) == Status::kOk);
    REQUIRE(resp.words.size == 4);
    REQUIRE(resp.words.items[3] == (uint64_t{252} << 56 | 3));
    REQUIRE(resp.halves.size == 3);
    REQUIRE(resp.halves.items[0] == -32768);
    REQUIRE(resp.halves.items[2] == -256);
  }
  SECTION("capabilities in a request and in a response travel as capability transfer") {
    Example::ShareRequest req;
    req.target.handle = 5;
    req.data.size = 16;
    memset(req.data.data, 0x5a, 16);
    Example::ShareResponse resp;
    REQUIRE(client.share(req, resp) == Status::kOk);
    REQUIRE(server.last_share.target.handle == 5 + kHandleShift);  // the server's table
    REQUIRE(server.last_share.data.size == 16);
    REQUIRE(resp.count == 16);
    REQUIRE(resp.peer.handle == 5 + kHandleShift + 1 + kHandleShift);  // back in the client's
  }
  SECTION("a list of capabilities, interface-scoped enum and struct") {
    Example::GatherRequest req;
    req.caps.size = 2;
    req.caps.items[0].handle = 11;
    req.caps.items[1].handle = 12;
    req.kind = ex::Example_Kind::kLarge;
    req.pair = ex::Example_Pair{0xbeef, -5};
    Example::GatherResponse resp;
    REQUIRE(client.gather(req, resp) == Status::kOk);
    REQUIRE(server.last_gather.caps.size == 2);
    REQUIRE(server.last_gather.caps.items[0].handle == 11 + kHandleShift);
    REQUIRE(server.last_gather.caps.items[1].handle == 12 + kHandleShift);
    REQUIRE(resp.kind == ex::Example_Kind::kLarge);
    REQUIRE(resp.pair.first == 0xbeef);
    REQUIRE(resp.pair.second == -5);
  }
  SECTION("C++ keywords as names") {
    Example::DeleteRequest req;
    req.default_ = true;
    Example::DeleteResponse resp;
    REQUIRE(client.delete_(req, resp) == Status::kOk);
    REQUIRE(resp.new_ == 7);
  }
  SECTION("an error status comes back and leaves the response alone") {
    server.next_status = Status::kExists;
    Example::EchoRequest req;
    req.scalars = sample_scalars();
    Example::EchoResponse resp;
    REQUIRE(client.echo(req, resp) == Status::kExists);
    REQUIRE(same(resp.scalars, ex::Scalars{}));
  }
  SECTION("a response the server filled out of bounds is not sent") {
    server.bad_response = true;
    Example::DrawRequest req;
    Example::DrawResponse resp;
    REQUIRE(client.draw(req, resp) == Status::kBadMessage);
  }
  SECTION("check() rejects before anything is sent") {
    Example::DrawRequest req;
    req.note.size = 1000;
    Example::DrawResponse resp;
    REQUIRE(client.draw(req, resp) == Status::kInvalidArgument);
    REQUIRE(transport_calls == 0);
  }
  SECTION("types from an imported schema") {
    TestPainter painter;
    const imp::Painter::Client paint(serve<imp::Painter>(4, &painter));
    imp::Painter::PaintRequest req;
    req.canvas.shapes.size = 2;
    req.canvas.shapes.items[0] = full_shape();
    req.canvas.background = ex::Color::kGreen;
    req.with.handle = 9;
    imp::Painter::PaintResponse resp;
    REQUIRE(paint.paint(req, resp) == Status::kOk);
    REQUIRE(resp.kind == ex::Example_Kind::kLarge);
    imp::Painter::CornerRequest creq;
    creq.point = ex::Point{3, 4};
    imp::Painter::CornerResponse cresp;
    REQUIRE(paint.corner(creq, cresp) == Status::kOk);
    REQUIRE(cresp.point.x == -4);
    REQUIRE(cresp.point.y == 3);
    // lowerCamel names in snake_case: fillArea, fillColor, threadLocal (reserved once
    // converted), pixelCount, maxURLLength.
    imp::Painter::FillAreaRequest freq;
    freq.fill_color = ex::Color::kBlue;
    freq.thread_local_ = true;
    imp::Painter::FillAreaResponse fresp;
    REQUIRE(paint.fill_area(freq, fresp) == Status::kOk);
    REQUIRE(fresp.pixel_count == 64);
    REQUIRE(fresp.max_url_length == 2048);
    STATIC_REQUIRE(static_cast<uint32_t>(imp::Painter::Method::kFillArea) == 2);
    req.canvas.shapes.items[1].colors.size = 9;
    REQUIRE(paint.paint(req, resp) == Status::kInvalidArgument);
  }
  endpoints().clear();
}

TEST_CASE("the largest requests fit the computed worst case", "[stubgen]") {
  Example::DrawRequest draw;
  draw.shape = full_shape();
  REQUIRE(draw.note.set("thirty-two bytes of note text ok"));
  REQUIRE(encoded(Example::Method::kDraw, draw).size == Example::kDrawRequestMaxBytes);
  Example::EchoRequest echo;
  REQUIRE(encoded(Example::Method::kEcho, echo).size == Example::kEchoRequestMaxBytes);
  Example::BytesRequest bytes;
  bytes.raw.size = 32;
  bytes.signed_.size = 4;
  REQUIRE(encoded(Example::Method::kBytes, bytes).size == Example::kBytesRequestMaxBytes);
  Example::GatherRequest gather;
  gather.caps.size = 2;
  const rpc::Message g = encoded(Example::Method::kGather, gather);
  REQUIRE(g.size == Example::kGatherRequestMaxBytes);
  REQUIRE(g.cap_count == Example::kGatherRequestMaxCaps);

  // Every size combination stays within the bound (padding depends on where values end).
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    Example::DrawRequest r;
    r.shape = full_shape();
    r.shape.name.size = rng() % 17;
    r.shape.points.size = rng() % 5;
    r.shape.tags.size = rng() % 4;
    r.shape.blob.size = rng() % 9;
    r.shape.colors.size = rng() % 3;
    r.shape.flags.size = rng() % 4;
    r.note.size = rng() % 33;
    REQUIRE(encoded(Example::Method::kDraw, r).size <= Example::kDrawRequestMaxBytes);
  }
}

// A draw request whose text or list `which` ("name", "points", "tags", "colors" or "flags"; the
// others empty) holds `n` complete items: written field by field as the generated encoder writes
// a Shape, but without its count check, so that `n` may exceed the schema's maximum.
rpc::Message draw_with(const std::string& which, uint32_t n) {
  rpc::Message msg;
  msg.label = static_cast<uint32_t>(Example::Method::kDraw);
  rpc::Writer w(msg);
  auto count = [&](const char* list) {
    const uint32_t c = which == list ? n : 0;
    w.count(c, c);
    return c;
  };
  const std::string name(which == "name" ? n : 0, 'x');
  w.bytes(name.data(), static_cast<uint32_t>(name.size()), static_cast<uint32_t>(name.size()));
  for (uint32_t i = 0, c = count("points"); i < c; ++i) {
    w.scalar<int32_t>(static_cast<int32_t>(i));
    w.scalar<int32_t>(-static_cast<int32_t>(i));
  }
  w.scalar<int32_t>(0);  // origin
  w.scalar<int32_t>(0);
  for (uint32_t i = 0, c = count("tags"); i < c; ++i)
    w.scalar<uint32_t>(100 + i);
  w.bytes("", 0, 8);  // blob
  for (uint32_t i = 0, c = count("colors"); i < c; ++i)
    w.scalar<uint16_t>(static_cast<uint16_t>(ex::Color::kBlue));
  for (uint32_t i = 0, c = count("flags"); i < c; ++i)
    w.boolean(true);
  w.bytes("", 0, 32);  // note
  REQUIRE(w.ok());
  return msg;
}

// The count of the list `which` in `shape`.
uint32_t list_size(const ex::Shape& shape, const std::string& which) {
  if (which == "name") return shape.name.size;
  if (which == "points") return shape.points.size;
  if (which == "tags") return shape.tags.size;
  if (which == "colors") return shape.colors.size;
  return shape.flags.size;
}

TEST_CASE("Reader::count and Writer::count: the maximum is accepted, one more is refused",
          "[stubgen][bad][edge]") {
  // A decoder sizes a list by the count it reads; accepting max + 1 would let it write past
  // items[max].
  for (const uint32_t max : {0u, 1u, 4u, 1023u, 0xfffffffeu}) {
    INFO("max " << max);
    for (const uint32_t n : {max, max + 1}) {
      rpc::Message msg;
      rpc::Writer w(msg);
      w.scalar<uint32_t>(n);
      REQUIRE(w.ok());
      rpc::Reader r(msg);
      uint32_t got = 12345;
      const bool ok = r.count(&got, max);
      if (n <= max) {
        CHECK(ok);
        CHECK(r.ok());
        CHECK(got == n);
      } else {
        CHECK(!ok);
        CHECK(r.status() == Status::kBadMessage);
        CHECK(got == 12345);  // untouched
      }
      rpc::Message out;
      rpc::Writer w2(out);
      w2.count(n, max);
      CHECK(w2.ok() == (n <= max));
    }
  }
}

TEST_CASE("Writer: exactly kMaxBytes fit, one byte more is refused", "[stubgen][bad][edge]") {
  // The payload is the last member of Message: a byte past it is past the message.
  uint8_t bytes[rpc::kMaxBytes] = {};
  rpc::Message msg;
  rpc::Writer w(msg);
  w.bytes(bytes, rpc::kMaxBytes - 4, rpc::kMaxBytes);  // a u32 count and the bytes: all of it
  REQUIRE(w.ok());
  REQUIRE(msg.size == rpc::kMaxBytes);
  w.scalar<uint8_t>(1);
  CHECK(!w.ok());
  CHECK(msg.size == rpc::kMaxBytes);
}

TEST_CASE("Reader: a message claiming more than kMaxBytes reads as empty", "[stubgen][bad][edge]") {
  // The size comes from the sender (the transport's unpack); a decoder must not trust it past
  // the buffer.
  rpc::Message msg;
  rpc::Writer w(msg);
  w.scalar<uint64_t>(7);
  REQUIRE(w.ok());
  for (const uint32_t size : {rpc::kMaxBytes + 1, rpc::kMaxBytes + 8, 0xffffffffu}) {
    INFO("size " << size);
    msg.size = size;
    rpc::Reader r(msg);
    uint64_t v = 0;
    CHECK(!r.scalar(&v));
    CHECK(r.status() == Status::kBadMessage);
  }
  msg.size = 8;
  rpc::Reader ok(msg);
  uint64_t v = 0;
  CHECK(ok.scalar(&v));
  CHECK(v == 7);
}

TEST_CASE("dispatch: every list at exactly its maximum is accepted", "[stubgen][edge]") {
  TestServer server;
  for (const auto& [which, max] : std::vector<std::pair<std::string, uint32_t>>{
           {"name", 16}, {"points", 4}, {"tags", 3}, {"colors", 2}, {"flags", 3}}) {
    INFO(which << ": " << max);
    rpc::Message msg = draw_with(which, max);
    server.calls = 0;
    REQUIRE(dispatch(server, msg) == Status::kOk);
    REQUIRE(server.calls == 1);
    // The test server answers with the shape it got.
    Example::DrawResponse resp;
    rpc::Reader r(msg);
    REQUIRE(ex::detail::decode(r, &resp));
    REQUIRE(list_size(resp.shape, which) == max);
  }
}

TEST_CASE("dispatch rejects malformed requests without calling the server", "[stubgen][bad]") {
  TestServer server;

  SECTION("wrong ordinal") {
    for (uint32_t label : {7u, 8u, 0x100u, 0xffffffffu}) {
      rpc::Message msg;
      msg.label = label;
      REQUIRE(dispatch(server, msg) == Status::kBadMethod);
    }
  }
  SECTION("short message: every truncation of every request") {
    Example::DrawRequest draw;
    draw.shape = full_shape();
    REQUIRE(draw.note.set("a note"));
    Example::EchoRequest echo;
    echo.scalars = sample_scalars();
    Example::ShareRequest share;
    share.data.size = 3;
    Example::BytesRequest bytes;
    bytes.raw.size = 5;
    bytes.signed_.size = 2;
    Example::GatherRequest gather;
    gather.caps.size = 1;
    Example::DeleteRequest del;
    const std::vector<rpc::Message> full = {
        encoded(Example::Method::kDraw, draw),     encoded(Example::Method::kEcho, echo),
        encoded(Example::Method::kShare, share),   encoded(Example::Method::kBytes, bytes),
        encoded(Example::Method::kGather, gather), encoded(Example::Method::kDelete, del)};
    for (const auto& m : full) {
      REQUIRE(m.size > 0);
      for (uint32_t len = 0; len < m.size; ++len) {
        rpc::Message msg = m;
        msg.size = len;
        INFO("method " << m.label << ", " << len << " of " << m.size << " bytes");
        REQUIRE(dispatch(server, msg) == Status::kBadMessage);
      }
      rpc::Message msg = m;
      REQUIRE(dispatch(server, msg) == Status::kOk);
    }
    REQUIRE(server.calls == static_cast<int>(full.size()));
    server.calls = 0;
  }
  SECTION("count over its maximum") {
    // Each message is complete: it carries every item its count announces, and the rest of the
    // request after them, so only the count check can refuse it (a short message would be
    // kBadMessage too, and could not tell the two apart).
    for (const auto& [which, max] : std::vector<std::pair<std::string, uint32_t>>{
             {"name", 16}, {"points", 4}, {"tags", 3}, {"colors", 2}, {"flags", 3}}) {
      INFO(which << ": " << max + 1 << " items, at most " << max);
      rpc::Message over = draw_with(which, max + 1);
      REQUIRE(dispatch(server, over) == Status::kBadMessage);
    }

    rpc::Message raw;
    raw.label = static_cast<uint32_t>(Example::Method::kBytes);
    rpc::Writer wr(raw);
    const uint8_t bytes[33] = {};
    wr.bytes(bytes, 33, 33);  // raw: at most 32
    wr.bytes(bytes, 0, 4);    // signed
    REQUIRE(wr.ok());
    REQUIRE(dispatch(server, raw) == Status::kBadMessage);
  }
  SECTION("bad enum value") {
    Example::EchoRequest echo;
    rpc::Message msg = encoded(Example::Method::kEcho, echo);
    REQUIRE(msg.size == 34);
    uint16_t three = 3;  // Color has 0..2; the enum is the last field, at 32
    memcpy(&msg.data[32], &three, 2);
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);

    Example::GatherRequest gather;
    rpc::Message g = encoded(Example::Method::kGather, gather);
    uint16_t two = 2;  // Example.Kind has 0..1, after the empty caps list's count
    memcpy(&g.data[4], &two, 2);
    REQUIRE(dispatch(server, g) == Status::kBadMessage);
  }
  SECTION("bool that is neither 0 nor 1") {
    Example::EchoRequest echo;
    rpc::Message msg = encoded(Example::Method::kEcho, echo);
    msg.data[0] = 2;
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);
    Example::DeleteRequest del;
    rpc::Message d = encoded(Example::Method::kDelete, del);
    d.data[0] = 0x80;
    REQUIRE(dispatch(server, d) == Status::kBadMessage);
  }
  SECTION("capability index the message does not carry") {
    Example::ShareRequest share;
    rpc::Message msg = encoded(Example::Method::kShare, share);
    REQUIRE(msg.cap_count == 1);
    msg.cap_count = 0;
    REQUIRE(dispatch(server, msg) == Status::kMissingCapability);
    msg = encoded(Example::Method::kShare, share);
    uint32_t one = 1;
    memcpy(&msg.data[0], &one, 4);
    REQUIRE(dispatch(server, msg) == Status::kMissingCapability);
    msg = encoded(Example::Method::kShare, share);
    uint32_t huge = 0xffffffff;
    memcpy(&msg.data[0], &huge, 4);
    REQUIRE(dispatch(server, msg) == Status::kMissingCapability);
  }
  SECTION("size or capability count beyond the message in the header") {
    rpc::Message msg;
    msg.label = static_cast<uint32_t>(Example::Method::kPing);
    msg.size = rpc::kMaxBytes + 1;
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);
    msg.label = static_cast<uint32_t>(Example::Method::kEcho);
    msg.size = 0xffffffff;
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);
    msg.label = static_cast<uint32_t>(Example::Method::kPing);
    msg.size = 0;
    msg.cap_count = rpc::kMaxCaps + 1;
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);
  }
  REQUIRE(server.calls == 0);

  SECTION("trailing bytes (the transport pads to words) are accepted") {
    Example::DeleteRequest del;
    rpc::Message msg = encoded(Example::Method::kDelete, del);
    msg.size = 8;
    REQUIRE(dispatch(server, msg) == Status::kOk);
    REQUIRE(server.calls == 1);
  }
}

TEST_CASE("received capabilities: kept by a handler that succeeds, dropped otherwise",
          "[stubgen][caps]") {
  // Issue 10, item 1: a server kept every capability a message carried, so 256 calls with 4
  // each filled its table. Extra capabilities a request does not name go at once; the ones it
  // names go with a failed call; a successful handler owns them.
  TestServer server;
  dropped().clear();
  Example::ShareRequest share;
  share.target.handle = 0;  // index 0 in the message
  auto with_extras = [&] {
    rpc::Message msg = encoded(Example::Method::kShare, share);
    REQUIRE(msg.cap_count == 1);
    msg.cap_count = 4;  // three more the request does not name
    for (uint32_t i = 0; i < 4; ++i)
      msg.caps[i] = 100 + i;
    return msg;
  };
  SECTION("a successful call keeps the named one and drops the rest") {
    rpc::Message msg = with_extras();
    REQUIRE(dispatch(server, msg) == Status::kOk);
    CHECK(server.last_share.target.handle == 100);
    CHECK(dropped() == std::vector<uint32_t>{101, 102, 103});
  }
  SECTION("a failed handler keeps nothing") {
    server.next_status = Status::kNotFound;
    rpc::Message msg = with_extras();
    REQUIRE(dispatch(server, msg) == Status::kNotFound);
    CHECK(dropped() == std::vector<uint32_t>{101, 102, 103, 100});
  }
  SECTION("a method that takes none drops them all") {
    Example::PingRequest ping;
    rpc::Message msg = encoded(Example::Method::kPing, ping);
    msg.cap_count = 4;
    for (uint32_t i = 0; i < 4; ++i)
      msg.caps[i] = 200 + i;
    REQUIRE(dispatch(server, msg) == Status::kOk);
    CHECK(dropped() == std::vector<uint32_t>{200, 201, 202, 203});
  }
  SECTION("a malformed request, a bad method or a bad header: all dropped, nothing called") {
    rpc::Message msg = with_extras();
    msg.size = 2;  // truncated
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);
    msg = with_extras();
    msg.label = 99;
    REQUIRE(dispatch(server, msg) == Status::kBadMethod);
    msg = with_extras();
    msg.size = rpc::kMaxBytes + 8;
    REQUIRE(dispatch(server, msg) == Status::kBadMessage);
    CHECK(dropped().size() == 12);
    CHECK(server.calls == 0);
  }
  SECTION("a list of capabilities: each named one is kept") {
    Example::GatherRequest gather;
    gather.caps.size = 2;
    gather.caps.items[0].handle = 0;
    gather.caps.items[1].handle = 1;
    rpc::Message msg = encoded(Example::Method::kGather, gather);
    msg.cap_count = 3;
    for (uint32_t i = 0; i < 3; ++i)
      msg.caps[i] = 300 + i;
    REQUIRE(dispatch(server, msg) == Status::kOk);
    CHECK(dropped() == std::vector<uint32_t>{302});
  }
}

// A server that answers whatever it is told to: `label` (a Status), and `caps` capabilities
// whether or not the label is an error; the share response names index 0 when it succeeds.
struct RawReply {
  uint32_t label = 0;
  uint32_t caps = 0;
};
RawReply g_raw_reply;
Status raw_dispatch(void*, rpc::Message& msg, const rpc::CallContext&) {
  rpc::drop_caps(msg, rpc::kAllCaps);
  Example::ShareResponse resp;
  resp.peer.handle = 0;
  rpc::Writer w(msg);
  ex::detail::encode(w, resp);
  msg.label = g_raw_reply.label;
  msg.cap_count = g_raw_reply.caps;
  for (uint32_t i = 0; i < g_raw_reply.caps; ++i)
    msg.caps[i] = 500 + i;
  return static_cast<Status>(g_raw_reply.label);
}

TEST_CASE("a client drops the capabilities of an error reply and those the response leaves out",
          "[stubgen][caps]") {
  endpoints()[9] = {nullptr, &raw_dispatch, 0};
  Example::Client client(rpc::Channel::ipc(9, Example::kInterfaceId));
  Example::ShareRequest req;
  Example::ShareResponse resp;
  dropped().clear();
  SECTION("an error reply carrying capabilities") {
    g_raw_reply = {static_cast<uint32_t>(Status::kNotFound), 2};
    REQUIRE(client.share(req, resp) == Status::kNotFound);
    CHECK(dropped() == std::vector<uint32_t>{req.target.handle + kHandleShift, 500 + kHandleShift,
                                             501 + kHandleShift});
  }
  SECTION("a successful reply: the one the response names is the caller's, the rest go") {
    g_raw_reply = {0, 3};
    REQUIRE(client.share(req, resp) == Status::kOk);
    CHECK(resp.peer.handle == 500 + kHandleShift);
    CHECK(dropped() == std::vector<uint32_t>{req.target.handle + kHandleShift, 501 + kHandleShift,
                                             502 + kHandleShift});
  }
  SECTION("a reply that does not decode") {
    g_raw_reply = {0, 0};  // names capability 0, which the reply does not carry
    REQUIRE(client.share(req, resp) == Status::kMissingCapability);
  }
  endpoints().erase(9);
}

TEST_CASE("dispatch survives random bytes", "[stubgen][fuzz]") {
  TestServer server;
  std::mt19937_64 rng(0x484d4b);  // fixed seed: the same 100,000 messages every run
  const std::vector<rpc::Message> seeds = [] {
    Example::DrawRequest draw;
    draw.shape = full_shape();
    Example::EchoRequest echo;
    echo.scalars = sample_scalars();
    Example::ShareRequest share;
    share.data.size = 16;
    Example::BytesRequest bytes;
    bytes.raw.size = 32;
    bytes.signed_.size = 4;
    Example::GatherRequest gather;
    gather.caps.size = 2;
    Example::DeleteRequest del;
    return std::vector<rpc::Message>{
        encoded(Example::Method::kDraw, draw),     encoded(Example::Method::kEcho, echo),
        encoded(Example::Method::kShare, share),   encoded(Example::Method::kBytes, bytes),
        encoded(Example::Method::kGather, gather), encoded(Example::Method::kDelete, del)};
  }();
  int counts[rpc::kStatusCount] = {};
  for (int n = 0; n < 100000; ++n) {
    rpc::Message msg;
    if (n % 2 == 0) {
      // Pure noise: random header and payload.
      msg.label = rng() % 4 == 0 ? static_cast<uint32_t>(rng()) : rng() % 9;
      msg.size = rng() % 8 == 0 ? static_cast<uint32_t>(rng()) : rng() % (rpc::kMaxBytes + 64);
      msg.cap_count = rng() % (rpc::kMaxCaps + 2);
      for (uint32_t i = 0; i < rpc::kMaxBytes; i += 8) {
        const uint64_t word = rng() % 3 == 0 ? rng() % 4 : rng();
        memcpy(&msg.data[i], &word, 8);
      }
    } else {
      // A valid request with a few bytes, its length or its capabilities damaged.
      msg = seeds[rng() % seeds.size()];
      const int flips = 1 + rng() % 4;
      for (int f = 0; f < flips && msg.size > 0; ++f)
        msg.data[rng() % msg.size] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) msg.size = rng() % (msg.size + 16);
      if (rng() % 4 == 0) msg.cap_count = rng() % (rpc::kMaxCaps + 2);
    }
    for (uint32_t i = 0; i < rpc::kMaxCaps; ++i)
      msg.caps[i] = static_cast<uint32_t>(rng());
    const int before = server.calls;
    const Status s = Example::dispatch(server, msg, rpc::CallContext{});
    REQUIRE(static_cast<uint32_t>(s) < rpc::kStatusCount);
    REQUIRE(msg.label == static_cast<uint32_t>(s));
    REQUIRE(msg.size <= rpc::kMaxBytes);
    REQUIRE(msg.cap_count <= rpc::kMaxCaps);
    if (s == Status::kOk) {
      REQUIRE(server.calls == before + 1);
    } else {
      REQUIRE(
          (s == Status::kBadMethod || s == Status::kBadMessage || s == Status::kMissingCapability));
      REQUIRE(server.calls == before);
      REQUIRE(msg.size == 0);
    }
    ++counts[static_cast<uint32_t>(s)];
  }
  // The corpus reaches every outcome, so the loop exercised the decoders, not just the header.
  CHECK(counts[static_cast<uint32_t>(Status::kOk)] > 1000);
  CHECK(counts[static_cast<uint32_t>(Status::kBadMethod)] > 1000);
  CHECK(counts[static_cast<uint32_t>(Status::kBadMessage)] > 1000);
  CHECK(counts[static_cast<uint32_t>(Status::kMissingCapability)] > 100);
}
