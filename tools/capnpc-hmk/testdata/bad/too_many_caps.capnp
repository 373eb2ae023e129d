@0xe7b0d4a1c6f93250;
# expect: tools/capnpc-hmk/testdata/bad/too_many_caps.capnp: interface Hub, method connect: the request can carry 5 capabilities, more than a message carries (rpc::kMaxCaps = 4)

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

interface Hub {
  connect @0 (first :Hub, others :List(Hub) $Hmk.maxSize(4)) -> ();
}
