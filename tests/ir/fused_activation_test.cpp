// The fused activations of ir/fused_activation.def: names and attributes round-trip through a
// node, absent parameters take ONNX's defaults, unknown names are refused naming the node,
// and the reference kernels' vectorized form computes what the scalar definition does (the
// INT8 requantization uses the scalar one, the float kernels the vectorized one).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ir/fused_activation.hpp"
#include "octet/error.hpp"
#include "runtime/ref/activation.hpp"

namespace octet::ir {
namespace {

std::vector<ActivationKind> all_kinds() {
  std::vector<ActivationKind> kinds;
  for (int k = 0; k < kActivationKindCount; ++k) kinds.push_back(static_cast<ActivationKind>(k));
  return kinds;
}

TEST(FusedActivation, EveryKindRoundTripsThroughANode) {
  const std::vector<ActivationKind> kinds = all_kinds();
  for (ActivationKind kind : kinds) {
    const std::string name = activation_name(kind);
    SCOPED_TRACE(name.empty() ? "(none)" : name);
    ASSERT_EQ(activation_kind_from_name(name), kind);
    Node node;
    node.name = "conv";
    node.op = OpKind::FusedConv;
    const FusedActivation a{kind, 0.25f, 3.5f};
    write_fused_activation(a, node);
    const FusedActivation back = read_fused_activation(node);
    EXPECT_EQ(back.kind, kind);
    if (kind == ActivationKind::kNone) {
      EXPECT_FALSE(has_fused_activation(node));
      EXPECT_TRUE(node.attrs.empty());
    } else {
      EXPECT_TRUE(has_fused_activation(node));
      EXPECT_EQ(back.alpha, 0.25f);
      EXPECT_EQ(back.beta, 3.5f);
    }
  }
  EXPECT_FALSE(activation_kind_from_name("relu").has_value()) << "names are ONNX's, case and all";
}

TEST(FusedActivation, AbsentParametersTakeOnnxDefaults) {
  Node node;
  node.attrs["activation"] = Attribute::make_string("LeakyRelu");
  EXPECT_FLOAT_EQ(read_fused_activation(node).alpha, 0.01f);
  node.attrs["activation"] = Attribute::make_string("HardSigmoid");
  EXPECT_FLOAT_EQ(read_fused_activation(node).alpha, 0.2f);
  EXPECT_FLOAT_EQ(read_fused_activation(node).beta, 0.5f);
  node.attrs["activation"] = Attribute::make_string("Clip");
  EXPECT_EQ(read_fused_activation(node).alpha, std::numeric_limits<float>::lowest()) << "an absent bound clips nothing";
  EXPECT_EQ(read_fused_activation(node).beta, std::numeric_limits<float>::max());
}

TEST(FusedActivation, UnknownNameIsRefusedNamingTheNode) {
  Node node;
  node.name = "stem/conv";
  node.op = OpKind::FusedConv;
  node.attrs["activation"] = Attribute::make_string("Softsign");
  try {
    read_fused_activation(node);
    FAIL() << "accepted an unknown activation";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stem/conv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Softsign"), std::string::npos) << e.what();
  }
}

TEST(FusedActivation, VectorizedReferenceMatchesTheScalarDefinition) {
  std::vector<float> x;
  for (int i = -400; i <= 400; ++i) x.push_back(static_cast<float>(i) * 0.025f);  // -10 .. 10
  for (ActivationKind kind : all_kinds()) {
    SCOPED_TRACE(activation_name(kind));
    const FusedActivation a{kind, kind == ActivationKind::kClip ? -1.5f : 0.3f, kind == ActivationKind::kClip ? 2.0f : 0.4f};
    std::vector<float> y = x;
    rt::ref::Activation{a.kind, a.alpha, a.beta}.apply(y.data(), static_cast<int64_t>(y.size()));
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = apply_activation(a, x[i]);
      worst = std::max(worst, std::fabs(y[i] - want) / std::max(1.0, std::fabs(want)));
    }
    EXPECT_LE(worst, 2e-6);
  }
}

}  // namespace
}  // namespace octet::ir
