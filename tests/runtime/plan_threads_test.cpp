// A plan runs on its own thread count and leaves the caller's OpenMP team size as it was:
// two models compiled for different counts can be run one after the other from one thread,
// and neither changes the team size of the caller's own parallel regions.
#include <gtest/gtest.h>
#include <omp.h>

#include "fixtures/onnx_builder.hpp"
#include "octet/engine.hpp"
#include "quant/quant_test_util.hpp"

namespace octet::testing {
namespace {

// x [1,32,32,32] -> Conv 3x3 (32) -> y: 9.4M MACs, enough that a plan splits it (plan.cpp).
Model conv_model() {
  OnnxBuilder b;
  b.input("x", {1, 32, 32, 32}).output("y", {1, 32, 32, 32});
  const Tensor w = random_tensor({32 * 32 * 9}, 3);
  b.initializer("w", {32, 32, 3, 3}, std::vector<float>(w.data<float>(), w.data<float>() + w.numel()));
  b.node("Conv", {"x", "w"}, {"y"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  return Model::load_from_bytes(b.bytes(), "conv");
}

TEST(PlanThreads, CompileAndRunLeaveTheCallersTeamSize) {
  if (omp_get_num_procs() < 2) GTEST_SKIP() << "needs two cores to tell team sizes apart";
  const Model model = conv_model();
  const Tensor x = random_tensor({1, 32, 32, 32}, 5);
  CompileOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const int before = omp_get_max_threads();
  for (int caller : {1, 2, 3}) {
    omp_set_num_threads(caller);
    CompiledModel single = CompiledModel::compile(model, one);
    EXPECT_EQ(omp_get_max_threads(), caller) << "compile changed the caller's team size";
    CompiledModel pair = CompiledModel::compile(model, two);
    ASSERT_EQ(pair.threads(), 2);
    EXPECT_EQ(omp_get_max_threads(), caller);
    const Tensor a = single.run({x})[0];
    EXPECT_EQ(omp_get_max_threads(), caller) << "run changed the caller's team size";
    const Tensor b = pair.run({x})[0];
    EXPECT_EQ(omp_get_max_threads(), caller);
    EXPECT_GT(sqnr_db(a, b), 100.0) << "one and two threads compute the same convolution";
  }
  omp_set_num_threads(before);
}

}  // namespace
}  // namespace octet::testing
