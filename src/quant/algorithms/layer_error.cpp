// Quantization error per layer and end to end; see layer_error.hpp.
#include "quant/algorithms/layer_error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "octet/error.hpp"
#include "quant/graph_runner.hpp"

namespace octet::quant {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Index of the largest of n floats.
int64_t argmax(const float* x, int64_t n) { return std::max_element(x, x + n) - x; }

std::string db(double x) { return std::isinf(x) ? "inf" : cat(std::round(x * 10) / 10); }

}  // namespace

std::map<std::string, TensorError> tensor_errors(const ir::Graph& fp32, const ir::Graph& qdq_reference,
                                                 const std::vector<std::string>& tensors, const SampleSource& samples,
                                                 size_t count, int threads) {
  std::map<std::string, TensorError> result;
  if (tensors.empty() || count == 0) return result;
  GraphRunner reference(fp32, tensors, threads);
  GraphRunner quantized(qdq_reference, tensors, threads);
  std::vector<double> signal(tensors.size(), 0.0), noise(tensors.size(), 0.0);
  std::vector<int64_t> rows(tensors.size(), 0), same(tensors.size(), 0);
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
      const int64_t classes = a[t].shape.empty() ? 1 : a[t].shape.back();
      if (classes < 2) continue;
      for (int64_t r = 0; r < a[t].numel() / classes; ++r, ++rows[t])
        same[t] += argmax(x + r * classes, classes) == argmax(y + r * classes, classes);
    }
  }
  for (size_t t = 0; t < tensors.size(); ++t) {
    TensorError& e = result[tensors[t]];
    e.sqnr_db = noise[t] == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(signal[t] / noise[t]);
    e.agreement = rows[t] ? static_cast<double>(same[t]) / static_cast<double>(rows[t]) : kNaN;
  }
  return result;
}

std::string report_quantization_error(QuantizeReport& report, const ir::Graph& fp32, const ir::Graph& qdq, const QuantSetup& setup,
                               const SampleSource& samples, size_t count, const QuantizeOptions& options) {
  std::vector<std::string> tensors;
  for (const LayerQuantizer& layer : setup.layers)
    if (layer.quantized) tensors.push_back(fp32.value(fp32.nodes[static_cast<size_t>(layer.node)].outputs.at(0)).name);
  // The first float output is the one compared end to end (logits, usually).
  std::string output;
  for (ir::ValueId id : fp32.outputs)
    if (fp32.value(id).dtype == DType::kFloat32 && !fp32.value(id).is_constant()) { output = fp32.value(id).name; break; }
  const bool output_is_layer = std::find(tensors.begin(), tensors.end(), output) != tensors.end();
  if (!output.empty() && !output_is_layer) tensors.push_back(output);
  const auto errors = tensor_errors(fp32, qdq, tensors, samples, count, options.threads);
  for (size_t i = 0, k = 0; i < setup.layers.size(); ++i)
    if (setup.layers[i].quantized) report.layers[i].sqnr_db = errors.at(tensors[k++]).sqnr_db;
  if (output.empty()) return "";
  const TensorError& out = errors.at(output);
  report.output_tensor = output;
  report.output_sqnr_db = out.sqnr_db;
  report.output_agreement = out.agreement;
  report.output_samples = count;
  if (!(out.sqnr_db < options.min_output_sqnr_db)) return "";
  // Where the error starts: the first layers (in graph order) already below the threshold, or
  // the worst one when the error only builds up along the way.
  std::string where;
  int named = 0;
  for (const LayerQuantReport& l : report.layers)
    if (l.quantized && l.sqnr_db < options.min_output_sqnr_db && named < 3)
      where += cat(named++ ? ", " : "", "'", l.node, "' (", db(l.sqnr_db), " dB)");
  if (named == 0) {
    const LayerQuantReport* worst = nullptr;
    for (const LayerQuantReport& l : report.layers)
      if (l.quantized && (!worst || l.sqnr_db < worst->sqnr_db)) worst = &l;
    if (worst) where = cat("'", worst->node, "' (", db(worst->sqnr_db), " dB, the lowest)");
  }
  return cat("the INT8 model's output '", output, "' is far from FP32: SQNR ", db(out.sqnr_db), " dB (below ",
          options.min_output_sqnr_db, " dB)",
          std::isnan(out.agreement) ? std::string() : cat(", top-1 agreement ", std::round(out.agreement * 1000) / 10, "%"),
          " on ", count, " sample", count == 1 ? "" : "s",
          where.empty() ? std::string() : cat("; the error starts at ", where),
          "; try more calibration samples (--subset-size), another --activations-range, or --ignore those layers");
}

}  // namespace octet::quant
