// Report entries from the setup; see report_builder.hpp.
#include "quant/report_builder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace octet::quant {

void fill_report(QuantizeReport& report, const ir::Graph& g, const QuantSetup& setup) {
  report.layers.clear();
  report.activations.clear();
  for (const LayerQuantizer& layer : setup.layers) {
    const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
    LayerQuantReport r;
    r.node = n.name;
    r.op = ir::op_name(n.op);
    r.quantized = layer.quantized;
    r.reason = layer.reason;
    r.sqnr_db = std::numeric_limits<double>::quiet_NaN();
    if (!layer.activations.empty()) {
      const ActivationQuantizer& x = setup.activations[static_cast<size_t>(layer.activations[0])];
      r.input = g.value(x.value).name;
      r.range_min = x.range.lo;
      r.range_max = x.range.hi;
      r.scale = x.params.scale.empty() ? 0.0f : x.params.scale[0];
      r.zero_point = x.params.zero_point.empty() ? 0 : x.params.zero_point[0];
      r.activation_dtype = dtype_name(x.params.dtype);
    }
    if (layer.weights.valid()) {
      r.weight_channels = static_cast<int64_t>(layer.weights.scale.size());
      r.weight_scale_min = *std::min_element(layer.weights.scale.begin(), layer.weights.scale.end());
      r.weight_scale_max = *std::max_element(layer.weights.scale.begin(), layer.weights.scale.end());
    }
    r.narrowed_channels = layer.narrowed_channels;
    r.bias_corrected = layer.bias_corrected;
    r.bias_shift_max = layer.bias_shift_max;
    report.layers.push_back(std::move(r));
  }
  for (const ActivationQuantizer& a : setup.activations) {
    if (a.uses.empty()) continue;
    ActivationQuantReport r;
    r.tensor = g.value(a.value).name;
    r.range_min = a.range.lo;
    r.range_max = a.range.hi;
    r.scale = a.params.scale[0];
    r.zero_point = a.params.zero_point[0];
    r.dtype = dtype_name(a.params.dtype);
    r.estimator = a.estimator;
    for (const auto& [node, input] : a.uses) r.consumers.push_back(g.nodes[static_cast<size_t>(node)].name);
    report.activations.push_back(std::move(r));
  }
}

void restore_dynamic_dims(ir::Graph& qdq, const ir::Graph& original, const std::map<std::string, Shape>& fixed) {
  auto restore = [&](const std::vector<ir::ValueId>& mine, const std::vector<ir::ValueId>& theirs) {
    for (size_t i = 0; i < mine.size() && i < theirs.size(); ++i) {
      ir::Value& v = qdq.value(mine[i]);
      const ir::Value& o = original.value(theirs[i]);
      if (v.name != o.name || !o.has_shape || o.shape.size() != v.shape.size() || fixed.count(o.name)) continue;
      v.shape = o.shape;
      v.dim_params = o.dim_params;
    }
  };
  restore(qdq.inputs, original.inputs);
  if (!fixed.empty()) return;
  restore(qdq.outputs, original.outputs);
  bool dynamic = false;
  for (ir::ValueId id : original.inputs)
    for (int64_t d : original.value(id).shape) dynamic = dynamic || d < 0;
  if (!dynamic) return;
  for (size_t v = 0; v < qdq.values.size(); ++v) {
    ir::Value& value = qdq.values[v];
    const ir::ValueId id = static_cast<ir::ValueId>(v);
    if (value.is_constant() || value.producer == ir::kNoNode || qdq.is_graph_output(id)) continue;
    value.has_shape = false;
    value.shape.clear();
    value.dim_params.clear();
  }
}

}  // namespace octet::quant
