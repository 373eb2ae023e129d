// The boot manifest's parser and service directory (core/manifest.h): good lines of every
// shape, every error with its message, the limits, numbers and names.
#include "core/manifest.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace hmk {
namespace {

using Catch::Matchers::Contains;

std::string str(StringView v) {
  return std::string(v.data(), v.size());
}

// The line's views point into its text, which therefore lives (on the heap, so that moving a
// Parsed does not move it) as long as the Parsed.
struct Parsed {
  std::shared_ptr<const std::string> text;
  Status status;
  ManifestLine line;
  std::string error;
};

Parsed parse(const std::string& line) {
  Parsed p;
  p.text = std::make_shared<const std::string>(line);
  ManifestError error{};
  p.status = parse_manifest_line(StringView(p.text->data(), p.text->size()), &p.line, &error);
  if (p.status != Status::kOk) p.error = error.text;
  return p;
}

// The line must be refused with `status` and a message containing `words`.
void refused(const std::string& text, Status status, const std::string& words) {
  INFO("line: " << text);
  Parsed p = parse(text);
  CHECK(p.status == status);
  CHECK_THAT(p.error, Contains(words));
}

TEST_CASE("blank and comment lines are no directive") {
  for (const char* text : {"", "   ", "\t \r", "# run /bin/x", "   # comment"}) {
    Parsed p = parse(text);
    CHECK(p.status == Status::kOk);
    CHECK(p.line.directive == Directive::kNone);
  }
}

TEST_CASE("a plain run line: the path, nothing else") {
  Parsed p = parse("  run   /bin/hello \r");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.directive == Directive::kRun);
  CHECK(str(p.line.path) == "/bin/hello");
  CHECK(p.line.name.empty());
  CHECK(p.line.use_count == 0);
  CHECK(p.line.serve_count == 0);
  CHECK(p.line.ioport_count == 0);
  CHECK(p.line.irq_count == 0);
  CHECK(p.line.boot_cap_count() == 0);
}

TEST_CASE("a run line with uses, ioports (repeated) and irqs") {
  Parsed p = parse(
      "run /bin/client uses=console,vfs ioports=com1:0x3f8:8 ioports=cmos:112:2 "
      "irqs=4,0x3");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.directive == Directive::kRun);
  REQUIRE(p.line.use_count == 2);
  CHECK(str(p.line.uses[0]) == "console");
  CHECK(str(p.line.uses[1]) == "vfs");
  REQUIRE(p.line.ioport_count == 2);
  CHECK(str(p.line.ioports[0].label) == "com1");
  CHECK(p.line.ioports[0].base == 0x3f8);
  CHECK(p.line.ioports[0].count == 8);
  CHECK(str(p.line.ioports[1].label) == "cmos");
  CHECK(p.line.ioports[1].base == 0x70);
  CHECK(p.line.ioports[1].count == 2);
  REQUIRE(p.line.irq_count == 2);
  CHECK(p.line.irqs[0] == 4);
  CHECK(p.line.irqs[1] == 3);
  CHECK(p.line.boot_cap_count() == 6);
}

TEST_CASE("a domain line: name, path, serves, uses; its endpoint counts in the table") {
  Parsed p = parse("domain fs_1 /bin/fs serves=vfs,ramfs uses=console");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.directive == Directive::kDomain);
  CHECK(str(p.line.name) == "fs_1");
  CHECK(str(p.line.path) == "/bin/fs");
  REQUIRE(p.line.serve_count == 2);
  CHECK(str(p.line.serves[0]) == "vfs");
  CHECK(str(p.line.serves[1]) == "ramfs");
  CHECK(p.line.use_count == 1);
  CHECK(p.line.boot_cap_count() == 1 + 2 + 1);
  // Options in any order; a domain may serve nothing.
  p = parse("domain d /bin/d uses=a serves=b");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.serve_count == 1);
  p = parse("domain d /bin/d");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.boot_cap_count() == 1);
}

