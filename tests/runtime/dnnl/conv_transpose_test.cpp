// dnnl_conv_transpose against the reference: strides, pads, output_padding, output_shape,
// auto_pad, dilations, groups, 1-D and 3-D, with and without bias, in each forced layout.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;

struct DeconvCase {
  Shape x, w;
  std::vector<int64_t> strides, pads, output_padding, output_shape, dilations;
  int64_t group = 1;
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

OneNode make(const DeconvCase& c, uint32_t seed) {
  OneNode one(OpKind::ConvTranspose);
  one.input(random_tensor(c.x, seed)).input(random_tensor(c.w, seed + 1, -0.5f, 0.5f), true);
  if (c.bias) one.input(random_tensor({c.w[1] * c.group}, seed + 2), true);
  if (!c.strides.empty()) one.ints("strides", c.strides);
  if (!c.pads.empty()) one.ints("pads", c.pads);
  if (!c.output_padding.empty()) one.ints("output_padding", c.output_padding);
  if (!c.output_shape.empty()) one.ints("output_shape", c.output_shape);
  if (!c.dilations.empty()) one.ints("dilations", c.dilations);
  if (c.group != 1) one.i("group", c.group);
  if (c.auto_pad != "NOTSET") one.s("auto_pad", c.auto_pad);
  return one;
}

TEST(DnnlConvTranspose, Geometries) {
  const std::vector<DeconvCase> cases = {
      {{1, 8, 5, 5}, {8, 13, 3, 3}},
      {{1, 8, 5, 6}, {8, 16, 3, 3}, {2, 2}, {1, 1, 1, 1}},
      {{2, 16, 4, 4}, {16, 8, 4, 4}, {2, 2}, {1, 1, 1, 1}},          // the usual 2x upsampler
      {{1, 8, 5, 5}, {8, 8, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}},    // output_padding within the end pad
      {{1, 8, 5, 5}, {8, 8, 3, 3}, {3, 2}, {}, {}, {14, 10}},        // output_shape
      {{1, 8, 5, 5}, {8, 8, 3, 3}, {2, 2}, {}, {}, {}, {}, 1, "SAME_UPPER"},
      {{1, 8, 5, 5}, {8, 8, 3, 3}, {2, 2}, {}, {}, {}, {}, 1, "SAME_LOWER"},
      {{1, 8, 6, 6}, {8, 4, 3, 3}, {1, 1}, {1, 1, 1, 1}, {}, {}, {2, 2}},
      {{1, 12, 5, 5}, {12, 3, 3, 3}, {2, 2}, {0, 0, 0, 0}, {}, {}, {}, 4},
      {{1, 6, 7}, {6, 5, 3}, {2}, {1, 0}, {}, {}, {}, 1, "NOTSET", false},
      {{1, 4, 3, 4, 5}, {4, 6, 2, 2, 2}, {2, 2, 2}},
  };
  uint32_t seed = 1;
  for (const char* layout : {static_cast<const char*>(nullptr), "nChw8c", "plain"}) {
    std::unique_ptr<ScopedEnv> env;
    if (layout) env = std::make_unique<ScopedEnv>("OCTET_DNNL_LAYOUT", layout);
    for (const DeconvCase& c : cases) {
      OneNode one = make(c, seed += 10);
      expect_like_reference("dnnl_conv_transpose", one, {}, 1e-4f);
    }
  }
}

TEST(DnnlConvTranspose, DeclinesOutputPaddingPastThePads) {
  // output_padding 1 with no end pad would need a negative oneDNN pad: the reference runs it.
  OneNode one = make({{1, 4, 3, 3}, {4, 4, 3, 3}, {2, 2}, {}, {1, 1}}, 5);
  EXPECT_NE(run_kernel("dnnl_conv_transpose", one).why_not, "");
  // Likewise an output_shape larger than the natural output (it grows at the end).
  OneNode larger = make({{1, 8, 5, 5}, {8, 8, 3, 3}, {3, 2}, {}, {}, {17, 12}}, 6);
  EXPECT_NE(run_kernel("dnnl_conv_transpose", larger).why_not, "");
}

}  // namespace
}  // namespace octet::testing
