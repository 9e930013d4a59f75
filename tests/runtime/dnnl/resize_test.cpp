// dnnl_resize against the reference Resize in each layout: nearest and linear, up and down,
// by scales and by sizes, 1-D to 3-D spatial; and the nodes it must leave to the reference
// because oneDNN's half-pixel rule would compute something else.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

struct ResizeCase {
  Shape x;
  std::vector<float> scales;   // one per dim, or empty to give sizes
  std::vector<int64_t> sizes;  // one per dim when scales is empty
  std::string mode = "nearest", coord = "half_pixel", nearest_mode = "round_prefer_floor";
};

OneNode make_resize(const ResizeCase& c, uint32_t seed) {
  OneNode one(OpKind::Resize, 13);
  one.input(random_tensor(c.x, seed)).input(Tensor(DType::kFloat32, {0}), true);
  if (!c.scales.empty()) {
    one.input(Tensor::from_vector(DType::kFloat32, {static_cast<int64_t>(c.scales.size())}, c.scales), true);
  } else {
    one.input(Tensor(DType::kFloat32, {0}), true);
    one.input(Tensor::from_vector(DType::kInt64, {static_cast<int64_t>(c.sizes.size())}, c.sizes), true);
  }
  one.s("mode", c.mode).s("coordinate_transformation_mode", c.coord).s("nearest_mode", c.nearest_mode);
  return one;
}

TEST(DnnlResize, MatchesReferenceWhereItAccepts) {
  const std::vector<ResizeCase> cases = {
      {{1, 13, 5, 6}, {1, 1, 2, 2}, {}, "linear"},                        // a decoder's 2x upsampling
      {{1, 8, 7, 9}, {}, {1, 8, 14, 13}, "linear"},                       // sizes, uneven ratios
      {{2, 5, 6, 6}, {1, 1, 3, 1.5f}, {}, "linear", "pytorch_half_pixel"},
      {{1, 9, 8, 10}, {1, 1, 0.5f, 0.5f}, {}, "linear"},                  // downsampling
      {{1, 13, 5, 6}, {1, 1, 2, 2}},                                      // nearest, half_pixel
      {{1, 6, 4, 5}, {1, 1, 3, 3}, {}, "nearest", "asymmetric", "floor"},  // Upsample's rule
      {{1, 5, 12}, {1, 1, 2}, {}, "linear"},                              // 1-D spatial
      {{1, 4, 3, 4, 5}, {1, 1, 2, 2, 2}},                                 // 3-D spatial
  };
  uint32_t seed = 1;
  for (const ResizeCase& c : cases)
    for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
      OneNode one = make_resize(c, seed++);
      expect_like_reference("dnnl_resize", one, {layout});
    }
}

TEST(DnnlResize, LeavesOtherCoordinateRulesToTheReference) {
  const std::vector<std::pair<ResizeCase, std::string>> cases = {
      {{{1, 8, 5, 6}, {1, 1, 2, 2}, {}, "linear", "align_corners"}, "maps output"},
      {{{1, 8, 5, 6}, {1, 1, 2, 2}, {}, "cubic"}, "mode 'cubic'"},
      {{{1, 8, 6, 6}, {1, 1, 0.5f, 0.5f}}, "rounding tie"},  // nearest 2x down: every index a tie
      {{{1, 8, 5, 6}, {1, 1, 2, 2}, {}, "nearest", "tf_half_pixel_for_nn"}, "another source index"},
      {{{1, 8, 5, 6}, {2, 1, 1, 1}, {}, "linear"}, "batch or channel"},
  };
  for (const auto& [c, reason] : cases) {
    OneNode one = make_resize(c, 3);
    const KernelRun run = run_kernel("dnnl_resize", one, {Layout::kNChw8c});
    EXPECT_NE(run.why_not.find(reason), std::string::npos) << c.mode << " " << c.coord << ": " << run.why_not;
  }
}

}  // namespace
}  // namespace octet::testing
