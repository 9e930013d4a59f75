// Weight quantization and the saturation fix; see weight_quantization.hpp.
#include "quant/algorithms/weight_quantization.hpp"

#include "octet/error.hpp"

namespace octet::quant {

SaturationFix resolve_saturation_fix(SaturationFix requested, bool host_vnni, std::string& why) {
  switch (requested) {
    case SaturationFix::kAuto:
      if (host_vnni) {
        why = "auto: this CPU has VNNI (32-bit dot products), no fix needed";
        return SaturationFix::kNo;
      }
      why = "auto: no VNNI on this CPU; 7-bit weights where calibrated ranges can saturate int16 pairs";
      return SaturationFix::kDetect;
    case SaturationFix::kDetect:
      why = "detect: 7-bit weights where calibrated ranges can saturate int16 pairs";
      return requested;
    case SaturationFix::kNo: why = "no"; return requested;
    case SaturationFix::kFirstLayer: why = "first_layer: 7-bit weights in the first quantized layer"; return requested;
    case SaturationFix::kAll: why = "all: 7-bit weights in every layer with int16 pairs"; return requested;
  }
  return requested;
}

int64_t quantize_layer_weights(const ir::Graph& g, QuantSetup& setup, const StatsMap& stats, SaturationFix fix,
                               const std::string& method) {
  int64_t narrowed_total = 0;
  bool first = true;
  for (LayerQuantizer& layer : setup.layers) {
    if (!layer.quantized || layer.weight_input < 0) continue;
    const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
    const Tensor& w = *g.value(n.input(static_cast<size_t>(layer.weight_input))).data;
    const int axis = layer.weight_axis();
    const int64_t channels = w.shape.at(static_cast<size_t>(axis));
    const bool pairs = !has_no_pairs(w, layer.reduction);
    const bool narrow_all = pairs && (fix == SaturationFix::kAll || (fix == SaturationFix::kFirstLayer && first));
    first = false;
    std::vector<int8_t> levels(static_cast<size_t>(channels), narrow_all ? 63 : 127);
    layer.weights = quantize_weights(w, axis, levels, method);
    if (fix == SaturationFix::kDetect && pairs && !layer.activations.empty()) {
      const ActivationQuantizer& x = setup.activations[static_cast<size_t>(layer.activations[0])];
      const std::string& name = g.value(x.value).name;
      const TensorStats* st = stats.count(name) ? &stats.at(name) : nullptr;
      const int64_t in_channels = layer.reduction.kind == ReductionLayout::Kind::kConv ? w.shape[1] * layer.reduction.groups
                                  : layer.reduction.kind == ReductionLayout::Kind::kMatMul ? w.shape[0]
                                                                                           : w.shape[1];
      const bool per_channel = st && static_cast<int64_t>(st->channel_min.size()) == in_channels;
      const MultiplierRange range = multiplier_range(x.params, in_channels, per_channel ? st->channel_min : std::vector<float>{},
                                                     per_channel ? st->channel_max : std::vector<float>{});
      // Output channels map to weight channels one to one.
      const std::vector<int64_t> worst = worst_pair_sums(layer.weights.q, layer.reduction, range);
      bool any = false;
      for (size_t oc = 0; oc < worst.size(); ++oc)
        if (worst[oc] > kInt16Max) {
          levels[oc] = 63;
          any = true;
        }
      if (any) layer.weights = quantize_weights(w, axis, levels, method);
    }
    layer.narrowed_channels = 0;
    for (int8_t l : layer.weights.levels) layer.narrowed_channels += l == 63;
    narrowed_total += layer.narrowed_channels;
  }
  return narrowed_total;
}

}  // namespace octet::quant
