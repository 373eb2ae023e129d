@0xc5f8b2e9a4d7103e;
# expect: tools/capnpc-hmk/testdata/bad/extends.capnp: interface Child: interface inheritance (extends) is not supported: declare the methods in one interface

interface Parent {
  ping @0 () -> ();
}

interface Child extends(Parent) {
  pong @0 () -> ();
}
