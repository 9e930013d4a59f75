// The fused activation of FusedConv and FullyConnected (ir/fused_activation.hpp), applied in
// place to a contiguous float run.
#pragma once
#include <algorithm>
#include <exception>
#include <string>

#include "ir/fused_activation.hpp"
#include "runtime/ref/ref_math.hpp"

namespace octet::rt::ref {

// ir::FusedActivation applied to a contiguous run, vectorized where it pays.
struct Activation {
  using Kind = ir::ActivationKind;
  Kind kind = Kind::kNone;
  float alpha = 0, beta = 0;

  // Reads the node's attributes; false (with *why) for an unknown activation.
  static bool parse(const ir::Node& node, Activation* out, std::string* why) {
    try {
      const ir::FusedActivation a = ir::read_fused_activation(node);
      *out = Activation{a.kind, a.alpha, a.beta};
      return true;
    } catch (const std::exception& e) {
      if (why) *why = e.what();
      return false;
    }
  }

  void apply(float* y, int64_t n) const {
    const float al = alpha, be = beta;
    switch (kind) {
      case Kind::kNone: return;
      case Kind::kRelu:
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) y[i] = y[i] > 0 ? y[i] : 0.0f;
        return;
      case Kind::kLeakyRelu:
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0 ? al * y[i] : y[i];
        return;
      case Kind::kClip:
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) y[i] = std::min(be, std::max(al, y[i]));
        return;
      case Kind::kSigmoid: map8(y, y, n, [](v8f v) { return sigmoid8(v); }); return;
      case Kind::kHardSigmoid:
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) y[i] = std::max(0.0f, std::min(1.0f, al * y[i] + be));
        return;
      case Kind::kHardSwish:
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) y[i] = y[i] * std::max(0.0f, std::min(1.0f, y[i] / 6.0f + 0.5f));
        return;
      case Kind::kTanh: map8(y, y, n, [](v8f v) { return tanh8(v); }); return;
      case Kind::kSwish: map8(y, y, n, [](v8f v) { return v * sigmoid8(v); }); return;
      case Kind::kGelu: map8(y, y, n, [](v8f v) { return gelu8(v); }); return;
    }
  }
};

}  // namespace octet::rt::ref
