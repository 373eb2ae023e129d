@0xd1c0a2e4f6b83957;
# The stub generator's test schema: every supported type once.

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
$Hmk.namespace("hmk::test::example");

enum Color {
  # A color.
  red @0;
  # The first one: the default.
  green @1;
  blue @2;
}

struct Point {
  # A point on the plane.
  x @0 :Int32;
  y @1 :Int32;
}

struct Scalars {
  # One field of every scalar type, in an order that needs padding.
  flag @0 :Bool;
  i8 @1 :Int8;
  i16 @2 :Int16;
  i32 @3 :Int32;
  i64 @4 :Int64;
  u8 @5 :UInt8;
  u16 @6 :UInt16;
  u32 @7 :UInt32;
  u64 @8 :UInt64;
  color @9 :Color;
}

struct Shape {
  # A named polygon: a struct holding a list of structs.
  name @0 :Text $Hmk.maxSize(16);
  points @1 :List(Point) $Hmk.maxSize(4);
  # Corners, in order.
  origin @2 :Point;
  tags @3 :List(UInt32) $Hmk.maxSize(3);
  blob @4 :Data $Hmk.maxSize(8);
  colors @5 :List(Color) $Hmk.maxSize(2);
  flags @6 :List(Bool) $Hmk.maxSize(3);
}

interface Example {
  # Exercises the generated client, dispatcher and codecs.

  ping @0 () -> ();
  # Does nothing.

  echo @1 (scalars :Scalars) -> (scalars :Scalars);
  # Returns its argument.

  draw @2 (shape :Shape, note :Text $Hmk.maxSize(32)) -> (area :UInt64, shape :Shape);
  # Returns the shape and a number computed from it.

  share @3 (target :Example, data :Data $Hmk.maxSize(16)) -> (peer :Example, count :UInt32);
  # Takes a capability and hands one back.

  bytes @4 (raw :List(UInt8) $Hmk.maxSize(32), signed :List(Int8) $Hmk.maxSize(4))
      -> (words :List(UInt64) $Hmk.maxSize(4), halves :List(Int16) $Hmk.maxSize(3));
  # Byte lists travel as bytes; other lists element by element.

  gather @5 (caps :List(Example) $Hmk.maxSize(2), kind :Example.Kind, pair :Example.Pair)
      -> (kind :Example.Kind, pair :Example.Pair);
  # A list of capabilities, and types declared inside the interface.

  delete @6 (default :Bool) -> (new :UInt8);
  # Names C++ reserves get a trailing underscore.

  enum Kind {
    small @0;
    large @1;
  }

  struct Pair {
    first @0 :UInt16;
    second @1 :Int64;
  }
}
