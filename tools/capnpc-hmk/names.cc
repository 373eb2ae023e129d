#include "tools/capnpc-hmk/names.h"

#include <stdio.h>

#include <set>

namespace hmk::capnpc {
namespace {

std::set<std::string> split_words(const char* list) {
  std::set<std::string> words;
  std::string word;
  for (const char* p = list;; ++p) {
    if (*p == ' ' || *p == '\0') {
      if (!word.empty()) words.insert(word);
      word.clear();
      if (*p == '\0') break;
    } else {
      word += *p;
    }
  }
  return words;
}

}  // namespace

std::string str(capnp::Text::Reader t) {
  return std::string(t.cStr(), t.size());
}

std::string upper_first(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string hex64(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0x%016llxull", static_cast<unsigned long long>(v));
  return buf;
}

bool is_cpp_reserved(const std::string& s) {
  static const std::set<std::string> kWords = split_words(
      "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t "
      "char16_t char32_t class compl concept const consteval constexpr constinit const_cast "
      "continue co_await co_return co_yield decltype default delete do double dynamic_cast "
      "else enum explicit export extern false float for friend goto if inline int long "
      "mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected "
      "public register reinterpret_cast requires return short signed sizeof static "
      "static_assert static_cast struct switch template this thread_local throw true try "
      "typedef typeid typename union unsigned using virtual void volatile wchar_t while xor "
      "xor_eq linux unix errno assert offsetof NULL");
  return kWords.count(s) != 0;
}

std::string cpp_member(const std::string& schema_name) {
  return is_cpp_reserved(schema_name) ? schema_name + "_" : schema_name;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return !is_cpp_reserved(s);
}

bool is_cpp_namespace(const std::string& ns) {
  bool ok = !ns.empty();
  size_t start = 0;
  while (ok && start <= ns.size()) {
    size_t end = ns.find("::", start);
    if (end == std::string::npos) end = ns.size();
    ok = is_identifier(ns.substr(start, end - start));
    start = end + 2;
  }
  return ok;
}

std::string header_path(const std::string& schema_path) {
  const std::string ext = ".capnp";
  if (schema_path.size() > ext.size() &&
      schema_path.compare(schema_path.size() - ext.size(), ext.size(), ext) == 0)
    return schema_path.substr(0, schema_path.size() - ext.size()) + ".hmk.h";
  return schema_path + ".hmk.h";
}

}  // namespace hmk::capnpc
