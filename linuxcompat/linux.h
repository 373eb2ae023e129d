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
inline constexpr int64_t kENXIO = 6;
inline constexpr int64_t kE2BIG = 7;
inline constexpr int64_t kENOEXEC = 8;
inline constexpr int64_t kEBADF = 9;
inline constexpr int64_t kECHILD = 10;
inline constexpr int64_t kEAGAIN = 11;
inline constexpr int64_t kENOMEM = 12;
inline constexpr int64_t kEACCES = 13;
inline constexpr int64_t kEFAULT = 14;
inline constexpr int64_t kEBUSY = 16;
inline constexpr int64_t kEEXIST = 17;
inline constexpr int64_t kEXDEV = 18;
inline constexpr int64_t kENODEV = 19;
inline constexpr int64_t kENOTDIR = 20;
inline constexpr int64_t kEISDIR = 21;
inline constexpr int64_t kEINVAL = 22;
inline constexpr int64_t kEMFILE = 24;
inline constexpr int64_t kENOTTY = 25;
inline constexpr int64_t kEFBIG = 27;
inline constexpr int64_t kENOSPC = 28;
inline constexpr int64_t kESPIPE = 29;
inline constexpr int64_t kEPIPE = 32;
inline constexpr int64_t kERANGE = 34;
inline constexpr int64_t kENAMETOOLONG = 36;
inline constexpr int64_t kENOSYS = 38;
inline constexpr int64_t kENOTEMPTY = 39;
inline constexpr int64_t kELOOP = 40;
inline constexpr int64_t kEOVERFLOW = 75;
inline constexpr int64_t kEOPNOTSUPP = 95;
inline constexpr int64_t kETIMEDOUT = 110;
inline constexpr int64_t kESTALE = 116;

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
inline constexpr uint64_t kMremapMaymove = 1;
inline constexpr uint64_t kMremapFixed = 2;
inline constexpr uint64_t kMremapDontunmap = 4;

// ---- the process's address space ----
// User addresses end here (x86-64 with 4-level paging: 47 bits, minus the top page).
inline constexpr uint64_t kTaskSize = 0x0000'7fff'ffff'f000;
inline constexpr uint64_t kLowestAddress = 0x10000;  // vm.mmap_min_addr

// Linux's access_ok: [address, address + length) lies below the end of user space (whether it
// is mapped is the copy's business). read and write check it first: EFAULT.
inline bool access_ok(uint64_t address, uint64_t length) {
  return length <= kTaskSize && address <= kTaskSize - length;
}

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
inline constexpr uint64_t kFionread = 0x541b;

// ---- rlimits ----
inline constexpr uint32_t kRlimitStack = 3;
inline constexpr uint32_t kRlimitNofile = 7;
inline constexpr uint32_t kRlimitAs = 9;  // the address space's size: memmgr's budget
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

// ---- poll ----
inline constexpr uint32_t kPollIn = 0x001;
inline constexpr uint32_t kPollPri = 0x002;
inline constexpr uint32_t kPollOut = 0x004;
inline constexpr uint32_t kPollErr = 0x008;
inline constexpr uint32_t kPollHup = 0x010;
inline constexpr uint32_t kPollNval = 0x020;
inline constexpr uint32_t kPollRdnorm = 0x040;
inline constexpr uint32_t kPollWrnorm = 0x100;

// Largest count a read or write transfers at once (Linux's MAX_RW_COUNT).
inline constexpr uint64_t kMaxRwCount = 0x7fff'f000;

// ---- files (include/uapi/asm-generic/fcntl.h, linux/stat.h, linux/fcntl.h) ----
inline constexpr uint64_t kPathMax = 4096;  // with the NUL
inline constexpr uint64_t kNameMax = 255;   // one component
inline constexpr uint32_t kMaxSymlinks = 40;

