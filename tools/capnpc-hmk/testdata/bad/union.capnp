@0xc7f2a0e5b3d84619;
# expect: tools/capnpc-hmk/testdata/bad/union.capnp: interface Shapes, method add, field shape (struct Shape, field circle): unions are not supported: a generated struct has no variants

struct Shape {
  union {
    circle @0 :UInt32;
    square @1 :UInt32;
  }
}

interface Shapes {
  add @0 (shape :Shape) -> ();
}
