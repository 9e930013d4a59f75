// Window geometry shared by the INT8 convolution and pooling kernels.
#include "runtime/ref/q_window.hpp"

#include <algorithm>

#include "octet/error.hpp"

namespace octet::rt::q {

Window make_window(const ir::Node& node, const Shape& x, const Shape& y, const Shape& kernel_dims) {
  if (x.size() < 3 || x.size() > 5 || y.size() != x.size())
    fail(node.describe(), ": X ", shape_str(x), " and Y ", shape_str(y), " need the same rank, 3 to 5");
  Window w;
  w.spatial = static_cast<int>(x.size()) - 2;
  const size_t s = static_cast<size_t>(w.spatial);
  w.n = x[0];
  w.c = x[1];
  w.m = y[1];
  const auto kernel = node.attr_ints("kernel_shape", std::vector<int64_t>(kernel_dims.begin(), kernel_dims.end()));
  const auto strides = node.attr_ints("strides", std::vector<int64_t>(s, 1));
  const auto dilations = node.attr_ints("dilations", std::vector<int64_t>(s, 1));
  const auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * s, 0));
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (kernel.size() != s || strides.size() != s || dilations.size() != s || pads.size() != 2 * s)
    fail(node.describe(), ": kernel_shape, strides, dilations or pads do not match ", s, " spatial dims");
  const size_t lead = 3 - s;  // unit dims in front
  for (size_t i = 0; i < s; ++i) {
    const size_t d = lead + i;
    w.in[d] = x[2 + i];
    w.out[d] = y[2 + i];
    w.kernel[d] = kernel[i];
    w.stride[d] = strides[i];
    w.dilation[d] = dilations[i];
    if (w.kernel[d] <= 0 || w.stride[d] <= 0 || w.dilation[d] <= 0)
      fail(node.describe(), ": kernel_shape, strides and dilations must be positive");
    const int64_t span = (w.kernel[d] - 1) * w.dilation[d] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t total = std::max<int64_t>(0, (w.out[d] - 1) * w.stride[d] + span - w.in[d]);
      w.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[d] = total - w.pad_begin[d];
    } else if (auto_pad == "VALID") {
      w.pad_begin[d] = w.pad_end[d] = 0;
    } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
      w.pad_begin[d] = pads[i];
      w.pad_end[d] = pads[i + s];
    } else {
      fail(node.describe(), ": unknown auto_pad '", auto_pad, "'");
    }
    if (w.pad_begin[d] < 0 || w.pad_end[d] < 0) fail(node.describe(), ": negative pads are not supported");
  }
  return w;
}

}  // namespace octet::rt::q
