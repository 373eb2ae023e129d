@0xdfd3fb4f3beb28e8;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hmk::smoke");

struct Greeting {
  text @0 :Text;
  count @1 :UInt32;
  tags @2 :List(Text);
}
