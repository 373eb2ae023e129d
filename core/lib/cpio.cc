// cpio newc parsing: every length is checked against the remaining bytes before it is used.
#include "core/lib/cpio.h"

#include "core/lib/util.h"

namespace hmk {
namespace {

constexpr size_t kMagicSize = 6;
constexpr size_t kFieldSize = 8;
constexpr StringView kTrailerName = "TRAILER!!!";

// Field order in the header after the magic; the index times 8 is the field's offset past it.
enum Field : size_t {
  kIno,
  kMode,
  kUid,
  kGid,
  kNlink,
  kMtime,
  kFilesize,
  kDevMajor,
  kDevMinor,
  kRdevMajor,
  kRdevMinor,
  kNamesize,
  kCheck,
  kFieldCount,
};

constexpr const char* kNonHexReason[kFieldCount] = {
    "non-hex digit in c_ino",       "non-hex digit in c_mode",      "non-hex digit in c_uid",
    "non-hex digit in c_gid",       "non-hex digit in c_nlink",     "non-hex digit in c_mtime",
    "non-hex digit in c_filesize",  "non-hex digit in c_devmajor",  "non-hex digit in c_devminor",
    "non-hex digit in c_rdevmajor", "non-hex digit in c_rdevminor", "non-hex digit in c_namesize",
    "non-hex digit in c_check",
};

static_assert(kCpioHeaderSize == kMagicSize + kFieldCount * kFieldSize);

bool parse_hex8(const uint8_t* p, uint32_t* out) {
  uint32_t v = 0;
  for (size_t i = 0; i < kFieldSize; ++i) {
    uint8_t c = p[i];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

enum class EntryKind { kFile, kTrailer };

struct Parsed {
  CpioEntry entry;
  EntryKind kind = EntryKind::kFile;
  size_t next_offset = 0;  // where the following header starts (4-aligned)
};

bool fail(CpioError* err, size_t offset, size_t index, const char* reason) {
  if (err != nullptr) {
    err->offset = offset;
    err->entry_index = index;
    err->reason = reason;
  }
  return false;
}

// Parses the entry whose header starts at `offset`. Offsets are relative to the archive start,
// which is also what newc's 4-byte alignment is relative to.
bool parse_entry(const uint8_t* data, size_t size, size_t offset, size_t index, Parsed* out,
                 CpioError* err) {
  // offset <= size always holds here; compare against the remaining bytes, not offset + n, so
  // nothing can overflow.
  size_t remaining = size - offset;
  if (remaining < kCpioHeaderSize) return fail(err, offset, index, "truncated header");
  const uint8_t* h = data + offset;
  if (mem_compare(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2')) {
    return fail(err, offset, index, "bad magic (expected 070701 or 070702)");
  }
  uint32_t fields[kFieldCount];
  for (size_t f = 0; f < kFieldCount; ++f) {
    size_t field_offset = kMagicSize + f * kFieldSize;
    if (!parse_hex8(h + field_offset, &fields[f])) {
      return fail(err, offset + field_offset, index, kNonHexReason[f]);
    }
  }
  const size_t namesize_at = offset + kMagicSize + kNamesize * kFieldSize;
  const size_t filesize_at = offset + kMagicSize + kFilesize * kFieldSize;
  const uint32_t namesize = fields[kNamesize];
  if (namesize == 0) return fail(err, namesize_at, index, "c_namesize is zero");
  const size_t name_offset = offset + kCpioHeaderSize;
  if (namesize > remaining - kCpioHeaderSize) {
    return fail(err, namesize_at, index, "file name runs past end of archive");
  }
  const char* name = reinterpret_cast<const char*>(data + name_offset);
  if (name[namesize - 1] != '\0') {
    return fail(err, name_offset + namesize - 1, index, "file name is not NUL-terminated");
  }
  StringView name_view(name, namesize - 1);
  if (name_view.find('\0') != StringView::kNpos) {
    return fail(err, name_offset + name_view.find('\0'), index, "NUL byte inside file name");
  }
  if (name_view.empty()) return fail(err, name_offset, index, "empty file name");

  const size_t name_end = name_offset + namesize;  // <= size, checked above
  if (name_view == kTrailerName) {
    // Block padding after the trailer is optional, so its own alignment padding is not required.
    out->entry = CpioEntry{name_view, fields[kMode], data + name_end, 0};
    out->kind = EntryKind::kTrailer;
    out->next_offset = name_end;
    return true;
  }

  // The data starts at the next 4-byte boundary; the padding itself must be inside the archive.
  const size_t data_offset = align_up<size_t>(name_end, 4);
  if (data_offset > size)
    return fail(err, name_end, index, "name padding runs past end of archive");
  const uint32_t filesize = fields[kFilesize];
  if (filesize > size - data_offset) {
    return fail(err, filesize_at, index, "file data runs past end of archive");
  }
  const size_t data_end = data_offset + filesize;
  const size_t next = align_up<size_t>(data_end, 4);
  if (next > size) return fail(err, data_end, index, "data padding runs past end of archive");

  out->entry = CpioEntry{name_view, fields[kMode], data + data_offset, filesize};
  out->kind = EntryKind::kFile;
  out->next_offset = next;
  return true;
}

}  // namespace

StringView cpio_normalize_path(StringView path) {
  // Each round removes at least one character, so the loop is bounded by the path length.
  // bound: each round removes at least one character of path (above)
  for (;;) {
    if (path.starts_with('/')) {
      path.remove_prefix(1);
    } else if (path.starts_with("./")) {
      path.remove_prefix(2);
    } else {
      break;
    }
  }
  // The root directory is stored as "." by `find . | cpio -o`.
  if (path == ".") return StringView();
  return path;
}

Result<CpioArchive> CpioArchive::open(const uint8_t* data, size_t size, CpioError* err) {
  if (data == nullptr && size != 0) {
    fail(err, 0, 0, "null archive pointer");
    return Status::kInvalidArgument;
  }
  if ((reinterpret_cast<uintptr_t>(data) & 3) != 0) {
    // Not a safety issue (all reads are bytewise) but entry data alignment promises depend on it.
    fail(err, 0, 0, "archive is not 4-byte aligned");
    return Status::kInvalidArgument;
  }
  size_t offset = 0;
  // Every entry consumes at least a header, which bounds the number of iterations.
  for (size_t index = 0; index <= size / kCpioHeaderSize; ++index) {
    if (offset == size) {
      fail(err, offset, index, "missing TRAILER!!! (archive truncated)");
      return Status::kCorrupt;
    }
    Parsed parsed;
    if (!parse_entry(data, size, offset, index, &parsed, err)) return Status::kCorrupt;
    if (parsed.kind == EntryKind::kTrailer) return CpioArchive(data, size, offset, index);
    offset = parsed.next_offset;
  }
  fail(err, offset, size / kCpioHeaderSize, "missing TRAILER!!! (archive truncated)");
  return Status::kCorrupt;
}

CpioArchive::Iterator::Iterator(const CpioArchive* archive, size_t offset)
    : archive_(archive), offset_(offset) {
  if (offset_ < archive_->trailer_offset_) {
    Parsed parsed;
    // Cannot fail: open() validated every entry before the trailer.
    parse_entry(archive_->data_, archive_->size_, offset_, 0, &parsed, nullptr);
    entry_ = parsed.entry;
    next_offset_ = parsed.next_offset;
  }
}

CpioArchive::Iterator& CpioArchive::Iterator::operator++() {
  *this = Iterator(archive_, next_offset_);
  return *this;
}

Result<CpioEntry> CpioArchive::find(StringView path) const {
  StringView want = cpio_normalize_path(path);
  bool found = false;
  CpioEntry match;
  // bound: one step per entry, each a header or more, inside the archive
  for (const CpioEntry& e : *this) {
    if (cpio_normalize_path(e.name) == want) {
      match = e;
      found = true;
    }
  }
  if (!found) return Status::kNotFound;
  return match;
}

}  // namespace hmk
