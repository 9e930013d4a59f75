// The reference reorder: plain -> nhwc -> nChw8c -> plain returns the original for 3-D to 5-D
// tensors and odd channel counts, nChw8c's padding channels are zero, and element positions
// follow layout_offset.
#include <gtest/gtest.h>

#include "runtime/ref/layout_index.hpp"
#include "runtime/op_tester.hpp"

namespace octet::test {
namespace {

using rt::Layout;

std::vector<uint8_t> reorder(const ir::Graph& g, const Tensor& t, Layout from, Layout to, const std::vector<uint8_t>& src) {
  ir::Node node;
  node.op = ir::OpKind::Reorder;
  node.name = "r";
  rt::KernelContext ctx;
  ctx.graph = &g;
  ctx.node = &node;
  ctx.inputs = {{t.dtype, t.shape, from}};
  ctx.constants = {nullptr};
  ctx.outputs = {{t.dtype, t.shape, to}};
  const rt::KernelEntry* e = rt::kernels_for(ir::OpKind::Reorder).back();  // the reference is last
  EXPECT_EQ(std::string(e->name), "ref_reorder");
  EXPECT_EQ(e->why_not(ctx), "");
  auto k = e->create(ctx);
  std::vector<uint8_t> out(ctx.outputs[0].bytes(), 0xAB);  // garbage: padding must be overwritten
  const void* s[] = {src.data()};
  void* d[] = {out.data()};
  k->execute({s, d, nullptr});
  return out;
}

TEST(RefReorder, RoundTripThroughEveryLayout) {
  ir::Graph g;
  for (const Shape& shape : {Shape{2, 5, 7}, Shape{1, 13, 3, 4}, Shape{2, 8, 2, 3}, Shape{1, 3, 2, 2, 3}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor t = random_tensor(DType::kFloat32, shape, 3);
    const std::vector<uint8_t> nhwc = reorder(g, t, Layout::kPlain, Layout::kNhwc, t.bytes);
    const std::vector<uint8_t> blocked = reorder(g, t, Layout::kNhwc, Layout::kNChw8c, nhwc);
    const std::vector<uint8_t> back = reorder(g, t, Layout::kNChw8c, Layout::kPlain, blocked);
    EXPECT_EQ(back, t.bytes);
    // Positions: each logical element sits where layout_offset says, padding is zero.
    const int64_t n = shape[0], c = shape[1], s = t.numel() / (n * c), cp = (c + 7) / 8 * 8;
    const float* nh = reinterpret_cast<const float*>(nhwc.data());
    const float* bl = reinterpret_cast<const float*>(blocked.data());
    for (int64_t in = 0; in < n; ++in)
      for (int64_t ic = 0; ic < cp; ++ic)
        for (int64_t is = 0; is < s; ++is) {
          const float v = rt::ref::layout_offset(Layout::kNChw8c, c, s, in, ic, is) >= 0
                              ? bl[rt::ref::layout_offset(Layout::kNChw8c, c, s, in, ic, is)]
                              : 0.0f;
          if (ic >= c) {
            EXPECT_EQ(v, 0.0f) << "padding channel " << ic;
            continue;
          }
          const float want = t.data<float>()[(in * c + ic) * s + is];
          EXPECT_EQ(v, want);
          EXPECT_EQ(nh[rt::ref::layout_offset(Layout::kNhwc, c, s, in, ic, is)], want);
        }
  }
}

TEST(RefReorder, MovesAnyElementSize) {
  ir::Graph g;
  Tensor t(DType::kUInt8, {1, 3, 2, 2});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(i + 1);
  const auto nhwc = reorder(g, t, Layout::kPlain, Layout::kNhwc, t.bytes);
  EXPECT_EQ(nhwc, (std::vector<uint8_t>{1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12}));
  EXPECT_EQ(reorder(g, t, Layout::kNhwc, Layout::kPlain, nhwc), t.bytes);
}

}  // namespace
}  // namespace octet::test
