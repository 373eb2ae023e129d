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
// A schema name as a C++ name: with a trailing '_' where C++ reserves it.
std::string cpp_member(const std::string& schema_name);
bool is_identifier(const std::string& s);
// "a::b::c" where every part is an identifier.
bool is_cpp_namespace(const std::string& ns);

// The header generated from a schema file: x.capnp -> x.hmk.h.
std::string header_path(const std::string& schema_path);

}  // namespace hmk::capnpc
