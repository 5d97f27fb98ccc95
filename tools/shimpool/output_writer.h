// Writes a set of output files all or nothing, as far as POSIX allows: each
// goes to a temporary file in the output directory first, and only when all are
// written are they renamed into place, one by one. The files they replace are
// kept under a second name (a hard link) until then, so if a rename fails the
// ones already done are undone. On error nothing new is left behind; only a
// crash between two renames can leave a mix of old and new files.
#pragma once

#include <string>
#include <vector>

#include "emitter.h"

namespace shimpool {

// Returns an empty string on success, else what went wrong and where.
std::string write_outputs(const std::string &directory, const std::vector<OutputFile> &files);

}  // namespace shimpool
