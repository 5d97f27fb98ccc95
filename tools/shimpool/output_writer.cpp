#include "output_writer.h"

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>

namespace shimpool {

std::string write_outputs(const std::string &directory, const std::vector<OutputFile> &files) {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return "cannot create output directory '" + directory + "': " + ec.message();

  std::vector<std::pair<std::string, std::string>> staged;  // temporary -> final
  auto discard = [&] {
    for (auto &[temporary, final_path] : staged) llvm::sys::fs::remove(temporary);
  };
  for (const OutputFile &file : files) {
    llvm::SmallString<256> final_path(directory);
    llvm::sys::path::append(final_path, file.name);
    int fd = -1;
    llvm::SmallString<256> temporary;
    std::string model = std::string(final_path) + ".tmp-%%%%%%";
    if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, temporary)) {
      discard();
      return "cannot write to output directory '" + directory + "': " + ec.message();
    }
    staged.emplace_back(std::string(temporary), std::string(final_path));
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << file.content;
    out.close();
    if (out.has_error()) {
      std::string message = out.error().message();
      out.clear_error();
      discard();
      return "cannot write '" + std::string(temporary) + "': " + message;
    }
  }
  for (auto &[temporary, final_path] : staged) {
    if (std::error_code ec = llvm::sys::fs::rename(temporary, final_path)) {
      discard();
      return "cannot rename '" + temporary + "' to '" + final_path + "': " + ec.message();
    }
  }
  return {};
}

}  // namespace shimpool
