#include "output_writer.h"

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>

namespace shimpool {
namespace {

namespace fs = llvm::sys::fs;

// One output on its way into place.
struct StagedFile {
  std::string final_path;
  std::string temporary;  // the new content, until renamed into place
  std::string backup;     // a second link to the file it replaces, if there is one
  bool replaced = false;
};

// Writes `content` to a new temporary file next to `file.final_path`.
std::string write_temporary(StagedFile &file, const std::string &content) {
  int fd = -1;
  llvm::SmallString<256> temporary;
  if (std::error_code ec = fs::createUniqueFile(file.final_path + ".tmp-%%%%%%", fd, temporary))
    return "cannot write to the output directory: " + ec.message();
  file.temporary = std::string(temporary);
  llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
  out << content;
  out.close();
  if (!out.has_error()) return {};
  std::string message = out.error().message();
  out.clear_error();
  return "cannot write '" + file.temporary + "': " + message;
}

// Keeps the file about to be replaced under a second name, so that it can be
// put back: a hard link (the very same file), else a copy. Directories are not
// backed up; renaming a file over one fails anyway.
std::string back_up(StagedFile &file) {
  fs::file_status status;
  if (fs::status(file.final_path, status, /*Follow=*/false) || !fs::exists(status) ||
      status.type() == fs::file_type::directory_file)
    return {};
  llvm::SmallString<256> backup;
  fs::createUniquePath(file.final_path + ".bak-%%%%%%", backup, /*MakeAbsolute=*/false);
  if (fs::create_hard_link(file.final_path, backup) && fs::copy_file(file.final_path, backup))
    return "cannot back up '" + file.final_path + "' before replacing it";
  file.backup = std::string(backup);
  return {};
}

// Puts back what the renames done so far replaced. A backup that cannot be
// renamed back is left in place, and named in the returned note.
std::string roll_back(std::vector<StagedFile> &files) {
  std::string note;
  for (StagedFile &file : files) {
    if (!file.replaced) continue;
    std::error_code ec = file.backup.empty() ? fs::remove(file.final_path)
                                             : fs::rename(file.backup, file.final_path);
    if (!ec) continue;
    note += file.backup.empty() ? "; could not remove '" + file.final_path + "'"
                                : "; the previous '" + file.final_path + "' is kept as '" +
                                      file.backup + "'";
    file.backup.clear();
  }
  return note;
}

// Removes the temporary files and backups still there.
void remove_leftovers(const std::vector<StagedFile> &files) {
  for (const StagedFile &file : files) {
    if (!file.temporary.empty() && !file.replaced) fs::remove(file.temporary);
    if (!file.backup.empty()) fs::remove(file.backup);
  }
}

}  // namespace

std::string write_outputs(const std::string &directory, const std::vector<OutputFile> &files) {
  if (std::error_code ec = fs::create_directories(directory))
    return "cannot create output directory '" + directory + "': " + ec.message();

  std::vector<StagedFile> staged(files.size());
  auto fail = [&](std::string error) {
    remove_leftovers(staged);
    return error;
  };
  for (size_t i = 0; i < files.size(); ++i) {
    llvm::SmallString<256> final_path(directory);
    llvm::sys::path::append(final_path, files[i].name);
    staged[i].final_path = std::string(final_path);
    if (std::string error = write_temporary(staged[i], files[i].content); !error.empty())
      return fail(error);
  }
  for (StagedFile &file : staged)
    if (std::string error = back_up(file); !error.empty()) return fail(error);
  for (StagedFile &file : staged) {
    if (std::error_code ec = fs::rename(file.temporary, file.final_path)) {
      std::string error = "cannot rename '" + file.temporary + "' to '" + file.final_path +
                          "': " + ec.message();
      return fail(error + roll_back(staged));
    }
    file.replaced = true;
  }
  remove_leftovers(staged);  // the backups
  return {};
}

}  // namespace shimpool