TEST_CASE("the kernel line: the IC0 domain, serves= and what its own space gets") {
  Parsed p = parse("kernel serves=vfs,ramfs");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.directive == Directive::kKernel);
  CHECK(str(p.line.name) == "kernel");
  CHECK(p.line.path.empty());
  REQUIRE(p.line.serve_count == 2);
  CHECK(str(p.line.serves[1]) == "ramfs");
  refused("kernel", Status::kInvalidArgument, "kernel: serves= names no service");
  refused("kernel /bin/k serves=a", Status::kInvalidArgument, "unexpected '/bin/k'");
  refused("kernel serves=a uses=b", Status::kInvalidArgument,
          "the kernel line takes serves=, ioports=, initrd= and quota= only");
  refused("kernel serves=a irqs=4", Status::kInvalidArgument,
          "the kernel line takes serves=, ioports=, initrd= and quota= only");
  Parsed g = parse("kernel serves=linux ioports=out:0x2f8:8 initrd=yes quota=8M");
  REQUIRE(g.status == Status::kOk);
  CHECK(g.line.initrd);
  CHECK(g.line.quota == 8 * 1024 * 1024);
  REQUIRE(g.line.ioport_count == 1);
  CHECK(g.line.boot_cap_count() == 4);  // its endpoint, what it serves, ports, initrd
  // The directory treats it as the domain "kernel": declared once, its services resolve.
  ServiceDirectory dir;
  ManifestError error{};
  REQUIRE(dir.check_domain(p.line, &error) == Status::kOk);
  dir.add_domain(p.line);
  CHECK(dir.check_domain(p.line, &error) == Status::kAlreadyExists);
  const ServiceDirectory::Service* s = dir.find_service("ramfs");
  REQUIRE(s != nullptr);
  CHECK(std::string(dir.domain(s->domain).name) == "kernel");
  CHECK(s->index == 1);
}

TEST_CASE("directives and paths: unknown, missing, malformed") {
  refused("frobnicate /bin/hello", Status::kInvalidArgument,
          "unknown directive 'frobnicate /bin/hello'");
  refused("running /bin/hello", Status::kInvalidArgument, "unknown directive");
  refused("RUN /bin/hello", Status::kInvalidArgument, "unknown directive");
  refused("run", Status::kInvalidArgument, "run: missing program path");
  refused("run   ", Status::kInvalidArgument, "missing program path");
  refused("run bin/hello", Status::kInvalidArgument, "'bin/hello' does not start with /");
  refused("domain", Status::kInvalidArgument, "domain: missing name");
  refused("domain d", Status::kInvalidArgument, "domain: missing program path");
  refused("domain /bin/d serves=x", Status::kInvalidArgument, "bad domain name '/bin/d'");
  refused("domain Console /bin/c", Status::kInvalidArgument, "bad domain name 'Console'");
}

TEST_CASE("options: unknown keys, words without =, repeats, serves on run lines") {
  refused("run /bin/x extra", Status::kInvalidArgument, "unexpected 'extra'");
  refused("run /bin/x /bin/y", Status::kInvalidArgument, "unexpected '/bin/y'");
  refused("run /bin/x threads=2", Status::kInvalidArgument, "unknown option 'threads=2'");
  refused("run /bin/x =a", Status::kInvalidArgument, "unknown option '=a'");
  refused("run /bin/x serves=a", Status::kInvalidArgument,
          "serves= is only for domain and kernel lines");
  refused("domain d /bin/d serves=a serves=b", Status::kInvalidArgument, "serves= is given twice");
  refused("run /bin/x uses=a uses=b", Status::kInvalidArgument, "uses= is given twice");
  refused("run /bin/x irqs=1 irqs=3", Status::kInvalidArgument, "irqs= is given twice");
}

