// The boot manifest's parser and the directory of declared services (see manifest.h).
#include "core/manifest.h"

#include <stdarg.h>

#include "core/lib/format.h"
#include "core/lib/util.h"

namespace hmk {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

StringView trim(StringView s) {
  // bound: each round removes one character of s
  while (!s.empty() && is_blank(s[0]))
    s.remove_prefix(1);
  size_t n = s.size();
  // bound: --n each round, down to 0
  while (n > 0 && is_blank(s[n - 1]))
    --n;
  return s.substr(0, n);
}

// Takes the next blank-separated word off the front of *rest (empty at the end).
StringView next_word(StringView* rest) {
  *rest = trim(*rest);
  size_t n = 0;
  // bound: n < rest->size(), ++n
  while (n < rest->size() && !is_blank((*rest)[n]))
    ++n;
  StringView word = rest->substr(0, n);
  rest->remove_prefix(n);
  return word;
}

// Takes the text up to the first `separator` off the front of *rest, and the separator too;
// *more says whether there was one (so "a," yields "a" and then an empty last item).
StringView next_item(StringView* rest, char separator, bool* more) {
  const size_t at = rest->find(separator);
  *more = at != StringView::kNpos;
  StringView item = rest->substr(0, at);
  rest->remove_prefix(*more ? at + 1 : rest->size());
  return item;
}

Status fail(ManifestError* error, Status status, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
Status fail(ManifestError* error, Status status, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnformat(error->text, sizeof(error->text), fmt, args);
  va_end(args);
  return status;
}

// printf arguments for a StringView: "%.*s", VIEW(view).
#define VIEW(v) static_cast<int>((v).size()), (v).data()

bool contains(const StringView* names, uint32_t count, StringView name) {
  for (uint32_t i = 0; i < count; ++i) {
    if (names[i] == name) return true;
  }
  return false;
}

int digit_value(char c, uint64_t base) {
  if (c >= '0' && c <= '9') return c - '0';
  if (base == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (base == 16 && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "a,b,c" into names[0..*count): each a valid name, none twice, at most `limit`.
Status parse_names(StringView value, const char* option, uint32_t limit, StringView* names,
                   uint32_t* count, ManifestError* error) {
  bool more = true;
  // bound: each round takes one item off value; more is false after the last
  while (more) {
    const StringView name = next_item(&value, ',', &more);
    if (!valid_manifest_name(name)) {
      return fail(error, Status::kInvalidArgument,
                  "bad name '%.*s' in %s: use 1 to %zu of a-z, 0-9 and _", VIEW(name), option,
                  kManifestNameMax);
    }
    if (contains(names, *count, name)) {
      return fail(error, Status::kAlreadyExists, "'%.*s' is listed twice in %s", VIEW(name),
                  option);
    }
    if (*count == limit) {
      return fail(error, Status::kOutOfRange, "more than %u names in %s", limit, option);
    }
    names[(*count)++] = name;
  }
  return Status::kOk;
}

// "N,M": interrupt line numbers, none twice.
Status parse_irqs(StringView value, ManifestLine* out, ManifestError* error) {
  bool more = true;
  // bound: each round takes one item off value; more is false after the last
  while (more) {
    const StringView item = next_item(&value, ',', &more);
    uint64_t line = 0;
    if (!parse_manifest_number(item, kMaxIrqNumber, &line)) {
      return fail(error, Status::kInvalidArgument,
                  "bad interrupt line '%.*s' in irqs=", VIEW(item));
    }
    for (uint32_t i = 0; i < out->irq_count; ++i) {
      if (out->irqs[i] == line) {
        return fail(error, Status::kAlreadyExists,
                    "interrupt line %lu is listed twice in irqs=", line);
      }
    }
    if (out->irq_count == kMaxLineIrqs) {
      return fail(error, Status::kOutOfRange, "more than %u lines in irqs=", kMaxLineIrqs);
    }
    out->irqs[out->irq_count++] = static_cast<uint32_t>(line);
  }
  return Status::kOk;
}

// "LABEL:BASE:COUNT": a new label and a non-empty range of the 16-bit port space.
Status parse_ioports(StringView value, ManifestLine* out, ManifestError* error) {
  StringView rest = value;
  bool more = false;
  const StringView label = next_item(&rest, ':', &more);
  const StringView base_text = next_item(&rest, ':', &more);
  const StringView count_text = rest;
  uint64_t base = 0;
  uint64_t count = 0;
  if (!more || count_text.find(':') != StringView::kNpos) {
    return fail(error, Status::kInvalidArgument, "ioports=%.*s is not LABEL:BASE:COUNT",
                VIEW(value));
  }
  if (!valid_manifest_name(label)) {
    return fail(error, Status::kInvalidArgument,
                "bad label '%.*s' in ioports=: use 1 to %zu of a-z, 0-9 and _", VIEW(label),
                kManifestNameMax);
  }
  if (!parse_manifest_number(base_text, abi::kIoPortSpace - 1, &base) ||
      !parse_manifest_number(count_text, abi::kIoPortSpace, &count) || count == 0) {
    return fail(error, Status::kInvalidArgument,
                "ioports=%.*s: BASE must be a port (0 to 0xffff), COUNT 1 or more", VIEW(value));
  }
  if (count > abi::kIoPortSpace - base) {
    return fail(error, Status::kOutOfRange, "ioports=%.*s runs past port 0xffff", VIEW(value));
  }
  for (uint32_t i = 0; i < out->ioport_count; ++i) {
    if (out->ioports[i].label == label) {
      return fail(error, Status::kAlreadyExists, "ioports label '%.*s' is used twice", VIEW(label));
    }
  }
  if (out->ioport_count == kMaxLineIoPorts) {
    return fail(error, Status::kOutOfRange, "more than %u ioports= on one line", kMaxLineIoPorts);
  }
  out->ioports[out->ioport_count++] = {label, static_cast<uint32_t>(base),
                                       static_cast<uint32_t>(count)};
  return Status::kOk;
}

// quota=BYTES, with an optional K or M suffix (KiB, MiB).
Status parse_quota(StringView value, ManifestLine* out, ManifestError* error) {
  uint64_t unit = 1;
  StringView digits = value;
  if (value.ends_with("K")) unit = 1024;
  if (value.ends_with("M")) unit = 1024 * 1024;
  if (unit != 1) digits = value.substr(0, value.size() - 1);
  uint64_t n = 0;
  if (!parse_manifest_number(digits, kMaxManifestQuota / unit, &n) ||
      n * unit < kMinManifestQuota) {
    return fail(error, Status::kInvalidArgument,
                "quota=%.*s: give bytes (or K, M) from %lu KiB to %lu MiB", VIEW(value),
                kMinManifestQuota / 1024, kMaxManifestQuota >> 20);
  }
  out->quota = n * unit;
  return Status::kOk;
}

// One key=value word after the program path.
Status parse_option(StringView word, ManifestLine* out, ManifestError* error) {
  const size_t eq = word.find('=');
  if (eq == StringView::kNpos) {
    return fail(error, Status::kInvalidArgument, "unexpected '%.*s' (options are key=value)",
                VIEW(word));
  }
  const StringView key = word.substr(0, eq);
  const StringView value = word.substr(eq + 1);
  if (key == "serves") {
    if (out->directive != Directive::kDomain && out->directive != Directive::kKernel) {
      return fail(error, Status::kInvalidArgument, "serves= is only for domain and kernel lines");
    }
    if (out->serve_count != 0) {
      return fail(error, Status::kInvalidArgument, "serves= is given twice");
    }
    return parse_names(value, "serves=", kMaxServices, out->serves, &out->serve_count, error);
  }
  // The kernel domain's own space gets ports, the initrd and a quota like a process; it makes
  // no IPC call and takes no interrupt (core/kernel_service.h).
  if (out->directive == Directive::kKernel && key != "ioports" && key != "initrd" &&
      key != "quota") {
    return fail(error, Status::kInvalidArgument,
                "the kernel line takes serves=, ioports=, initrd= and quota= only");
  }
  if (key == "uses") {
    if (out->use_count != 0) return fail(error, Status::kInvalidArgument, "uses= is given twice");
    return parse_names(value, "uses=", kMaxServices, out->uses, &out->use_count, error);
  }
  if (key == "irqs") {
    if (out->irq_count != 0) return fail(error, Status::kInvalidArgument, "irqs= is given twice");
    return parse_irqs(value, out, error);
  }
  if (key == "ioports") return parse_ioports(value, out, error);
  if (key == "irq_control") {
    if (value != "yes") {
      return fail(error, Status::kInvalidArgument, "irq_control= takes 'yes' (got '%.*s')",
                  VIEW(value));
    }
    out->irq_control = true;
    return Status::kOk;
  }
  if (key == "initrd") {
    if (value != "yes") {
      return fail(error, Status::kInvalidArgument, "initrd= takes 'yes' (got '%.*s')", VIEW(value));
    }
    out->initrd = true;
    return Status::kOk;
  }
  if (key == "quota") return parse_quota(value, out, error);
  return fail(error, Status::kInvalidArgument, "unknown option '%.*s'", VIEW(word));
}

void copy_name(char (&to)[kManifestNameMax + 1], StringView name) {
  const size_t n = min(name.size(), kManifestNameMax);
  mem_copy(to, name.data(), n);
  mem_set(to + n, 0, sizeof(to) - n);
}

}  // namespace

bool valid_manifest_name(StringView name) {
  if (name.empty() || name.size() > kManifestNameMax) return false;
  // bound: the characters of name (at most kManifestNameMax)
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool parse_manifest_number(StringView text, uint64_t max, uint64_t* out) {
  uint64_t base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return false;
  uint64_t value = 0;
  // bound: the characters of text
  for (char c : text) {
    const int d = digit_value(c, base);
    // value * base + d <= max, without overflow.
    if (d < 0 || static_cast<uint64_t>(d) > max || value > (max - d) / base) return false;
    value = value * base + d;
  }
  *out = value;
  return true;
}

Status parse_manifest_line(StringView text, ManifestLine* out, ManifestError* error) {
  *out = ManifestLine{};
  const StringView line = trim(text);
  if (line.empty() || line.starts_with('#')) return Status::kOk;
  StringView rest = line;
  const StringView directive = next_word(&rest);
  if (directive == "run") {
    out->directive = Directive::kRun;
  } else if (directive == "domain") {
    out->directive = Directive::kDomain;
    out->name = next_word(&rest);
    if (out->name.empty()) return fail(error, Status::kInvalidArgument, "domain: missing name");
    if (!valid_manifest_name(out->name)) {
      return fail(error, Status::kInvalidArgument,
                  "bad domain name '%.*s': use 1 to %zu of a-z, 0-9 and _", VIEW(out->name),
                  kManifestNameMax);
    }
  } else if (directive == "kernel") {
    out->directive = Directive::kKernel;
    out->name = "kernel";
    // bound: each round takes one word off rest, up to the empty word
    for (StringView word = next_word(&rest); !word.empty(); word = next_word(&rest))
      TRY(parse_option(word, out, error));
    if (out->serve_count == 0) {
      return fail(error, Status::kInvalidArgument, "kernel: serves= names no service");
    }
    return Status::kOk;
  } else {
    return fail(error, Status::kInvalidArgument, "unknown directive '%.*s'", VIEW(line));
  }
  out->path = next_word(&rest);
  if (out->path.empty()) {
    return fail(error, Status::kInvalidArgument, "%.*s: missing program path", VIEW(directive));
  }
  if (!out->path.starts_with('/')) {
    return fail(error, Status::kInvalidArgument, "program path '%.*s' does not start with /",
                VIEW(out->path));
  }
  // bound: each round takes one word off rest, up to the empty word
  for (StringView word = next_word(&rest); !word.empty(); word = next_word(&rest))
    TRY(parse_option(word, out, error));
  if (out->boot_cap_count() > abi::kBootInfoMaxCaps) {
    return fail(error, Status::kOutOfRange,
                "%u bootstrap capabilities; at most %u fit in the bootstrap table",
                out->boot_cap_count(), abi::kBootInfoMaxCaps);
  }
  return Status::kOk;
}

// ---- the directory ----

const ServiceDirectory::Service* ServiceDirectory::find_service(StringView name) const {
  for (uint32_t i = 0; i < service_count_; ++i) {
    if (StringView(services_[i].name) == name) return &services_[i];
  }
  return nullptr;
}

const ServiceDirectory::Domain* ServiceDirectory::find_domain(StringView name) const {
  for (uint32_t i = 0; i < domain_count_; ++i) {
    if (StringView(domains_[i].name) == name) return &domains_[i];
  }
  return nullptr;
}

Status ServiceDirectory::check_domain(const ManifestLine& line, ManifestError* error) const {
  if (find_domain(line.name) != nullptr) {
    return fail(error, Status::kAlreadyExists, "domain '%.*s' is declared twice", VIEW(line.name));
  }
  if (domain_count_ == kMaxDomains) {
    return fail(error, Status::kOutOfRange, "more than %u domains", kMaxDomains);
  }
  for (uint32_t i = 0; i < line.serve_count; ++i) {
    if (const Service* s = find_service(line.serves[i])) {
      return fail(error, Status::kAlreadyExists, "service '%.*s' is already served by domain '%s'",
                  VIEW(line.serves[i]), domains_[s->domain].name);
    }
  }
  if (line.serve_count > kMaxServices - service_count_) {
    return fail(error, Status::kOutOfRange, "more than %u services in the manifest", kMaxServices);
  }
  return Status::kOk;
}

uint32_t ServiceDirectory::add_domain(const ManifestLine& line) {
  const uint32_t index = domain_count_++;
  copy_name(domains_[index].name, line.name);
  for (uint32_t i = 0; i < line.serve_count; ++i) {
    Service& s = services_[service_count_++];
    copy_name(s.name, line.serves[i]);
    s.domain = index;
    s.index = static_cast<uint16_t>(i);
  }
  return index;
}

Status ServiceDirectory::resolve_uses(const ManifestLine& line, const Service* out[kMaxServices],
                                      ManifestError* error) const {
  for (uint32_t i = 0; i < line.use_count; ++i) {
    out[i] = find_service(line.uses[i]);
    if (out[i] == nullptr) {
      return fail(error, Status::kNotFound,
                  "unknown service '%.*s' in uses= (no earlier domain line serves it)",
                  VIEW(line.uses[i]));
    }
  }
  return Status::kOk;
}

}  // namespace hmk
