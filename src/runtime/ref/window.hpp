// Sliding-window geometry shared by the reference Conv, ConvTranspose and pooling kernels:
// kernel, strides, dilations and begin pads per spatial dim, always as 3 dims (1-D and 2-D
// windows get leading dims of size 1) so one loop nest serves every rank.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/error.hpp"

namespace octet::rt::ref {

struct Window {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }

  // in_shape/out_shape: N, C, spatial...; kernel: the spatial kernel dims. For a transposed
  // conv the roles of in and out swap for the pad computation (`transposed`). "" or why not.
  static std::string make(const ir::Node& node, const Shape& in_shape, const Shape& out_shape,
                          const std::vector<int64_t>& kernel, bool transposed, Window* w) {
    const size_t nd = in_shape.size() - 2;
    if (nd < 1 || nd > 3) return cat(nd, "-D windows are not supported");
    if (kernel.size() != nd || out_shape.size() != in_shape.size()) return "kernel rank differs from the input's";
    const std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
    const std::vector<int64_t> dils = node.attr_ints("dilations", std::vector<int64_t>(nd, 1));
    std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
    const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
    if (strides.size() != nd || dils.size() != nd || pads.size() != 2 * nd) return "strides, dilations or pads have the wrong length";
    const size_t off = 3 - nd;
    for (size_t d = 0; d < nd; ++d) {
      Window& r = *w;
      r.in[off + d] = in_shape[2 + d];
      r.out[off + d] = out_shape[2 + d];
      r.k[off + d] = kernel[d];
      r.stride[off + d] = strides[d];
      r.dil[off + d] = dils[d];
      if (strides[d] <= 0 || dils[d] <= 0 || kernel[d] <= 0) return "strides, dilations and kernel must be positive";
      const int64_t span = (kernel[d] - 1) * dils[d] + 1;
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const int64_t small = transposed ? r.in[off + d] : r.out[off + d];
        const int64_t big = transposed ? r.out[off + d] : r.in[off + d];
        const int64_t total = std::max<int64_t>(0, (small - 1) * strides[d] + span - big);
        const bool upper = auto_pad == "SAME_UPPER";
        // Transposed convs put the odd pad on the other side (ONNX ConvTranspose's formula).
        r.pad[off + d] = (upper != transposed) ? total / 2 : total - total / 2;
        r.pad_end[off + d] = total - r.pad[off + d];
      } else if (auto_pad == "VALID") {
        r.pad[off + d] = 0;
        r.pad_end[off + d] = 0;
      } else if (auto_pad == "NOTSET") {
        r.pad[off + d] = pads[d];
        r.pad_end[off + d] = pads[nd + d];
      } else {
        return "auto_pad '" + auto_pad + "' is not defined";
      }
    }
    return "";
  }
};

}  // namespace octet::rt::ref
