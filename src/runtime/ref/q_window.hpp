// Sliding-window geometry of QConv and QAveragePool for the reference kernels and the oneDNN
// INT8 ones: 1 to 3 spatial dims held as (D, H, W) with unit dims in front, pads resolved from
// auto_pad, output sizes taken from shape inference (which owns ceil_mode's arithmetic).
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "runtime/kernel.hpp"

namespace octet::rt::q {

struct Window {
  int spatial = 0;                        // 1, 2 or 3 real spatial dims
  int64_t n = 1, c = 1, m = 1;            // batch, input channels, output channels
  std::array<int64_t, 3> in{1, 1, 1};     // D, H, W of the input
  std::array<int64_t, 3> out{1, 1, 1};    // D, H, W of the output
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};  // as given or resolved; may be negative or exceed
                                            // the input under ceil_mode
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// From the node's attributes (kernel_shape, strides, dilations, pads, auto_pad) and the shapes
// of X [N, C, spatial...], Y [N, M, spatial...]; the kernel size from `kernel_dims` when the
// node has no kernel_shape (a convolution's weight). Throws naming the node on bad attributes.
Window make_window(const ir::Node& node, const Shape& x, const Shape& y, const Shape& kernel_dims);

}  // namespace octet::rt::q
