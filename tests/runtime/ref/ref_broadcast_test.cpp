// Broadcasting corner cases of the reference binary ops and Where, against an index-by-index
// NumPy broadcast computed here.
#include <gtest/gtest.h>

#include "runtime/op_tester.hpp"

namespace octet::test {
namespace {

using ir::OpKind;

// Element index of `out_index` (row-major in out) in a tensor of shape `s` broadcast to out.
int64_t source_index(const Shape& out, const Shape& s, int64_t out_index) {
  int64_t idx = 0, stride = 1;
  for (int64_t d = static_cast<int64_t>(out.size()) - 1, k = static_cast<int64_t>(s.size()) - 1; d >= 0; --d, --k) {
    const int64_t coord = out_index % out[static_cast<size_t>(d)];
    out_index /= out[static_cast<size_t>(d)];
    if (k < 0) continue;
    const int64_t dim = s[static_cast<size_t>(k)];
    idx += (dim == 1 ? 0 : coord) * stride;
    stride *= dim;
  }
  return idx;
}

template <class T, class F>
Tensor naive_binary(DType dtype, const Tensor& a, const Tensor& b, const Shape& out, F f) {
  Tensor y(dtype, out);
  for (int64_t i = 0; i < y.numel(); ++i)
    y.data<T>()[i] = f(a.data<T>()[source_index(out, a.shape, i)], b.data<T>()[source_index(out, b.shape, i)]);
  return y;
}

TEST(RefBroadcast, FloatShapes) {
  struct Case {
    Shape a, b, out;
  } cases[] = {
      {{2, 1, 3}, {4, 1}, {2, 4, 3}},           // both sides broadcast
      {{}, {3, 5}, {3, 5}},                     // scalar on the left
      {{2, 8, 5, 5}, {1, 8, 1, 1}, {2, 8, 5, 5}},  // per-channel vector
      {{4, 300}, {300}, {4, 300}},              // bias row
      {{3, 1}, {1, 70000}, {3, 70000}},         // large: the parallel path
      {{2, 0, 3}, {3}, {2, 0, 3}},              // empty
      {{1, 1, 1}, {1}, {1, 1, 1}},              // all ones
      {{5, 1, 1, 2}, {1, 3, 4, 1}, {5, 3, 4, 2}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const Tensor a = random_tensor(DType::kFloat32, c.a, seed++);
    const Tensor b = random_tensor(DType::kFloat32, c.b, seed++, 0.5, 2.0);
    SCOPED_TRACE(shape_str(c.a) + " op " + shape_str(c.b));
    OpTester(OpKind::Add).threads(2).input("A", a).input("B", b)
        .expect(0, naive_binary<float>(DType::kFloat32, a, b, c.out, [](float x, float y) { return x + y; })).run();
    OpTester(OpKind::Div).input("A", a).input("B", b)
        .expect(0, naive_binary<float>(DType::kFloat32, a, b, c.out, [](float x, float y) { return x / y; })).run();
    OpTester(OpKind::Sub).input("A", b).input("B", a)
        .expect(0, naive_binary<float>(DType::kFloat32, b, a, c.out, [](float x, float y) { return x - y; })).run();
  }
}

TEST(RefBroadcast, IntegersAndComparisons) {
  const Tensor a = random_tensor(DType::kInt64, {3, 1, 4}, 5, -50, 50);
  const Tensor b = random_tensor(DType::kInt64, {2, 1}, 6, -50, 50);
  const Shape out = {3, 2, 4};
  OpTester(OpKind::Mul).input("A", a).input("B", b)
      .expect(0, naive_binary<int64_t>(DType::kInt64, a, b, out, [](int64_t x, int64_t y) { return x * y; })).run();
  // Mod with fmod=0 takes the divisor's sign, like Python.
  const Tensor d = Tensor::from_vector<int32_t>(DType::kInt32, {4}, {-7, 7, -7, 7});
  const Tensor e = Tensor::from_vector<int32_t>(DType::kInt32, {4}, {3, -3, -3, 3});
  OpTester(OpKind::Mod).input("A", d).input("B", e)
      .expect(0, Tensor::from_vector<int32_t>(DType::kInt32, {4}, {2, -2, -1, 1})).run();
  Tensor less(DType::kBool, out);
  for (int64_t i = 0; i < less.numel(); ++i)
    less.data<uint8_t>()[i] = a.data<int64_t>()[source_index(out, a.shape, i)] < b.data<int64_t>()[source_index(out, b.shape, i)];
  OpTester(OpKind::Less).input("A", a).input("B", b).expect(0, less).run();
}

TEST(RefBroadcast, VariadicAndWhere) {
  const Tensor a = random_tensor(DType::kFloat32, {3, 1}, 7);
  const Tensor b = random_tensor(DType::kFloat32, {4}, 8);
  const Tensor c = random_tensor(DType::kFloat32, {1, 1}, 9);
  Tensor mean(DType::kFloat32, {3, 4}), mx(DType::kFloat32, {3, 4});
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      const float x = a.data<float>()[i], y = b.data<float>()[j], z = c.data<float>()[0];
      mean.data<float>()[i * 4 + j] = (x + y + z) / 3;
      mx.data<float>()[i * 4 + j] = std::max(x, std::max(y, z));
    }
  OpTester(OpKind::Mean).input("A", a).input("B", b).input("C", c).expect(0, mean).run();
  OpTester(OpKind::Max).input("A", a).input("B", b).input("C", c).expect(0, mx).run();
  const Tensor cond = random_tensor(DType::kBool, {2, 1, 4}, 10);
  Tensor where(DType::kFloat32, {2, 3, 4});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t j = 0; j < 4; ++j)
        where.data<float>()[(i * 3 + r) * 4 + j] = cond.data<uint8_t>()[i * 4 + j] ? a.data<float>()[r] : b.data<float>()[j];
  OpTester(OpKind::Where).input("C", cond).input("X", a).input("Y", b).expect(0, where).run();
}

}  // namespace
}  // namespace octet::test
