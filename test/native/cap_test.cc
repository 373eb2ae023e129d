// CAP: capability derivation, badges, deletion, revocation, cap_info and cap_copy_to.
#include "test/native/harness.h"
#include "test/native/util.h"

namespace hmk::test {
namespace {

using abi::Handle;
using abi::ObjectType;

constexpr uint32_t kEndpointRights = abi::kRightSend | abi::kRightReceive | abi::kRightGrant;

HMK_TEST(CAP_0001, "cap_info reports type, rights and badge of new and initial capabilities") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf); rt::cap_delete(mem));
  rt::CapInfo info = MUST(rt::cap_info(ep));
  CHECK_EQ(info.type, ObjectType::kEndpoint);
  CHECK_EQ(info.rights & kEndpointRights, kEndpointRights);
  CHECK_EQ(info.badge, 0u);
  info = MUST(rt::cap_info(ntf));
  CHECK_EQ(info.type, ObjectType::kNotification);
  CHECK_EQ(info.rights & (abi::kRightSend | abi::kRightReceive),
           abi::kRightSend | abi::kRightReceive);
  info = MUST(rt::cap_info(mem));
  CHECK_EQ(info.type, ObjectType::kMemory);
  CHECK_EQ(info.rights & kRwx, kRwx);
  info = MUST(rt::cap_info(abi::kSelfSpace));
  CHECK_EQ(info.type, ObjectType::kSpace);
  CHECK_EQ(info.rights, abi::kRightsAll);
  info = MUST(rt::cap_info(abi::kSelfThread));
  CHECK_EQ(info.type, ObjectType::kThread);
  CHECK_EQ(info.rights, abi::kRightsAll);
  info = MUST(rt::cap_info(irq_control()));  // the suite's line says irq_control=yes
  CHECK_EQ(info.type, ObjectType::kIrqControl);
  CHECK_EQ(info.rights, abi::kRightManage);
  CHECK_NE(ep, ntf);
  CHECK_NE(ep, mem);
}

HMK_TEST(CAP_0002, "cap_derive with a subset of rights gives a new handle with exactly those") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(mem));
  const Handle send = MUST(rt::cap_derive(ep, abi::kRightSend));
  CHECK_NE(send, ep);
  rt::CapInfo info = MUST(rt::cap_info(send));
  CHECK_EQ(info.type, ObjectType::kEndpoint);
  CHECK_EQ(info.rights, abi::kRightSend);
  CHECK_EQ(info.badge, 0u);
  const Handle read = MUST(rt::cap_derive(mem, abi::kRightRead));
  info = MUST(rt::cap_info(read));
  CHECK_EQ(info.type, ObjectType::kMemory);
  CHECK_EQ(info.rights, abi::kRightRead);
  // A derived capability can be derived again, narrowing further.
  const Handle none = MUST(rt::cap_derive(send, 0));
  CHECK_EQ(MUST(rt::cap_info(none)).rights, 0u);
  // The source keeps its rights.
  CHECK_EQ(MUST(rt::cap_info(ep)).rights & kEndpointRights, kEndpointRights);
}

HMK_TEST(CAP_0003, "rights cannot grow: derive and copy beyond the source are refused") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(mem));
  const Handle send = MUST(rt::cap_derive(ep, abi::kRightSend));
  CHECK_STATUS(rt::cap_derive(send, abi::kRightSend | abi::kRightReceive),
               Status::kPermissionDenied);
  CHECK_STATUS(rt::cap_derive(send, abi::kRightSend | abi::kRightGrant), Status::kPermissionDenied);
  CHECK_STATUS(rt::cap_derive(send, abi::kRightsAll), Status::kPermissionDenied);
  const Handle read = MUST(rt::cap_derive(mem, abi::kRightRead));
  CHECK_STATUS(rt::cap_derive(read, kRw), Status::kPermissionDenied);
  CHECK_STATUS(rt::cap_copy_to(abi::kSelfSpace, send, abi::kRightSend | abi::kRightReceive),
               Status::kPermissionDenied);
  // The refusals left the capability as it was.
  CHECK_EQ(MUST(rt::cap_info(send)).rights, abi::kRightSend);
}

