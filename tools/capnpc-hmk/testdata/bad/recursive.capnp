@0xa0d2f6c3e8b15472;
# expect: tools/capnpc-hmk/testdata/bad/recursive.capnp: interface Trees, method plant, field root (struct Node, field children): struct Node contains itself: its C++ layout would be unbounded

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

struct Node {
  value @0 :UInt32;
  children @1 :List(Node) $Hmk.maxSize(2);
}

interface Trees {
  plant @0 (root :Node) -> ();
}