TEST_CASE("names: a-z, 0-9 and _, 1 to 31 characters, each once") {
  CHECK(valid_manifest_name("a"));
  CHECK(valid_manifest_name("console_2"));
  CHECK(valid_manifest_name("0"));
  CHECK(valid_manifest_name(std::string(31, 'x').c_str()));
  CHECK_FALSE(valid_manifest_name(std::string(32, 'x').c_str()));
  CHECK_FALSE(valid_manifest_name(""));
  for (const char* bad : {"Console", "a-b", "a.b", "a b", "a/b", "é", "a\tb", "a,b", "a:b"})
    CHECK_FALSE(valid_manifest_name(bad));

  refused("run /bin/x uses=", Status::kInvalidArgument, "bad name '' in uses=");
  refused("run /bin/x uses=a,", Status::kInvalidArgument, "bad name '' in uses=");
  refused("run /bin/x uses=,a", Status::kInvalidArgument, "bad name '' in uses=");
  refused("run /bin/x uses=a,,b", Status::kInvalidArgument, "bad name '' in uses=");
  refused("run /bin/x uses=Vfs", Status::kInvalidArgument, "bad name 'Vfs' in uses=");
  refused("domain d /bin/d serves=a-b", Status::kInvalidArgument, "bad name 'a-b' in serves=");
  refused("run /bin/x uses=" + std::string(32, 'n'), Status::kInvalidArgument, "use 1 to 31");
  refused("run /bin/x uses=a,b,a", Status::kAlreadyExists, "'a' is listed twice in uses=");
  refused("domain d /bin/d serves=s,s", Status::kAlreadyExists, "'s' is listed twice in serves=");
  refused("domain " + std::string(32, 'd') + " /bin/d", Status::kInvalidArgument,
          "bad domain name");
  CHECK(parse("domain " + std::string(31, 'd') + " /bin/d").status == Status::kOk);
}

TEST_CASE("numbers: decimal or 0x hex, nothing else, within the bound") {
  uint64_t v = 0;
  CHECK(parse_manifest_number("0", 10, &v));
  CHECK(v == 0);
  CHECK(parse_manifest_number("1016", 0xffff, &v));
  CHECK(v == 1016);
  CHECK(parse_manifest_number("0x3f8", 0xffff, &v));
  CHECK(v == 0x3f8);
  CHECK(parse_manifest_number("0X3F8", 0xffff, &v));
  CHECK(v == 0x3f8);
  CHECK(parse_manifest_number("0xffff", 0xffff, &v));
  CHECK(v == 0xffff);
  CHECK(parse_manifest_number("007", 10, &v));
  CHECK(v == 7);
  CHECK(parse_manifest_number("18446744073709551615", ~0ull, &v));
  CHECK(v == ~0ull);
  for (const char* bad : {"", "0x", "x10", "-1", "+1", "1a", "0x1g", "1 ", " 1", "1.0", "0b1"}) {
    INFO(bad);
    CHECK_FALSE(parse_manifest_number(bad, ~0ull, &v));
  }
  CHECK_FALSE(parse_manifest_number("0x10000", 0xffff, &v));
  CHECK_FALSE(parse_manifest_number("65536", 0xffff, &v));
  CHECK_FALSE(parse_manifest_number("18446744073709551616", ~0ull, &v));  // 2^64
  CHECK_FALSE(parse_manifest_number("0x10000000000000000", ~0ull, &v));
  CHECK_FALSE(parse_manifest_number("99999999999999999999999", ~0ull, &v));
}

