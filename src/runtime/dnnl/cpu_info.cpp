// cpu_info(): what oneDNN will dispatch to on this process, not what cpuid reports, so that a
// run under ONEDNN_MAX_CPU_ISA describes (and decides for) the CPU class it emulates.
#include <fstream>

#include "octet/engine.hpp"
#include "runtime/dnnl/dnnl_context.hpp"

namespace octet {
namespace {

std::string isa_name(dnnl::cpu_isa isa) {
  using i = dnnl::cpu_isa;
  switch (isa) {
    case i::sse41: return "sse41";
    case i::avx: return "avx";
    case i::avx2: return "avx2";
    case i::avx2_vnni: return "avx2_vnni";
    case i::avx512_core: return "avx512_core";
    case i::avx512_core_vnni: return "avx512_core_vnni";
    case i::avx512_core_bf16: return "avx512_core_bf16";
    case i::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string() : line.substr(start);
  }
  return {};
}

}  // namespace

std::string CpuInfo::describe() const {
  return (model.empty() ? std::string("unknown CPU") : model) + ", " + isa + (int8_vnni ? " (VNNI)" : " (no VNNI)");
}

CpuInfo cpu_info() {
  using i = dnnl::cpu_isa;
  CpuInfo info;
  info.model = cpu_model_name();
  const i isa = dnnl::get_effective_cpu_isa();
  info.isa = isa_name(isa);
  // The ISAs whose INT8 convolutions and matmuls use vpdpbusd (32-bit accumulation); below
  // them u8 x s8 pairs are summed into int16 and can saturate (see quant/transforms/saturation).
  info.int8_vnni = isa == i::avx512_core_vnni || isa == i::avx512_core_bf16 || isa == i::avx512_core_amx ||
                   isa == i::avx2_vnni;
  return info;
}

}  // namespace octet
