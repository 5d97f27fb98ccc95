// A private temporary directory for one test, removed with everything in it.
#pragma once

#include <filesystem>
#include <string>

namespace shimpool_test {

class ScratchDir {
 public:
  // Creates <temp>/<prefix>-XXXXXX; throws if it cannot.
  explicit ScratchDir(const std::string &prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;

  const std::filesystem::path &path() const { return path_; }
  // Writes `text` to `name` (parent directories created) and returns its path.
  std::string write(const std::string &name, const std::string &text) const;
  // How many entries the directory holds now (files a test should not leave).
  int entry_count() const;

 private:
  std::filesystem::path path_;
};

}  // namespace shimpool_test
