// The INT8 tests' oracle: runs a QDQ graph op by op as ONNX defines it, in double precision,
// with nothing folded. QuantizeLinear rounds half to even and saturates; everything between
// a DequantizeLinear and a QuantizeLinear is real arithmetic. Written independently of octet's
// kernels (plain loops over plain layouts) for the ops the INT8 tests use: QuantizeLinear,
// DequantizeLinear, Conv, Relu, Clip, LeakyRelu, Add, MaxPool, AveragePool, GlobalAveragePool,
// Concat, Gemm, MatMul, Flatten, Reshape. Header-only (the test glob compiles *_test.cpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "ir/graph.hpp"
#include "octet/error.hpp"

namespace octet::test {

struct DTensor {
  DType dtype = DType::kFloat32;  // uint8/int8 tensors hold their integers exactly
  Shape shape;
  std::vector<double> v;
  int64_t numel() const { return shape_numel(shape); }
};

class QdqOracle {
 public:
  explicit QdqOracle(const ir::Graph& graph) : g_(graph) {}

  std::vector<DTensor> run(const std::vector<Tensor>& inputs) {
    values_.clear();
    for (size_t i = 0; i < g_.inputs.size(); ++i) values_[g_.inputs[i]] = from_tensor(inputs[i]);
    for (ir::NodeId n : g_.topological_order()) eval(g_.nodes[static_cast<size_t>(n)]);
    std::vector<DTensor> out;
    for (ir::ValueId v : g_.outputs) out.push_back(get(v));
    return out;
  }

 private:
  static DTensor from_tensor(const Tensor& t) {
    DTensor d;
    d.dtype = t.dtype;
    d.shape = t.shape;
    d.v.resize(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) {
      switch (t.dtype) {
        case DType::kFloat32: d.v[static_cast<size_t>(i)] = t.data<float>()[i]; break;
        case DType::kUInt8: d.v[static_cast<size_t>(i)] = t.data<uint8_t>()[i]; break;
        case DType::kInt8: d.v[static_cast<size_t>(i)] = t.data<int8_t>()[i]; break;
        case DType::kInt32: d.v[static_cast<size_t>(i)] = t.data<int32_t>()[i]; break;
        case DType::kInt64: d.v[static_cast<size_t>(i)] = static_cast<double>(t.data<int64_t>()[i]); break;
        default: fail("oracle: dtype ", dtype_name(t.dtype));
      }
    }
    return d;
  }

  const DTensor& get(ir::ValueId v) {
    auto it = values_.find(v);
    if (it != values_.end()) return it->second;
    const Tensor* c = g_.constant(v);
    if (!c) fail("oracle: value '", g_.value(v).name, "' not computed");
    return values_[v] = from_tensor(*c);
  }

  // Per-axis parameter i of a scale/zero-point tensor (one value or one per element of axis).
  static double param(const DTensor& p, const Shape& shape, int64_t axis, int64_t flat) {
    if (p.numel() == 1) return p.v[0];
    int64_t inner = 1;
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
    return p.v[static_cast<size_t>((flat / inner) % shape[static_cast<size_t>(axis)])];
  }

