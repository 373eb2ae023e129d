// Names and text: C++ identifiers made from schema names, and the small string helpers the
// generator's parts share.
#pragma once

#include <stdint.h>

#include <string>

#include <capnp/blob.h>

namespace hmk::capnpc {

std::string str(capnp::Text::Reader t);
std::string upper_first(std::string s);
// "0x0123456789abcdefull".
std::string hex64(uint64_t v);

// Names a schema may use that C++ reserves (or that are macros in GNU modes or common headers).
bool is_cpp_reserved(const std::string& s);
// `name` with a trailing '_' if C++ reserves it.
std::string escape_reserved(const std::string& name);
// A lowerCamel schema name in snake_case: readLine -> read_line, maxURLLength -> max_url_length
// (a run of capitals is one word), ipv4Addr -> ipv4_addr. Schema names have no '_' (capnp
// refuses them), so only runs of capitals can make two names one (maxTTL, maxTtl).
std::string snake_case(const std::string& camel);
// A schema name (method, field, parameter) as a C++ member name: in snake_case, with a trailing
// '_' where C++ reserves the result (delete -> delete_, threadLocal -> thread_local_).
std::string cpp_member(const std::string& schema_name);
bool is_identifier(const std::string& s);
// "a::b::c" where every part is an identifier.
bool is_cpp_namespace(const std::string& ns);

// The header generated from a schema file: x.capnp -> x.hmk.h.
std::string header_path(const std::string& schema_path);

}  // namespace hmk::capnpc
