// The parts of the platform seam that are the same everywhere.
#include <cctype>

#include "platform.h"

namespace shimpool::platform {

std::optional<LoadStrategy> parse_load_strategy(std::string_view text) {
  std::string lower(text);
  for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "copy") return LoadStrategy::Copy;
  if (lower == "memfd") return LoadStrategy::Memfd;
  if (lower == "namespace") return LoadStrategy::Namespace;
  return std::nullopt;
}

const char *to_string(LoadStrategy strategy) {
  switch (strategy) {
    case LoadStrategy::Copy: return "copy";
    case LoadStrategy::Memfd: return "memfd";
    case LoadStrategy::Namespace: return "namespace";
  }
  return "?";
}

}  // namespace shimpool::platform