  void eval(const ir::Node& n) {
    using K = ir::OpKind;
    DTensor y;
    const DTensor& x = get(n.inputs[0]);
    y.shape = x.shape;
    switch (n.op) {
      case K::QuantizeLinear: case K::DequantizeLinear: {
        const DTensor& s = get(n.inputs[1]);
        DTensor zp;
        zp.v = {0.0};
        zp.shape = {};
        zp.dtype = DType::kUInt8;
        if (n.input(2) != ir::kNoValue) zp = get(n.inputs[2]);
        int64_t axis = n.attr_int("axis", 1);
        if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
        y.v.resize(x.v.size());
        const bool q = n.op == K::QuantizeLinear;
        y.dtype = q ? zp.dtype : DType::kFloat32;
        const double lo = y.dtype == DType::kUInt8 ? 0 : -128, hi = y.dtype == DType::kUInt8 ? 255 : 127;
        for (int64_t i = 0; i < x.numel(); ++i) {
          const double sc = param(s, x.shape, axis, i), z = param(zp, x.shape, axis, i);
          // Round half to even as QuantizeLinear specifies (nearbyint in the default mode).
          y.v[static_cast<size_t>(i)] = q ? std::clamp(std::nearbyint(x.v[static_cast<size_t>(i)] / sc) + z, lo, hi)
                                          : (x.v[static_cast<size_t>(i)] - z) * sc;
        }
        break;
      }
      case K::Relu: y.v = x.v; for (double& e : y.v) e = std::max(e, 0.0); break;
      case K::LeakyRelu: {
        const double a = n.attr_float("alpha", 0.01f);
        y.v = x.v;
        for (double& e : y.v) e = e >= 0 ? e : a * e;
        break;
      }
      case K::Clip: {
        const double lo = n.input(1) != ir::kNoValue ? get(n.inputs[1]).v[0] : -1e300;
        const double hi = n.input(2) != ir::kNoValue ? get(n.inputs[2]).v[0] : 1e300;
        y.v = x.v;
        for (double& e : y.v) e = std::clamp(e, lo, hi);
        break;
      }
      case K::Add: {
        // Equal shapes, or b broadcast along x's trailing dims (a bias).
        const DTensor& b = get(n.inputs[1]);
        if (b.shape != x.shape && (b.numel() == 0 || x.numel() % b.numel() != 0))
          fail("oracle: Add broadcasting not covered");
        y.v = x.v;
        for (size_t i = 0; i < y.v.size(); ++i) y.v[i] += b.v[i % b.v.size()];
        break;
      }
      case K::Flatten: {
        int64_t axis = n.attr_int("axis", 1);
        int64_t outer = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= x.shape[static_cast<size_t>(d)];
        y.shape = {outer, x.numel() / outer};
        y.v = x.v;
        y.dtype = x.dtype;
        break;
      }
      case K::Reshape: {
        y.shape = g_.value(n.outputs[0]).shape;
        y.v = x.v;
        y.dtype = x.dtype;
        break;
      }
      case K::Concat: concat(n, y); break;
      case K::Conv: conv(n, x, y); break;
      case K::MaxPool: case K::AveragePool: case K::GlobalAveragePool: pool(n, x, y); break;
      case K::Gemm: case K::MatMul: matmul(n, x, y); break;
      default: fail("oracle: op ", ir::op_name(n.op), " not covered");
    }
    values_[n.outputs[0]] = std::move(y);
  }

  void concat(const ir::Node& n, DTensor& y) {
    int64_t axis = n.attr_int("axis", 0);
    const DTensor& x0 = get(n.inputs[0]);
    if (axis < 0) axis += static_cast<int64_t>(x0.shape.size());
    y.dtype = x0.dtype;
    y.shape = x0.shape;
    y.shape[static_cast<size_t>(axis)] = 0;
    for (ir::ValueId v : n.inputs) y.shape[static_cast<size_t>(axis)] += get(v).shape[static_cast<size_t>(axis)];
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= y.shape[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < y.shape.size(); ++d) inner *= y.shape[d];
    y.v.clear();
    for (int64_t o = 0; o < outer; ++o)
      for (ir::ValueId v : n.inputs) {
        const DTensor& x = get(v);
        const int64_t run = x.shape[static_cast<size_t>(axis)] * inner;
        y.v.insert(y.v.end(), x.v.begin() + o * run, x.v.begin() + (o + 1) * run);
      }
  }

