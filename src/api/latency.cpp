// median_latency_ms: the one latency measurement behind the quantization reports, so that
// `octet quantize` and the accuracy-aware search time models the same way.
#include <algorithm>
#include <chrono>

#include "octet/engine.hpp"

namespace octet {

double median_latency_ms(CompiledModel& model, const std::vector<Tensor>& inputs, int runs) {
  model.run(inputs);  // warm-up: first-touch page faults and oneDNN's lazy initialisation
  std::vector<double> ms;
  for (int i = 0; i < std::max(1, runs); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    model.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace octet
