// Vectorised float math for the hot activations (Softmax, Sigmoid, Tanh, Erf/Gelu), written
// with GCC vector extensions: libm calls and branchy selects do not vectorise under the
// default trapping-math rules, so these 8-wide versions are explicit. Accuracy: exp and tanh
// within a few ulp (Cephes polynomials), erf/erfc within about 1e-7 relative.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace octet::rt::ref {

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

inline v8f splat(float v) { return v8f{v, v, v, v, v, v, v, v}; }
inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof(v)); return v; }
inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof(v)); }
inline v8f abs8(v8f x) { return x < 0.0f ? -x : x; }

inline v8f exp8(v8f x) {
  const v8f hi = splat(88.7228391f), lo = splat(-87.3365447504f);  // log(FLT_MAX), log(FLT_MIN)
  v8f xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  const v8f t = xc * 1.44269504088896341f + 0.5f;
  const v8f tr = __builtin_convertvector(__builtin_convertvector(t, v8i), v8f);
  const v8f n = tr > t ? tr - 1.0f : tr;  // floor
  v8f r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  v8f p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const v8f y = p * r * r + r + 1.0f;
  // 2^n as two factors, since n reaches 128 near the top of the range.
  const v8i ni = __builtin_convertvector(n, v8i), half = ni >> 1;
  const v8i bits1 = (half + 127) << 23, bits2 = (ni - half + 127) << 23;
  v8f result = y * (v8f)bits1 * (v8f)bits2;  // a vector cast of equal size reinterprets the bits
  result = x > hi ? splat(std::numeric_limits<float>::infinity()) : result;
  result = x < lo ? splat(0.0f) : result;
  return x != x ? x : result;
}

inline v8f sigmoid8(v8f x) { return 1.0f / (1.0f + exp8(-x)); }

inline v8f tanh8(v8f x) {
  const v8f ax = abs8(x);
  // Small |x|: the odd polynomial keeps relative accuracy where 1 - 2/(e^2x+1) cancels.
  const v8f z = x * x;
  v8f p = splat(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const v8f small = p * z * x + x;
  const v8f big = 1.0f - 2.0f / (exp8(2.0f * ax) + 1.0f);
  const v8f large = x < 0.0f ? -big : big;
  return ax < 0.625f ? small : large;
}

// erfc(z) for z >= 0 with relative error below 1.2e-7 everywhere (a Chebyshev fit of
// erfc(z) e^{z^2}), so tails such as Gelu's negative side keep their relative accuracy.
inline v8f erfc8_pos(v8f z) {
  const v8f t = 1.0f / (1.0f + 0.5f * z);
  v8f p = splat(0.17087277f);
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return t * exp8(p - z * z);
}

// erf(x)/x for |x| < 0.5 by its Taylor series: relative accuracy near 0.
inline v8f erf_small8(v8f x) {
  const v8f z = x * x;
  v8f s = splat(-1.0f / 1320.0f);
  s = s * z + 1.0f / 216.0f;
  s = s * z - 1.0f / 42.0f;
  s = s * z + 1.0f / 10.0f;
  s = s * z - 1.0f / 3.0f;
  s = s * z + 1.0f;
  return 1.1283791670955126f * s;
}

inline v8f erf8(v8f x) {
  const v8f ax = abs8(x);
  const v8f big = 1.0f - erfc8_pos(ax);
  const v8f large = x < 0.0f ? -big : big;
  return ax < 0.5f ? x * erf_small8(x) : large;
}

// Gelu(x) = x/2 * (1 + erf(x/sqrt2)) = x/2 * erfc(-x/sqrt2): the erfc form for x < 0 avoids
// the cancellation of 1 + erf in the negative tail.
inline v8f gelu8(v8f x) {
  const v8f u = x * 0.7071067811865476f;
  const v8f au = abs8(u);
  const v8f c = erfc8_pos(au);
  const v8f one_plus_erf = au < 0.5f ? 1.0f + u * erf_small8(u) : (x < 0.0f ? c : 2.0f - c);
  return 0.5f * x * one_plus_erf;
}

// y[i] = f(x[i]) with f taking and returning v8f; the tail goes through a padded block.
template <class F>
inline void map8(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) store8(y + i, f(load8(x + i)));
  if (i < n) {
    float in[8] = {}, out[8];
    std::memcpy(in, x + i, static_cast<size_t>(n - i) * sizeof(float));
    store8(out, f(load8(in)));
    std::memcpy(y + i, out, static_cast<size_t>(n - i) * sizeof(float));
  }
}

// Scalar forms, for strided loops.
inline float exp_f(float x) { return exp8(splat(x))[0]; }
inline float sigmoid_f(float x) { return sigmoid8(splat(x))[0]; }
inline float tanh_f(float x) { return tanh8(splat(x))[0]; }
inline float erf_f(float x) { return erf8(splat(x))[0]; }

}  // namespace octet::rt::ref
