@0xd4b8e1f6a0c3957a;
# expect: tools/capnpc-hmk/testdata/bad/group.capnp: interface Points, method move, field to (struct Place, field position): groups are not supported: declare a struct instead

struct Place {
  position :group {
    x @0 :Int32;
    y @1 :Int32;
  }
}

interface Points {
  move @0 (to :Place) -> ();
}
