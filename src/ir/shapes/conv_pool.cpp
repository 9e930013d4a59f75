// Shape functions of convolutions and pools: Conv, FusedConv (Conv's shape), ConvTranspose
// (output_padding, output_shape, auto_pad) and the pools (ceil_mode, dilations, auto_pad).
// A spatial dim that is unknown stays unknown.
#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begins then ends
  std::string auto_pad;
};

Window read_window(const Node& node, size_t spatial, const std::vector<int64_t>& kernel_from_weight) {
  Window w;
  w.kernel = node.attr_ints("kernel_shape", kernel_from_weight);
  if (w.kernel.size() != spatial)
    fail(node.describe(), ": kernel_shape has ", w.kernel.size(), " dims for ", spatial, " spatial dims");
  w.strides = node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  w.dilations = node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  w.pads = node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  w.auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (w.strides.size() != spatial || w.dilations.size() != spatial || w.pads.size() != 2 * spatial)
    fail(node.describe(), ": strides, dilations or pads do not match ", spatial, " spatial dims");
  for (size_t i = 0; i < spatial; ++i)
    if (w.strides[i] <= 0 || w.dilations[i] <= 0 || w.kernel[i] <= 0)
      fail(node.describe(), ": kernel_shape, strides and dilations must be positive");
  return w;
}

// Output size of one spatial dim of a convolution or pool window.
int64_t window_out(const Window& w, size_t i, int64_t in, bool ceil_mode) {
  if (in < 0) return -1;
  const int64_t stride = w.strides[i];
  const int64_t span = w.dilations[i] * (w.kernel[i] - 1) + 1;
  if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") return ceil_div(in, stride);
  if (w.auto_pad == "VALID") return std::max<int64_t>(0, floor_div(in - span, stride) + 1);
  const int64_t padded = in + w.pads[i] + w.pads[i + w.kernel.size()];
  if (!ceil_mode) return floor_div(padded - span, stride) + 1;
  int64_t out = ceil_div(padded - span, stride) + 1;
  // The last window must start inside the input or its leading pad (as PyTorch and
  // ONNX Runtime count it); otherwise ceil_mode would add a window of pure padding.
  if ((out - 1) * stride >= in + w.pads[i]) --out;
  return out;
}

void conv(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const Value& wv = input_value(graph, node, 1);
  if (x.shape.size() < 3 || wv.shape.size() != x.shape.size())
    fail(node.describe(), ": X ", shape_str(x.shape), " and W ", shape_str(wv.shape), " need the same rank >= 3");
  const size_t spatial = x.shape.size() - 2;
  const Window w = read_window(node, spatial, Shape(wv.shape.begin() + 2, wv.shape.end()));
  Shape out = {x.shape[0], wv.shape[0]};
  for (size_t i = 0; i < spatial; ++i) out.push_back(window_out(w, i, x.shape[i + 2], false));
  set_output(graph, node, 0, x.dtype, out);
}

void conv_transpose(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const Value& wv = input_value(graph, node, 1);
  if (x.shape.size() < 3 || wv.shape.size() != x.shape.size())
    fail(node.describe(), ": X ", shape_str(x.shape), " and W ", shape_str(wv.shape), " need the same rank >= 3");
  const size_t spatial = x.shape.size() - 2;
  const Window w = read_window(node, spatial, Shape(wv.shape.begin() + 2, wv.shape.end()));
  const int64_t group = node.attr_int("group", 1);
  const auto output_padding = node.attr_ints("output_padding", std::vector<int64_t>(spatial, 0));
  const auto output_shape = node.attr_ints("output_shape");
  if (output_padding.size() != spatial) fail(node.describe(), ": output_padding needs ", spatial, " values");
  Shape out = {x.shape[0], wv.shape[1] < 0 ? -1 : wv.shape[1] * group};
  for (size_t i = 0; i < spatial; ++i) {
    const int64_t in = x.shape[i + 2];
    if (!output_shape.empty()) {
      // Either the spatial dims alone or the whole shape.
      if (output_shape.size() != spatial && output_shape.size() != spatial + 2)
        fail(node.describe(), ": output_shape has ", output_shape.size(), " dims for ", spatial, " spatial dims");
      out.push_back(output_shape[output_shape.size() - spatial + i]);
    } else if (in < 0) {
      out.push_back(-1);
    } else if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") {
      out.push_back(in * w.strides[i]);
    } else {
      const int64_t span = w.dilations[i] * (w.kernel[i] - 1) + 1;
      const bool valid = w.auto_pad == "VALID";
      const int64_t pads = valid ? 0 : w.pads[i] + w.pads[i + spatial];
      out.push_back(w.strides[i] * (in - 1) + output_padding[i] + span - pads);
    }
  }
  set_output(graph, node, 0, x.dtype, out);
}

void pool(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  if (x.shape.size() < 3) fail(node.describe(), ": X ", shape_str(x.shape), " needs rank >= 3");
  const size_t spatial = x.shape.size() - 2;
  if (!node.has_attr("kernel_shape")) fail(node.describe(), ": kernel_shape is required");
  const Window w = read_window(node, spatial, {});
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  Shape out = {x.shape[0], x.shape[1]};
  for (size_t i = 0; i < spatial; ++i) out.push_back(window_out(w, i, x.shape[i + 2], ceil_mode));
  set_output(graph, node, 0, x.dtype, out);
  set_output(graph, node, 1, DType::kInt64, out);  // MaxPool's Indices
}

void global_pool(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  if (x.shape.size() < 2) fail(node.describe(), ": X ", shape_str(x.shape), " needs rank >= 2");
  Shape out = {x.shape[0], x.shape[1]};
  out.resize(x.shape.size(), 1);
  set_output(graph, node, 0, x.dtype, out);
}

}  // namespace

ShapeFn conv_pool_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Conv: case OpKind::FusedConv: return conv;
    case OpKind::ConvTranspose: return conv_transpose;
    case OpKind::MaxPool: case OpKind::AveragePool: return pool;
    case OpKind::GlobalAveragePool: case OpKind::GlobalMaxPool: return global_pool;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
