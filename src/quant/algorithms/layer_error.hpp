// Quantization error for the report: the SQNR (dB) of each quantized layer's output and of the
// model's outputs, FP32 model against the QDQ model on octet's reference path, over some
// calibration samples; for the outputs also the top-1 agreement, so that a collapsed model
// (every layer INT8, every prediction changed) is never reported as a success.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

struct TensorError {
  double sqnr_db = 0;    // 10 log10(sum fp32^2 / sum (fp32 - qdq)^2); +inf when identical
  double agreement = 0;  // share of rows (last axis) whose argmax is the same; NaN: last dim < 2
};

// Per tensor name, over the first `count` samples.
std::map<std::string, TensorError> tensor_errors(const ir::Graph& fp32, const ir::Graph& qdq_reference,
                                                 const std::vector<std::string>& tensors, const SampleSource& samples,
                                                 size_t count, int threads);

// Fills the report's per-layer SQNR and its output check. Returns the warning (naming the
// layers where the error starts) when the output SQNR is below options.min_output_sqnr_db,
// else "": the caller adds it, and the accuracy-aware search replaces it for its own model.
std::string report_quantization_error(QuantizeReport& report, const ir::Graph& fp32, const ir::Graph& qdq, const QuantSetup& setup,
                               const SampleSource& samples, size_t count, const QuantizeOptions& options);

}  // namespace octet::quant
