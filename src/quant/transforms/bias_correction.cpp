// The per-layer arithmetic of bias correction; see bias_correction.hpp.
#include "quant/transforms/bias_correction.hpp"

#include <cmath>
#include <limits>

#include "octet/error.hpp"
#include "runtime/kernel.hpp"

namespace octet::quant {
namespace {

using ir::OpKind;

int output_channel_axis(const ir::Graph& g, const ir::Node& n) {
  if (n.op == OpKind::FusedConv || n.op == OpKind::Conv) return 1;
  return static_cast<int>(g.value(n.outputs[0]).shape.size()) - 1;
}

}  // namespace

bool can_correct_bias(const ir::Graph& g, const LayerQuantizer& layer) {
  if (!layer.quantized || layer.weight_input < 0) return false;
  if (layer.bias_input >= 0) return true;
  const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
  switch (n.op) {
    case OpKind::FusedConv: case OpKind::Conv: case OpKind::FullyConnected:
      return n.input(2) == ir::kNoValue;
    case OpKind::Gemm:
      return n.input(2) == ir::kNoValue && n.attr_float("alpha", 1.0f) == 1.0f;
    default:
      return false;
  }
}

std::vector<double> linear_output_channel_means(const ir::Graph& g, const LayerQuantizer& layer, const Tensor& input,
                                                const Tensor& weights) {
  const ir::Node& original = g.nodes[static_cast<size_t>(layer.node)];
  ir::Node node = original;
  node.inputs.resize(2);  // X, W: no bias, no residual
  if (node.has_attr("activation")) node.attrs["activation"] = ir::Attribute::make_string("");
  if (node.op == OpKind::Gemm) node.attrs.erase("beta");
  std::vector<const Tensor*> inputs = {&input, &weights};
  if (layer.weight_input != 1) fail(original.describe(), ": bias correction expects the weights as input 1");
  const std::vector<Tensor> out = rt::evaluate_node(g, node, inputs);
  const Tensor& y = out.at(0);
  const int axis = output_channel_axis(g, original);
  const AxisSplit s = split_axis(y.shape, axis);
  std::vector<double> mean(static_cast<size_t>(s.channels), 0.0);
  const float* p = y.data<float>();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.channels; ++c)
      for (int64_t i = 0; i < s.inner; ++i) mean[static_cast<size_t>(c)] += p[(o * s.channels + c) * s.inner + i];
  for (double& m : mean) m /= static_cast<double>(s.outer * s.inner);
  return mean;
}

std::vector<float> bias_shift(const ir::Graph& g, const LayerQuantizer& layer, const Tensor& mean_fp32,
                              const Tensor* mean_quantized) {
  const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
  const Tensor& w = *g.value(n.input(static_cast<size_t>(layer.weight_input))).data;
  const Tensor w_q = dequantize_weights(layer.weights);
  std::vector<float> shift;
  if (!mean_quantized) {
    // Linear in the weights too: layer(m, W) - layer(m, Wq) = layer(m, W - Wq).
    Tensor diff = w;
    for (int64_t i = 0; i < diff.numel(); ++i) diff.data<float>()[i] -= w_q.data<float>()[i];
    for (double d : linear_output_channel_means(g, layer, mean_fp32, diff)) shift.push_back(static_cast<float>(d));
    return shift;
  }
  const std::vector<double> fp = linear_output_channel_means(g, layer, mean_fp32, w);
  const std::vector<double> q = linear_output_channel_means(g, layer, *mean_quantized, w_q);
  for (size_t c = 0; c < fp.size(); ++c) shift.push_back(static_cast<float>(fp[c] - q[c]));
  return shift;
}

bool apply_bias_shift(const ir::Graph& g, LayerQuantizer& layer, const std::vector<float>& shift, double threshold) {
  const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
  Tensor bias;
  if (!layer.bias.bytes.empty()) bias = layer.bias;
  else if (layer.bias_input >= 0) bias = *g.value(n.input(static_cast<size_t>(layer.bias_input))).data;
  else bias = Tensor(DType::kFloat32, {static_cast<int64_t>(shift.size())});
  if (bias.numel() != static_cast<int64_t>(shift.size()))
    fail(n.describe(), ": bias has ", bias.numel(), " values, the output ", shift.size(), " channels");
  float* b = bias.data<float>();
  double magnitude = 0;
  float shift_max = 0;
  for (size_t c = 0; c < shift.size(); ++c) {
    shift_max = std::max(shift_max, std::fabs(shift[c]));
    const double ratio = b[c] != 0 ? std::fabs(shift[c] / b[c])
                                    : (shift[c] != 0 ? std::numeric_limits<double>::infinity() : 0.0);
    magnitude = std::max(magnitude, ratio);
  }
  layer.bias_shift_max = shift_max;
  if (threshold > 0 && magnitude >= threshold) return false;
  for (size_t c = 0; c < shift.size(); ++c) b[c] += shift[c];
  layer.bias_added = layer.bias_input < 0;
  layer.bias = std::move(bias);
  layer.bias_corrected = true;
  return true;
}

}  // namespace octet::quant
