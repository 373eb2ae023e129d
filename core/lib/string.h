// StringView and the memory/string primitives the kernel uses instead of <cstring>.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace hmk {

// These lower to the compiler builtins, which inline small constant sizes and otherwise call the
// C symbols; freestanding images link core/lib:libc_mem to provide those.
inline void* mem_copy(void* dst, const void* src, size_t n) {
  return __builtin_memcpy(dst, src, n);
}
inline void* mem_move(void* dst, const void* src, size_t n) {
  return __builtin_memmove(dst, src, n);
}
inline void* mem_set(void* dst, int byte, size_t n) {
  return __builtin_memset(dst, byte, n);
}
constexpr int mem_compare(const void* a, const void* b, size_t n) {
  return __builtin_memcmp(a, b, n);
}
constexpr size_t str_length(const char* s) {
  return __builtin_strlen(s);
}

// A non-owning, not necessarily NUL-terminated view of characters. The viewed bytes must outlive
// the view.
class StringView {
 public:
  static constexpr size_t kNpos = static_cast<size_t>(-1);

  constexpr StringView() : data_(""), size_(0) {}
  constexpr StringView(const char* data, size_t size) : data_(data), size_(size) {}
  // Implicit so that literals and C strings can be passed where a StringView is expected; a null
  // pointer yields the empty view rather than a crash.
  constexpr StringView(const char* cstr)
      : data_(cstr != nullptr ? cstr : ""), size_(cstr != nullptr ? str_length(cstr) : 0) {}

  constexpr const char* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  // Unchecked, like a raw array: callers index below size().
  constexpr char operator[](size_t i) const { return data_[i]; }
  constexpr const char* begin() const { return data_; }
  constexpr const char* end() const { return data_ + size_; }

  constexpr bool starts_with(StringView prefix) const {
    return prefix.size_ <= size_ && mem_compare(data_, prefix.data_, prefix.size_) == 0;
  }
  constexpr bool starts_with(char c) const { return size_ > 0 && data_[0] == c; }
  constexpr bool ends_with(StringView suffix) const {
    return suffix.size_ <= size_ &&
           mem_compare(data_ + size_ - suffix.size_, suffix.data_, suffix.size_) == 0;
  }

  // Drops min(n, size()) leading characters; never runs past the end.
  constexpr void remove_prefix(size_t n) {
    if (n > size_) n = size_;
    data_ += n;
    size_ -= n;
  }
  constexpr void remove_suffix(size_t n) { size_ -= (n > size_ ? size_ : n); }

  // Clamped like std::string_view::substr, except that pos > size() gives the empty view instead
  // of throwing.
  constexpr StringView substr(size_t pos, size_t count = kNpos) const {
    if (pos > size_) return StringView(data_ + size_, 0);
    size_t rest = size_ - pos;
    return StringView(data_ + pos, count < rest ? count : rest);
  }

  constexpr size_t find(char c, size_t from = 0) const {
    for (size_t i = from; i < size_; ++i) {
      if (data_[i] == c) return i;
    }
    return kNpos;
  }

  friend constexpr bool operator==(StringView a, StringView b) {
    return a.size_ == b.size_ && mem_compare(a.data_, b.data_, a.size_) == 0;
  }

 private:
  const char* data_;
  size_t size_;
};

}  // namespace hmk
