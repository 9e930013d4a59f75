// The vectorised float32 activations (exp, tanh, sigmoid, erf, Gelu) against libm in double,
// over a range wide enough to reach their clamps and switch points, on two threads so the
// parallel split and the 8-lane tail are both exercised.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/op_tester.hpp"

namespace octet::test {
namespace {

using ir::OpKind;

void check(OpKind op, double (*f)(double), double lo, double hi, const char* approximate = nullptr) {
  const int64_t n = 100003;  // not a multiple of 8
  Tensor x(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i) x.data<float>()[i] = static_cast<float>(lo + (hi - lo) * i / (n - 1));
  x.data<float>()[n / 2] = 0.0f;
  x.data<float>()[n / 3] = 1e-6f;
  Tensor y(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i) y.data<float>()[i] = static_cast<float>(f(x.data<float>()[i]));
  OpTester t(op);
  t.threads(2).opset(17).input("X", x).expect(0, y).tolerance(2e-6, 3e-7);  // oneDNN kernels run here too: they are within 3e-7 absolute
  if (approximate) t.attr("approximate", approximate);
  SCOPED_TRACE(ir::op_name(op));
  t.run();
}

TEST(RefActivation, MatchLibmInDouble) {
  check(OpKind::Exp, [](double v) { return std::exp(v); }, -100, 90);
  check(OpKind::Tanh, [](double v) { return std::tanh(v); }, -12, 12);
  check(OpKind::Sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); }, -30, 30);
  check(OpKind::Erf, [](double v) { return std::erf(v); }, -6, 6);
  check(OpKind::Gelu, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, -8, 8, "none");
  check(OpKind::Gelu,
        [](double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); }, -8, 8,
        "tanh");
}

}  // namespace
}  // namespace octet::test
