@0xe7b2c95a41d0f368;
# A schema that imports another: types and capabilities across files.

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
using Example = import "/tools/capnpc-hmk/testdata/example.capnp";

struct Canvas {
  shapes @0 :List(Example.Shape) $Hmk.maxSize(2);
  background @1 :Example.Color;
}

interface Painter {
  # Draws on a canvas through an Example capability.

  paint @0 (canvas :Canvas, with :Example.Example) -> (kind :Example.Example.Kind);
  corner @1 (point :Example.Point) -> (point :Example.Point);
}