// st_mode: the type bits and the permission bits.
inline constexpr uint32_t kSIfmt = 0170000;
inline constexpr uint32_t kSIfsock = 0140000;
inline constexpr uint32_t kSIflnk = 0120000;
inline constexpr uint32_t kSIfreg = 0100000;
inline constexpr uint32_t kSIfblk = 0060000;
inline constexpr uint32_t kSIfdir = 0040000;
inline constexpr uint32_t kSIfchr = 0020000;
inline constexpr uint32_t kSIfifo = 0010000;
inline constexpr uint32_t kSIsuid = 04000;
inline constexpr uint32_t kSIsgid = 02000;
inline constexpr uint32_t kSIsvtx = 01000;
inline constexpr uint32_t kPermissionBits = 07777;
inline constexpr uint32_t kExecuteBits = 0111;

// open's flags.
inline constexpr uint32_t kORdonly = 0;
inline constexpr uint32_t kOWronly = 01;
inline constexpr uint32_t kORdwr = 02;
inline constexpr uint32_t kOAccmode = 03;
inline constexpr uint32_t kOCreat = 0100;
inline constexpr uint32_t kOExcl = 0200;
inline constexpr uint32_t kONoctty = 0400;
inline constexpr uint32_t kOTrunc = 01000;
inline constexpr uint32_t kOAppend = 02000;
inline constexpr uint32_t kONonblock = 04000;
inline constexpr uint32_t kODsync = 010000;
inline constexpr uint32_t kOAsync = 020000;
inline constexpr uint32_t kODirect = 040000;
inline constexpr uint32_t kOLargefile = 0100000;
inline constexpr uint32_t kODirectory = 0200000;
inline constexpr uint32_t kONofollow = 0400000;
inline constexpr uint32_t kONoatime = 01000000;
inline constexpr uint32_t kOCloexec = 02000000;
inline constexpr uint32_t kOSync = 04010000;
inline constexpr uint32_t kOPath = 010000000;
inline constexpr uint32_t kOTmpfile = 020000000 | kODirectory;
// What fcntl(F_SETFL) may change (fs/fcntl.c SETFL_MASK).
inline constexpr uint32_t kSetflMask = kOAppend | kONonblock | kOAsync | kODirect | kONoatime;

// The *at calls.
inline constexpr int32_t kAtFdcwd = -100;
inline constexpr uint32_t kAtSymlinkNofollow = 0x100;
inline constexpr uint32_t kAtRemovedir = 0x200;
inline constexpr uint32_t kAtEaccess = 0x200;
inline constexpr uint32_t kAtSymlinkFollow = 0x400;
inline constexpr uint32_t kAtNoAutomount = 0x800;
inline constexpr uint32_t kAtEmptyPath = 0x1000;
inline constexpr uint32_t kAtStatxSyncType = 0x6000;

// access's modes.
inline constexpr uint32_t kROk = 4;
inline constexpr uint32_t kWOk = 2;
inline constexpr uint32_t kXOk = 1;

// lseek's whence.
inline constexpr uint32_t kSeekSet = 0;
inline constexpr uint32_t kSeekCur = 1;
inline constexpr uint32_t kSeekEnd = 2;
inline constexpr uint32_t kSeekData = 3;
inline constexpr uint32_t kSeekHole = 4;

// fcntl's commands.
inline constexpr uint32_t kFDupfd = 0;
inline constexpr uint32_t kFGetfd = 1;
inline constexpr uint32_t kFSetfd = 2;
inline constexpr uint32_t kFGetfl = 3;
inline constexpr uint32_t kFSetfl = 4;
inline constexpr uint32_t kFGetlk = 5;
inline constexpr uint32_t kFSetlk = 6;
inline constexpr uint32_t kFSetlkw = 7;
inline constexpr uint32_t kFSetown = 8;
inline constexpr uint32_t kFGetown = 9;
inline constexpr uint32_t kFOfdGetlk = 36;
inline constexpr uint32_t kFOfdSetlk = 37;
inline constexpr uint32_t kFOfdSetlkw = 38;
inline constexpr uint32_t kFDupfdCloexec = 1030;
inline constexpr uint64_t kFdCloexec = 1;
inline constexpr int16_t kFRdlck = 0;
inline constexpr int16_t kFWrlck = 1;
inline constexpr int16_t kFUnlck = 2;
struct Flock {
  int16_t type;
  int16_t whence;
  int64_t start;
  int64_t len;
  int32_t pid;
};
static_assert(sizeof(Flock) == 32);

