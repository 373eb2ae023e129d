// capnpc-hmk: a `capnp compile` plugin. Reads the CodeGeneratorRequest from stdin and writes
// <schema>.hmk.h for each requested schema into the current directory (capnp runs plugins in the
// output directory given as `-o<plugin>:<dir>`). Problems go to stderr, one line each, and the
// exit status is then 1 with nothing written.
#include <stdio.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <capnp/serialize.h>
#include <kj/exception.h>

#include "tools/capnpc-hmk/generator.h"

int main() {
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = uint64_t{1} << 30;
    capnp::StreamFdMessageReader message(STDIN_FILENO, options);
    auto request = message.getRoot<capnp::schema::CodeGeneratorRequest>();
    std::vector<hmk::capnpc::OutputFile> outputs;
    std::vector<std::string> errors;
    if (!hmk::capnpc::generate(request, &outputs, &errors)) {
      for (const auto& e : errors)
        fprintf(stderr, "%s\n", e.c_str());
      if (errors.empty()) fprintf(stderr, "capnpc-hmk: generation failed\n");
      return 1;
    }
    for (const auto& out : outputs) {
      const std::filesystem::path path(out.path);
      if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
      std::ofstream file(path, std::ios::binary | std::ios::trunc);
      file << out.contents;
      file.close();
      if (!file) {
        fprintf(stderr, "capnpc-hmk: cannot write %s\n", out.path.c_str());
        return 1;
      }
    }
    return 0;
  } catch (const kj::Exception& e) {
    fprintf(stderr, "capnpc-hmk: %s\n", e.getDescription().cStr());
    return 1;
  } catch (const std::exception& e) {
    fprintf(stderr, "capnpc-hmk: %s\n", e.what());
    return 1;
  }
}
