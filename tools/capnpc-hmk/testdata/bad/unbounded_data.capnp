@0xc2f4b8e5a0d37694;
# expect: tools/capnpc-hmk/testdata/bad/unbounded_data.capnp: interface Ramfs, method write, field data: Data needs $Hmk.maxSize(N): the transport cannot carry an unbounded value
# expect: tools/capnpc-hmk/testdata/bad/unbounded_data.capnp: interface Ramfs, method list, field names: List(UInt32) needs $Hmk.maxSize(N): the transport cannot carry an unbounded value

interface Ramfs {
  write @0 (node :UInt64, data :Data) -> (written :UInt32);
  list @1 (node :UInt64) -> (names :List(UInt32));
}
