// IOP: I/O port capabilities (io_port_in 33, io_port_out 34). The suite's manifest line grants
// the CMOS/RTC index and data ports as "cmos" (ioports=cmos:0x70:2, test/native/BUILD): a device
// every QEMU PC has and nothing else uses, whose status register D reads a known value.
#include "core/lib/string.h"
#include "svc/lib/bootinfo.h"
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;

constexpr uint16_t kCmosIndex = 0x70;
constexpr uint16_t kCmosData = 0x71;
constexpr uint8_t kCmosSeconds = 0x00;
constexpr uint8_t kCmosStatusD = 0x0d;  // bit 7: valid RAM and time; the rest reads 0
constexpr uint32_t kPortRights = abi::kRightRead | abi::kRightWrite;

// The suite's IoPorts capability, from the bootstrap table (kNullHandle if the manifest gave
// none, which the tests then report).
Handle cmos() {
  const abi::BootCap* cap = rt::find_boot_cap("cmos", abi::BootCapKind::kIoPorts);
  return cap != nullptr ? cap->handle : abi::kNullHandle;
}

HMK_TEST(IOP_0001, "the manifest's ioports= range is in the bootstrap table, with Read|Write") {
  const abi::BootInfo* info = rt::boot_info();
  REQUIRE(info != nullptr);
  CHECK_GE(info->client_number, 1u);
  CHECK_EQ(info->count, 2u);  // the suite's line gives these ports and interrupt control only
  CHECK_EQ(mem_compare(info->program, "/bin/suite", 11), 0);
  const abi::BootCap* cap = rt::find_boot_cap("cmos", abi::BootCapKind::kIoPorts);
  REQUIRE(cap != nullptr);
  CHECK_EQ(cap->index, kCmosIndex);
  const rt::CapInfo ci = MUST(rt::cap_info(cap->handle));
  CHECK_EQ(ci.type, abi::ObjectType::kIoPorts);
  CHECK_EQ(ci.rights, kPortRights);
  CHECK_EQ(ci.badge, 0u);
  // Lookups by another kind or name find nothing.
  CHECK(rt::find_boot_cap("cmos", abi::BootCapKind::kService) == nullptr);
  CHECK(rt::find_boot_cap("cmo", abi::BootCapKind::kIoPorts) == nullptr);
  CHECK(rt::find_boot_cap("cmos2", abi::BootCapKind::kIoPorts) == nullptr);
}

HMK_TEST(IOP_0002, "reads and writes inside the range reach the device (CMOS registers)") {
  const Handle h = cmos();
  REQUIRE(h != abi::kNullHandle);
  // Select status register D (bit 7 of the index clear: NMIs stay enabled), read it back.
  REQUIRE_OK(rt::io_port_out(h, kCmosIndex, 1, kCmosStatusD));
  CHECK_EQ(MUST(rt::io_port_in(h, kCmosData, 1)), 0x80u);
  REQUIRE_OK(rt::io_port_out(h, kCmosIndex, 1, kCmosSeconds));
  CHECK_LT(MUST(rt::io_port_in(h, kCmosData, 1)), 0x60u);  // BCD 00..59
  // A two-byte access covers both ports of the range.
  CHECK_OK(rt::io_port_in(h, kCmosIndex, 2));
}

HMK_TEST(IOP_0003, "accesses outside the range, or running past its end, are OutOfRange") {
  const Handle h = cmos();
  REQUIRE(h != abi::kNullHandle);
  CHECK_STATUS(rt::io_port_in(h, kCmosIndex - 1, 1), Status::kOutOfRange);
  CHECK_STATUS(rt::io_port_in(h, kCmosData + 1, 1), Status::kOutOfRange);
  CHECK_STATUS(rt::io_port_in(h, kCmosData, 2), Status::kOutOfRange);   // 0x71..0x72
  CHECK_STATUS(rt::io_port_in(h, kCmosIndex, 4), Status::kOutOfRange);  // 0x70..0x73
  CHECK_STATUS(rt::io_port_in(h, 0xffff, 1), Status::kOutOfRange);
  CHECK_STATUS(rt::io_port_in(h, 0, 4), Status::kOutOfRange);
  CHECK_STATUS(rt::io_port_out(h, kCmosData + 1, 1, 0), Status::kOutOfRange);
  CHECK_STATUS(rt::io_port_out(h, kCmosData, 4, 0), Status::kOutOfRange);
  // Port numbers beyond 16 bits, through the raw call.
  const uint64_t huge[] = {0x10000, 0x10070, 1ull << 32 | kCmosIndex, ~0ull};
  for (uint64_t port : huge) {
    CHECK_STATUS(rt::raw_syscall(abi::Syscall::kIoPortIn, h, port, 1).status, Status::kOutOfRange);
    CHECK_STATUS(rt::raw_syscall(abi::Syscall::kIoPortOut, h, port, 1, 0).status,
                 Status::kOutOfRange);
  }
}

