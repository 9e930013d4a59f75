// The table of INT8 patterns (int8_patterns.def) as data. The families say what the
// quantizer quantizes and how it shares scales; the folder maps each family to the selector
// and rewrite that build its INT8 op. Both read only this table, so they cannot disagree
// about which ops run in INT8.
#pragma once
#include <vector>

#include "ir/op_kind.hpp"

namespace octet::ir::qdq {

enum class Int8Family : uint8_t {
  // Convolution and fully connected layers with constant weights: the activation input (and
  // FusedConv's Sum input) per tensor, the weights per output channel, the bias in int32,
  // each tensor its own scale. The output is quantized when the next pattern wants it.
  kWeightedLayer,
  // A sum of two activations of one shape: each summand keeps its own scale (the folder puts
  // it on the producing QConv as a Sum post-op, or makes a QAdd); the output is quantized.
  kResidualAdd,
  // Average pools: input and output share one scale, so QAveragePool only rounds the mean.
  kAveragePool,
  // Ops that pick elements (max pools, Concat): every data input and the output share one
  // scale, and the op runs unchanged on the quantized tensor (max and selection commute with a
  // monotonic quantization, so it is exact). Quantized only between other INT8 patterns.
  kSharedScale,
  // Ops that only move elements: no quantizer of their own; quantization passes through them,
  // and they run on the quantized tensor.
  kMovement,
};

// The activations after the anchor that the INT8 op takes as a post-op.
enum class FusedActivations : uint8_t { kNone, kRelu, kReluClipLeakyRelu };

struct Int8Pattern {
  OpKind anchor;
  Int8Family family;
  FusedActivations fuses;
  OpKind becomes;
};

const std::vector<Int8Pattern>& int8_patterns();
// The row anchored on `op`, or nullptr: an op without a row stays FP32.
const Int8Pattern* int8_pattern_of(OpKind op);
// Whether the pattern anchored on `op` belongs to `family` (false for an op without a row).
bool is_int8_family(OpKind op, Int8Family family);
// Whether `fusable` has `activation` (an op kind: Relu, Clip, LeakyRelu).
bool fuses(FusedActivations fusable, OpKind activation);
const char* family_name(Int8Family family);

}  // namespace octet::ir::qdq
