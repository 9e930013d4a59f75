// dnnl_matmul and dnnl_fully_connected against the reference: batch broadcasting, constant
// and computed B, FullyConnected of rank 2 to 4 with and without bias and with each
// activation, Gemm's transposes, alpha and beta with each bias shape.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;

TEST(DnnlMatMul, BatchBroadcasting) {
  struct Case {
    Shape a, b;
    bool b_constant;
  };
  const std::vector<Case> cases = {
      {{5, 7}, {7, 3}, true},         {{5, 7}, {7, 3}, false},       {{2, 5, 7}, {7, 3}, true},
      {{2, 5, 7}, {2, 7, 3}, false},  {{2, 1, 5, 7}, {3, 7, 4}, false}, {{1, 5, 7}, {4, 7, 3}, true},
      {{1, 197, 64}, {64, 192}, true},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    OneNode one(OpKind::MatMul);
    one.input(random_tensor(c.a, seed++)).input(random_tensor(c.b, seed++), c.b_constant);
    expect_like_reference("dnnl_matmul", one, {}, 1e-4f);
  }
  OneNode vec(OpKind::MatMul);
  vec.input(random_tensor({7}, 1)).input(random_tensor({7, 3}, 2), true);
  EXPECT_NE(run_kernel("dnnl_matmul", vec).why_not, "") << "rank-1 products go to the reference";
}

TEST(DnnlFullyConnected, RanksBiasAndActivations) {
  uint32_t seed = 100;
  for (const Shape& x : {Shape{1, 512}, Shape{3, 17}, Shape{2, 5, 17}, Shape{2, 2, 3, 17}})
    for (bool bias : {false, true})
      for (const char* act : {"", "Relu", "Gelu", "HardSwish", "Clip"}) {
        const int64_t k = x.back(), n = x.back() == 512 ? 100 : 11;
        OneNode one(OpKind::FullyConnected);
        one.input(random_tensor(x, seed++)).input(random_tensor({k, n}, seed++, -0.1f, 0.1f), true);
        if (bias) one.input(random_tensor({n}, seed++), true);
        one.s("activation", act).f("alpha", -0.2f).f("beta", 0.3f);
        expect_like_reference("dnnl_fully_connected", one, {}, 1e-4f);
      }
}

TEST(DnnlGemm, TransposesAlphaBetaAndBiasShapes) {
  uint32_t seed = 200;
  const int64_t m = 4, k = 9, n = 6;
  for (int64_t ta : {0, 1})
    for (int64_t tb : {0, 1})
      for (const Shape& c : {Shape{}, Shape{n}, Shape{1, n}, Shape{m, 1}, Shape{m, n}, Shape{1}}) {
        OneNode one(OpKind::Gemm);
        one.input(random_tensor(ta ? Shape{k, m} : Shape{m, k}, seed++))
            .input(random_tensor(tb ? Shape{n, k} : Shape{k, n}, seed++), true)
            .input(random_tensor(c, seed++), true);
        one.i("transA", ta).i("transB", tb).f("alpha", 0.7f).f("beta", 1.3f);
        expect_like_reference("dnnl_fully_connected", one, {}, 1e-4f);
      }
  OneNode no_c(OpKind::Gemm);
  no_c.input(random_tensor({m, k}, 1)).input(random_tensor({k, n}, 2), true);
  expect_like_reference("dnnl_fully_connected", no_c, {}, 1e-4f);
}

}  // namespace
}  // namespace octet::testing
