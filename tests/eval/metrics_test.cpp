// The built-in metrics on small hand-made batches, each expected value worked out here, and
// the name table (unknown names, user-registered metrics).
#include <gtest/gtest.h>

#include <cmath>

#include "octet/eval.hpp"

namespace octet::testing {
namespace {

Tensor scores(Shape shape, std::vector<float> v) { return Tensor::from_vector(DType::kFloat32, std::move(shape), v); }

TEST(Metrics, Top1AndTop5CountHitsWithArgmaxTieOrder) {
  // 3 rows x 6 classes.
  const Tensor s = scores({3, 6}, {0.1f, 0.9f, 0.3f, 0.2f, 0.0f, 0.5f,     // argmax 1; label 5 is 2nd
                                   0.4f, 0.4f, 0.1f, 0.0f, 0.0f, 0.0f,     // tie 0/1: argmax is 0
                                   1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});   // label 0 is 6th
  auto top1 = make_metric("top1"), top5 = make_metric("top5");
  for (auto* m : {top1.get(), top5.get()}) {
    m->reset();
    m->update({s}, {}, {5, 1, 0});
  }
  EXPECT_DOUBLE_EQ(top1->result(), 0.0);       // row 0 predicts 1, row 1 predicts 0, row 2 predicts 5
  EXPECT_DOUBLE_EQ(top5->result(), 2.0 / 3);  // rows 0 and 1 hit, row 2's label ranks 6th
  top1->reset();
  top1->update({s}, {}, {1, 0, 5});
  EXPECT_DOUBLE_EQ(top1->result(), 1.0);
  EXPECT_TRUE(top1->needs_labels());
  // [batch, classes, 1, 1] is accepted too.
  top1->reset();
  top1->update({scores({1, 3, 1, 1}, {0, 2, 1})}, {}, {1});
  EXPECT_DOUBLE_EQ(top1->result(), 1.0);
}

TEST(Metrics, ClassificationErrorsNameTheProblem) {
  auto top1 = make_metric("top1");
  top1->reset();
  try {
    top1->update({scores({1, 3}, {0, 1, 2})}, {}, {3});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 3 is out of range for 3 classes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(top1->update({scores({2, 3}, std::vector<float>(6))}, {}, {}), Error);
  EXPECT_THROW(top1->update({scores({2, 3, 2}, std::vector<float>(12))}, {}, {0, 0}), Error);
}

TEST(Metrics, AgreementComparesTop1WithTheReference) {
  const Tensor a = scores({4, 2}, {1, 0, 0, 1, 1, 0, 0, 1});
  const Tensor b = scores({4, 2}, {2, 1, 1, 2, 0, 3, 5, 4});
  auto m = make_metric("agreement");
  m->reset();
  m->update({a}, {b}, {});
  EXPECT_DOUBLE_EQ(m->result(), 0.5);
  EXPECT_TRUE(m->needs_reference());
  EXPECT_THROW(m->update({a}, {}, {}), Error);
}

TEST(Metrics, SimilarityPerOutputReportsTheWorst) {
  // Output 0: two rows; output 1: one exact row pair repeated.
  const Tensor out0 = scores({2, 2}, {1, 0, 3, 4}), ref0 = scores({2, 2}, {1, 1, 3, 4});
  const Tensor out1 = scores({2, 1}, {2, -1}), ref1 = scores({2, 1}, {2, -1});
  auto cosine = make_metric("cosine"), sqnr = make_metric("sqnr"), max_abs = make_metric("max_abs");
  for (auto* m : {cosine.get(), sqnr.get(), max_abs.get()}) {
    m->reset();
    m->update({out0, out1}, {ref0, ref1}, {});
  }
  // Row 0 cosine: (1*1 + 0*1) / (1 * sqrt 2); row 1 identical.
  const double c0 = (1.0 / std::sqrt(2.0) + 1.0) / 2;
  EXPECT_NEAR(cosine->result(), c0, 1e-12);
  EXPECT_NEAR(cosine->details().at("output0"), c0, 1e-12);
  EXPECT_NEAR(cosine->details().at("output0_worst_sample"), 1.0 / std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(cosine->details().at("output1"), 1.0);
  // SQNR of output 0: signal 1+1+9+16 = 27, noise 1.
  EXPECT_NEAR(sqnr->result(), 10 * std::log10(27.0), 1e-9);
  EXPECT_TRUE(std::isinf(sqnr->details().at("output1")));
  EXPECT_DOUBLE_EQ(max_abs->result(), 1.0);
  EXPECT_FALSE(max_abs->higher_is_better());
  // Shapes must match the reference's.
  EXPECT_THROW(cosine->update({out0}, {scores({1, 4}, {1, 2, 3, 4})}, {}), Error);
}

TEST(Metrics, TableKnowsBuiltInsAndTakesUserMetrics) {
  try {
    make_metric("top3");
    ADD_FAILURE();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("top3"), std::string::npos);
    EXPECT_NE(what.find("top5"), std::string::npos);
    EXPECT_NE(what.find("sqnr"), std::string::npos);
  }
  // A user metric: the mean of output 0.
  struct MeanOutput : Metric {
    double sum = 0;
    int64_t n = 0;
    std::string name() const override { return "mean_output"; }
    void reset() override { sum = 0; n = 0; }
    void update(const std::vector<Tensor>& o, const std::vector<Tensor>&, const std::vector<int64_t>&) override {
      for (int64_t i = 0; i < o[0].numel(); ++i) sum += o[0].data<float>()[i];
      n += o[0].numel();
    }
    double result() const override { return n ? sum / n : 0; }
  };
  register_metric("mean_output", [] { return std::make_unique<MeanOutput>(); });
  const std::vector<std::string> names = metric_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "mean_output"), names.end());
  auto m = make_metric("mean_output");
  m->reset();
  m->update({scores({2, 2}, {1, 2, 3, 6})}, {}, {});
  EXPECT_DOUBLE_EQ(m->result(), 3.0);
}

}  // namespace
}  // namespace octet::testing
