@0xe2c9f7a3b5d1086b;
# expect: tools/capnpc-hmk/testdata/bad/unbounded_text.capnp: interface Names, method rename, field to: Text needs $Hmk.maxSize(N): the transport cannot carry an unbounded value

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

interface Names {
  rename @0 (from :Text $Hmk.maxSize(64), to :Text) -> ();
}
