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
  // Where W gives the kernel, an explicit kernel_shape must agree (ONNX: it is inferred from W);
  // a kernel that believed the attribute would read past the weights.
  for (size_t i = 0; i < kernel_from_weight.size() && i < w.kernel.size(); ++i)
    if (kernel_from_weight[i] >= 0 && w.kernel[i] != kernel_from_weight[i])
      fail(node.describe(), ": kernel_shape ", shape_str(w.kernel), " differs from W's spatial dims ",
           shape_str(kernel_from_weight));
  w.strides = node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  w.dilations = node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  w.pads = node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  w.auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (w.strides.size() != spatial || w.dilations.size() != spatial || w.pads.size() != 2 * spatial)
    fail(node.describe(), ": strides, dilations or pads do not match ", spatial, " spatial dims");
  if (w.auto_pad != "NOTSET" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER" && w.auto_pad != "VALID")
    fail(node.describe(), ": auto_pad '", w.auto_pad, "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  const auto positive = [&](const char* what, const std::vector<int64_t>& v) {
    for (size_t i = 0; i < v.size(); ++i)
      if (v[i] <= 0) fail(node.describe(), ": ", what, " ", shape_str(v), " has ", v[i], " at ", i, "; ONNX requires positive values");
  };
  positive("kernel_shape", w.kernel);
  positive("strides", w.strides);
  positive("dilations", w.dilations);
  for (size_t i = 0; i < w.pads.size(); ++i)
    if (w.pads[i] < 0) fail(node.describe(), ": pads ", shape_str(w.pads), " has ", w.pads[i], " at ", i, "; ONNX requires pads >= 0");
  // A dilated span past 2^62 cannot fit any input; refusing it keeps the arithmetic below exact.
  for (size_t i = 0; i < spatial; ++i)
    if (w.kernel[i] > (int64_t{1} << 31) || w.dilations[i] > (int64_t{1} << 31) || w.pads[i] > (int64_t{1} << 62) ||
        w.pads[i + spatial] > (int64_t{1} << 62))
      fail(node.describe(), ": kernel_shape, dilations or pads of ", w.kernel[i], ", ", w.dilations[i], ", ", w.pads[i],
           " on spatial axis ", i, " are beyond any tensor octet can hold");
  return w;
}

// Pads as large as the window make windows of padding alone (MaxPool would output -inf):
// ONNX Runtime refuses them and so does octet.
void check_pool_pads(const Node& node, const Window& w) {
  const size_t spatial = w.kernel.size();
  for (size_t i = 0; i < spatial; ++i)
    if (w.pads[i] >= w.kernel[i] || w.pads[i + spatial] >= w.kernel[i])
      fail(node.describe(), ": pads ", shape_str(w.pads), " on spatial axis ", i, " are not smaller than kernel_shape ",
           w.kernel[i], "; a window would hold only padding");
}

// Output size of one spatial dim of a convolution or pool window.
// A window larger than its (padded) input leaves no output position: refused naming the
// attributes, where the formula would give a negative size that reads as "unknown".
int64_t window_out(const Node& node, const Window& w, size_t i, int64_t in, bool ceil_mode) {
  if (in < 0) return -1;
  const int64_t stride = w.strides[i];
  const int64_t span = w.dilations[i] * (w.kernel[i] - 1) + 1;
  if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") return ceil_div(in, stride);
  const bool valid = w.auto_pad == "VALID";
  const int64_t padded = valid ? in : in + w.pads[i] + w.pads[i + w.kernel.size()];
  if (padded < span)
    fail(node.describe(), ": kernel_shape ", w.kernel[i], w.dilations[i] > 1 ? cat(" dilated by ", w.dilations[i]) : "",
         " spans ", span, " on spatial axis ", i, ", more than the ", valid ? "input's " : "padded input's ", padded);
  if (valid) return floor_div(in - span, stride) + 1;
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
  for (size_t i = 0; i < spatial; ++i) out.push_back(window_out(node, w, i, x.shape[i + 2], false));
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
      out.push_back(known_dim(node, w.strides[i] * (in - 1) + output_padding[i] + span - pads,
                              cat("pads ", shape_str(w.pads), " remove more than the output holds on spatial axis ", i)));
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
  check_pool_pads(node, w);
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  Shape out = {x.shape[0], x.shape[1]};
  for (size_t i = 0; i < spatial; ++i) out.push_back(window_out(node, w, i, x.shape[i + 2], ceil_mode));
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
