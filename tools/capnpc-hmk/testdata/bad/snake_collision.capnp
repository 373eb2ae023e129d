@0xc3e5a7f1b9d20846;
# expect: tools/capnpc-hmk/testdata/bad/snake_collision.capnp: interface Cache, method getTtl: the C++ name get_ttl is also that of method getTTL: rename one
# expect: tools/capnpc-hmk/testdata/bad/snake_collision.capnp: interface Cache, method put, field maxTtl: the C++ name max_ttl is also that of field maxTTL: rename one
# expect: tools/capnpc-hmk/testdata/bad/snake_collision.capnp: struct Entry, field keyId: the C++ name key_id is also that of field keyID: rename one

# Generated methods and fields are in snake_case; names that differ only in the case of a run of
# capitals become one.

struct Entry {
  keyID @0 :UInt64;
  keyId @1 :UInt64;
}

interface Cache {
  getTTL @0 () -> (seconds :UInt32);
  getTtl @1 () -> (seconds :UInt32);
  put @2 (maxTTL :UInt32, maxTtl :UInt32) -> ();
}
