@0xf0d393264d7d40f1;
# A test-only service that reports on the domain it runs in, so that a test can check what a
# domain's other services do to its resources (test/services/hardening_test.cc). Placed beside
# the services under test in the hardening images; never in a product profile.

using Hmk = import "/tools/capnpc-hmk/hmk.capnp";
$Hmk.namespace("hmk::test::probe");

interface Probe {
  usage @0 () -> (usage :DomainUsage);
  # What the domain's process holds now.
}

struct DomainUsage {
  quotaUsed @0 :UInt64;
  # Bytes of its quota account in use: objects, capability-table pages, page tables, mappings.
  quotaLimit @1 :UInt64;
}
