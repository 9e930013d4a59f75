// Per-layer quantization error for the report: the SQNR (dB) of each quantized layer's output,
// FP32 model against the QDQ model on octet's reference path, over some calibration samples.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"

namespace octet::quant {

// SQNR = 10 log10(sum fp32^2 / sum (fp32 - qdq)^2) per tensor name; +inf when identical.
std::map<std::string, double> layer_sqnr(const ir::Graph& fp32, const ir::Graph& qdq_reference,
                                         const std::vector<std::string>& tensors, const SampleSource& samples,
                                         size_t count, int threads);

}  // namespace octet::quant
