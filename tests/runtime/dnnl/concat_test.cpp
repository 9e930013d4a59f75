// dnnl_concat against the reference: channel concats whose parts fill whole nChw8c blocks
// (kept blocked) and parts that do not (moved to nhwc), other axes, negative axes, ranks.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

TEST(DnnlConcat, ChannelsInEachLayout) {
  uint32_t seed = 1;
  for (const std::vector<int64_t>& channels : {std::vector<int64_t>{8, 16, 5}, std::vector<int64_t>{13, 3, 8}})
    for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
      OneNode one(OpKind::Concat);
      one.i("axis", 1);
      for (int64_t c : channels) one.input(random_tensor({1, c, 5, 6}, seed++));
      expect_like_reference("dnnl_concat", one, std::vector<Layout>(channels.size(), layout));
      KernelRun run = run_kernel("dnnl_concat", one, std::vector<Layout>(channels.size(), layout));
      const bool aligned = channels[0] % 8 == 0 && channels[1] % 8 == 0;
      if (layout != Layout::kNChw8c || aligned) EXPECT_EQ(run.output_layouts[0], layout) << "keeps its parts' layout";
      else EXPECT_EQ(run.output_layouts[0], Layout::kNhwc) << "misaligned blocks go channels-last";
    }
}

TEST(DnnlConcat, OtherAxesAndRanks) {
  uint32_t seed = 50;
  struct Case {
    std::vector<Shape> parts;
    int64_t axis;
  };
  const std::vector<Case> cases = {
      {{{2, 3, 4}, {2, 5, 4}}, 1},
      {{{2, 3, 4}, {2, 3, 1}, {2, 3, 7}}, -1},
      {{{1, 8, 3, 3}, {2, 8, 3, 3}}, 0},
      {{{6}, {2}}, 0},
      {{{3, 4}, {3, 4}}, 0},
      {{{1, 8, 3, 3}, {1, 8, 5, 3}}, 2},
  };
  for (const Case& c : cases)
    for (Layout layout : {Layout::kPlain, Layout::kNChw8c}) {
      OneNode one(OpKind::Concat);
      one.i("axis", c.axis);
      for (const Shape& s : c.parts) one.input(random_tensor(s, seed++));
      const Layout l = c.parts[0].size() >= 3 ? layout : Layout::kPlain;
      expect_like_reference("dnnl_concat", one, std::vector<Layout>(c.parts.size(), l));
    }
}

}  // namespace
}  // namespace octet::testing
