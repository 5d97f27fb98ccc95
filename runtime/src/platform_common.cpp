// The parts of the platform seam that are the same everywhere.
#include <atomic>
#include <cctype>
#include <chrono>
#include <thread>

#include "loads_in_flight.h"
#include "platform.h"
#include "platform_common.h"

namespace shimpool::platform {
namespace {
// Trivially destructible, so still valid while the process exits.
std::atomic<int> g_loads_in_flight{0};
std::atomic<bool> g_loading_stopped{false};
}  // namespace

LoadInFlight::LoadInFlight() noexcept { g_loads_in_flight.fetch_add(1); }
LoadInFlight::~LoadInFlight() { g_loads_in_flight.fetch_sub(1); }
bool LoadInFlight::refused() const noexcept { return g_loading_stopped.load(); }

void wait_for_loads_in_flight(int timeout_ms) noexcept {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (g_loads_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void stop_loading(int timeout_ms) noexcept {
  g_loading_stopped.store(true);
  wait_for_loads_in_flight(timeout_ms);
}

LoadError integrity_mismatch(const std::string &path, bool embedded, const std::string &expected,
                             const std::string &actual) {
  return {LoadFailure::Integrity,
          (embedded ? "the library embedded in the shim as " : "the real library ") + path +
              " does not have the SHA-256 the shim is pinned to (expected " + expected +
              ", found " + actual + "), so it was not loaded"};
}

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