TEST_CASE("ioports: LABEL:BASE:COUNT, inside the 16-bit port space") {
  Parsed p = parse("run /bin/x ioports=top:0xfffe:2");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.ioports[0].base == 0xfffe);
  CHECK(p.line.ioports[0].count == 2);
  p = parse("run /bin/x ioports=all:0:0x10000");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.ioports[0].count == 0x10000);

  refused("run /bin/x ioports=", Status::kInvalidArgument, "is not LABEL:BASE:COUNT");
  refused("run /bin/x ioports=com1", Status::kInvalidArgument, "is not LABEL:BASE:COUNT");
  refused("run /bin/x ioports=com1:0x3f8", Status::kInvalidArgument, "is not LABEL:BASE:COUNT");
  refused("run /bin/x ioports=com1:0x3f8:8:1", Status::kInvalidArgument, "is not LABEL:BASE:COUNT");
  refused("run /bin/x ioports=COM1:0x3f8:8", Status::kInvalidArgument, "bad label 'COM1'");
  refused("run /bin/x ioports=:0x3f8:8", Status::kInvalidArgument, "bad label ''");
  refused("run /bin/x ioports=com1::8", Status::kInvalidArgument, "BASE must be a port");
  refused("run /bin/x ioports=com1:0x3f8:", Status::kInvalidArgument, "COUNT 1 or more");
  refused("run /bin/x ioports=com1:0x3f8:0", Status::kInvalidArgument, "COUNT 1 or more");
  refused("run /bin/x ioports=com1:0x10000:1", Status::kInvalidArgument, "BASE must be a port");
  refused("run /bin/x ioports=com1:uart:8", Status::kInvalidArgument, "BASE must be a port");
  refused("run /bin/x ioports=com1:0x3f8:99999", Status::kInvalidArgument, "COUNT 1 or more");
  refused("run /bin/x ioports=top:0xffff:2", Status::kOutOfRange, "runs past port 0xffff");
  refused("run /bin/x ioports=a:1:0x10000", Status::kOutOfRange, "runs past port 0xffff");
  refused("run /bin/x ioports=a:1:2 ioports=a:3:4", Status::kAlreadyExists,
          "ioports label 'a' is used twice");
}

TEST_CASE("irqs: numbers, each once, at most 16") {
  Parsed p = parse("run /bin/x irqs=0,1,0xf,255");
  REQUIRE(p.status == Status::kOk);
  REQUIRE(p.line.irq_count == 4);
  CHECK(p.line.irqs[3] == 255);
  refused("run /bin/x irqs=", Status::kInvalidArgument, "bad interrupt line ''");
  refused("run /bin/x irqs=4,", Status::kInvalidArgument, "bad interrupt line ''");
  refused("run /bin/x irqs=com", Status::kInvalidArgument, "bad interrupt line 'com'");
  refused("run /bin/x irqs=256", Status::kInvalidArgument, "bad interrupt line '256'");
  refused("run /bin/x irqs=-1", Status::kInvalidArgument, "bad interrupt line '-1'");
  refused("run /bin/x irqs=4,0x4", Status::kAlreadyExists, "line 4 is listed twice");
  std::string sixteen = "irqs=0";
  for (int i = 1; i < 16; ++i)
    sixteen += "," + std::to_string(i);
  CHECK(parse("run /bin/x " + sixteen).status == Status::kOk);
  refused("run /bin/x " + sixteen + ",16", Status::kOutOfRange, "more than 16 lines in irqs=");
}

std::string names(const char* prefix, int first, int count) {
  std::string out;
  for (int i = first; i < first + count; ++i)
    out += (i == first ? "" : ",") + std::string(prefix) + std::to_string(i);
  return out;
}

TEST_CASE("irq_control=yes: the one way to interrupt control, and a table entry") {
  Parsed plain = parse("run /bin/x");
  REQUIRE(plain.status == Status::kOk);
  CHECK(!plain.line.irq_control);
  CHECK(plain.line.boot_cap_count() == 0);
  Parsed p = parse("run /bin/x irq_control=yes irqs=3");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.irq_control);
  CHECK(p.line.boot_cap_count() == 2);
  Parsed d = parse("domain d /bin/x serves=a irq_control=yes");
  REQUIRE(d.status == Status::kOk);
  CHECK(d.line.irq_control);
  refused("run /bin/x irq_control=no", Status::kInvalidArgument, "irq_control= takes 'yes'");
  refused("run /bin/x irq_control=", Status::kInvalidArgument, "irq_control= takes 'yes'");
  refused("kernel serves=a irq_control=yes", Status::kInvalidArgument,
          "the kernel line takes serves=, ioports=, initrd= and quota= only");
}

