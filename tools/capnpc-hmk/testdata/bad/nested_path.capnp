@0xd4b7f0c3a6e92815;
# expect: tools/capnpc-hmk/testdata/bad/nested_path.capnp: interface Maps, method locate, field area (struct Area, field corner (struct Corner, field lat)): Float32 is not supported: the kernel builds without floating-point registers (-mgeneral-regs-only)
# expect: tools/capnpc-hmk/testdata/bad/nested_path.capnp: struct Unused, field weight: Float64 is not supported: the kernel builds without floating-point registers (-mgeneral-regs-only)

struct Corner {
  lat @0 :Float32;
}

struct Area {
  id @0 :UInt32;
  corner @1 :Corner;
}

struct Unused {
  weight @0 :Float64;
}

interface Maps {
  locate @0 (area :Area) -> ();
  again @1 (area :Area) -> ();
}
