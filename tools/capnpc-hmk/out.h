// Out: the text of a generated header, written line by line, with doc comments and calls
// wrapped the way clang-format does.
#pragma once

#include <string>
#include <vector>

namespace hmk::capnpc {

class Out {
 public:
  void line(int indent, const std::string& text);
  void blank() { text_ += '\n'; }
  void raw(const std::string& text) { text_ += text; }

  // A doc comment, one `//` line per line of the schema's comment, wrapped at the column limit.
  void doc(int indent, const std::string& doc);

  // `head(arg, arg, ...)tail` wrapped the way clang-format (Google style, 100 columns) does:
  // on one line if it fits; else arguments aligned after the parenthesis; else all of them
  // on the next lines, indented by 4.
  void call(int indent, const std::string& head, const std::vector<std::string>& args,
            const std::string& tail);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace hmk::capnpc
