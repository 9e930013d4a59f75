// Helpers shared by the per-family shape functions: reading constant inputs, normalizing
// axes, NumPy broadcasting with unknown dims (-1), and the ONNX element type codes that
// attributes such as Cast's "to" carry. Unknown dims stay -1; nothing here guesses.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/shapes/shape_fn.hpp"

namespace octet::ir::shapes {

// True when input i exists (not omitted).
inline bool has_input(const Node& node, size_t i) { return node.input(i) != kNoValue; }

// The constant tensor of input i; nullptr when omitted or not constant.
const Tensor* const_input(const Graph& graph, const Node& node, size_t i);

// A constant integer tensor's elements (int64, int32, int16, int8, uint8...).
std::vector<int64_t> tensor_ints(const Tensor& t);
// A constant numeric tensor's elements as doubles.
std::vector<double> tensor_doubles(const Tensor& t);

// Input i as a list of ints when it is a constant; nullopt when omitted or not constant.
std::optional<std::vector<int64_t>> const_ints(const Graph& graph, const Node& node, size_t i);

// Axis in [-rank, rank) to [0, rank); throws naming the node otherwise.
int64_t norm_axis(const Node& node, int64_t axis, int64_t rank);

// NumPy broadcasting of two shapes; -1 where a dim is unknown and cannot be deduced.
// Throws naming the node when two known dims disagree.
Shape broadcast(const Node& node, const Shape& a, const Shape& b);

// Maps an ONNX TensorProto element type code (Cast "to", ConstantOfShape...) to a DType.
// float16 maps to float32, as octet computes float16 models in float32.
DType dtype_from_onnx_code(const Node& node, int64_t code);

// Sets only the dtype of output i, leaving its shape as declared (or unknown).
void set_output_dtype(Graph& graph, const Node& node, size_t i, DType dtype);

// A rank-known shape whose dims are all unknown.
inline Shape unknown_dims(size_t rank) { return Shape(rank, -1); }

// Product of dims, -1 if any is unknown.
int64_t known_product(const Shape& shape, size_t begin, size_t end);

// Integer ceil division for positive denominators.
inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
// Floor division for positive denominators.
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// a + b + ... of dims and pads; throws naming the node and `what` when it leaves int64.
int64_t checked_sum(const Node& node, const char* what, std::initializer_list<int64_t> terms);

// A dim a shape function derived from known inputs: throws naming the node and `what` (the
// attribute or input that made it) when it is negative, as an unknown dim (-1) would hide it.
int64_t known_dim(const Node& node, int64_t dim, const std::string& what);

// Registration functions, one per family file.
ShapeFn elementwise_shape_fn(OpKind op);
ShapeFn conv_pool_shape_fn(OpKind op);
ShapeFn matmul_shape_fn(OpKind op);
ShapeFn reduce_shape_fn(OpKind op);
ShapeFn reshape_shape_fn(OpKind op);
ShapeFn gather_slice_shape_fn(OpKind op);
ShapeFn resize_shape_fn(OpKind op);
ShapeFn generator_shape_fn(OpKind op);
ShapeFn normalization_shape_fn(OpKind op);
ShapeFn quant_shape_fn(OpKind op);
ShapeFn misc_shape_fn(OpKind op);
ShapeFn quant_ops_shape_fn(OpKind op);  // octet's INT8 ops (quant_ops.cpp)
ShapeFn control_flow_shape_fn(OpKind op);  // If, Loop, Scan, RNN, GRU, LSTM

}  // namespace octet::ir::shapes
