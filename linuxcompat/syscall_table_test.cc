// The generated dispatch (linuxcompat/syscall_dispatch.inc) against stub handlers: entry n's
// thunk runs call n's handler, the registers arrive converted as Linux converts them (32-bit
// arguments keep their low 32 bits), and an entry has a thunk exactly when its call is
// implemented.
#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "linuxcompat/syscall_table.h"

namespace hmk::lx {

// What the last handler that ran was given.
class Task {
 public:
  uint64_t nr = ~uint64_t{0};
  std::vector<int64_t> values;
};

template <typename... Values>
int64_t record_call(Task& task, uint64_t nr, Values... values) {
  task.nr = nr;
  task.values = {static_cast<int64_t>(values)...};
  return static_cast<int64_t>(nr);
}

}  // namespace hmk::lx

#include "linuxcompat/syscall_dispatch.inc"
#include "linuxcompat/syscall_test_stubs.inc"

namespace hmk::lx {
namespace {

// Runs entry nr with these registers; the values its handler was given.
std::vector<int64_t> run(uint64_t nr, std::initializer_list<uint64_t> registers) {
  SyscallArgs a{nr, {}, 0, 0};
  uint64_t* out = a.arg;
  for (uint64_t r : registers) {
    *out++ = r;
  }
  Task task;
  REQUIRE(kSyscalls[nr].call != nullptr);
  CHECK(kSyscalls[nr].call(task, a) == static_cast<int64_t>(nr));
  CHECK(task.nr == nr);
  return task.values;
}

TEST_CASE("entry n runs the handler of call n, and only implemented calls have one") {
  int named = 0;
  int implemented = 0;
  for (uint64_t n = 0; n < kSyscallCount; ++n) {
    INFO("system call " << n);
    const SyscallEntry& e = kSyscalls[n];
    named += e.name != nullptr;
    CHECK((e.call != nullptr) == (e.support != Support::kNone));
    if (e.name == nullptr) CHECK(e.call == nullptr);
    if (e.call == nullptr) continue;
    ++implemented;
    run(n, {});
  }
  CHECK(named == 362);  // Linux 6.1's x86-64 calls
  CHECK(implemented >= 2);
  CHECK(kSyscalls[1].call != nullptr);    // write
  CHECK(kSyscalls[39].call != nullptr);   // getpid
  CHECK(kSyscalls[334].call == nullptr);  // rseq: ENOSYS, which glibc accepts
  CHECK(kSyscalls[163].call == nullptr);  // acct: not implemented
}

TEST_CASE("32-bit arguments keep the register's low 32 bits, as in Linux") {
  // ioctl (fd:fd, request:uint, arg:ulong)
  CHECK(run(16, {0xffffffff00000003, 0x1234567800005401, 0xdeadbeefcafef00d}) ==
        std::vector<int64_t>{3, 0x5401, static_cast<int64_t>(0xdeadbeefcafef00d)});
  // write (fd:fd, buf:uptr, count:size): fd 0xffffffff is -1
  CHECK(run(1, {0xffffffff, 0x1000, 0x1'0000'0000}) ==
        std::vector<int64_t>{-1, 0x1000, 0x1'0000'0000});
  // mmap (addr:ulong, length:size, prot:ulong, flags:flags64, fd:fd, offset:off)
  CHECK(run(9, {0x7000'0000'0000, 0x2000, 0x1'0000'0003, 0x1'0000'0022, 0x1'ffff'ffff,
                0xffff'ffff'ffff'f000}) ==
        std::vector<int64_t>{0x7000'0000'0000, 0x2000, 0x1'0000'0003, 0x1'0000'0022, -1, -4096});
  // exit_group (status:int)
  CHECK(run(231, {0x1'0000'002a}) == std::vector<int64_t>{42});
  // prlimit64 (pid:pid, resource:uint, new_limit:uptr, old_limit:uptr)
  CHECK(run(302, {0xffff'ffff'ffff'fffe, 0x1'0000'0003, 0, 0x2000}) ==
        std::vector<int64_t>{-2, 3, 0, 0x2000});
}

}  // namespace
}  // namespace hmk::lx
