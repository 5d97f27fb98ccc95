// Writes a set of output files all or nothing: each goes to a temporary file
// in the output directory first, and only when all are written are they renamed
// into place. On error nothing new is left behind.
#pragma once

#include <string>
#include <vector>

#include "emitter.h"

namespace shimpool {

// Returns an empty string on success, else what went wrong and where.
std::string write_outputs(const std::string &directory, const std::vector<OutputFile> &files);

}  // namespace shimpool
