// Fuzz target: .npy bytes -> parse_npy (header dict, dtype, shape, size check) -> encode_npy,
// whose output must parse back to the same tensor. Inputs arrive from the command line
// (`octet run --input x.npy`) and from .npy datasets.
#include <cstring>

#include "data/npy.hpp"
#include "fuzz/fuzz_target.hpp"

OCTET_FUZZ_TARGET(npy) {
  return run_refusing([&] {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const Tensor t = data::parse_npy(bytes, "fuzz.npy");
    // Round trip: what octet writes, octet must read back unchanged.
    const Tensor back = data::parse_npy(data::encode_npy(t), "fuzz-roundtrip.npy");
    if (back.dtype != t.dtype || back.shape != t.shape || back.bytes.size() != t.bytes.size() ||
        (!t.bytes.empty() && std::memcmp(back.bytes.data(), t.bytes.data(), t.bytes.size()) != 0))
      __builtin_trap();
  });
}
