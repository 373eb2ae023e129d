@0xa9d3f0c6e8b2417c;
# expect: tools/capnpc-hmk/testdata/bad/list_of_lists.capnp: interface Matrix, method load, field rows: List(List(UInt32)) is not supported: $Hmk.maxSize bounds the list, its elements would be unbounded

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

interface Matrix {
  load @0 (rows :List(List(UInt32)) $Hmk.maxSize(4)) -> ();
}
