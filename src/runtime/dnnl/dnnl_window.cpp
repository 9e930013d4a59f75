// Forward window geometry for oneDNN: ONNX pads, auto_pad and ceil_mode become explicit
// left and right pads that satisfy oneDNN's check (in + l + r - span) / stride + 1 == out.
#include "runtime/dnnl/dnnl_window.hpp"

#include "octet/error.hpp"

namespace octet::rt::onednn {

std::string forward_window(const ir::Node& node, const Shape& in, const Shape& out,
                           const std::vector<int64_t>& kernel_default, Window& w) {
  if (in.size() < 3 || out.size() != in.size()) return "needs input and output of the same rank >= 3";
  const size_t spatial = in.size() - 2;
  const auto kernel = node.attr_ints("kernel_shape", kernel_default);
  const auto strides = node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  const auto dilations = node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  const auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (kernel.size() != spatial || strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial)
    return "kernel_shape, strides, dilations or pads do not match the spatial rank";
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    return cat("unknown auto_pad '", auto_pad, "'");
  w = Window{};
  for (size_t i = 0; i < spatial; ++i) {
    const int64_t k = kernel[i], s = strides[i], d = dilations[i], n = in[i + 2], o = out[i + 2];
    if (k <= 0 || s <= 0 || d <= 0) return "kernel_shape, strides and dilations must be positive";
    if (o <= 0) return "empty output";
    const int64_t span = (k - 1) * d + 1;
    int64_t l = 0, r = 0;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t total = std::max<int64_t>(0, (o - 1) * s + span - n);
      l = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      r = total - l;
    } else if (auto_pad == "NOTSET") {
      l = pads[i];
      r = pads[i + spatial];
    }
    if (l < 0 || r < 0) return "negative pads";
    if (n + l + r < span || (n + l + r - span) / s + 1 != o) {
      // ceil_mode (or an output the pads do not explain): grow the right pad to fit.
      const int64_t needed = (o - 1) * s + span - n - l;
      if (needed < r || (n + l + needed - span) / s + 1 != o) return "output shape does not fit the window";
      r = needed;
      w.pads_extended = true;
    }
    w.kernel.push_back(k);
    w.strides.push_back(s);
    w.dilations.push_back(d - 1);
    w.pad_l.push_back(l);
    w.pad_r.push_back(r);
  }
  return "";
}

}  // namespace octet::rt::onednn