// renameat2's flags.
inline constexpr uint32_t kRenameNoreplace = 1;
inline constexpr uint32_t kRenameExchange = 2;
inline constexpr uint32_t kRenameWhiteout = 4;

// utimensat's special nanoseconds.
inline constexpr int64_t kUtimeNow = (1 << 30) - 1;
inline constexpr int64_t kUtimeOmit = (1 << 30) - 2;

// posix_fadvise's advice: POSIX_FADV_NORMAL .. POSIX_FADV_NOREUSE.
inline constexpr int32_t kFadvMax = 5;

struct Timespec {
  int64_t sec;
  int64_t nsec;
};

// struct stat of x86-64 (arch/x86/include/uapi/asm/stat.h).
struct Stat {
  uint64_t dev;
  uint64_t ino;
  uint64_t nlink;
  uint32_t mode;
  uint32_t uid;
  uint32_t gid;
  uint32_t pad0;
  uint64_t rdev;
  int64_t size;
  int64_t blksize;
  int64_t blocks;
  Timespec atime;
  Timespec mtime;
  Timespec ctime;
  int64_t unused[3];
};
static_assert(sizeof(Stat) == 144);
static_assert(offsetof(Stat, mode) == 24 && offsetof(Stat, size) == 48);
static_assert(offsetof(Stat, atime) == 72 && offsetof(Stat, ctime) == 104);

// struct statx (include/uapi/linux/stat.h).
struct StatxTimestamp {
  int64_t sec;
  uint32_t nsec;
  int32_t reserved;
};
struct Statx {
  uint32_t mask;
  uint32_t blksize;
  uint64_t attributes;
  uint32_t nlink;
  uint32_t uid;
  uint32_t gid;
  uint16_t mode;
  uint16_t spare0;
  uint64_t ino;
  uint64_t size;
  uint64_t blocks;
  uint64_t attributes_mask;
  StatxTimestamp atime;
  StatxTimestamp btime;
  StatxTimestamp ctime;
  StatxTimestamp mtime;
  uint32_t rdev_major;
  uint32_t rdev_minor;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint64_t mnt_id;
  uint32_t dio_mem_align;
  uint32_t dio_offset_align;
  uint64_t spare3[12];
};
static_assert(sizeof(Statx) == 256);
static_assert(offsetof(Statx, ino) == 32 && offsetof(Statx, atime) == 64);
static_assert(offsetof(Statx, rdev_major) == 128 && offsetof(Statx, mnt_id) == 144);
inline constexpr uint32_t kStatxBasicStats = 0x7ff;  // type, mode, nlink, uid, ... blocks
inline constexpr uint32_t kStatxMntId = 0x1000;
inline constexpr uint32_t kStatxReserved = 0x8000'0000;

// struct linux_dirent64: a record of getdents64, 8-byte aligned, the name NUL-terminated.
struct Dirent64 {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  uint8_t type;
  char name[5];  // the name starts here; the record is as long as reclen
};
inline constexpr uint64_t kDirent64NameOffset = 19;
static_assert(offsetof(Dirent64, name) == kDirent64NameOffset);
// d_type: the file type's bits shifted down (DT_DIR = S_IFDIR >> 12, ...).
inline constexpr uint8_t kDtUnknown = 0;
inline constexpr uint8_t dirent_type(uint32_t mode) {
  return static_cast<uint8_t>((mode & kSIfmt) >> 12);
}

// Device numbers (new_encode_dev as stat's st_dev and st_rdev carry them).
inline constexpr uint64_t make_device(uint32_t major, uint32_t minor) {
  return (uint64_t{minor} & 0xff) | (uint64_t{major} << 8) | ((uint64_t{minor} & ~0xffu) << 12);
}
inline constexpr uint32_t device_major(uint64_t dev) {
  return static_cast<uint32_t>((dev >> 8) & 0xfff);
}
inline constexpr uint32_t device_minor(uint64_t dev) {
  return static_cast<uint32_t>((dev & 0xff) | ((dev >> 12) & 0xfff00));
}

}  // namespace hmk::lx