HMK_TEST(CAP_0004, "operations check rights: send, receive, signal and wait need theirs") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf));
  const Handle send_only = MUST(rt::cap_derive(ep, abi::kRightSend));
  const Handle recv_only = MUST(rt::cap_derive(ep, abi::kRightReceive));
  const uint64_t nb = abi::MessageInfo::kNonBlocking;
  abi::IpcRegisters regs = message(0, 0, 1, 0, nb);
  CHECK_STATUS(rt::recv(send_only, regs), Status::kPermissionDenied);
  regs = message(0, 0, 1, 0, nb);
  CHECK_STATUS(rt::send(recv_only, regs), Status::kPermissionDenied);
  regs = message(0, 0);
  CHECK_STATUS(rt::call(recv_only, regs), Status::kPermissionDenied);
  regs = message(0, 0);
  CHECK_STATUS(rt::reply_recv(send_only, regs), Status::kPermissionDenied);
  // With the right, the same non-blocking operations only lack a partner.
  regs = message(0, 0, 1, 0, nb);
  CHECK_STATUS(rt::send(send_only, regs), Status::kWouldBlock);
  regs = message(0, 0, 1, 0, nb);
  CHECK_STATUS(rt::recv(recv_only, regs), Status::kWouldBlock);
  const Handle signal_only = MUST(rt::cap_derive(ntf, abi::kRightSend));
  const Handle wait_only = MUST(rt::cap_derive(ntf, abi::kRightReceive));
  CHECK_STATUS(rt::poll(signal_only), Status::kPermissionDenied);
  CHECK_STATUS(rt::wait(signal_only), Status::kPermissionDenied);
  CHECK_STATUS(rt::signal(wait_only), Status::kPermissionDenied);
  CHECK_OK(rt::signal(signal_only));
  CHECK_EQ(MUST(rt::poll(wait_only)), 1u);
}

HMK_TEST(CAP_0005, "badges: set once on unbadged endpoint/notification caps, inherited after") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle ntf = MUST(rt::notification_create());
  const Handle mem = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(ep); rt::cap_delete(ntf); rt::cap_delete(mem));
  const Handle badged = MUST(rt::cap_derive(ep, abi::kRightSend, 0x5a));
  rt::CapInfo info = MUST(rt::cap_info(badged));
  CHECK_EQ(info.badge, 0x5au);
  CHECK_EQ(info.rights, abi::kRightSend);
  // No re-badging of a badged capability.
  CHECK_STATUS(rt::cap_derive(badged, abi::kRightSend, 0x77), Status::kInvalidArgument);
  // Badge 0 means "keep": the child carries the parent's badge.
  const Handle child = MUST(rt::cap_derive(badged, abi::kRightSend, 0));
  CHECK_EQ(MUST(rt::cap_info(child)).badge, 0x5au);
  const Handle ntf_badged = MUST(rt::cap_derive(ntf, abi::kRightSend, 1ull << 40));
  CHECK_EQ(MUST(rt::cap_info(ntf_badged)).badge, 1ull << 40);
  // Only endpoints and notifications have badges.
  CHECK_STATUS(rt::cap_derive(mem, abi::kRightRead, 7), Status::kInvalidArgument);
  CHECK_STATUS(rt::cap_derive(abi::kSelfThread, abi::kRightsAll, 7), Status::kInvalidArgument);
  CHECK_STATUS(rt::cap_derive(abi::kSelfSpace, abi::kRightsAll, 7), Status::kInvalidArgument);
}

HMK_TEST(CAP_0006, "cap_delete empties the slot; the handle is invalid afterwards") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle d = MUST(rt::cap_derive(ep, abi::kRightSend));
  CHECK_OK(rt::cap_delete(d));
  CHECK_STATUS(rt::cap_info(d), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_delete(d), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_derive(d, 0), Status::kInvalidCapability);
  // The source is untouched.
  CHECK_EQ(MUST(rt::cap_info(ep)).type, ObjectType::kEndpoint);
}

HMK_TEST(CAP_0007, "deleting a middle capability moves its children up to its parent") {
  const Handle a = MUST(rt::notification_create());
  DEFER(rt::cap_delete(a));
  const Handle b = MUST(rt::cap_derive(a, abi::kRightSend | abi::kRightReceive));
  const Handle c = MUST(rt::cap_derive(b, abi::kRightSend));
  CHECK_OK(rt::cap_delete(b));
  CHECK_OK(rt::cap_info(c));
  CHECK_OK(rt::signal(c));
  CHECK_EQ(MUST(rt::poll(a)), 1u);
  // c now hangs below a: revoking a reaches it.
  CHECK_OK(rt::cap_revoke(a));
  CHECK_STATUS(rt::cap_info(c), Status::kInvalidCapability);
}

