// The output writer: all files or none, even when renaming them into place
// fails halfway, and nothing of its own left behind.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "output_writer.h"

namespace shimpool {
namespace {

namespace fs = std::filesystem;

class OutputWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "shimpool-writer-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

// Entry name -> content of every file in `dir`; "<directory>" for directories.
std::map<std::string, std::string> listing(const fs::path &dir) {
  std::map<std::string, std::string> entries;
  for (const auto &entry : fs::directory_iterator(dir)) {
    std::string &content = entries[entry.path().filename().string()];
    if (entry.is_directory()) {
      content = "<directory>";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    content = text.str();
  }
  return entries;
}

void write_file(const fs::path &path, const std::string &content) {
  std::ofstream(path, std::ios::binary) << content;
}

const std::vector<OutputFile> kOutputs{
    {"a.c", "new a"}, {"b.map", "new b"}, {"c.h", "new c"}};

TEST_F(OutputWriter, CreatesTheDirectoryAndWritesEveryFile) {
  fs::path out = dir_ / "out" / "nested";
  EXPECT_EQ(write_outputs(out.string(), kOutputs), "");
  EXPECT_EQ(listing(out), (std::map<std::string, std::string>{
                              {"a.c", "new a"}, {"b.map", "new b"}, {"c.h", "new c"}}));
}

TEST_F(OutputWriter, ReplacesPreviousFilesAndLeavesNoBackups) {
  write_file(dir_ / "a.c", "old a");
  write_file(dir_ / "c.h", "old c");
  write_file(dir_ / "unrelated.txt", "kept");
  EXPECT_EQ(write_outputs(dir_.string(), kOutputs), "");
  EXPECT_EQ(listing(dir_), (std::map<std::string, std::string>{{"a.c", "new a"},
                                                               {"b.map", "new b"},
                                                               {"c.h", "new c"},
                                                               {"unrelated.txt", "kept"}}));
}

// The last rename fails (a directory is in the way), after the first two have
// been done: they are undone, the previous file back, the new one gone.
TEST_F(OutputWriter, FailedRenameRestoresThePreviousFiles) {
  write_file(dir_ / "b.map", "old b");
  fs::create_directory(dir_ / "c.h");
  write_file(dir_ / "c.h" / "inside", "x");
  const auto before = listing(dir_);

  std::string error = write_outputs(dir_.string(), kOutputs);
  EXPECT_NE(error.find("c.h"), std::string::npos) << error;
  EXPECT_EQ(listing(dir_), before) << "a.c not created, b.map restored, no temporary or backup";
  EXPECT_EQ(listing(dir_ / "c.h"), (std::map<std::string, std::string>{{"inside", "x"}}));
}

TEST_F(OutputWriter, FailureToCreateTheDirectoryIsReported) {
  write_file(dir_ / "file", "not a directory");
  std::string error = write_outputs((dir_ / "file" / "out").string(), kOutputs);
  EXPECT_NE(error.find("cannot create output directory"), std::string::npos) << error;
}

}  // namespace
}  // namespace shimpool
