// Integer arithmetic at its edges: division by zero is an error naming the node (at run time
// and when constant folding meets it), min / -1 and other overflows wrap as two's complement
// (ONNX Runtime's answer on x86) instead of killing the process with SIGFPE, and float to
// integer casts of NaN or Inf saturate. Under UBSan (scripts/test-hardening.sh) each of these
// also proves the arithmetic defined.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fixtures/temp_dir.hpp"
#include "hostile/hostile_util.hpp"
#include "octet/engine.hpp"

namespace octet::testing {
namespace {

template <class T>
constexpr int32_t onnx_type() {
  if constexpr (std::is_same_v<T, int32_t>) return onnx::TensorProto::INT32;
  else if constexpr (std::is_same_v<T, int64_t>) return onnx::TensorProto::INT64;
  else if constexpr (std::is_same_v<T, float>) return onnx::TensorProto::FLOAT;
  else return onnx::TensorProto::DOUBLE;
}
template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, int32_t>) return DType::kInt32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::kInt64;
  else if constexpr (std::is_same_v<T, float>) return DType::kFloat32;
  else return DType::kFloat64;
}

template <class T>
Tensor vec(const std::vector<T>& v) {
  return Tensor::from_vector<T>(dtype_of<T>(), {static_cast<int64_t>(v.size())}, v);
}

class IntegerEdges : public ::testing::Test {
 protected:
  // y = Op(a, b) (or Op(a) when `binary` is false) on vectors of n elements of A; y of Y.
  template <class A, class Y = A>
  std::vector<Y> run(const std::string& op, const std::vector<A>& a, const std::vector<A>& b,
                     void (*attrs)(onnx::NodeProto*) = nullptr) {
    const int64_t n = static_cast<int64_t>(a.size());
    OnnxBuilder builder;
    builder.input("a", {n}, onnx_type<A>());
    if (!b.empty()) builder.input("b", {n}, onnx_type<A>());
    builder.node(op, b.empty() ? std::vector<std::string>{"a"} : std::vector<std::string>{"a", "b"}, {"y"}, "op")
        .output("y", {n}, onnx_type<Y>());
    onnx::ModelProto m = builder.proto();
    if (attrs) attrs(m.mutable_graph()->mutable_node(0));
    const std::string file = dir_.path("m.onnx");
    save_proto(m, file);
    CompiledModel c = CompiledModel::compile(Model::load(file));
    std::vector<Tensor> inputs = {vec(a)};
    if (!b.empty()) inputs.push_back(vec(b));
    const Tensor y = c.run(inputs).at(0);
    return std::vector<Y>(y.data<Y>(), y.data<Y>() + y.numel());
  }
  ScopedTempDir dir_{"octet-int-edges"};
};

TEST_F(IntegerEdges, MinimumDividedByMinusOneWraps) {
  // Used to kill the process with SIGFPE.
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(run<int32_t>("Div", {kMin32, 7, -7}, {-1, -1, 2}), (std::vector<int32_t>{kMin32, -7, -3}));
  EXPECT_EQ(run<int64_t>("Div", {kMin64, 9}, {-1, -1}), (std::vector<int64_t>{kMin64, -9}));
  EXPECT_EQ(run<int32_t>("Mod", {kMin32, 7, -7}, {-1, -1, 3}), (std::vector<int32_t>{0, 0, 2}));
  auto fmod = [](onnx::NodeProto* n) {
    auto* a = n->add_attribute();
    a->set_name("fmod");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(1);
  };
  EXPECT_EQ(run<int64_t>("Mod", {kMin64, -7}, {-1, 3}, fmod), (std::vector<int64_t>{0, -1}));
}

TEST_F(IntegerEdges, DivisionByZeroIsAnErrorNamingTheNode) {
  // Used to return 0 (ONNX Runtime: "Integer division by zero").
  expect_error([&] { run<int32_t>("Div", {1, 2}, {1, 0}); }, {"Div node 'op'", "integer division by zero"});
  expect_error([&] { run<int64_t>("Mod", {1, 2}, {0, 1}); }, {"Mod node 'op'", "integer modulo by zero"});
  // Floats divide by zero as IEEE says.
  const std::vector<float> y = run<float>("Div", {1, -1}, {0, 0});
  EXPECT_TRUE(std::isinf(y[0]) && y[0] > 0 && std::isinf(y[1]) && y[1] < 0);
}

