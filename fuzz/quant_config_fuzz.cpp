// Fuzz target: the JSON documents users hand octet: a quantize config (POT style) and a
// preprocessing spec. The first byte picks which parser; both must refuse bad input with an
// octet::Error naming the key, never with nlohmann's own exceptions or a crash.
#include "octet/data.hpp"
#include "octet/quantize.hpp"
#include "fuzz/fuzz_target.hpp"

OCTET_FUZZ_TARGET(quant_config) {
  return run_refusing([&] {
    if (size == 0) return;
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 1) {
      const Preprocess p = Preprocess::from_json(text, "fuzz-preprocess.json");
      // What octet writes must read back.
      (void)Preprocess::from_json(p.to_json(), "fuzz-preprocess-roundtrip.json");
    } else {
      (void)parse_quantize_config(text, "fuzz-config.json");
    }
  });
}
