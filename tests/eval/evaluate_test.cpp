// evaluate(): the evaluator against hand counts on tiny models built here. Batching with a
// padded last batch, seeded subsets, reference models, inputs paired by name, skipped bad
// images, and the shape check between dataset and model.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data/data_fixture.hpp"
#include "fixtures/onnx_builder.hpp"
#include "octet/eval.hpp"

namespace octet::testing {
namespace {

class Evaluate : public DataTest {
 protected:
  // x [N,C] -> y = x (Identity) or Relu(x).
  std::string one_op_model(const std::string& op, int64_t classes) {
    const std::string file = path(op + ".onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), classes})
        .node(op, {"x"}, {"y"})
        .output("y", {std::string("N"), classes})
        .save(file);
    return file;
  }
  static CompiledModel compile(const std::string& file, int64_t batch) {
    CompileOptions o;
    o.batch = batch;
    o.threads = 1;
    return CompiledModel::compile(Model::load(file), o);
  }
  // N rows of C scores from a fixed LCG (values in [-1, 1)), and labels in [0, C).
  void write_scores(int64_t n, int64_t c, std::vector<float>& values, std::vector<int64_t>& labels) {
    uint32_t state = 12345;
    auto next = [&] { state = state * 1664525u + 1013904223u; return state >> 8; };
    values.resize(static_cast<size_t>(n * c));
    for (float& v : values) v = static_cast<float>(next() % 2000) / 1000.0f - 1.0f;
    labels.resize(static_cast<size_t>(n));
    for (int64_t& l : labels) l = static_cast<int64_t>(next() % static_cast<uint32_t>(c));
    data::write_npy(path("x.npy"), Tensor::from_vector(DType::kFloat32, {n, c}, values));
    data::write_npy(path("y.npy"), Tensor::from_vector(DType::kInt64, {n}, labels));
  }
  // Fraction of rows in `rows` whose label is among the top k scores (ties rank the lower
  // class index first, as argmax does).
  static double hand_topk(const std::vector<float>& v, const std::vector<int64_t>& labels, int64_t c, int k,
                          const std::vector<size_t>& rows) {
    int hits = 0;
    for (size_t r : rows) {
      const float mine = v[r * c + labels[r]];
      int ahead = 0;
      for (int64_t j = 0; j < c; ++j) ahead += v[r * c + j] > mine || (v[r * c + j] == mine && j < labels[r]);
      hits += ahead < k;
    }
    return static_cast<double>(hits) / rows.size();
  }
};

TEST_F(Evaluate, Top1AndTop5MatchAHandCountAtEveryBatchSize) {
  std::vector<float> v;
  std::vector<int64_t> labels;
  write_scores(37, 10, v, labels);
  auto data = open_dataset(path("x.npy"), path("y.npy"));
  std::vector<size_t> all(37);
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const std::string model = one_op_model("Identity", 10);
  for (int64_t batch : {1, 8}) {  // 37 = 4 * 8 + 5: the last batch is padded
    CompiledModel m = compile(model, batch);
    auto top1 = make_metric("top1"), top5 = make_metric("top5");
    const EvalResult r1 = evaluate(m, *data, *top1);
    EXPECT_EQ(r1.samples, 37u);
    EXPECT_DOUBLE_EQ(r1.value, hand_topk(v, labels, 10, 1, all)) << "batch " << batch;
    EXPECT_DOUBLE_EQ(evaluate(m, *data, *top5).value, hand_topk(v, labels, 10, 5, all)) << "batch " << batch;
  }
}

TEST_F(Evaluate, ScoresOnlyTheSeededSubset) {
  std::vector<float> v;
  std::vector<int64_t> labels;
  write_scores(50, 4, v, labels);
  auto data = open_dataset(path("x.npy"), path("y.npy"));
  CompiledModel m = compile(one_op_model("Identity", 4), 3);
  auto top1 = make_metric("top1");
  EvalOptions o;
  o.subset = 11;
  o.seed = 5;
  size_t last_done = 0, last_total = 0;
  o.progress = [&](size_t done, size_t total) { last_done = done; last_total = total; };
  const EvalResult r = evaluate(m, *data, *top1, o);
  EXPECT_EQ(r.samples, 11u);
  EXPECT_DOUBLE_EQ(r.value, hand_topk(v, labels, 4, 1, sample_indices(50, 11, 5)));
  EXPECT_EQ(last_done, 11u);
  EXPECT_EQ(last_total, 11u);
}

TEST_F(Evaluate, ComparesWithAReferenceModel) {
  std::vector<float> v;
  std::vector<int64_t> labels;
  write_scores(20, 3, v, labels);
  auto data = open_dataset(path("x.npy"));  // no labels needed
  CompiledModel identity = compile(one_op_model("Identity", 3), 4), relu = compile(one_op_model("Relu", 3), 4);
  EvalOptions o;
  o.reference = &identity;
  auto same = make_metric("sqnr");
  EXPECT_TRUE(std::isinf(evaluate(identity, *data, *same, o).value));
  // Relu vs Identity: agreement where the row's argmax is unchanged by clamping at 0, and
  // the largest error is the most negative score.
  int agree = 0;
  float most_negative = 0;
  for (int r = 0; r < 20; ++r) {
    int a = 0, b = 0;
    for (int j = 1; j < 3; ++j) {
      if (v[r * 3 + j] > v[r * 3 + a]) a = j;
      if (std::max(v[r * 3 + j], 0.0f) > std::max(v[r * 3 + b], 0.0f)) b = j;
      most_negative = std::min(most_negative, v[r * 3 + j]);
    }
    most_negative = std::min(most_negative, v[r * 3]);
    agree += a == b;
  }
  auto agreement = make_metric("agreement"), max_abs = make_metric("max_abs");
  EXPECT_DOUBLE_EQ(evaluate(relu, *data, *agreement, o).value, agree / 20.0);
  EXPECT_DOUBLE_EQ(evaluate(relu, *data, *max_abs, o).value, -static_cast<double>(most_negative));
  // Without a reference, or without labels, the evaluator says what is missing.
  auto top1 = make_metric("top1");
  expect_error([&] { evaluate(relu, *data, *top1); }, {"top1", "labels"});
  expect_error([&] { evaluate(relu, *data, *agreement); }, {"agreement", "reference"});
}

TEST_F(Evaluate, PairsInputsByName) {
  const std::string file = path("sub.onnx");
  OnnxBuilder()
      .input("a", {std::string("N"), int64_t{2}})
      .input("b", {std::string("N"), int64_t{2}})
      .node("Sub", {"a", "b"}, {"d"})
      .output("d", {std::string("N"), int64_t{2}})
      .save(file);
  // a - b: row 0 = (1, 0) - (0, 5) -> class 0; row 1 = (0, 3) - (2, 0) -> class 1.
  data::write_npy(path("a.npy"), Tensor::from_vector(DType::kFloat32, {2, 2}, std::vector<float>{1, 0, 0, 3}));
  data::write_npy(path("b.npy"), Tensor::from_vector(DType::kFloat32, {2, 2}, std::vector<float>{0, 5, 2, 0}));
  data::write_npy(path("l.npy"), Tensor::from_vector(DType::kInt64, {2}, std::vector<int64_t>{0, 1}));
  CompiledModel m = compile(file, 1);
  auto top1 = make_metric("top1");
  // Given in the other order: names, not positions, decide.
  auto data = open_dataset("b=" + path("b.npy") + ",a=" + path("a.npy"), path("l.npy"));
  EXPECT_DOUBLE_EQ(evaluate(m, *data, *top1).value, 1.0);
  auto unnamed = open_dataset(path("a.npy"), path("l.npy"));
  expect_error([&] { evaluate(m, *unnamed, *top1); }, {"2 inputs", "gives 1"});
  auto wrong = open_dataset("a=" + path("a.npy") + ",c=" + path("b.npy"), path("l.npy"));
  expect_error([&] { evaluate(m, *wrong, *top1); }, {"'b'"});
}

TEST_F(Evaluate, RefusesDataThatDoesNotFitTheModel) {
  std::vector<float> v;
  std::vector<int64_t> labels;
  write_scores(4, 3, v, labels);
  auto data = open_dataset(path("x.npy"), path("y.npy"));
  CompiledModel m = compile(one_op_model("Identity", 5), 2);
  auto top1 = make_metric("top1");
  expect_error([&] { evaluate(m, *data, *top1); }, {"'x'", "[2,5]", "[1,3]", "x.npy"});
}

TEST_F(Evaluate, SkipsBadImagesOnlyWhenAsked) {
  // x [N,1,2,2] -> Flatten -> [N,4]: the four gray pixels are the class scores.
  const std::string file = path("flatten.onnx");
  OnnxBuilder()
      .input("x", {std::string("N"), int64_t{1}, int64_t{2}, int64_t{2}})
      .node("Flatten", {"x"}, {"y"})
      .output("y", {std::string("N"), int64_t{4}})
      .save(file);
  write_image("imgs/c0/a.png", 2, 2, 1, {9, 1, 1, 1});   // predicts 0
  write_image("imgs/c1/b.png", 2, 2, 1, {1, 9, 1, 1});   // predicts 1
  write_image("imgs/c1/c.png", 2, 2, 1, {9, 1, 1, 1});   // predicts 0, label 1
  write_bytes(path("imgs/c1/d.png"), "not a png at all");
  auto data = open_dataset(path("imgs"), "", Preprocess::from_json(R"({"color": "gray"})", "test"));
  CompiledModel m = compile(file, 2);
  auto top1 = make_metric("top1");
  EXPECT_THROW(evaluate(m, *data, *top1), BadSampleError);
  EvalOptions o;
  o.skip_bad = true;
  const EvalResult r = evaluate(m, *data, *top1, o);
  EXPECT_EQ(r.samples, 3u);
  EXPECT_EQ(r.skipped, 1u);
  ASSERT_EQ(r.skipped_messages.size(), 1u);
  EXPECT_NE(r.skipped_messages[0].find("d.png"), std::string::npos);
  EXPECT_DOUBLE_EQ(r.value, 2.0 / 3);
  // A color dataset for a 1-channel model: the check names both shapes before any run.
  auto color = open_dataset(path("imgs"));
  expect_error([&] { evaluate(m, *color, *top1, o); }, {"'x'", "[2,1,2,2]", "[1,3,2,2]", "grayscale"});
}

}  // namespace
}  // namespace octet::testing