HMK_TEST(CAP_0008, "cap_revoke deletes descendants transitively and keeps the revoked cap") {
  const Handle a = MUST(rt::notification_create());
  DEFER(rt::cap_delete(a));
  const uint32_t all = MUST(rt::cap_info(a)).rights;  // whatever a new notification has
  const Handle b = MUST(rt::cap_derive(a, all));
  const Handle c = MUST(rt::cap_derive(b, all));
  const Handle d = MUST(rt::cap_derive(c, abi::kRightSend));
  const Handle e = MUST(rt::cap_derive(a, abi::kRightSend, 0x8));
  const Handle f = MUST(rt::cap_copy_to(abi::kSelfSpace, c, abi::kRightSend));
  CHECK_OK(rt::cap_revoke(a));
  CHECK_STATUS(rt::cap_info(b), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_info(c), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_info(d), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_info(e), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_info(f), Status::kInvalidCapability);
  rt::CapInfo info = MUST(rt::cap_info(a));
  CHECK_EQ(info.type, ObjectType::kNotification);
  CHECK_OK(rt::signal(a));
  CHECK_EQ(MUST(rt::poll(a)), 1u);
  // Revoking a capability without children is allowed and changes nothing.
  CHECK_OK(rt::cap_revoke(a));
  CHECK_OK(rt::cap_info(a));
}

HMK_TEST(CAP_0009, "cap_revoke of a middle capability spares its siblings' subtrees") {
  const Handle a = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(a));
  const uint32_t all = MUST(rt::cap_info(a)).rights;
  const Handle b = MUST(rt::cap_derive(a, all));
  const Handle c = MUST(rt::cap_derive(b, abi::kRightSend));
  const Handle x = MUST(rt::cap_derive(a, all));
  const Handle y = MUST(rt::cap_derive(x, abi::kRightSend));
  CHECK_OK(rt::cap_revoke(b));
  CHECK_STATUS(rt::cap_info(c), Status::kInvalidCapability);
  CHECK_OK(rt::cap_info(b));
  CHECK_OK(rt::cap_info(x));
  CHECK_OK(rt::cap_info(y));
  CHECK_OK(rt::cap_delete(b));
  CHECK_OK(rt::cap_delete(x));
  CHECK_OK(rt::cap_info(y));  // moved up to a
}

HMK_TEST(CAP_0010, "a revoked capability cannot be used: kInvalidCapability") {
  const Handle ntf = MUST(rt::notification_create());
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ntf); rt::cap_delete(ep));
  const Handle s = MUST(rt::cap_derive(ntf, abi::kRightSend));
  const Handle es = MUST(rt::cap_derive(ep, abi::kRightSend));
  CHECK_OK(rt::cap_revoke(ntf));
  CHECK_OK(rt::cap_revoke(ep));
  CHECK_STATUS(rt::signal(s), Status::kInvalidCapability);
  abi::IpcRegisters regs = message(0, 0, 1, 0, abi::MessageInfo::kNonBlocking);
  CHECK_STATUS(rt::send(es, regs), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_derive(es, 0), Status::kInvalidCapability);
  // Nothing was signalled through the dead capability.
  CHECK_EQ(MUST(rt::poll(ntf)), 0u);
}

HMK_TEST(CAP_0011, "cap_copy_to into the own space makes a revocable child with given rights") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  const Handle copy = MUST(rt::cap_copy_to(abi::kSelfSpace, ep, abi::kRightSend));
  CHECK_NE(copy, ep);
  CHECK_NE(copy, abi::kNullHandle);
  rt::CapInfo info = MUST(rt::cap_info(copy));
  CHECK_EQ(info.type, ObjectType::kEndpoint);
  CHECK_EQ(info.rights, abi::kRightSend);
  // A badged source keeps its badge in the copy.
  const Handle badged = MUST(rt::cap_derive(ep, abi::kRightSend, 0x31));
  const Handle badged_copy = MUST(rt::cap_copy_to(abi::kSelfSpace, badged, abi::kRightSend));
  CHECK_EQ(MUST(rt::cap_info(badged_copy)).badge, 0x31u);
  CHECK_OK(rt::cap_revoke(ep));
  CHECK_STATUS(rt::cap_info(copy), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_info(badged_copy), Status::kInvalidCapability);
}

