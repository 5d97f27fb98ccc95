// Files compiled into the shimpool binary (templates, the public types shared with the runtime).
#pragma once

#include <cstddef>
#include <string_view>

namespace shimpool {

struct EmbeddedFile {
  const char *name;
  const char *content;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;

// The content of the embedded file `name`; aborts if it is not embedded (a build error).
std::string_view embedded_file(std::string_view name);

}  // namespace shimpool
