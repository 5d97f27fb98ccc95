#include "api_model.h"

namespace shimpool {

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
