@0xb1e3a7d4f9c26583;
# expect: tools/capnpc-hmk/testdata/bad/default_value.capnp: struct Settings, field retries: non-zero default values are not supported: generated fields start at zero

struct Settings {
  retries @0 :UInt32 = 3;
}