HMK_TEST(IOP_0004, "widths other than 1, 2 and 4, and values wider than the access, are invalid") {
  const Handle h = cmos();
  REQUIRE(h != abi::kNullHandle);
  const uint64_t widths[] = {0, 3, 5, 8, 0x101, 1ull << 32 | 1, ~0ull};
  for (uint64_t width : widths) {
    CHECK_STATUS(rt::raw_syscall(abi::Syscall::kIoPortIn, h, kCmosIndex, width).status,
                 Status::kInvalidArgument);
    CHECK_STATUS(rt::raw_syscall(abi::Syscall::kIoPortOut, h, kCmosIndex, width, 0).status,
                 Status::kInvalidArgument);
  }
  CHECK_STATUS(rt::io_port_out(h, kCmosIndex, 1, 0x100), Status::kInvalidArgument);
  CHECK_STATUS(rt::io_port_out(h, kCmosIndex, 2, 0x10000), Status::kInvalidArgument);
  CHECK_STATUS(rt::raw_syscall(abi::Syscall::kIoPortOut, h, kCmosIndex, 1, 1ull << 32).status,
               Status::kInvalidArgument);
  // The refusals wrote nothing: register D is still selected after this.
  REQUIRE_OK(rt::io_port_out(h, kCmosIndex, 1, kCmosStatusD));
  CHECK_STATUS(rt::io_port_out(h, kCmosIndex, 1, 0xfff0), Status::kInvalidArgument);
  CHECK_EQ(MUST(rt::io_port_in(h, kCmosData, 1)), 0x80u);
}

HMK_TEST(IOP_0005, "other object types, empty and out-of-range handles are InvalidCapability") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf); rt::cap_delete(mem));
  const Handle bad[] = {abi::kNullHandle, 0xfffff,          0xffff'ffff,  ep, ntf, mem,
                        abi::kSelfSpace,  abi::kSelfThread, irq_control()};
  for (Handle b : bad) {
    CHECK_STATUS(rt::io_port_in(b, kCmosData, 1), Status::kInvalidCapability);
    CHECK_STATUS(rt::io_port_out(b, kCmosIndex, 1, kCmosSeconds), Status::kInvalidCapability);
  }
  CHECK_STATUS(rt::raw_syscall(abi::Syscall::kIoPortIn, 1ull << 32 | cmos(), kCmosData, 1).status,
               Status::kInvalidCapability);
}

HMK_TEST(IOP_0006, "a capability derived with fewer rights does only what they allow") {
  const Handle h = cmos();
  REQUIRE(h != abi::kNullHandle);
  const Handle read_only = MUST(rt::cap_derive(h, abi::kRightRead));
  const Handle write_only = MUST(rt::cap_derive(h, abi::kRightWrite));
  const Handle neither = MUST(rt::cap_derive(h, 0));
  DEFER(rt::cap_delete(read_only); rt::cap_delete(write_only); rt::cap_delete(neither));
  CHECK_OK(rt::io_port_in(read_only, kCmosData, 1));
  CHECK_STATUS(rt::io_port_out(read_only, kCmosIndex, 1, kCmosSeconds), Status::kPermissionDenied);
  CHECK_OK(rt::io_port_out(write_only, kCmosIndex, 1, kCmosSeconds));
  CHECK_STATUS(rt::io_port_in(write_only, kCmosData, 1), Status::kPermissionDenied);
  CHECK_STATUS(rt::io_port_in(neither, kCmosData, 1), Status::kPermissionDenied);
  CHECK_STATUS(rt::io_port_out(neither, kCmosIndex, 1, kCmosSeconds), Status::kPermissionDenied);
  // Rights never grow back, and port capabilities take no badge.
  CHECK_STATUS(rt::cap_derive(read_only, kPortRights), Status::kPermissionDenied);
  CHECK_STATUS(rt::cap_derive(h, kPortRights, 7), Status::kInvalidArgument);
  // A missing right is reported before a bad width or port.
  CHECK_STATUS(rt::io_port_in(write_only, 0, 3), Status::kPermissionDenied);
}

HMK_TEST(IOP_0007, "revoking a derived port capability removes its copies, not the original") {
  const Handle h = cmos();
  REQUIRE(h != abi::kNullHandle);
  const Handle child = MUST(rt::cap_derive(h, kPortRights));
  const Handle copy = MUST(rt::cap_copy_to(abi::kSelfSpace, child, abi::kRightRead));
  CHECK_OK(rt::io_port_in(copy, kCmosData, 1));
  CHECK_OK(rt::cap_revoke(child));
  CHECK_STATUS(rt::io_port_in(copy, kCmosData, 1), Status::kInvalidCapability);
  CHECK_OK(rt::io_port_in(child, kCmosData, 1));
  CHECK_OK(rt::cap_delete(child));
  CHECK_OK(rt::io_port_in(h, kCmosData, 1));
}

}  // namespace
}  // namespace hmk::test
