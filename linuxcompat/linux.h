// Linux x86-64 ABI facts the shim needs: error numbers, flags, structure layouts, auxiliary
// vector keys. The only place besides the rest of linuxcompat/ that knows them (docs/layout.md).
// Values are Linux's UAPI (include/uapi/asm-generic/errno-base.h, asm/mman.h, elf.h, ...).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk::lx {

// ---- errno (negated in system call results) ----
inline constexpr int64_t kEPERM = 1;
inline constexpr int64_t kENOENT = 2;
inline constexpr int64_t kESRCH = 3;
inline constexpr int64_t kEINTR = 4;
inline constexpr int64_t kEIO = 5;
inline constexpr int64_t kE2BIG = 7;
inline constexpr int64_t kENOEXEC = 8;
inline constexpr int64_t kEBADF = 9;
inline constexpr int64_t kECHILD = 10;
inline constexpr int64_t kEAGAIN = 11;
inline constexpr int64_t kENOMEM = 12;
inline constexpr int64_t kEACCES = 13;
inline constexpr int64_t kEFAULT = 14;
inline constexpr int64_t kEEXIST = 17;
inline constexpr int64_t kENODEV = 19;
inline constexpr int64_t kENOTDIR = 20;
inline constexpr int64_t kEISDIR = 21;
inline constexpr int64_t kEINVAL = 22;
inline constexpr int64_t kEMFILE = 24;
inline constexpr int64_t kENOTTY = 25;
inline constexpr int64_t kENOSPC = 28;
inline constexpr int64_t kESPIPE = 29;
inline constexpr int64_t kEPIPE = 32;
inline constexpr int64_t kERANGE = 34;
inline constexpr int64_t kENAMETOOLONG = 36;
inline constexpr int64_t kENOSYS = 38;
inline constexpr int64_t kEOPNOTSUPP = 95;
inline constexpr int64_t kETIMEDOUT = 110;

// ---- memory (mmap, mprotect) ----
inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint32_t kProtNone = 0;
inline constexpr uint32_t kProtRead = 1;
inline constexpr uint32_t kProtWrite = 2;
inline constexpr uint32_t kProtExec = 4;
inline constexpr uint32_t kProtAll = kProtRead | kProtWrite | kProtExec;
inline constexpr uint64_t kMapShared = 0x01;
inline constexpr uint64_t kMapPrivate = 0x02;
inline constexpr uint64_t kMapType = 0x0f;
inline constexpr uint64_t kMapFixed = 0x10;
inline constexpr uint64_t kMapAnonymous = 0x20;
inline constexpr uint64_t kMapGrowsdown = 0x0100;
inline constexpr uint64_t kMapDenywrite = 0x0800;
inline constexpr uint64_t kMapExecutable = 0x1000;
inline constexpr uint64_t kMapLocked = 0x2000;
inline constexpr uint64_t kMapNoreserve = 0x4000;
inline constexpr uint64_t kMapPopulate = 0x8000;
inline constexpr uint64_t kMapNonblock = 0x10000;
inline constexpr uint64_t kMapStack = 0x20000;
inline constexpr uint64_t kMapHugetlb = 0x40000;
inline constexpr uint64_t kMapFixedNoreplace = 0x100000;

// ---- the process's address space ----
// User addresses end here (x86-64 with 4-level paging: 47 bits, minus the top page).
inline constexpr uint64_t kTaskSize = 0x0000'7fff'ffff'f000;
inline constexpr uint64_t kLowestAddress = 0x10000;  // vm.mmap_min_addr

// ---- auxiliary vector (include/uapi/linux/auxvec.h) ----
inline constexpr uint64_t kAtNull = 0;
inline constexpr uint64_t kAtPhdr = 3;
inline constexpr uint64_t kAtPhent = 4;
inline constexpr uint64_t kAtPhnum = 5;
inline constexpr uint64_t kAtPagesz = 6;
inline constexpr uint64_t kAtBase = 7;
inline constexpr uint64_t kAtFlags = 8;
inline constexpr uint64_t kAtEntry = 9;
inline constexpr uint64_t kAtUid = 11;
inline constexpr uint64_t kAtEuid = 12;
inline constexpr uint64_t kAtGid = 13;
inline constexpr uint64_t kAtEgid = 14;
inline constexpr uint64_t kAtPlatform = 15;
inline constexpr uint64_t kAtHwcap = 16;
inline constexpr uint64_t kAtClktck = 17;
inline constexpr uint64_t kAtSecure = 23;
inline constexpr uint64_t kAtRandom = 25;
inline constexpr uint64_t kAtHwcap2 = 26;
inline constexpr uint64_t kAtExecfn = 31;

// ---- arch_prctl ----
inline constexpr uint64_t kArchSetGs = 0x1001;
inline constexpr uint64_t kArchSetFs = 0x1002;
inline constexpr uint64_t kArchGetFs = 0x1003;
inline constexpr uint64_t kArchGetGs = 0x1004;

// ---- ioctl ----
inline constexpr uint64_t kTcgets = 0x5401;
inline constexpr uint64_t kTiocgwinsz = 0x5413;

// ---- rlimits ----
inline constexpr uint32_t kRlimitStack = 3;
inline constexpr uint32_t kRlimitNofile = 7;
inline constexpr uint32_t kRlimitCount = 16;
inline constexpr uint64_t kRlimInfinity = ~uint64_t{0};
struct Rlimit {
  uint64_t cur;
  uint64_t max;
};

// ---- signals ----
inline constexpr uint32_t kSignalCount = 64;  // 1..64
inline constexpr int kSigsegv = 11;
inline constexpr int kSigill = 4;
inline constexpr int kSigfpe = 8;
inline constexpr int kSigbus = 7;
inline constexpr int kSigtrap = 5;
inline constexpr int kSigkill = 9;
inline constexpr uint64_t kSigBlock = 0;
inline constexpr uint64_t kSigUnblock = 1;
inline constexpr uint64_t kSigSetmask = 2;
// struct kernel_sigaction as rt_sigaction takes it (sa_mask is the 8-byte kernel sigset).
struct KernelSigaction {
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};

// ---- structures ----
struct Iovec {
  uint64_t base;
  uint64_t len;
};
inline constexpr uint64_t kIovMax = 1024;

struct Utsname {
  char sysname[65];
  char nodename[65];
  char release[65];
  char version[65];
  char machine[65];
  char domainname[65];
};
static_assert(sizeof(Utsname) == 390);

// getrandom flags.
inline constexpr uint64_t kGrndNonblock = 1;
inline constexpr uint64_t kGrndRandom = 2;
inline constexpr uint64_t kGrndInsecure = 4;

// Largest count a read or write transfers at once (Linux's MAX_RW_COUNT).
inline constexpr uint64_t kMaxRwCount = 0x7fff'f000;

}  // namespace hmk::lx
