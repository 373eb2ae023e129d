#include "tools/capnpc-hmk/out.h"

namespace hmk::capnpc {
namespace {

constexpr size_t kColumns = 100;

// The lines of a doc comment, without trailing blank lines.
std::vector<std::string> doc_lines(const std::string& doc) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= doc.size()) {
    size_t end = doc.find('\n', start);
    if (end == std::string::npos) end = doc.size();
    lines.push_back(doc.substr(start, end - start));
    start = end + 1;
  }
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos)
    lines.pop_back();
  return lines;
}

// The arguments of a call, each followed by ',' (the last by ')' and `tail`), packed into lines
// of at most kColumns: the first line starts with `first`, the others at `column`.
std::vector<std::string> pack_args(const std::vector<std::string>& args, const std::string& tail,
                                   const std::string& first, size_t column) {
  std::vector<std::string> lines;
  std::string cur = first;
  bool empty = true;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string piece = args[i] + (i + 1 == args.size() ? ")" + tail : ",");
    if (empty) {
      cur += piece;
      empty = false;
    } else if (cur.size() + 1 + piece.size() <= kColumns) {
      cur += " " + piece;
    } else {
      lines.push_back(cur);
      cur = std::string(column, ' ') + piece;
    }
  }
  lines.push_back(cur);
  return lines;
}

}  // namespace

void Out::line(int indent, const std::string& text) {
  if (!text.empty()) text_ += std::string(indent, ' ') + text;
  text_ += '\n';
}

void Out::doc(int indent, const std::string& doc) {
  if (doc.empty()) return;
  for (std::string l : doc_lines(doc)) {
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r'))
      l.pop_back();
    const size_t room = kColumns - indent - 3;
    while (l.size() > room) {
      size_t cut = l.rfind(' ', room);
      if (cut == std::string::npos || cut == 0) break;
      line(indent, "// " + l.substr(0, cut));
      l = l.substr(l.find_first_not_of(' ', cut));
    }
    line(indent, l.empty() ? "//" : "// " + l);
  }
}

void Out::call(int indent, const std::string& head, const std::vector<std::string>& args,
               const std::string& tail) {
  std::string joined;
  for (size_t i = 0; i < args.size(); ++i)
    joined += (i ? ", " : "") + args[i];
  const std::string pad(indent, ' ');
  const std::string one = pad + head + "(" + joined + ")" + tail;
  if (one.size() <= kColumns) {
    raw(one + "\n");
    return;
  }
  std::vector<std::string> aligned =
      pack_args(args, tail, pad + head + "(", indent + head.size() + 1);
  std::vector<std::string> broken = pack_args(args, tail, std::string(indent + 4, ' '), indent + 4);
  broken.insert(broken.begin(), pad + head + "(");
  bool aligned_fits = true;
  for (const auto& l : aligned)
    if (l.size() > kColumns) aligned_fits = false;
  const auto& chosen = aligned_fits && aligned.size() <= broken.size() ? aligned : broken;
  for (const auto& l : chosen)
    raw(l + "\n");
}

}  // namespace hmk::capnpc
