@0xc3a6e9b2f5d81704;
# expect: tools/capnpc-hmk/testdata/bad/generic_method.capnp: interface Maps, method get: generic methods are not supported
# expect: tools/capnpc-hmk/testdata/bad/generic_method.capnp: interface Table: generic interfaces are not supported

interface Maps {
  get @0 [T] (key :T) -> ();
}

interface Table(T) {
  put @0 (value :T) -> ();
}