TEST_CASE("initrd=yes: a copy of the initrd, and a table entry") {
  CHECK(!parse("run /bin/x").line.initrd);
  Parsed p = parse("run /bin/x initrd=yes ioports=out:0x2f8:8");
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.initrd);
  CHECK(p.line.boot_cap_count() == 2);
  CHECK(parse("domain d /bin/x serves=a initrd=yes").line.initrd);
  refused("run /bin/x initrd=no", Status::kInvalidArgument, "initrd= takes 'yes'");
}

TEST_CASE("quota=: bytes, K or M, within the bounds; the default otherwise") {
  CHECK(parse("run /bin/x").line.quota == abi::kDefaultProcessQuota);
  CHECK(parse("run /bin/x quota=64K").line.quota == 64 * 1024);
  CHECK(parse("run /bin/x quota=32M").line.quota == 32ull << 20);
  CHECK(parse("run /bin/x quota=0x20000").line.quota == 0x20000);
  CHECK(parse("run /bin/x quota=1024M").line.quota == 1ull << 30);
  CHECK(parse("domain d /bin/x serves=a quota=1M").line.quota == 1ull << 20);
  for (const char* bad : {"quota=", "quota=M", "quota=63K", "quota=1025M", "quota=2G", "quota=12x",
                          "quota=-1", "quota=1073741825"}) {
    refused(std::string("run /bin/x ") + bad, Status::kInvalidArgument, "from 64 KiB to 1024 MiB");
  }
}

TEST_CASE("limits per line: 32 names a list, 8 port ranges, 83 table entries") {
  CHECK(parse("run /bin/x uses=" + names("s", 0, 32)).status == Status::kOk);
  refused("run /bin/x uses=" + names("s", 0, 33), Status::kOutOfRange, "more than 32 names");
  refused("domain d /bin/d serves=" + names("s", 0, 33), Status::kOutOfRange,
          "more than 32 names in serves=");
  std::string ports;
  for (int i = 0; i < 8; ++i)
    ports += " ioports=p" + std::to_string(i) + ":" + std::to_string(i) + ":1";
  CHECK(parse("run /bin/x" + ports).status == Status::kOk);
  refused("run /bin/x" + ports + " ioports=p8:8:1", Status::kOutOfRange,
          "more than 8 ioports= on one line");
  // 1 endpoint + 32 served + 32 used + 8 ranges + 10 lines = 83 entries fit; one more does not.
  const std::string full = "domain d /bin/d serves=" + names("s", 0, 32) +
                           " uses=" + names("u", 0, 32) + ports + " irqs=" + names("", 0, 10);
  Parsed p = parse(full);
  REQUIRE(p.status == Status::kOk);
  CHECK(p.line.boot_cap_count() == abi::kBootInfoMaxCaps);
  refused(full + ",10", Status::kOutOfRange, "84 bootstrap capabilities; at most 83 fit");
}

// ---- the directory ----

struct Directory {
  ServiceDirectory dir;
  // Checks and adds a domain line; the status of whichever failed.
  Status add(const std::string& text, std::string* error = nullptr) {
    Parsed p = parse(text);
    REQUIRE(p.status == Status::kOk);
    ManifestError e{};
    Status s = dir.check_domain(p.line, &e);
    if (s == Status::kOk) dir.add_domain(p.line);
    if (error != nullptr) *error = s == Status::kOk ? "" : e.text;
    return s;
  }
  Status uses(const std::string& text, const ServiceDirectory::Service* out[kMaxServices],
              std::string* error = nullptr) {
    Parsed p = parse(text);
    REQUIRE(p.status == Status::kOk);
    ManifestError e{};
    Status s = dir.resolve_uses(p.line, out, &e);
    if (error != nullptr) *error = s == Status::kOk ? "" : e.text;
    return s;
  }
};

