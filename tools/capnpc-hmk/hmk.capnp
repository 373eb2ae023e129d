@0x8e167e33ecec9fe7;
# Annotations for HMK service schemas, read by the stub generator (tools/capnpc-hmk, see
# docs/services.md). Import it as
#
#     using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
#
# The file and annotation ids are fixed: the generator recognizes the annotations by id.

annotation maxSize @0xeaea1202ef027f45 (field, param) :UInt32;
# The most elements (List), bytes (Data) or bytes without a terminator (Text) a value may hold.
# Required on every Text, Data and List field and parameter: the transport carries bounded
# values only. At least 1, at most 1024 (rpc::kMaxBytes).

annotation namespace @0x8b23d8bf22a4b150 (file) :Text;
# The C++ namespace of the generated header, e.g. "hmk::svc::ramfs". Without it the namespace
# is hmk::svc::<file name without .capnp>.