TEST_F(IntegerEdges, ConstantFoldingMeetsDivisionByZeroAndOverflow) {
  // Both operands are initializers, so the optimizer folds Div before anything runs.
  auto model = [&](int32_t num, int32_t den) {
    onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}}, onnx::TensorProto::INT32)
                             .node("Div", {"n", "d"}, {"q"}, "fold_div").node("Add", {"x", "q"}, {"y"}, "add")
                             .output("y", {int64_t{1}}, onnx::TensorProto::INT32).proto();
    for (auto [name, v] : {std::pair{"n", num}, std::pair{"d", den}}) {
      auto* t = m.mutable_graph()->add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::INT32);
      t->add_dims(1);
      t->add_int32_data(v);
    }
    const std::string file = dir_.path("fold.onnx");
    save_proto(m, file);
    return Model::load(file);
  };
  expect_error([&] { CompiledModel::compile(model(5, 0)); }, {"Div node 'fold_div'", "integer division by zero"});
  CompiledModel c = CompiledModel::compile(model(std::numeric_limits<int32_t>::min(), -1));
  const Tensor y = c.run({Tensor::from_vector<int32_t>(DType::kInt32, {1}, {1})}).at(0);
  EXPECT_EQ(y.data<int32_t>()[0], std::numeric_limits<int32_t>::min() + 1);
}

TEST_F(IntegerEdges, OverflowingArithmeticWraps) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max(), kMin = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(run<int32_t>("Add", {kMax}, {1}), (std::vector<int32_t>{kMin}));
  EXPECT_EQ(run<int32_t>("Sub", {kMin}, {1}), (std::vector<int32_t>{kMax}));
  EXPECT_EQ(run<int32_t>("Mul", {kMax, 65536}, {2, 65536}), (std::vector<int32_t>{-2, 0}));
  EXPECT_EQ(run<int32_t>("Abs", {kMin, -3}, {}), (std::vector<int32_t>{kMin, 3}));
  EXPECT_EQ(run<int32_t>("Neg", {kMin, 3}, {}), (std::vector<int32_t>{kMin, -3}));
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(run<int64_t>("Neg", {kMin64}, {}), (std::vector<int64_t>{kMin64}));
}

TEST_F(IntegerEdges, PowOnIntegersSaturates) {
  // 0^-1 is inf and 10^20 is past int32; both used to be undefined casts.
  EXPECT_EQ(run<int32_t>("Pow", {0, 10, 2, -3}, {-1, 20, 10, 3}),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::max(), 1024, -27}));
}

TEST_F(IntegerEdges, CastOfNaNAndInfToIntegersSaturates) {
  const float inf = std::numeric_limits<float>::infinity();
  auto to_int32 = [](onnx::NodeProto* n) {
    auto* a = n->add_attribute();
    a->set_name("to");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(onnx::TensorProto::INT32);
  };
  const std::vector<int32_t> y = run<float, int32_t>("Cast", {std::nanf(""), inf, -inf, 3e9f, -2.7f}, {}, to_int32);
  EXPECT_EQ(y, (std::vector<int32_t>{0, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(),
                                     std::numeric_limits<int32_t>::max(), -2}));
  // The host conversion (initializers, folding) agrees with the kernel.
  const Tensor f = Tensor::from_vector<float>(DType::kFloat32, {3}, {std::nanf(""), inf, -5.5f});
  const Tensor i = convert_tensor(f, DType::kInt64);
  EXPECT_EQ(i.data<int64_t>()[0], 0);
  EXPECT_EQ(i.data<int64_t>()[1], std::numeric_limits<int64_t>::max());
  EXPECT_EQ(i.data<int64_t>()[2], -5);
  // Integer narrowing wraps, exactly (through double, 2^53 + 1 would lose its last bit).
  const Tensor big = Tensor::from_vector<int64_t>(DType::kInt64, {2}, {(int64_t{1} << 53) + 1, (int64_t{1} << 32) + 7});
  const Tensor narrow = convert_tensor(big, DType::kInt32);
  EXPECT_EQ(narrow.data<int32_t>()[0], 1);
  EXPECT_EQ(narrow.data<int32_t>()[1], 7);
}

}  // namespace
}  // namespace octet::testing
