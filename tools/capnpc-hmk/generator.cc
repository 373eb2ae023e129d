#include "tools/capnpc-hmk/generator.h"

#include <stdint.h>
#include <stdio.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace hmk::capnpc {
namespace {

namespace schema = ::capnp::schema;

// tools/capnpc-hmk/hmk.capnp: the annotations are recognized by their fixed ids.
constexpr uint64_t kMaxSizeAnnotation = 0xeaea1202ef027f45;
constexpr uint64_t kNamespaceAnnotation = 0x8b23d8bf22a4b150;
// /capnp/stream.capnp:StreamResult, the result type of `-> stream`.
constexpr uint64_t kStreamResultId = 0x995f9a3377c0b16e;

constexpr size_t kColumns = 100;
// Sizes and offsets saturate here, far above anything a message carries, so that absurd bounds
// cannot overflow the arithmetic.
constexpr int64_t kHuge = int64_t{1} << 40;

int64_t sat(int64_t v) {
  return v > kHuge ? kHuge : v;
}
int64_t sat_mul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kHuge / b ? kHuge : a * b;
}
int64_t round_up(int64_t v, int64_t a) {
  return (v + a - 1) / a * a;
}

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

// Names a schema may use that C++ reserves (or that are macros in GNU modes or common headers).
bool is_cpp_reserved(const std::string& s) {
  static const std::set<std::string> kWords = [] {
    const char* const kList =
        "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t "
        "char16_t char32_t class compl concept const consteval constexpr constinit const_cast "
        "continue co_await co_return co_yield decltype default delete do double dynamic_cast "
        "else enum explicit export extern false float for friend goto if inline int long "
        "mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected "
        "public register reinterpret_cast requires return short signed sizeof static "
        "static_assert static_cast struct switch template this thread_local throw true try "
        "typedef typeid typename union unsigned using virtual void volatile wchar_t while xor "
        "xor_eq linux unix errno assert offsetof NULL";
    std::set<std::string> words;
    std::string word;
    for (const char* p = kList;; ++p) {
      if (*p == ' ' || *p == '\0') {
        if (!word.empty()) words.insert(word);
        word.clear();
        if (*p == '\0') break;
      } else {
        word += *p;
      }
    }
    return words;
  }();
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

// ---- the model: what the generator emits, after validation ----

struct Type {
  enum class Kind { kBool, kInt, kEnum, kStruct, kText, kData, kList, kCap };
  Kind kind = Kind::kBool;
  int bytes = 1;                     // kInt: 1, 2, 4 or 8
  bool is_signed = false;            // kInt
  uint64_t id = 0;                   // kEnum, kStruct, kCap: the node
  uint32_t max = 0;                  // kText, kData, kList: $Hmk.maxSize
  std::shared_ptr<const Type> elem;  // kList
};

struct Field {
  std::string name;  // C++ member name
  Type type;
  std::string doc;
};

struct Struct {
  uint64_t id = 0;
  std::vector<Field> fields;  // declaration order (= wire order)
};

struct Method {
  std::string name;   // C++ name (the schema's, unless C++ reserves it)
  std::string upper;  // UpperCamel, for kConstants and Request/Response names
  uint16_t ordinal = 0;
  std::string doc;
  Struct request;
  Struct response;
};

struct Interface {
  uint64_t id = 0;
  std::string schema_name;  // "Outer.Name"
  std::string cpp_name;     // "Outer_Name"
  std::string doc;
  std::vector<Method> methods;  // declaration order
};

// Where a problem is: "<file>: interface X, method y" plus the chain of fields that leads to it,
// rendered "field a (struct S, field b (struct T, field c))".
struct Location {
  std::string head;
  std::vector<std::pair<std::string, std::string>> hops;  // (struct, field); first struct unused

  std::string render(const std::string& problem) const {
    std::string s = head;
    for (size_t i = 0; i < hops.size(); ++i) {
      if (i == 0) {
        s += ", field " + hops[i].second;
      } else {
        s += " (struct " + hops[i].first + ", field " + hops[i].second;
      }
    }
    if (hops.size() > 1) s += std::string(hops.size() - 1, ')');
    return s + ": " + problem;
  }
};

// Largest encoded size growth, as a max-plus matrix over the message offset modulo 8: every
// scalar is aligned to its own size (at most 8), so how much padding an encoding needs depends
// only on where it starts modulo 8. m[r][s] = the most bytes an encoding starting at an offset
// = r (mod 8) can take while ending at an offset = s (mod 8), or -1 if it cannot end there.
struct Growth {
  std::array<std::array<int64_t, 8>, 8> m;

  static Growth none() {
    Growth g;
    for (auto& row : g.m)
      row.fill(-1);
    return g;
  }
  static Growth identity() {
    Growth g = none();
    for (int r = 0; r < 8; ++r)
      g.m[r][r] = 0;
    return g;
  }
  static Growth scalar(int size) {
    Growth g = none();
    for (int r = 0; r < 8; ++r) {
      const int pad = (size - r % size) % size;
      g.m[r][(r + pad + size) % 8] = pad + size;
    }
    return g;
  }
  // 0..n raw bytes.
  static Growth bytes(int64_t n) {
    Growth g = none();
    for (int r = 0; r < 8; ++r)
      for (int64_t k = std::max<int64_t>(0, n - 7); k <= n; ++k)
        g.m[r][(r + k) % 8] = std::max(g.m[r][(r + k) % 8], k);
    return g;
  }
  Growth then(const Growth& next) const {
    Growth g = none();
    for (int r = 0; r < 8; ++r)
      for (int s = 0; s < 8; ++s) {
        if (m[r][s] < 0) continue;
        for (int t = 0; t < 8; ++t)
          if (next.m[s][t] >= 0) g.m[r][t] = std::max(g.m[r][t], sat(m[r][s] + next.m[s][t]));
      }
    return g;
  }
  Growth either(const Growth& other) const {
    Growth g = *this;
    for (int r = 0; r < 8; ++r)
      for (int s = 0; s < 8; ++s)
        g.m[r][s] = std::max(g.m[r][s], other.m[r][s]);
    return g;
  }
  // 0..n repetitions.
  Growth repeat(int64_t n) const {
    Growth all = identity();
    Growth cur = identity();
    for (int64_t i = 0; i < n; ++i) {
      Growth next = cur.then(*this);
      if (next.m == cur.m) break;  // an element that takes no room
      cur = next;
      all = all.either(cur);
    }
    return all;
  }
  // The most bytes a payload encoded from offset 0 takes.
  int64_t from_start() const { return *std::max_element(m[0].begin(), m[0].end()); }
};

struct Layout {
  int64_t size = 0;
  int64_t align = 1;
};

// ---- text output ----

class Out {
 public:
  void line(int indent, const std::string& text) {
    if (!text.empty()) text_ += std::string(indent, ' ') + text;
    text_ += '\n';
  }
  void blank() { text_ += '\n'; }
  void raw(const std::string& text) { text_ += text; }

  // A doc comment, one `//` line per line of the schema's comment, wrapped at the column limit.
  void doc(int indent, const std::string& doc) {
    if (doc.empty()) return;
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
    for (std::string l : lines) {
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

  // `head(arg, arg, ...)tail` wrapped the way clang-format (Google style, 100 columns) does:
  // on one line if it fits; else arguments aligned after the parenthesis; else all of them
  // on the next lines, indented by 4.
  void call(int indent, const std::string& head, const std::vector<std::string>& args,
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
    auto pack = [&](const std::string& first, size_t column, bool first_is_empty) {
      std::vector<std::string> lines;
      std::string cur = first;
      bool empty = first_is_empty;
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
    };
    std::vector<std::string> aligned = pack(pad + head + "(", indent + head.size() + 1, true);
    std::vector<std::string> broken = pack(std::string(indent + 4, ' '), indent + 4, true);
    broken.insert(broken.begin(), pad + head + "(");
    bool aligned_fits = true;
    for (const auto& l : aligned)
      if (l.size() > kColumns) aligned_fits = false;
    const auto& chosen = aligned_fits && aligned.size() <= broken.size() ? aligned : broken;
    for (const auto& l : chosen)
      raw(l + "\n");
  }

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// ---- the generator ----

class Generator {
 public:
  explicit Generator(schema::CodeGeneratorRequest::Reader request) : request_(request) {
    for (auto node : request.getNodes()) {
      nodes_.emplace(node.getId(), node);
      for (auto nested : node.getNestedNodes())
        parent_[nested.getId()] = node.getId();
    }
    for (auto info : request.getSourceInfo())
      infos_.emplace(info.getId(), info);
  }

  bool run(std::vector<OutputFile>* outputs, std::vector<std::string>* errors) {
    bool ok = true;
    for (auto file : request_.getRequestedFiles()) {
      OutputFile out;
      if (generate_file(file, &out)) {
        outputs->push_back(std::move(out));
      } else {
        ok = false;
      }
    }
    *errors = errors_;
    return ok && errors_.empty();
  }

 private:
  // ---- schema lookups ----

  bool has_node(uint64_t id) const { return nodes_.count(id) != 0; }
  schema::Node::Reader node(uint64_t id) const { return nodes_.at(id); }

  std::string doc_of(uint64_t id) const {
    auto it = infos_.find(id);
    return it == infos_.end() ? "" : str(it->second.getDocComment());
  }
  std::string member_doc(uint64_t id, uint32_t index) const {
    auto it = infos_.find(id);
    if (it == infos_.end()) return "";
    auto members = it->second.getMembers();
    return index < members.size() ? str(members[index].getDocComment()) : "";
  }

  // "Outer.Inner" for a node declared as Inner inside Outer.
  std::string schema_name(uint64_t id) const {
    const std::string display = str(node(id).getDisplayName());
    const size_t colon = display.find(':');
    return colon == std::string::npos ? display : display.substr(colon + 1);
  }
  // Nested declarations are flattened into the file's namespace: Outer.Inner -> Outer_Inner.
  std::string flat_name(uint64_t id) const {
    std::string s = schema_name(id);
    std::replace(s.begin(), s.end(), '.', '_');
    return s;
  }
  uint64_t file_of(uint64_t id) const {
    while (has_node(id) && !node(id).isFile()) {
      const uint64_t scope = node(id).getScopeId();
      if (scope != 0) {
        id = scope;
      } else {
        auto it = parent_.find(id);
        if (it == parent_.end()) return 0;
        id = it->second;
      }
    }
    return id;
  }
  std::string file_namespace(uint64_t file_id) const {
    auto file = node(file_id);
    for (auto a : file.getAnnotations())
      if (a.getId() == kNamespaceAnnotation && a.getValue().isText())
        return str(a.getValue().getText());
    std::string name = str(file.getDisplayName());
    const size_t slash = name.rfind('/');
    if (slash != std::string::npos) name = name.substr(slash + 1);
    const size_t dot = name.find('.');
    if (dot != std::string::npos) name = name.substr(0, dot);
    for (char& c : name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!ok) c = '_';
    }
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) name = "_" + name;
    return "hmk::svc::" + cpp_member(name);
  }
  static std::string header_path(const std::string& schema_path) {
    const std::string ext = ".capnp";
    if (schema_path.size() > ext.size() &&
        schema_path.compare(schema_path.size() - ext.size(), ext.size(), ext) == 0)
      return schema_path.substr(0, schema_path.size() - ext.size()) + ".hmk.h";
    return schema_path + ".hmk.h";
  }

  // A C++ reference to node `id` from the file being generated.
  std::string qualify(uint64_t id, const std::string& name) const {
    const uint64_t file = file_of(id);
    if (file == file_id_) return name;
    used_files_.insert(file);
    return "::" + file_namespace(file) + "::" + name;
  }
  std::string type_ref(uint64_t id) const {
    const std::string name = flat_name(id);
    // Inside an interface's struct, its own Method, Server, Client and FooRequest/FooResponse
    // hide a namespace-scope type of the same name: qualify that one.
    if (file_of(id) == file_id_ && hidden_.count(name) != 0)
      return "::" + file_namespace(file_id_) + "::" + name;
    return qualify(id, name);
  }
  std::string detail_ref(uint64_t id) const { return qualify(id, "detail::"); }
  std::string enum_count(uint64_t id) const { return qualify(id, "k" + flat_name(id) + "Count"); }
  std::string first_enumerant(uint64_t id) const {
    auto enumerants = node(id).getEnum().getEnumerants();
    return enumerants.size() == 0
               ? "{}"
               : type_ref(id) + "::k" + upper_first(str(enumerants[0].getName()));
  }

  static std::string type_name(schema::Type::Reader t, const Generator& g) {
    switch (t.which()) {
      case schema::Type::VOID:
        return "Void";
      case schema::Type::BOOL:
        return "Bool";
      case schema::Type::INT8:
        return "Int8";
      case schema::Type::INT16:
        return "Int16";
      case schema::Type::INT32:
        return "Int32";
      case schema::Type::INT64:
        return "Int64";
      case schema::Type::UINT8:
        return "UInt8";
      case schema::Type::UINT16:
        return "UInt16";
      case schema::Type::UINT32:
        return "UInt32";
      case schema::Type::UINT64:
        return "UInt64";
      case schema::Type::FLOAT32:
        return "Float32";
      case schema::Type::FLOAT64:
        return "Float64";
      case schema::Type::TEXT:
        return "Text";
      case schema::Type::DATA:
        return "Data";
      case schema::Type::LIST:
        return "List(" + type_name(t.getList().getElementType(), g) + ")";
      case schema::Type::ENUM:
        return g.named(t.getEnum().getTypeId());
      case schema::Type::STRUCT:
        return g.named(t.getStruct().getTypeId());
      case schema::Type::INTERFACE:
        return g.named(t.getInterface().getTypeId());
      case schema::Type::ANY_POINTER:
        return "AnyPointer";
    }
    return "?";
  }
  std::string named(uint64_t id) const { return has_node(id) ? schema_name(id) : "?"; }

  // ---- validation and the model ----

  void report(const Location& loc, const std::string& problem) {
    errors_.push_back(loc.render(problem));
  }

  static bool is_generic_brand(schema::Brand::Reader brand) {
    for (auto scope : brand.getScopes())
      if (scope.isBind() && scope.getBind().size() > 0) return true;
    return false;
  }

  bool is_zero_default(schema::Value::Reader v) {
    switch (v.which()) {
      case schema::Value::BOOL:
        return !v.getBool();
      case schema::Value::INT8:
        return v.getInt8() == 0;
      case schema::Value::INT16:
        return v.getInt16() == 0;
      case schema::Value::INT32:
        return v.getInt32() == 0;
      case schema::Value::INT64:
        return v.getInt64() == 0;
      case schema::Value::UINT8:
        return v.getUint8() == 0;
      case schema::Value::UINT16:
        return v.getUint16() == 0;
      case schema::Value::UINT32:
        return v.getUint32() == 0;
      case schema::Value::UINT64:
        return v.getUint64() == 0;
      case schema::Value::ENUM:
        return v.getEnum() == 0;
      default:
        return false;  // pointers: any explicit default is unsupported
    }
  }

  // Resolves a field's (or list element's) type; `max` is its $Hmk.maxSize, 0 if absent.
  bool resolve_type(schema::Type::Reader t, uint32_t max, bool has_max, Location& loc, Type* out) {
    const std::string name = type_name(t, *this);
    auto needs_max = [&](const std::string& what) {
      if (!has_max) {
        report(loc, what + " needs $Hmk.maxSize(N): the transport cannot carry an unbounded value");
        return false;
      }
      if (max == 0) {
        report(loc, "$Hmk.maxSize(0) on " + what + ": the bound must be at least 1");
        return false;
      }
      if (max > kMaxBytes) {
        report(loc, "$Hmk.maxSize(" + std::to_string(max) + ") on " + what +
                        " is over 1024 (rpc::kMaxBytes): no message could carry it");
        return false;
      }
      return true;
    };
    const bool pointer = t.isText() || t.isData() || t.isList();
    if (has_max && !pointer) {
      report(loc, "$Hmk.maxSize applies only to Text, Data and List, not " + name);
      return false;
    }
    auto integer = [&](int bytes, bool is_signed) {
      out->kind = Type::Kind::kInt;
      out->bytes = bytes;
      out->is_signed = is_signed;
      return true;
    };
    switch (t.which()) {
      case schema::Type::VOID:
        report(loc, "Void is not supported: a field must carry a value");
        return false;
      case schema::Type::BOOL:
        out->kind = Type::Kind::kBool;
        return true;
      case schema::Type::INT8:
        return integer(1, true);
      case schema::Type::INT16:
        return integer(2, true);
      case schema::Type::INT32:
        return integer(4, true);
      case schema::Type::INT64:
        return integer(8, true);
      case schema::Type::UINT8:
        return integer(1, false);
      case schema::Type::UINT16:
        return integer(2, false);
      case schema::Type::UINT32:
        return integer(4, false);
      case schema::Type::UINT64:
        return integer(8, false);
      case schema::Type::FLOAT32:
      case schema::Type::FLOAT64:
        report(loc, name +
                        " is not supported: the kernel builds without floating-point registers "
                        "(-mgeneral-regs-only)");
        return false;
      case schema::Type::TEXT:
      case schema::Type::DATA:
        if (!needs_max(name)) return false;
        out->kind = t.isText() ? Type::Kind::kText : Type::Kind::kData;
        out->max = max;
        return true;
      case schema::Type::LIST: {
        auto elem = t.getList().getElementType();
        if (elem.isList() || elem.isText() || elem.isData()) {
          report(loc, name +
                          " is not supported: $Hmk.maxSize bounds the list, its elements would "
                          "be unbounded");
          return false;
        }
        if (!needs_max(name)) return false;
        auto resolved = std::make_shared<Type>();
        if (!resolve_type(elem, 0, false, loc, resolved.get())) return false;
        out->kind = Type::Kind::kList;
        out->max = max;
        out->elem = resolved;
        return true;
      }
      case schema::Type::ENUM: {
        const uint64_t id = t.getEnum().getTypeId();
        if (is_generic_brand(t.getEnum().getBrand()) || node(id).getIsGeneric()) {
          report(loc, "generic enum " + name + " is not supported");
          return false;
        }
        out->kind = Type::Kind::kEnum;
        out->id = id;
        return true;
      }
      case schema::Type::STRUCT: {
        const uint64_t id = t.getStruct().getTypeId();
        if (is_generic_brand(t.getStruct().getBrand()) || node(id).getIsGeneric()) {
          report(loc, "generic struct " + name + " is not supported");
          structs_state_[id] = State::kBad;  // reported once
          return false;
        }
        if (!check_struct(id, loc)) return false;
        out->kind = Type::Kind::kStruct;
        out->id = id;
        return true;
      }
      case schema::Type::INTERFACE: {
        const uint64_t id = t.getInterface().getTypeId();
        if (is_generic_brand(t.getInterface().getBrand()) || node(id).getIsGeneric()) {
          report(loc, "generic interface " + name + " is not supported");
          return false;
        }
        out->kind = Type::Kind::kCap;
        out->id = id;
        return true;
      }
      case schema::Type::ANY_POINTER:
        if (t.getAnyPointer().isUnconstrained()) {
          report(loc, "AnyPointer is not supported: the generator needs a concrete type");
        } else {
          report(loc, "generic type parameters are not supported");
        }
        return false;
    }
    report(loc, "unknown type");
    return false;
  }

  // The fields of struct node `id` in declaration order; problems are reported at `loc` (whose
  // last hop is the field that leads here, if any).
  bool collect_fields(uint64_t id, Location& loc, Struct* out) {
    auto n = node(id);
    auto st = n.getStruct();
    std::vector<std::pair<uint16_t, uint32_t>> order;  // (code order, index)
    for (uint32_t i = 0; i < st.getFields().size(); ++i)
      order.emplace_back(st.getFields()[i].getCodeOrder(), i);
    std::sort(order.begin(), order.end());
    const std::string struct_name = schema_name(id);
    bool ok = true;
    bool union_reported = false;
    out->id = id;
    for (auto [code_order, index] : order) {
      auto f = st.getFields()[index];
      const std::string fname = str(f.getName());
      loc.hops.emplace_back(struct_name, fname);
      struct Pop {
        Location& l;
        ~Pop() { l.hops.pop_back(); }
      } pop{loc};
      if (f.getDiscriminantValue() != schema::Field::NO_DISCRIMINANT) {
        if (!union_reported)
          report(loc, "unions are not supported: a generated struct has no variants");
        union_reported = true;
        ok = false;
        continue;
      }
      if (f.isGroup()) {
        const uint64_t group = f.getGroup().getTypeId();
        if (has_node(group) && node(group).getStruct().getDiscriminantCount() > 0) {
          report(loc, "unions are not supported: a generated struct has no variants");
        } else {
          report(loc, "groups are not supported: declare a struct instead");
        }
        ok = false;
        continue;
      }
      auto slot = f.getSlot();
      uint32_t max = 0;
      bool has_max = false;
      for (auto a : f.getAnnotations())
        if (a.getId() == kMaxSizeAnnotation && a.getValue().isUint32()) {
          max = a.getValue().getUint32();
          has_max = true;
        }
      Field field;
      field.name = cpp_member(fname);
      field.doc = member_doc(id, index);
      if (!resolve_type(slot.getType(), max, has_max, loc, &field.type)) {
        ok = false;
        continue;
      }
      if (slot.getHadExplicitDefault() && !is_zero_default(slot.getDefaultValue())) {
        report(loc, "non-zero default values are not supported: generated fields start at zero");
        ok = false;
        continue;
      }
      out->fields.push_back(std::move(field));
    }
    return ok;
  }

  enum class State { kChecking, kOk, kBad };

  // Validates a named struct once; later references only learn whether it is usable.
  bool check_struct(uint64_t id, Location& loc) {
    auto it = structs_state_.find(id);
    if (it != structs_state_.end()) {
      if (it->second == State::kChecking) {
        report(loc,
               "struct " + schema_name(id) + " contains itself: its C++ layout would be unbounded");
        return false;
      }
      return it->second == State::kOk;
    }
    structs_state_[id] = State::kChecking;
    Struct s;
    const bool ok = collect_fields(id, loc, &s);
    structs_state_[id] = ok ? State::kOk : State::kBad;
    if (ok) structs_.emplace(id, std::move(s));
    return ok;
  }

  Layout layout(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kBool:
        return {1, 1};
      case Type::Kind::kInt:
        return {t.bytes, t.bytes};
      case Type::Kind::kEnum:
        return {2, 2};
      case Type::Kind::kCap:
        return {4, 4};
      case Type::Kind::kText:
      case Type::Kind::kData:
        return {round_up(4 + t.max, 4), 4};
      case Type::Kind::kList: {
        const Layout e = layout(*t.elem);
        const int64_t align = std::max<int64_t>(4, e.align);
        return {sat(round_up(round_up(4, e.align) + sat_mul(t.max, e.size), align)), align};
      }
      case Type::Kind::kStruct:
        return struct_layout(structs_.at(t.id));
    }
    return {};
  }
  Layout struct_layout(const Struct& s) {
    int64_t offset = 0;
    int64_t align = 1;
    for (const auto& f : s.fields) {
      const Layout l = layout(f.type);
      offset = sat(round_up(offset, l.align) + l.size);
      align = std::max(align, l.align);
    }
    return {offset == 0 ? 1 : round_up(offset, align), align};
  }

  Growth growth(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kBool:
        return Growth::scalar(1);
      case Type::Kind::kInt:
        return Growth::scalar(t.bytes);
      case Type::Kind::kEnum:
        return Growth::scalar(2);
      case Type::Kind::kCap:
        return Growth::scalar(4);
      case Type::Kind::kText:
      case Type::Kind::kData:
        return Growth::scalar(4).then(Growth::bytes(t.max));
      case Type::Kind::kList:
        if (is_byte_list(t)) return Growth::scalar(4).then(Growth::bytes(t.max));
        return Growth::scalar(4).then(growth(*t.elem).repeat(t.max));
      case Type::Kind::kStruct: {
        auto it = growth_.find(t.id);
        if (it != growth_.end()) return it->second;
        const Growth g = struct_growth(structs_.at(t.id));
        growth_.emplace(t.id, g);
        return g;
      }
    }
    return Growth::identity();
  }
  Growth struct_growth(const Struct& s) {
    Growth g = Growth::identity();
    for (const auto& f : s.fields)
      g = g.then(growth(f.type));
    return g;
  }

  int64_t caps(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kCap:
        return 1;
      case Type::Kind::kList:
        return sat_mul(t.max, caps(*t.elem));
      case Type::Kind::kStruct:
        return struct_caps(structs_.at(t.id));
      default:
        return 0;
    }
  }
  int64_t struct_caps(const Struct& s) {
    int64_t n = 0;
    for (const auto& f : s.fields)
      n = sat(n + caps(f.type));
    return n;
  }

  static bool is_byte_list(const Type& t) {
    return t.kind == Type::Kind::kList && t.elem->kind == Type::Kind::kInt && t.elem->bytes == 1;
  }

  // Whether check() has anything to look at (bounds, enum ranges).
  bool needs_check(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kEnum:
      case Type::Kind::kText:
      case Type::Kind::kData:
      case Type::Kind::kList:
        return true;
      case Type::Kind::kStruct:
        return struct_needs_check(structs_.at(t.id));
      default:
        return false;
    }
  }
  bool struct_needs_check(const Struct& s) {
    for (const auto& f : s.fields)
      if (needs_check(f.type)) return true;
    return false;
  }

  // Every declaration of the file in declaration order (depth first).
  void walk(uint64_t id, std::vector<uint64_t>* out) const {
    for (auto nested : node(id).getNestedNodes()) {
      if (!has_node(nested.getId())) continue;
      out->push_back(nested.getId());
      walk(nested.getId(), out);
    }
  }

  bool check_interface(uint64_t id, const std::string& file_name, Interface* out) {
    auto n = node(id);
    Location loc{file_name + ": interface " + schema_name(id), {}};
    out->id = id;
    out->schema_name = schema_name(id);
    out->cpp_name = flat_name(id);
    out->doc = doc_of(id);
    if (n.getIsGeneric()) {
      report(loc, "generic interfaces are not supported");
      return false;
    }
    auto iface = n.getInterface();
    if (iface.getSuperclasses().size() > 0) {
      report(loc,
             "interface inheritance (extends) is not supported: declare the methods in one "
             "interface");
      return false;
    }
    std::vector<std::pair<uint16_t, uint32_t>> order;
    for (uint32_t i = 0; i < iface.getMethods().size(); ++i)
      order.emplace_back(iface.getMethods()[i].getCodeOrder(), i);
    std::sort(order.begin(), order.end());
    bool ok = true;
    for (auto [code_order, index] : order) {
      auto m = iface.getMethods()[index];
      const std::string mname = str(m.getName());
      Location mloc{loc.head + ", method " + mname, {}};
      if (m.getImplicitParameters().size() > 0) {
        report(mloc, "generic methods are not supported");
        ok = false;
        continue;
      }
      if (m.getResultStructType() == kStreamResultId) {
        report(mloc, "streaming (-> stream) is not supported: every call gets a reply");
        ok = false;
        continue;
      }
      if (is_generic_brand(m.getParamBrand()) || is_generic_brand(m.getResultBrand()) ||
          node(m.getParamStructType()).getIsGeneric() ||
          node(m.getResultStructType()).getIsGeneric()) {
        report(mloc, "generic parameter or result structs are not supported");
        ok = false;
        continue;
      }
      if (mname == "channel") {
        report(mloc, "the name is taken by the generated Client::channel(); rename the method");
        ok = false;
        continue;
      }
      Method method;
      method.name = cpp_member(mname);
      method.upper = upper_first(mname);
      method.ordinal = static_cast<uint16_t>(index);
      method.doc = member_doc(id, index);
      bool method_ok = collect_fields(m.getParamStructType(), mloc, &method.request);
      method_ok = collect_fields(m.getResultStructType(), mloc, &method.response) && method_ok;
      if (!method_ok) {
        ok = false;
        continue;
      }
      for (const auto* half : {&method.request, &method.response}) {
        const char* what = half == &method.request ? "request" : "response";
        const int64_t bytes = struct_growth(*half).from_start();
        const int64_t cap_count = struct_caps(*half);
        if (bytes > static_cast<int64_t>(kMaxBytes)) {
          report(mloc,
                 std::string("the ") + what + " can take " +
                     (bytes >= kHuge ? "over " + std::to_string(kHuge) : std::to_string(bytes)) +
                     " bytes, more than a message carries (rpc::kMaxBytes = 1024)");
          ok = false;
        }
        if (cap_count > static_cast<int64_t>(kMaxCaps)) {
          report(mloc, std::string("the ") + what + " can carry " + std::to_string(cap_count) +
                           " capabilities, more than a message carries (rpc::kMaxCaps = 4)");
          ok = false;
        }
      }
      out->methods.push_back(std::move(method));
    }
    return ok;
  }

  // ---- code emission ----

  std::string cpp_type(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kBool:
        return "bool";
      case Type::Kind::kInt:
        return std::string(t.is_signed ? "int" : "uint") + std::to_string(t.bytes * 8) + "_t";
      case Type::Kind::kEnum:
      case Type::Kind::kStruct:
        return type_ref(t.id);
      case Type::Kind::kText:
        return "rpc::Text<" + std::to_string(t.max) + ">";
      case Type::Kind::kData:
        return "rpc::Data<" + std::to_string(t.max) + ">";
      case Type::Kind::kList:
        return "rpc::List<" + cpp_type(*t.elem) + ", " + std::to_string(t.max) + ">";
      case Type::Kind::kCap:
        return "rpc::Cap";
    }
    return "?";
  }
  std::string initializer(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kBool:
        return " = false";
      case Type::Kind::kInt:
        return " = 0";
      case Type::Kind::kEnum:
        return " = " + first_enumerant(t.id);
      default:
        return "";
    }
  }

  void emit_struct_body(Out& out, int indent, const std::string& name, const Struct& s) {
    if (s.fields.empty()) {
      out.line(indent, "struct " + name + " {};");
      return;
    }
    out.line(indent, "struct " + name + " {");
    for (const auto& f : s.fields) {
      out.doc(indent + 2, f.doc);
      out.line(indent + 2, cpp_type(f.type) + " " + f.name + initializer(f.type) + ";");
    }
    out.line(indent, "};");
  }

  // Encodes `expr` (an lvalue of type t).
  void emit_encode(Out& out, int indent, const Type& t, const std::string& expr) {
    switch (t.kind) {
      case Type::Kind::kBool:
        out.line(indent, "w.boolean(" + expr + ");");
        return;
      case Type::Kind::kInt:
        out.line(indent, "w.scalar(" + expr + ");");
        return;
      case Type::Kind::kEnum:
        out.line(indent, "w.scalar(static_cast<uint16_t>(" + expr + "));");
        return;
      case Type::Kind::kCap:
        out.line(indent, "w.cap(" + expr + ");");
        return;
      case Type::Kind::kStruct:
        out.line(indent, detail_ref(t.id) + "encode(w, " + expr + ");");
        return;
      case Type::Kind::kText:
      case Type::Kind::kData:
        out.call(indent, "w.bytes", {expr + ".data", expr + ".size", std::to_string(t.max)}, ";");
        return;
      case Type::Kind::kList:
        if (is_byte_list(t)) {
          out.call(indent, "w.bytes", {expr + ".items", expr + ".size", std::to_string(t.max)},
                   ";");
          return;
        }
        out.line(indent, "w.count(" + expr + ".size, " + std::to_string(t.max) + ");");
        out.line(indent, "if (!w.ok()) return;");
        out.line(indent, "for (uint32_t i = 0; i < " + expr + ".size; ++i)");
        emit_encode(out, indent + 2, *t.elem, expr + ".items[i]");
        return;
    }
  }

  // Decodes into `expr` (a pointer expression's target, written as an lvalue).
  void emit_decode(Out& out, int indent, const Type& t, const std::string& expr) {
    auto fail_unless = [&](const std::string& cond) {
      out.line(indent, "if (!" + cond + ") return false;");
    };
    switch (t.kind) {
      case Type::Kind::kBool:
        fail_unless("r.boolean(&" + expr + ")");
        return;
      case Type::Kind::kInt:
        fail_unless("r.scalar(&" + expr + ")");
        return;
      case Type::Kind::kEnum:
        fail_unless("r.enumeration(&" + expr + ", " + enum_count(t.id) + ")");
        return;
      case Type::Kind::kCap:
        fail_unless("r.cap(&" + expr + ")");
        return;
      case Type::Kind::kStruct:
        fail_unless(detail_ref(t.id) + "decode(r, &" + expr + ")");
        return;
      case Type::Kind::kText:
      case Type::Kind::kData:
        fail_unless("r.bytes(" + expr + ".data, &" + expr + ".size, " + std::to_string(t.max) +
                    ")");
        return;
      case Type::Kind::kList:
        if (is_byte_list(t)) {
          fail_unless("r.bytes(" + expr + ".items, &" + expr + ".size, " + std::to_string(t.max) +
                      ")");
          return;
        }
        fail_unless("r.count(&" + expr + ".size, " + std::to_string(t.max) + ")");
        out.line(indent, "for (uint32_t i = 0; i < " + expr + ".size; ++i)");
        emit_decode(out, indent + 2, *t.elem, expr + ".items[i]");
        return;
    }
  }

  void emit_check(Out& out, int indent, const Type& t, const std::string& expr) {
    switch (t.kind) {
      case Type::Kind::kEnum:
        out.line(indent, "if (static_cast<uint16_t>(" + expr + ") >= " + enum_count(t.id) +
                             ") return false;");
        return;
      case Type::Kind::kStruct:
        if (needs_check(t))
          out.line(indent, "if (!" + detail_ref(t.id) + "check(" + expr + ")) return false;");
        return;
      case Type::Kind::kText:
      case Type::Kind::kData:
        out.line(indent, "if (" + expr + ".size > " + std::to_string(t.max) + ") return false;");
        return;
      case Type::Kind::kList:
        out.line(indent, "if (" + expr + ".size > " + std::to_string(t.max) + ") return false;");
        if (needs_check(*t.elem)) {
          out.line(indent, "for (uint32_t i = 0; i < " + expr + ".size; ++i)");
          emit_check(out, indent + 2, *t.elem, expr + ".items[i]");
        }
        return;
      default:
        return;
    }
  }

  void emit_functions(Out& out, const std::string& name, const Struct& s) {
    if (s.fields.empty()) {
      out.line(0, "inline void encode(rpc::Writer&, const " + name + "&) {}");
    } else {
      out.line(0, "inline void encode(rpc::Writer& w, const " + name + "& v) {");
      for (const auto& f : s.fields)
        emit_encode(out, 2, f.type, "v." + f.name);
      out.line(0, "}");
    }
    out.blank();
    if (s.fields.empty()) {
      out.line(0, "inline bool decode(rpc::Reader&, " + name + "*) {");
    } else {
      out.line(0, "inline bool decode(rpc::Reader& r, " + name + "* v) {");
      for (const auto& f : s.fields)
        emit_decode(out, 2, f.type, "v->" + f.name);
    }
    out.line(2, "return true;");
    out.line(0, "}");
    out.blank();
    if (!struct_needs_check(s)) {
      out.line(0, "inline bool check(const " + name + "&) {");
    } else {
      out.line(0, "inline bool check(const " + name + "& v) {");
      for (const auto& f : s.fields)
        emit_check(out, 2, f.type, "v." + f.name);
    }
    out.line(2, "return true;");
    out.line(0, "}");
  }

  // Same-file structs ordered so that every struct follows the structs it contains.
  void order_struct(uint64_t id, std::set<uint64_t>* done, std::vector<uint64_t>* order) {
    if (!done->insert(id).second) return;
    std::vector<uint64_t> deps;
    for (const auto& f : structs_.at(id).fields) {
      const Type* t = &f.type;
      if (t->kind == Type::Kind::kList) t = t->elem.get();
      if (t->kind == Type::Kind::kStruct && file_of(t->id) == file_id_) deps.push_back(t->id);
    }
    for (uint64_t d : deps)
      order_struct(d, done, order);
    order->push_back(id);
  }

  void emit_interface(Out& out, const Interface& i) {
    const std::string& n = i.cpp_name;
    hidden_ = {"Method", "Server", "Client"};
    for (const auto& m : i.methods) {
      hidden_.insert(m.upper + "Request");
      hidden_.insert(m.upper + "Response");
    }
    struct Clear {
      std::set<std::string>& names;
      ~Clear() { names.clear(); }
    } clear{hidden_};
    out.doc(0, i.doc);
    out.line(0, "struct " + n + " {");
    out.line(2, "static constexpr uint64_t kInterfaceId = " + hex64(i.id) + ";");
    out.line(2, "static constexpr const char kName[] = \"" + i.schema_name + "\";");
    out.blank();
    if (i.methods.empty()) {
      out.line(2, "enum class Method : uint32_t {};");
    } else {
      out.line(2, "enum class Method : uint32_t {");
      for (const auto& m : i.methods)
        out.line(4, "k" + m.upper + " = " + std::to_string(m.ordinal) + ",");
      out.line(2, "};");
    }
    out.line(2,
             "static constexpr uint32_t kMethodCount = " + std::to_string(i.methods.size()) + ";");
    for (const auto& m : i.methods) {
      out.blank();
      for (const auto* half : {&m.request, &m.response}) {
        const std::string sname = m.upper + (half == &m.request ? "Request" : "Response");
        emit_struct_body(out, 2, sname, *half);
      }
      for (const auto* half : {&m.request, &m.response}) {
        const std::string sname = m.upper + (half == &m.request ? "Request" : "Response");
        out.line(2, "static_assert(sizeof(" + sname +
                        ") == " + std::to_string(struct_layout(*half).size) + ");");
      }
      for (const auto* half : {&m.request, &m.response}) {
        const std::string sname = m.upper + (half == &m.request ? "Request" : "Response");
        out.line(2, "static constexpr uint32_t k" + sname +
                        "MaxBytes = " + std::to_string(struct_growth(*half).from_start()) + ";");
        out.line(2, "static constexpr uint32_t k" + sname +
                        "MaxCaps = " + std::to_string(struct_caps(*half)) + ";");
        out.line(2, "static_assert(k" + sname + "MaxBytes <= rpc::kMaxBytes);");
        out.line(2, "static_assert(k" + sname + "MaxCaps <= rpc::kMaxCaps);");
      }
    }
    out.blank();
    out.line(2,
             "// What a service implements. Called by dispatch() (another domain, the kernel) or");
    out.line(2, "// directly by a Client on a local channel.");
    out.line(2, "class Server {");
    for (size_t k = 0; k < i.methods.size(); ++k) {
      const auto& m = i.methods[k];
      out.line(3, k == 0 ? "public:" : "");
      out.doc(4, m.doc);
      out.call(4, "virtual rpc::Status " + m.name,
               {"const " + m.upper + "Request& req", m.upper + "Response& resp",
                "const rpc::CallContext& ctx"},
               " = 0;");
    }
    if (!i.methods.empty()) out.blank();
    out.line(3, "protected:");
    out.line(4,
             "~Server() = default;  // not virtual: freestanding builds have no operator delete");
    out.line(2, "};");
    out.blank();
    out.line(2, "// What a caller uses: the same code whether the channel is local or ipc.");
    out.line(2, "class Client {");
    out.line(3, "public:");
    out.line(4, "Client() = default;");
    out.line(4, "explicit Client(rpc::Channel channel) : channel_(channel) {}");
    out.line(4, "const rpc::Channel& channel() const { return channel_; }");
    for (const auto& m : i.methods) {
      out.blank();
      out.doc(4, m.doc);
      out.call(4, "rpc::Status " + m.name,
               {"const " + m.upper + "Request& req", m.upper + "Response& resp"}, " const;");
    }
    out.blank();
    out.line(3, "private:");
    out.line(4, "rpc::Channel channel_;");
    out.line(2, "};");
    out.blank();
    out.line(2,
             "// A local channel to `server` (converted to Server* here, so a class that also has");
    out.line(2, "// other bases is passed correctly).");
    out.line(2, "static rpc::Channel local_channel(Server* server) {");
    out.line(4, "return rpc::Channel::local(server, kInterfaceId);");
    out.line(2, "}");
    out.blank();
    out.line(2, "// Decodes `msg` as a request, calls the server and encodes the reply into `msg`");
    out.line(2, "// (label = the Status; the response, or nothing on an error). Trusts nothing in");
    out.line(2, "// `msg`: an unknown ordinal is kBadMethod; a short message, a count over its");
    out.line(2,
             "// maximum, a bad enum or bool is kBadMessage; a capability index the message does");
    out.line(2, "// not carry is kMissingCapability. The server is not called in those cases.");
    out.call(2, "static rpc::Status dispatch",
             {"Server& server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, ";");
    out.line(2, "// dispatch() for a type-erased server: an rpc::DispatchFn.");
    out.call(2, "static rpc::Status dispatch_erased",
             {"void* server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, ";");
    if (!i.methods.empty()) {
      out.blank();
      out.line(1, "private:");
      for (const auto& m : i.methods)
        out.call(2, "static rpc::Status serve_" + m.name,
                 {"Server& server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, ";");
    }
    out.line(0, "};");
  }

  void emit_interface_definitions(Out& out, const Interface& i) {
    const std::string& n = i.cpp_name;
    for (const auto& m : i.methods) {
      out.blank();
      out.call(0, "inline rpc::Status " + n + "::Client::" + m.name,
               {"const " + m.upper + "Request& req", m.upper + "Response& resp"}, " const {");
      out.line(2, "if (!detail::check(req)) return rpc::Status::kInvalidArgument;");
      out.line(2, "if (void* local = channel_.local_server(kInterfaceId)) {");
      out.line(4, "Server* server = static_cast<Server*>(local);");
      out.call(4, "const rpc::Status status = server->" + m.name,
               {"req", "resp", "rpc::CallContext{}"}, ";");
      out.line(4,
               "if (status == rpc::Status::kOk && !detail::check(resp)) "
               "return rpc::Status::kBadMessage;");
      out.line(4, "return status;");
      out.line(2, "}");
      out.line(2, "rpc::Message msg;");
      out.line(2, "msg.label = static_cast<uint32_t>(Method::k" + m.upper + ");");
      out.line(2, "rpc::Writer w(msg);");
      out.line(2, "detail::encode(w, req);");
      out.line(2, "if (!w.ok()) return rpc::Status::kInvalidArgument;");
      out.line(2, "const rpc::Status status = channel_.call(msg);");
      out.line(2, "if (status != rpc::Status::kOk) return status;");
      out.line(2,
               "// An error reply hands nothing over; a response keeps the capabilities it names.");
      out.line(2,
               "if (msg.label != 0) return rpc::refuse_message(msg, "
               "static_cast<rpc::Status>(msg.label));");
      out.line(2, "rpc::Reader r(msg);");
      out.line(2, "if (!detail::decode(r, &resp)) return rpc::refuse_message(msg, r.status());");
      out.line(2, "if (msg.cap_count != 0) rpc::drop_caps(msg, rpc::kAllCaps & ~r.caps_taken());");
      out.line(2, "return rpc::Status::kOk;");
      out.line(0, "}");
    }
    for (const auto& m : i.methods) {
      out.blank();
      out.call(0, "inline rpc::Status " + n + "::serve_" + m.name,
               {"Server& server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, " {");
      out.line(2, m.upper + "Request req;");
      out.line(2, "rpc::Reader r(msg);");
      out.line(
          2,
          "// Capabilities the request does not name go now; the named ones with a failed call.");
      out.line(2, "if (!detail::decode(r, &req)) return rpc::refuse_message(msg, r.status());");
      out.line(2, "if (msg.cap_count != 0) rpc::drop_caps(msg, rpc::kAllCaps & ~r.caps_taken());");
      out.line(2, m.upper + "Response resp;");
      out.call(2, "const rpc::Status status = server." + m.name, {"req", "resp", "ctx"}, ";");
      out.line(2, "if (status != rpc::Status::kOk) {");
      out.line(4, "if (msg.cap_count != 0) rpc::drop_caps(msg, r.caps_taken());");
      out.line(4, "return status;");
      out.line(2, "}");
      out.line(2, "if (!detail::check(resp)) return rpc::Status::kBadMessage;");
      out.line(2, "rpc::Writer w(msg);");
      out.line(2, "detail::encode(w, resp);");
      out.line(2, "return w.ok() ? rpc::Status::kOk : rpc::Status::kBadMessage;");
      out.line(0, "}");
    }
    out.blank();
    // Without methods nothing reads the server or the context (and -Werror forbids unused ones).
    const bool none = i.methods.empty();
    out.call(0, "inline rpc::Status " + n + "::dispatch",
             {none ? "Server&" : "Server& server", "rpc::Message& msg",
              none ? "const rpc::CallContext&" : "const rpc::CallContext& ctx"},
             " {");
    out.line(2, "rpc::Status status = rpc::Status::kBadMessage;");
    out.line(2, "if (msg.size <= rpc::kMaxBytes && msg.cap_count <= rpc::kMaxCaps) {");
    out.line(4, "switch (msg.label) {");
    for (const auto& m : i.methods) {
      out.line(6, "case static_cast<uint32_t>(Method::k" + m.upper + "):");
      out.call(8, "status = serve_" + m.name, {"server", "msg", "ctx"}, ";");
      out.line(8, "break;");
    }
    out.line(6, "default:  // no serve_ function takes it: its capabilities go now");
    out.line(8, "status = rpc::Status::kBadMethod;");
    out.line(8, "if (msg.cap_count != 0) rpc::drop_caps(msg, rpc::kAllCaps);");
    out.line(8, "break;");
    out.line(4, "}");
    out.line(2, "} else if (msg.cap_count != 0) {");
    out.line(4, "rpc::drop_caps(msg, rpc::kAllCaps);  // a header no serve_ function may read");
    out.line(2, "}");
    out.line(2, "msg.label = static_cast<uint32_t>(status);");
    out.line(2, "if (status != rpc::Status::kOk) {");
    out.line(4, "msg.size = 0;");
    out.line(4, "msg.cap_count = 0;");
    out.line(2, "}");
    out.line(2, "return status;");
    out.line(0, "}");
    out.blank();
    out.call(0, "inline rpc::Status " + n + "::dispatch_erased",
             {"void* server", "rpc::Message& msg", "const rpc::CallContext& ctx"}, " {");
    out.line(2, "return dispatch(*static_cast<Server*>(server), msg, ctx);");
    out.line(0, "}");
  }

  bool generate_file(schema::CodeGeneratorRequest::RequestedFile::Reader file, OutputFile* result) {
    file_id_ = file.getId();
    used_files_.clear();
    const std::string file_name = str(file.getFilename());
    const size_t errors_before = errors_.size();
    if (!has_node(file_id_)) {
      errors_.push_back(file_name + ": the request holds no node for this file");
      return false;
    }
    const std::string ns = file_namespace(file_id_);
    {
      bool ns_ok = !ns.empty();
      size_t start = 0;
      while (ns_ok && start <= ns.size()) {
        size_t end = ns.find("::", start);
        if (end == std::string::npos) end = ns.size();
        ns_ok = is_identifier(ns.substr(start, end - start));
        start = end + 2;
      }
      if (!ns_ok)
        errors_.push_back(file_name + ": $Hmk.namespace(\"" + ns + "\") is not a C++ namespace");
    }

    std::vector<uint64_t> decls;
    walk(file_id_, &decls);

    // Interfaces first, so that a struct's problems are reported on the method that uses it.
    std::vector<Interface> interfaces;
    for (uint64_t id : decls) {
      if (!node(id).isInterface()) continue;
      Interface i;
      if (check_interface(id, file_name, &i)) interfaces.push_back(std::move(i));
    }
    std::vector<uint64_t> enums;
    std::vector<uint64_t> structs;
    for (uint64_t id : decls) {
      auto n = node(id);
      if (n.isEnum()) {
        if (n.getIsGeneric()) {
          errors_.push_back(file_name + ": enum " + schema_name(id) +
                            ": enums in generic structs are not supported");
          continue;
        }
        enums.push_back(id);
      } else if (n.isStruct() && !n.getStruct().getIsGroup()) {
        Location loc{file_name + ": struct " + schema_name(id), {}};
        if (n.getIsGeneric()) {
          if (structs_state_.count(id) == 0) report(loc, "generic structs are not supported");
          structs_state_[id] = State::kBad;
          continue;
        }
        if (check_struct(id, loc)) structs.push_back(id);
      }
    }
    if (errors_.size() != errors_before) return false;

    // Everything checked: emit. The body comes first so that the includes are known.
    Out body;
    for (uint64_t id : enums) {
      auto enumerants = node(id).getEnum().getEnumerants();
      std::vector<std::pair<uint16_t, uint32_t>> order;
      for (uint32_t k = 0; k < enumerants.size(); ++k)
        order.emplace_back(enumerants[k].getCodeOrder(), k);
      std::sort(order.begin(), order.end());
      const std::string name = flat_name(id);
      body.doc(0, doc_of(id));
      body.line(0, "enum class " + name + " : uint16_t {");
      for (auto [code_order, k] : order) {
        body.doc(2, member_doc(id, k));
        body.line(
            2, "k" + upper_first(str(enumerants[k].getName())) + " = " + std::to_string(k) + ",");
      }
      body.line(0, "};");
      body.line(0, "inline constexpr uint16_t k" + name +
                       "Count = " + std::to_string(enumerants.size()) + ";");
      body.blank();
    }
    std::set<uint64_t> done;
    std::vector<uint64_t> order;
    for (uint64_t id : structs)
      order_struct(id, &done, &order);
    for (uint64_t id : order) {
      const std::string name = flat_name(id);
      body.doc(0, doc_of(id));
      emit_struct_body(body, 0, name, structs_.at(id));
      body.line(0, "static_assert(sizeof(" + name +
                       ") == " + std::to_string(struct_layout(structs_.at(id)).size) + ");");
      body.blank();
    }
    if (!order.empty()) {
      body.line(0, "namespace detail {");
      for (uint64_t id : order) {
        body.blank();
        emit_functions(body, flat_name(id), structs_.at(id));
      }
      body.blank();
      body.line(0, "}  // namespace detail");
      body.blank();
    }
    for (const auto& i : interfaces) {
      emit_interface(body, i);
      body.blank();
    }
    bool any_method = false;
    for (const auto& i : interfaces)
      any_method = any_method || !i.methods.empty();
    if (any_method) {
      body.line(0, "namespace detail {");
      for (const auto& i : interfaces)
        for (const auto& m : i.methods) {
          body.blank();
          emit_functions(body, i.cpp_name + "::" + m.upper + "Request", m.request);
          body.blank();
          emit_functions(body, i.cpp_name + "::" + m.upper + "Response", m.response);
        }
      body.blank();
      body.line(0, "}  // namespace detail");
    }
    for (const auto& i : interfaces)
      emit_interface_definitions(body, i);

    Out out;
    out.line(0, "// Generated by capnpc-hmk from " + file_name + ". Do not edit.");
    const std::string file_doc = doc_of(file_id_);
    if (!file_doc.empty()) {
      out.line(0, "//");
      out.doc(0, file_doc);
    }
    out.line(0, "#pragma once");
    out.blank();
    out.line(0, "#include <stdint.h>");
    out.blank();
    std::set<std::string> includes = {"svc/lib/rpc.h"};
    for (uint64_t f : used_files_)
      includes.insert(header_path(str(node(f).getDisplayName())));
    for (const auto& inc : includes)
      out.line(0, "#include \"" + inc + "\"");
    out.blank();
    out.line(0, "namespace " + ns + " {");
    out.blank();
    if (ns != "hmk" && ns.compare(0, 5, "hmk::") != 0) {
      out.line(0, "namespace rpc = ::hmk::rpc;");
      out.blank();
    }
    std::string text = body.text();
    while (text.size() >= 2 && text[text.size() - 1] == '\n' && text[text.size() - 2] == '\n')
      text.pop_back();
    out.raw(text);
    out.blank();
    out.line(0, "}  // namespace " + ns);

    result->path = header_path(file_name);
    result->contents = out.text();
    return true;
  }

  schema::CodeGeneratorRequest::Reader request_;
  std::map<uint64_t, schema::Node::Reader> nodes_;
  std::map<uint64_t, uint64_t> parent_;
  std::map<uint64_t, schema::Node::SourceInfo::Reader> infos_;
  std::map<uint64_t, State> structs_state_;
  std::map<uint64_t, Struct> structs_;
  std::map<uint64_t, Growth> growth_;
  std::vector<std::string> errors_;
  uint64_t file_id_ = 0;
  mutable std::set<uint64_t> used_files_;
  std::set<std::string> hidden_;  // names the interface being emitted declares
};

}  // namespace

bool generate(capnp::schema::CodeGeneratorRequest::Reader request, std::vector<OutputFile>* outputs,
              std::vector<std::string>* errors) {
  Generator g(request);
  return g.run(outputs, errors);
}

}  // namespace hmk::capnpc
