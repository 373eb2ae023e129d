@0xf8c1e5b2d7a04361;
# expect: tools/capnpc-hmk/testdata/bad/stream.capnp: interface Sink, method push: streaming (-> stream) is not supported: every call gets a reply

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

interface Sink {
  push @0 (data :Data $Hmk.maxSize(64)) -> stream;
}
