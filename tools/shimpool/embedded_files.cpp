#include "embedded_files.h"

#include <cstdio>
#include <cstdlib>

namespace shimpool {

std::string_view embedded_file(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedFileCount; ++i)
    if (name == kEmbeddedFiles[i].name) return kEmbeddedFiles[i].content;
  std::fprintf(stderr, "shimpool: internal error: no embedded file '%.*s'\n",
               static_cast<int>(name.size()), name.data());
  std::abort();
}

}  // namespace shimpool
