// Layout: the C++ size and alignment of every type in the model, and the most bytes and
// capabilities its encoding can take.
#pragma once

#include <stdint.h>

#include <map>

#include "tools/capnpc-hmk/growth.h"
#include "tools/capnpc-hmk/model.h"

namespace hmk::capnpc {

struct Layout {
  int64_t size = 0;
  int64_t align = 1;
};

class Layouts {
 public:
  // `structs` holds every struct a type may name; it may grow while this object is alive.
  explicit Layouts(const StructMap& structs) : structs_(structs) {}

  // sizeof and alignof of the generated C++ type.
  Layout layout(const Type& t);
  Layout struct_layout(const Struct& s);
  // The encoding's size bound (cached per named struct).
  Growth growth(const Type& t);
  Growth struct_growth(const Struct& s);
  // The most capabilities the encoding carries.
  int64_t caps(const Type& t);
  int64_t struct_caps(const Struct& s);

 private:
  const StructMap& structs_;
  std::map<uint64_t, Growth> growth_;
};

}  // namespace hmk::capnpc
