// DefaultQuantization with its working state kept: the optimized FP32 graph, the filled
// QuantSetup and the calibration statistics, besides the QDQ graph and the report. quantize()
// keeps only the model; the accuracy-aware search starts from the whole state, reverting
// layers in the setup and re-inserting Q/DQ from the same FP32 graph.
#pragma once
#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/algorithms/quant_setup.hpp"
#include "quant/statistics/collector.hpp"

namespace octet::quant {

struct DefaultQuantizationState {
  ir::Graph fp32;          // octet's optimized FP32 graph, static shapes (batch 1 unless given)
  QuantSetup setup;        // ranges, parameters, INT8 weights, corrected biases
  StatsMap stats;          // the calibration statistics the pipeline collected
  QuantizeReport report;
  ir::Graph qdq;           // insert_qdq(fp32, setup), static shapes
  std::string output_warning;  // the output check's warning in report.warnings, "" if none
};

DefaultQuantizationState default_quantization(const Model& model, const SampleSource& samples,
                                              const QuantizeOptions& options);

}  // namespace octet::quant
