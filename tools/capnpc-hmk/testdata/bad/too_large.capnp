@0xd6a9c3f0b5e8214f;
# expect: tools/capnpc-hmk/testdata/bad/too_large.capnp: interface Blobs, method put: the request can take 1212 bytes, more than a message carries (rpc::kMaxBytes = 1024)

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

interface Blobs {
  put @0 (key :UInt32, first :Data $Hmk.maxSize(600), second :Data $Hmk.maxSize(600)) -> ();
}
