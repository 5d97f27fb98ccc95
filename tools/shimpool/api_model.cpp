#include "api_model.h"

namespace shimpool {

std::vector<std::string> shim_api_functions(const std::string &shim_name) {
  std::vector<std::string> names;
  for (const char *suffix : {"_stats", "_set_error_handler", "_probe", "_session_begin",
                             "_session_end", "_session_open", "_session_close"})
    names.push_back("shimpool_" + shim_name + suffix);
  return names;
}

std::string session_function_name(const std::string &function_name) {
  return function_name + "_session";
}

const char *to_string(CallingConvention convention) {
  switch (convention) {
    case CallingConvention::C: return "cdecl";
    case CallingConvention::StdCall: return "stdcall";
    case CallingConvention::FastCall: return "fastcall";
    case CallingConvention::VectorCall: return "vectorcall";
    case CallingConvention::ThisCall: return "thiscall";
    case CallingConvention::MsAbi: return "ms_abi";
    case CallingConvention::SysVAbi: return "sysv_abi";
    case CallingConvention::Other: return "other";
  }
  return "other";
}

const char *to_string(Policy policy) {
  switch (policy) {
    case Policy::Pooled: return "pooled";
    case Policy::Sticky: return "sticky";
    case Policy::Broadcast: return "broadcast";
    case Policy::Init: return "init";
    case Policy::Direct: return "direct";
  }
  return "pooled";
}

}  // namespace shimpool