TEST_CASE("the directory: services resolve to their domain and index") {
  Directory d;
  REQUIRE(d.add("domain io /bin/io serves=console,log") == Status::kOk);
  REQUIRE(d.add("domain fs /bin/fs serves=vfs uses=console") == Status::kOk);
  CHECK(d.dir.domain_count() == 2);
  CHECK(d.dir.service_count() == 3);
  CHECK(std::string(d.dir.domain(1).name) == "fs");
  const ServiceDirectory::Service* out[kMaxServices] = {};
  REQUIRE(d.uses("run /bin/x uses=vfs,log,console", out) == Status::kOk);
  CHECK(std::string(out[0]->name) == "vfs");
  CHECK(out[0]->domain == 1);
  CHECK(out[0]->index == 0);
  CHECK(out[1]->domain == 0);
  CHECK(out[1]->index == 1);
  CHECK(out[2]->domain == 0);
  CHECK(out[2]->index == 0);
  CHECK(d.dir.find_service("console") == d.dir.find_service("console"));
  CHECK(d.dir.find_service("nosuch") == nullptr);
  CHECK(d.dir.find_service("consol") == nullptr);
}

TEST_CASE("the directory: unknown services, duplicates and its limits are errors") {
  Directory d;
  std::string error;
  const ServiceDirectory::Service* out[kMaxServices] = {};
  // Only services of earlier domain lines resolve.
  CHECK(d.uses("run /bin/x uses=echo", out, &error) == Status::kNotFound);
  CHECK_THAT(error, Contains("unknown service 'echo' in uses="));
  REQUIRE(d.add("domain e /bin/e serves=echo") == Status::kOk);
  CHECK(d.uses("run /bin/x uses=echo", out) == Status::kOk);
  CHECK(d.uses("run /bin/x uses=echo,ohce", out, &error) == Status::kNotFound);
  CHECK_THAT(error, Contains("'ohce'"));
  // Names are unique: domains among domains, services among services.
  CHECK(d.add("domain e /bin/other", &error) == Status::kAlreadyExists);
  CHECK_THAT(error, Contains("domain 'e' is declared twice"));
  CHECK(d.add("domain f /bin/f serves=x,echo", &error) == Status::kAlreadyExists);
  CHECK_THAT(error, Contains("service 'echo' is already served by domain 'e'"));
  CHECK(d.dir.domain_count() == 1);  // refused lines change nothing
  CHECK(d.dir.service_count() == 1);
  CHECK(d.dir.find_service("x") == nullptr);
  // A domain name may equal a service name (separate name spaces).
  CHECK(d.add("domain echo /bin/echo serves=e") == Status::kOk);

  // 32 services in all.
  Directory full;
  REQUIRE(full.add("domain a /bin/a serves=" + names("s", 0, 30)) == Status::kOk);
  CHECK(full.add("domain b /bin/b serves=" + names("t", 0, 3), &error) == Status::kOutOfRange);
  CHECK_THAT(error, Contains("more than 32 services"));
  CHECK(full.add("domain b /bin/b serves=t0,t1") == Status::kOk);
  CHECK(full.dir.service_count() == 32);
  CHECK(full.add("domain c /bin/c serves=u", &error) == Status::kOutOfRange);
  CHECK(full.add("domain c /bin/c") == Status::kOk);  // serving nothing still fits

  // 16 domains in all.
  Directory many;
  for (int i = 0; i < 16; ++i)
    REQUIRE(many.add("domain d" + std::to_string(i) + " /bin/d") == Status::kOk);
  CHECK(many.add("domain d16 /bin/d", &error) == Status::kOutOfRange);
  CHECK_THAT(error, Contains("more than 16 domains"));
  CHECK(many.dir.domain_count() == 16);
}

TEST_CASE("service indexes follow the serves= order, names are copied") {
  Directory d;
  std::string text = "domain d /bin/d serves=" + names("s", 0, 32);
  REQUIRE(d.add(text) == Status::kOk);
  text.assign(text.size(), '?');  // the directory keeps its own copies
  for (int i = 0; i < 32; ++i) {
    const std::string name = "s" + std::to_string(i);
    const ServiceDirectory::Service* s = d.dir.find_service(name.c_str());
    REQUIRE(s != nullptr);
    CHECK(s->index == i);
    CHECK(s->domain == 0);
  }
}

}  // namespace
}  // namespace hmk