HMK_TEST(CAP_0012, "cap_copy_to another space needs kRightManage on it and a valid source") {
  const Handle ep = MUST(rt::endpoint_create());
  const Handle space = MUST(rt::space_create(64 * 1024));
  DEFER(rt::cap_delete(ep); rt::cap_delete(space));
  const Handle theirs = MUST(rt::cap_copy_to(space, ep, abi::kRightSend));
  CHECK_NE(theirs, abi::kNullHandle);
  // A second copy lands in another slot of that table.
  const Handle theirs2 = MUST(rt::cap_copy_to(space, ep, abi::kRightReceive));
  CHECK_NE(theirs2, theirs);
  const Handle no_manage = MUST(rt::cap_derive(space, abi::kRightsAll & ~abi::kRightManage));
  CHECK_STATUS(rt::cap_copy_to(no_manage, ep, abi::kRightSend), Status::kPermissionDenied);
  const Handle send_only = MUST(rt::cap_derive(ep, abi::kRightSend));
  CHECK_STATUS(rt::cap_copy_to(space, send_only, abi::kRightSend | abi::kRightReceive),
               Status::kPermissionDenied);
  CHECK_STATUS(rt::cap_copy_to(space, abi::kNullHandle, abi::kRightSend),
               Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_copy_to(ep, ep, abi::kRightSend), Status::kInvalidCapability);
}

HMK_TEST(CAP_0013, "a capability copied into a child space works there (IPC across spaces)") {
  const Handle ep = MUST(rt::endpoint_create());
  DEFER(rt::cap_delete(ep));
  ChildServer server;
  REQUIRE_OK(server.start(ep));
  abi::IpcRegisters regs = message(static_cast<uint32_t>(rt::ServerOp::kEcho), 2, 7);
  CHECK_OK(rt::call(ep, regs));
  CHECK_EQ(regs.words[0], word_pattern(7, 0));
  CHECK_EQ(regs.words[1], word_pattern(7, 1));
  CHECK_EQ(server.page().requests, 1u);
  CHECK_EQ(server.page().last_badge, 0u);
  // Through a badged copy of ours, the child sees the badge.
  const Handle badged = MUST(rt::cap_derive(ep, abi::kRightSend, 0x4242));
  regs = message(0x1234, 0);
  CHECK_OK(rt::call(badged, regs));
  CHECK_EQ(server.page().last_badge, 0x4242u);
  CHECK_EQ(regs.tag.label(), 0x1234u);
}

HMK_TEST(CAP_0014, "a deleted capability's handle stays invalid when its slot is filled again") {
  // Handles carry the slot's generation (core/cap.h): the next capability in the same slot
  // gets another handle, and the old one names nothing, so a handle kept by mistake (or kept
  // by a server whose copy a client revoked) cannot reach whatever took the slot.
  const Handle first = MUST(rt::endpoint_create());
  CHECK_OK(rt::cap_delete(first));
  const Handle second = MUST(rt::notification_create());  // the lowest free slot: the same one
  DEFER(rt::cap_delete(second));
  CHECK_NE(second, first);
  CHECK_EQ(second & 0x3ffu, first & 0x3ffu);
  CHECK_STATUS(rt::cap_info(first), Status::kInvalidCapability);
  CHECK_STATUS(rt::signal(first), Status::kInvalidCapability);
  CHECK_STATUS(rt::cap_delete(first), Status::kInvalidCapability);
  CHECK_EQ(MUST(rt::cap_info(second)).type, ObjectType::kNotification);
  // Revocation ages the slots of the descendants it deletes the same way.
  const Handle child = MUST(rt::cap_derive(second, abi::kRightSend));
  CHECK_OK(rt::cap_revoke(second));
  const Handle after = MUST(rt::memory_create(1));
  DEFER(rt::cap_delete(after));
  CHECK_EQ(after & 0x3ffu, child & 0x3ffu);
  CHECK_NE(after, child);
  CHECK_STATUS(rt::cap_info(child), Status::kInvalidCapability);
  CHECK_EQ(MUST(rt::cap_info(after)).type, ObjectType::kMemory);
}

}  // namespace
}  // namespace hmk::test
