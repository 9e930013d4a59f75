// Per-layer SQNR; see layer_error.hpp.
#include "quant/algorithms/layer_error.hpp"

#include <cmath>
#include <limits>

#include "octet/error.hpp"
#include "quant/graph_runner.hpp"

namespace octet::quant {

std::map<std::string, double> layer_sqnr(const ir::Graph& fp32, const ir::Graph& qdq_reference,
                                         const std::vector<std::string>& tensors, const SampleSource& samples,
                                         size_t count, int threads) {
  std::map<std::string, double> result;
  if (tensors.empty() || count == 0) return result;
  GraphRunner reference(fp32, tensors, threads);
  GraphRunner quantized(qdq_reference, tensors, threads);
  std::vector<double> signal(tensors.size(), 0.0), noise(tensors.size(), 0.0);
  for (size_t i = 0; i < count; ++i) {
    const std::vector<Tensor> inputs = samples.get(i);
    const std::vector<Tensor> a = reference.run(inputs);
    const std::vector<Tensor> b = quantized.run(inputs);
    for (size_t t = 0; t < tensors.size(); ++t) {
      if (a[t].numel() != b[t].numel()) fail("tensor '", tensors[t], "' differs in size between the FP32 and QDQ models");
      const float* x = a[t].data<float>();
      const float* y = b[t].data<float>();
      for (int64_t e = 0; e < a[t].numel(); ++e) {
        signal[t] += static_cast<double>(x[e]) * x[e];
        noise[t] += static_cast<double>(x[e] - y[e]) * (x[e] - y[e]);
      }
    }
  }
  for (size_t t = 0; t < tensors.size(); ++t)
    result[tensors[t]] = noise[t] == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal[t] / noise[t]);
  return result;
}

}  // namespace octet::quant
