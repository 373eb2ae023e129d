@0xb1e0c4a7d2f35968;
# expect: tools/capnpc-hmk/testdata/bad/float.capnp: interface Files, method stat, field info (struct NodeInfo, field when): Float64 is not supported: the kernel builds without floating-point registers (-mgeneral-regs-only)

struct NodeInfo {
  size @0 :UInt64;
  when @1 :Float64;
}

interface Files {
  stat @0 (node :UInt64) -> (info :NodeInfo);
}