  // 2-D convolution (rank 4) with groups, strides, dilations and explicit pads.
  void conv(const ir::Node& n, const DTensor& x, DTensor& y) {
    const DTensor& w = get(n.inputs[1]);
    const DTensor* b = n.input(2) != ir::kNoValue ? &get(n.inputs[2]) : nullptr;
    const auto st = n.attr_ints("strides", {1, 1}), di = n.attr_ints("dilations", {1, 1});
    const auto pads = n.attr_ints("pads", {0, 0, 0, 0});
    const int64_t group = n.attr_int("group", 1);
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t M = w.shape[0], KH = w.shape[2], KW = w.shape[3], cg = C / group, mg = M / group;
    const int64_t OH = (H + pads[0] + pads[2] - (KH - 1) * di[0] - 1) / st[0] + 1;
    const int64_t OW = (W + pads[1] + pads[3] - (KW - 1) * di[1] - 1) / st[1] + 1;
    y.shape = {N, M, OH, OW};
    y.v.assign(static_cast<size_t>(N * M * OH * OW), 0.0);
    for (int64_t nn = 0; nn < N; ++nn)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double acc = b ? b->v[static_cast<size_t>(m)] : 0.0;
            for (int64_t ci = 0; ci < cg; ++ci)
              for (int64_t kh = 0; kh < KH; ++kh)
                for (int64_t kw = 0; kw < KW; ++kw) {
                  const int64_t ih = oh * st[0] - pads[0] + kh * di[0], iw = ow * st[1] - pads[1] + kw * di[1];
                  if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
                  const int64_t c = (m / mg) * cg + ci;
                  acc += x.v[static_cast<size_t>(((nn * C + c) * H + ih) * W + iw)] *
                         w.v[static_cast<size_t>(((m * cg + ci) * KH + kh) * KW + kw)];
                }
            y.v[static_cast<size_t>(((nn * M + m) * OH + oh) * OW + ow)] = acc;
          }
  }

  // 2-D pools (rank 4), floor mode.
  void pool(const ir::Node& n, const DTensor& x, DTensor& y) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const bool global = n.op == ir::OpKind::GlobalAveragePool;
    const auto k = global ? std::vector<int64_t>{H, W} : n.attr_ints("kernel_shape");
    const auto st = n.attr_ints("strides", {1, 1});
    const auto pads = n.attr_ints("pads", {0, 0, 0, 0});
    const bool is_max = n.op == ir::OpKind::MaxPool, include_pad = n.attr_int("count_include_pad", 0) != 0;
    const int64_t OH = (H + pads[0] + pads[2] - k[0]) / st[0] + 1, OW = (W + pads[1] + pads[3] - k[1]) / st[1] + 1;
    y.shape = {N, C, OH, OW};
    y.dtype = is_max ? x.dtype : DType::kFloat32;
    y.v.assign(static_cast<size_t>(N * C * OH * OW), 0.0);
    for (int64_t p = 0; p < N * C; ++p)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
          int64_t count = 0;
          for (int64_t kh = 0; kh < k[0]; ++kh)
            for (int64_t kw = 0; kw < k[1]; ++kw) {
              const int64_t ih = oh * st[0] - pads[0] + kh, iw = ow * st[1] - pads[1] + kw;
              if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
              const double e = x.v[static_cast<size_t>((p * H + ih) * W + iw)];
              acc = is_max ? std::max(acc, e) : acc + e;
              ++count;
            }
          if (!is_max) acc /= static_cast<double>(include_pad ? k[0] * k[1] : count);
          y.v[static_cast<size_t>((p * OH + oh) * OW + ow)] = acc;
        }
  }

  // Gemm (transB, bias C) and 2-D MatMul.
  void matmul(const ir::Node& n, const DTensor& a, DTensor& y) {
    const DTensor& b = get(n.inputs[1]);
    const bool tb = n.op == ir::OpKind::Gemm && n.attr_int("transB", 0) != 0;
    // MatMul's A may have leading batch dims: [..., M, K] is rows x K with a constant B.
    const int64_t K = a.shape.back(), M = a.numel() / K, N = tb ? b.shape[0] : b.shape[1];
    const DTensor* c = n.op == ir::OpKind::Gemm && n.input(2) != ir::kNoValue ? &get(n.inputs[2]) : nullptr;
    y.shape = a.shape;
    y.shape.back() = N;
    y.v.assign(static_cast<size_t>(M * N), 0.0);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = c ? c->v[static_cast<size_t>(c->numel() == N ? j : i * N + j)] : 0.0;
        for (int64_t kk = 0; kk < K; ++kk)
          acc += a.v[static_cast<size_t>(i * K + kk)] * b.v[static_cast<size_t>(tb ? j * K + kk : kk * N + j)];
        y.v[static_cast<size_t>(i * N + j)] = acc;
      }
  }

  const ir::Graph& g_;
  std::map<ir::ValueId, DTensor> values_;
};

}  // namespace octet::test
