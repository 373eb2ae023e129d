// The boot manifest's grammar (docs/running.md), one directive per line:
//
//   run /bin/path [uses=a,b] [ioports=LABEL:BASE:COUNT]... [irqs=N,M] [irq_control=yes]
//       [initrd=yes] [quota=BYTES]
//   domain NAME /bin/path [serves=a,b] [uses=c] [ioports=...]... [irqs=N,M] [irq_control=yes]
//       [initrd=yes] [quota=BYTES]
//   kernel serves=a,b [ioports=...]... [initrd=yes] [quota=BYTES]
//                              services linked into the kernel image (IC0,
//                              core/kernel_service.h); the other options go to the kernel
//                              domain's own space, as a process's go to it
//   # a comment; blank lines are ignored
//
// parse_manifest_line turns one line into a ManifestLine or a one-line reason, and
// ServiceDirectory keeps the domains and services declared so far and resolves `uses=`. Both are
// pure (no kernel objects, no allocation), so host tests reach every error; core/init.cc does
// the kernel side (processes, endpoints, capabilities, the bootstrap table).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/abi/bootinfo.h"
#include "core/lib/status.h"
#include "core/lib/string.h"

namespace hmk {

inline constexpr size_t kManifestNameMax = abi::kBootNameMax;  // 31 characters
inline constexpr uint32_t kMaxDomains = 16;                    // in the whole boot
inline constexpr uint32_t kMaxServices = 32;                   // in the whole boot
inline constexpr uint32_t kMaxLineIoPorts = 8;                 // ioports= on one line
inline constexpr uint32_t kMaxLineIrqs = 16;                   // lines in one irqs=
// The parser's bound for an interrupt line number; which lines exist is the board's business
// (Irq::create refuses the others when init creates the object).
inline constexpr uint32_t kMaxIrqNumber = 255;
// quota= bounds: a process needs a few pages to exist at all; the upper bound only keeps a typo
// from promising more than any board here has.
inline constexpr uint64_t kMinManifestQuota = 64 * 1024;
inline constexpr uint64_t kMaxManifestQuota = 1ull << 30;

enum class Directive : uint8_t {
  kNone,    // a blank or comment line
  kRun,     // start a program and wait for it to end
  kDomain,  // start a server (a domain) and go on at once
  kKernel,  // the domain "kernel": services linked into the kernel, called on the caller's thread
};

struct IoPortRange {
  StringView label;
  uint32_t base;
  uint32_t count;
};

// One parsed line. The views point into the line's text.
struct ManifestLine {
  Directive directive = Directive::kNone;
  StringView name;  // domain lines only
  StringView path;
  StringView serves[kMaxServices];
  uint32_t serve_count = 0;
  StringView uses[kMaxServices];
  uint32_t use_count = 0;
  IoPortRange ioports[kMaxLineIoPorts] = {};
  uint32_t ioport_count = 0;
  uint32_t irqs[kMaxLineIrqs] = {};
  uint32_t irq_count = 0;
  bool irq_control = false;  // irq_control=yes: the authority to create Irq objects for any line
  bool initrd = false;       // initrd=yes: a read-only memory object holding a copy of the initrd
  uint64_t quota = abi::kDefaultProcessQuota;  // quota=: the process's root quota, in bytes

  // Entries the line's process (for the kernel line: the kernel domain's space) gets in its
  // bootstrap table (abi::BootInfo::caps).
  uint32_t boot_cap_count() const {
    const bool serves = directive == Directive::kDomain || directive == Directive::kKernel;
    const uint32_t own = serves ? 1 + serve_count : 0;
    return own + use_count + ioport_count + irq_count + (irq_control ? 1 : 0) + (initrd ? 1 : 0);
  }
};

// Why a line was refused: printed as "manifest:LINE: <text>".
struct ManifestError {
  char text[160];
};

// Parses one line `text` (without its newline; blanks around it are ignored). Blank and comment
// lines give Directive::kNone. On error returns kInvalidArgument (bad syntax, name or number),
// kAlreadyExists (a name listed twice) or kOutOfRange (a limit), and fills *error.
Status parse_manifest_line(StringView text, ManifestLine* out, ManifestError* error);

// Whether `text` is a number: "0x" and hex digits, or decimal digits, nothing else, and at most
// `max`. The value goes to *out.
bool parse_manifest_number(StringView text, uint64_t max, uint64_t* out);

// Whether `name` is a service, domain or label name: 1 to 31 of a-z, 0-9 and _.
bool valid_manifest_name(StringView name);

// The domains and services the manifest has declared so far (earlier lines only: a line can use
// a service only after the domain line that serves it).
class ServiceDirectory {
 public:
  struct Service {
    char name[kManifestNameMax + 1];
    uint32_t domain;  // index into the domains
    uint16_t index;   // position in its domain's serves= list: the low 16 bits of the badge
  };
  struct Domain {
    char name[kManifestNameMax + 1];
  };

  // Whether domain line `line` can be added: a new domain name, services nobody serves yet,
  // and at most kMaxDomains domains and kMaxServices services. Changes nothing.
  Status check_domain(const ManifestLine& line, ManifestError* error) const;
  // Adds domain line `line` (check_domain must have passed); returns the domain's index.
  uint32_t add_domain(const ManifestLine& line);
  // The services `line` uses, in its order, into out[0..line.use_count); kNotFound and the
  // reason if one was not declared by an earlier domain line. Changes nothing.
  Status resolve_uses(const ManifestLine& line, const Service* out[kMaxServices],
                      ManifestError* error) const;

  const Service* find_service(StringView name) const;
  const Domain& domain(uint32_t index) const { return domains_[index]; }
  uint32_t domain_count() const { return domain_count_; }
  uint32_t service_count() const { return service_count_; }

 private:
  const Domain* find_domain(StringView name) const;

  Domain domains_[kMaxDomains] = {};
  uint32_t domain_count_ = 0;
  Service services_[kMaxServices] = {};
  uint32_t service_count_ = 0;
};

}  // namespace hmk
