@0xb7e4a1d8f3c6920d;
# expect: tools/capnpc-hmk/testdata/bad/generic.capnp: interface Boxes, method put, field box: generic struct Box is not supported

struct Box(T) {
  value @0 :T;
}

interface Boxes {
  put @0 (box :Box(Text)) -> ();
}
