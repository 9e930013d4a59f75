// Shared helpers of the shape functions (see shape_util.hpp).
#include "ir/shapes/shape_util.hpp"

#include "core/int_math.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {

const Tensor* const_input(const Graph& graph, const Node& node, size_t i) {
  return graph.constant(node.input(i));
}

std::vector<int64_t> tensor_ints(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<int64_t> r(n);
  for (size_t k = 0; k < n; ++k) {
    switch (t.dtype) {
      case DType::kInt64: r[k] = t.data<int64_t>()[k]; break;
      case DType::kInt32: r[k] = t.data<int32_t>()[k]; break;
      case DType::kInt16: r[k] = t.data<int16_t>()[k]; break;
      case DType::kUInt16: r[k] = t.data<uint16_t>()[k]; break;
      case DType::kInt8: r[k] = t.data<int8_t>()[k]; break;
      case DType::kUInt8: r[k] = t.data<uint8_t>()[k]; break;
      case DType::kBool: r[k] = t.data<uint8_t>()[k] != 0; break;
      case DType::kFloat32: r[k] = saturate_cast<int64_t>(t.data<float>()[k]); break;
      case DType::kFloat64: r[k] = saturate_cast<int64_t>(t.data<double>()[k]); break;
      default: fail("tensor of ", dtype_name(t.dtype), " cannot be read as integers");
    }
  }
  return r;
}

std::vector<double> tensor_doubles(const Tensor& t) {
  if (t.dtype == DType::kFloat32) {
    const float* p = t.data<float>();
    return std::vector<double>(p, p + t.numel());
  }
  if (t.dtype == DType::kFloat64) {
    const double* p = t.data<double>();
    return std::vector<double>(p, p + t.numel());
  }
  if (t.dtype == DType::kFloat16) {
    std::vector<double> r(static_cast<size_t>(t.numel()));
    for (size_t k = 0; k < r.size(); ++k) r[k] = half_to_float(t.data<uint16_t>()[k]);
    return r;
  }
  const std::vector<int64_t> ints = tensor_ints(t);
  return std::vector<double>(ints.begin(), ints.end());
}

std::optional<std::vector<int64_t>> const_ints(const Graph& graph, const Node& node, size_t i) {
  const Tensor* t = const_input(graph, node, i);
  if (!t) return std::nullopt;
  return tensor_ints(*t);
}

int64_t norm_axis(const Node& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) fail(node.describe(), ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

Shape broadcast(const Node& node, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape r(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1) r[i] = y;
    else if (y == 1) r[i] = x;
    else if (x < 0) r[i] = y;  // x must be 1 or y; -1 when y is unknown too
    else if (y < 0) r[i] = x;
    else if (x == y) r[i] = x;
    else fail(node.describe(), ": shapes ", shape_str(a), " and ", shape_str(b), " do not broadcast");
  }
  return r;
}

DType dtype_from_onnx_code(const Node& node, int64_t code) {
  switch (code) {
    case 1: return DType::kFloat32;
    case 2: return DType::kUInt8;
    case 3: return DType::kInt8;
    case 4: return DType::kUInt16;
    case 5: return DType::kInt16;
    case 6: return DType::kInt32;
    case 7: return DType::kInt64;
    case 9: return DType::kBool;
    case 10: return DType::kFloat32;  // float16 computes as float32
    case 11: return DType::kFloat64;
    default: fail(node.describe(), ": ONNX element type ", code, " is not supported");
  }
}

void set_output_dtype(Graph& graph, const Node& node, size_t i, DType dtype) {
  if (i >= node.outputs.size() || node.outputs[i] == kNoValue) return;
  graph.value(node.outputs[i]).dtype = dtype;
}

int64_t known_product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) {
    if (shape[i] < 0) return -1;
    p *= shape[i];
  }
  return p;
}

int64_t checked_sum(const Node& node, const char* what, std::initializer_list<int64_t> terms) {
  int64_t sum = 0;
  for (int64_t t : terms)
    if (__builtin_add_overflow(sum, t, &sum)) fail(node.describe(), ": ", what, " overflow a 64-bit dim");
  return sum;
}

int64_t known_dim(const Node& node, int64_t dim, const std::string& what) {
  if (dim < 0) fail(node.describe(), ": ", what, " (it computes a dim of ", dim, ")");
  return dim;
}

}  // namespace octet::ir::shapes
