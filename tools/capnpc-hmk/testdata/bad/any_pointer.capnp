@0xf0a3d6b9c2e71548;
# expect: tools/capnpc-hmk/testdata/bad/any_pointer.capnp: interface Store, method put, field value: AnyPointer is not supported: the generator needs a concrete type

interface Store {
  put @0 (key :UInt32, value :AnyPointer) -> ();
}
