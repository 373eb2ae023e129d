// Round-trips a message through the capnp-generated C++ code.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <catch2/catch.hpp>

#include "platform/toolchains/tests/smoke.capnp.h"

TEST_CASE("capnp round trip", "[capnp]") {
  capnp::MallocMessageBuilder builder;
  auto g = builder.initRoot<hmk::smoke::Greeting>();
  g.setText("hello hmk");
  g.setCount(42);
  auto tags = g.initTags(2);
  tags.set(0, "kernel");
  tags.set(1, "user");

  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  capnp::FlatArrayMessageReader reader(words.asPtr());
  auto r = reader.getRoot<hmk::smoke::Greeting>();
  REQUIRE(r.getText() == "hello hmk");
  REQUIRE(r.getCount() == 42u);
  REQUIRE(r.getTags().size() == 2u);
  REQUIRE(r.getTags()[1] == "user");
}
