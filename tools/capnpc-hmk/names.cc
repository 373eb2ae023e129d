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

std::string snake_case(const std::string& camel) {
  const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto is_lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  std::string snake;
  for (size_t i = 0; i < camel.size(); ++i) {
    const char c = camel[i];
    if (!is_upper(c)) {
      snake += c;
      continue;
    }
    // A capital starts a word after a lower-case letter or digit (readLine), and ends a run of
    // capitals when a lower-case letter follows it (URLLength: URL, Length).
    const bool after_word = i > 0 && is_lower_or_digit(camel[i - 1]);
    const bool ends_run = i > 0 && is_upper(camel[i - 1]) && i + 1 < camel.size() &&
                          camel[i + 1] >= 'a' && camel[i + 1] <= 'z';
    if (after_word || ends_run) snake += '_';
    snake += static_cast<char>(c - 'A' + 'a');
  }
  return snake;
}

std::string escape_reserved(const std::string& name) {
  return is_cpp_reserved(name) ? name + "_" : name;
}

std::string cpp_member(const std::string& schema_name) {
  return escape_reserved(snake_case(schema_name));
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
