@0xe5c8a1d4b7f03926;
# expect: tools/capnpc-hmk/testdata/bad/max_size.capnp: interface Limits, method set, field count: $Hmk.maxSize applies only to Text, Data and List, not UInt32
# expect: tools/capnpc-hmk/testdata/bad/max_size.capnp: interface Limits, method set, field empty: $Hmk.maxSize(0) on Text: the bound must be at least 1
# expect: tools/capnpc-hmk/testdata/bad/max_size.capnp: interface Limits, method set, field huge: $Hmk.maxSize(2000) on Data is over 1024 (rpc::kMaxBytes): no message could carry it

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";

interface Limits {
  set @0 (count :UInt32 $Hmk.maxSize(4), empty :Text $Hmk.maxSize(0), huge :Data $Hmk.maxSize(2000)) -> ();
}
