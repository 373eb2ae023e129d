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

  fillArea @2 (fillColor :Example.Color, threadLocal :Bool) -> (pixelCount :UInt32, maxURLLength :UInt16);
  # lowerCamel names become snake_case (fill_area, fill_color, pixel_count, max_url_length), and
  # one that C++ reserves gets a trailing underscore (thread_local_).
}
