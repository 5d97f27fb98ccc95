// The emitters: render the API model through the templates into the files of
// a shim (wrapper source, linker version script, the shim's own API header).
#pragma once

#include <string>
#include <vector>

#include "api_model.h"
#include "def_exports.h"

namespace shimpool {

// Run-time defaults compiled into the shim; SHIMPOOL_<NAME>_* variables override them.
struct ShimSettings {
  std::string real_library;  // path or file name of the original, as the runtime will resolve it
  unsigned max_instances = 8;
  unsigned min_instances = 0;
  unsigned idle_timeout_ms = 0;     // 0: never evict
  unsigned acquire_timeout_ms = 0;  // 0: wait as long as it takes
  std::string strategy = "copy";    // loader strategy: copy, memfd or namespace
  // The real library to link into the shim (--embed), an absolute path; the
  // runtime writes its instances from these bytes. Empty: none.
  std::string embedded_library = {};
  // The SHA-256 the real library must have at run time, 64 lower-case hex
  // digits (--pin-sha256); empty: not pinned.
  std::string sha256 = {};
};

struct OutputFile {
  std::string name;  // file name inside the output directory
  std::string content;
};

// The shim's files: wrappers, version script, API header and .def file, the
// .def listing `def_exports` (by default, default_def_exports(model)).
std::vector<OutputFile> emit_shim(const ApiModel &model, const ShimSettings &settings);
std::vector<OutputFile> emit_shim(const ApiModel &model, const ShimSettings &settings,
                                  const std::vector<DefExport> &def_exports);

// "toto" -> "SHIMPOOL_TOTO_": the prefix of the shim's environment variables.
std::string environment_prefix(const std::string &shim_name);

// Whether `name` can name a shim: a C identifier, since it becomes part of symbol names.
bool is_valid_shim_name(const std::string &name);

}  // namespace shimpool
