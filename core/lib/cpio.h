// Reader for cpio "newc" archives (the initrd format), safe on arbitrary untrusted bytes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/lib/status.h"
#include "core/lib/string.h"

namespace hmk {

inline constexpr size_t kCpioHeaderSize = 110;
inline constexpr uint32_t kCpioTypeMask = 0170000;
inline constexpr uint32_t kCpioTypeRegular = 0100000;
inline constexpr uint32_t kCpioTypeDirectory = 0040000;
inline constexpr uint32_t kCpioTypeSymlink = 0120000;

struct CpioEntry {
  StringView name;                // as stored, without the NUL; may start with "./" or "/"
  uint32_t mode = 0;              // file type and permission bits, as in st_mode
  const uint8_t* data = nullptr;  // points into the archive; size bytes long
  size_t size = 0;
};

inline bool is_regular_file(const CpioEntry& e) {
  return (e.mode & kCpioTypeMask) == kCpioTypeRegular;
}
inline bool is_directory(const CpioEntry& e) {
  return (e.mode & kCpioTypeMask) == kCpioTypeDirectory;
}
inline bool is_symlink(const CpioEntry& e) {
  return (e.mode & kCpioTypeMask) == kCpioTypeSymlink;
}

// Where and why an archive was rejected. reason is a static string.
struct CpioError {
  size_t offset = 0;       // byte offset in the archive of the offending field
  size_t entry_index = 0;  // 0-based index of the entry being parsed
  const char* reason = nullptr;
};

// A validated archive. open() checks every header up to and including the TRAILER!!! entry, so
// iteration and lookup afterwards cannot fail. Bytes after the trailer (block padding) are
// ignored. The archive bytes must outlive this object and every CpioEntry taken from it.
class CpioArchive {
 public:
  // Returns kInvalidArgument for a null pointer with nonzero size, kCorrupt for a malformed
  // archive; err (optional) then says where and why.
  static Result<CpioArchive> open(const uint8_t* data, size_t size, CpioError* err);

  // Entries before the trailer, in archive order.
  size_t entry_count() const { return entry_count_; }

  class Iterator {
   public:
    const CpioEntry& operator*() const { return entry_; }
    const CpioEntry* operator->() const { return &entry_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return offset_ == other.offset_; }

   private:
    friend class CpioArchive;
    Iterator(const CpioArchive* archive, size_t offset);
    const CpioArchive* archive_;
    size_t offset_;
    size_t next_offset_ = 0;
    CpioEntry entry_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, trailer_offset_); }

  template <typename Fn>
  void for_each(Fn&& fn) const {
    // bound: one step per entry, each a header or more, inside the archive
    for (const CpioEntry& e : *this)
      fn(e);
  }

  // Finds an entry by path; "bin/x", "./bin/x" and "/bin/x" all name the same file, on both the
  // query and the stored side. Returns kNotFound if absent. With duplicates, the last one wins,
  // as when the kernel unpacks an initramfs.
  Result<CpioEntry> find(StringView path) const;

  // The whole archive as given to open().
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  CpioArchive(const uint8_t* data, size_t size, size_t trailer_offset, size_t entry_count)
      : data_(data), size_(size), trailer_offset_(trailer_offset), entry_count_(entry_count) {}

  const uint8_t* data_;
  size_t size_;
  size_t trailer_offset_;  // offset of the TRAILER!!! header: the end of iteration
  size_t entry_count_;
};

// Strips leading "/" and "./" components so that differently spelled archive paths compare equal.
StringView cpio_normalize_path(StringView path);

}  // namespace hmk
