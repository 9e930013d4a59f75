// The quantizer setup: which tensors get a Q->DQ pair, which layers get INT8 weights, which
// quantizers must share one scale. Selection fills it from the graph; the algorithms fill in
// ranges, parameters, quantized weights and corrected biases; insert_qdq turns it into a
// graph. Layers are the unit the accuracy-aware search will rank and revert (revert_layer).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/ranges/range_estimator.hpp"
#include "quant/transforms/qparams.hpp"
#include "quant/transforms/saturation.hpp"

namespace octet::quant {

// A Q->DQ pair on one activation tensor; the listed node inputs read the DQ output, every
// other reader keeps the FP32 tensor.
struct ActivationQuantizer {
  ir::ValueId value = ir::kNoValue;
  std::vector<std::pair<ir::NodeId, int>> uses;  // (node, input index)
  int channel_axis = -1;    // channel axis of the layer reading it (for per-channel statistics)
  std::string estimator;    // how its range was chosen, for the report
  Range range;
  QParams params;
};

// A layer whose weights (or activation x activation product) run in INT8.
struct LayerQuantizer {
  ir::NodeId node = ir::kNoNode;
  bool quantized = true;
  std::string reason;              // why not quantized
  std::vector<int> activations;    // ActivationQuantizer per quantized input
  int weight_input = -1;           // index of the constant weights, -1 for none
  int bias_input = -1;             // index of the constant bias, -1 for none
  ReductionLayout reduction;       // weight layout; it fixes the output-channel axis
  int weight_axis() const {
    return reduction.kind == ReductionLayout::Kind::kConv || reduction.kind == ReductionLayout::Kind::kMatMulNK ? 0 : 1;
  }

  // Filled by the algorithm.
  QuantizedWeights weights;
  Tensor bias;                     // float bias after correction (empty: the graph's own)
  bool bias_added = false;         // the layer had no bias; correction gave it one
  bool bias_corrected = false;
  float bias_shift_max = 0;
  int64_t narrowed_channels = 0;
};

// Quantizers that must share one scale and zero point so the op between them runs in INT8
// without rescaling (Concat inputs and output, a pool's input and output, residual Add inputs).
struct UnifyGroup {
  std::vector<int> members;  // ActivationQuantizer indices
  std::string why;           // "Concat 'cat1'", ...
};

struct QuantSetup {
  std::vector<ActivationQuantizer> activations;
  std::vector<LayerQuantizer> layers;
  std::vector<UnifyGroup> groups;
  std::vector<std::string> warnings;
  bool transformer = false;

  // Index of the quantizer on value v, or -1.
  int quantizer_of(ir::ValueId v) const;
  // Index of the quantizer on v, created if absent.
  int ensure_quantizer(ir::ValueId v);
  // Reverts one layer to FP32: its weights stay float and its inputs stop reading DQ outputs
  // (a quantizer left with no readers disappears at insertion).
  void revert_layer(size_t layer, const std::string& reason);
};

// Selects the quantizers for a graph (octet's optimized FP32 graph, static shapes): inputs and
// weights of Conv/MatMul/Gemm and their fused forms, then the scale-sharing
// rules for pools, Concat and residual Add, and the transformer rules.
QuantSetup select_quantizers(const ir::Graph& graph, const QuantizeOptions& options);

// Whether a node matches an ignored-scope entry: its name, a glob ('*', '?') over its name,
// or its op type (FusedConv also answers to Conv, FullyConnected to MatMul and Gemm).
bool matches_ignored(const ir::Node& node, const std::string& pattern);

}  // namespace octet::quant
