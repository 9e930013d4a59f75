// The fused activation of FusedConv and FullyConnected ("activation", "alpha", "beta" as
// ops.def specifies), parsed once and applied in place to a contiguous float run.
#pragma once
#include <algorithm>
#include <string>

#include "ir/graph.hpp"
#include "runtime/ref/ref_math.hpp"

namespace octet::rt::ref {

struct Activation {
  enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kHardSigmoid, kHardSwish, kTanh, kSwish, kGelu };
  Kind kind = Kind::kNone;
  float alpha = 0, beta = 0;

  // Parses the node's attributes; false (with *why) for an unknown activation.
  static bool parse(const ir::Node& node, Activation* out, std::string* why) {
    const std::string name = node.attr_string("activation", "");
    Activation a;
    if (name.empty()) a.kind = Kind::kNone;
    else if (name == "Relu") a.kind = Kind::kRelu;
    else if (name == "LeakyRelu") { a.kind = Kind::kLeakyRelu; a.alpha = node.attr_float("alpha", 0.01f); }
    else if (name == "Clip") {
      a.kind = Kind::kClip;
      a.alpha = node.attr_float("alpha", -3.4028234663852886e38f);
      a.beta = node.attr_float("beta", 3.4028234663852886e38f);
    } else if (name == "Sigmoid") a.kind = Kind::kSigmoid;
    else if (name == "HardSigmoid") {
      a.kind = Kind::kHardSigmoid;
      a.alpha = node.attr_float("alpha", 0.2f);
      a.beta = node.attr_float("beta", 0.5f);
    } else if (name == "HardSwish") a.kind = Kind::kHardSwish;
    else if (name == "Tanh") a.kind = Kind::kTanh;
    else if (name == "Swish") a.kind = Kind::kSwish;
    else if (name == "Gelu") a.kind = Kind::kGelu;
    else {
      if (why) *why = "unknown activation '" + name + "'";
      return false;
    }
    *out = a;
    return true;
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
