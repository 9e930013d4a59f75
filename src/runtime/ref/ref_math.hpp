// Vectorisable float math for the hot activations (Softmax, Sigmoid, Tanh, Erf/Gelu): plain
// branch-free code GCC turns into AVX2 under `omp simd`, where libm calls would not
// vectorise. Accuracy: exp and tanh within a few ulp (Cephes polynomials), erf within 3e-7.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace octet::rt::ref {

#pragma omp declare simd
inline float exp_f(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447504f;
  const float xc = x > hi ? hi : (x < lo ? lo : x);
  const float n = std::floor(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  float result = y * scale;
  result = x > hi ? std::numeric_limits<float>::infinity() : result;
  result = x < lo ? 0.0f : result;
  return x != x ? x : result;
}

#pragma omp declare simd
inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

#pragma omp declare simd
inline float tanh_f(float x) {
  const float ax = std::fabs(x);
  // Small |x|: the odd polynomial keeps relative accuracy where 1 - 2/(e^2x+1) cancels.
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float big = 1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f);
  const float large = x < 0 ? -big : big;
  return ax < 0.625f ? small : large;
}

#pragma omp declare simd
inline float erf_f(float x) {
  const float ax = std::fabs(x);
  // |x| < 0.5: Taylor series (relative accuracy near 0); else Abramowitz-Stegun 7.1.26.
  const float z = x * x;
  float s = -1.0f / 1320.0f;
  s = s * z + 1.0f / 216.0f;
  s = s * z - 1.0f / 42.0f;
  s = s * z + 1.0f / 10.0f;
  s = s * z - 1.0f / 3.0f;
  s = s * z + 1.0f;
  const float small = 1.1283791670955126f * x * s;
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float q = 1.061405429f;
  q = q * t - 1.453152027f;
  q = q * t + 1.421413741f;
  q = q * t - 0.284496736f;
  q = q * t + 0.254829592f;
  const float big = 1.0f - q * t * exp_f(-z);
  const float large = x < 0 ? -big : big;
  return ax < 0.5f ? small : large;
}

}  // namespace octet::rt::ref
