// Builds small QDQ graphs directly in the IR for the INT8 tests: float inputs, Q/DQ pairs,
// int8 weights per channel or per tensor behind DequantizeLinear, int32 biases in ONNX
// Runtime's convention (scale = scale_x * scale_w), and plain ONNX ops between them.
// Header-only: the test glob compiles only *_test.cpp files.
#pragma once
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/engine.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"

namespace octet::test {

class QdqBuilder {
 public:
  explicit QdqBuilder(uint32_t seed = 1) : rng_(seed) { graph_.opset = 13; graph_.name = "qdq_test"; }

  ir::Graph& graph() { return graph_; }

  ir::ValueId input(const std::string& name, Shape shape) {
    ir::Value v;
    v.name = name;
    v.dtype = DType::kFloat32;
    v.shape = shape;
    v.has_shape = true;
    v.dim_params.assign(shape.size(), "");
    const ir::ValueId id = graph_.add_value(v);
    graph_.inputs.push_back(id);
    return id;
  }

  ir::ValueId constant(const std::string& name, Tensor t) { return graph_.add_constant(name, std::move(t)); }

  ir::ValueId scalar_f32(const std::string& name, float v) {
    return constant(name, Tensor::from_vector<float>(DType::kFloat32, {}, {v}));
  }
  ir::ValueId zero_point(const std::string& name, DType dtype, int32_t zp) {
    Tensor t(dtype, {});
    if (dtype == DType::kUInt8) t.data<uint8_t>()[0] = static_cast<uint8_t>(zp);
    else t.data<int8_t>()[0] = static_cast<int8_t>(zp);
    return constant(name, std::move(t));
  }

  // One node with one output; the output's shape comes from shape inference later.
  ir::ValueId node(ir::OpKind op, std::vector<ir::ValueId> inputs, std::map<std::string, ir::Attribute> attrs = {},
                   const std::string& name = "") {
    ir::Node n;
    n.op = op;
    n.name = name.empty() ? graph_.unique_node_name(std::string(ir::op_name(op)) + "_" + std::to_string(counter_)) : name;
    ++counter_;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    ir::Value out;
    out.name = graph_.unique_value_name(n.name + "_out");
    n.outputs = {graph_.add_value(out)};
    const ir::ValueId result = n.outputs[0];
    graph_.add_node(std::move(n));
    return result;
  }

  ir::ValueId quantize(ir::ValueId x, float scale, int32_t zp, DType dtype) {
    return node(ir::OpKind::QuantizeLinear,
                {x, scalar_f32(fresh("q_scale"), scale), zero_point(fresh("q_zp"), dtype, zp)});
  }
  ir::ValueId dequantize(ir::ValueId q, float scale, int32_t zp, DType dtype) {
    return node(ir::OpKind::DequantizeLinear,
                {q, scalar_f32(fresh("dq_scale"), scale), zero_point(fresh("dq_zp"), dtype, zp)});
  }
  // DQ(Q(x)): the fake quantization a QDQ model puts before each quantized input.
  ir::ValueId qdq(ir::ValueId x, float scale, int32_t zp, DType dtype) {
    return dequantize(quantize(x, scale, zp, dtype), scale, zp, dtype);
  }

  // Random int8 weights of `shape` in [-limit, limit] (127 for 8-bit, 63 for 7-bit; by default
  // 8-bit where the CPU's INT8 dot products are exact, else 7-bit as the quantizer's saturation
  // fix makes them), with per-channel scales along `axis` (or one scale), behind a
  // DequantizeLinear.
  struct Weights {
    ir::ValueId dq;
    std::vector<float> scales;
  };
  static int default_limit() { return rt::onednn::int8::int8_dot_products_exact() ? 127 : 63; }
  Weights weights(Shape shape, bool per_channel, int limit = default_limit(), int64_t axis = 0) {
    Tensor w(DType::kInt8, shape);
    std::uniform_int_distribution<int> dist(-limit, limit);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(dist(rng_));
    const int64_t channels = per_channel ? shape[static_cast<size_t>(axis)] : 1;
    std::uniform_real_distribution<float> sd(0.002f, 0.02f);
    std::vector<float> scales(static_cast<size_t>(channels));
    for (float& s : scales) s = sd(rng_);
    Tensor st = per_channel ? Tensor::from_vector<float>(DType::kFloat32, {channels}, scales)
                            : Tensor::from_vector<float>(DType::kFloat32, {}, scales);
    Tensor zp(DType::kInt8, per_channel ? Shape{channels} : Shape{});
    ir::Node n;
    std::map<std::string, ir::Attribute> attrs;
    if (per_channel) attrs["axis"] = ir::Attribute::make_int(axis);
    const ir::ValueId dq = node(ir::OpKind::DequantizeLinear,
                                {constant(fresh("w"), std::move(w)), constant(fresh("w_scale"), std::move(st)),
                                 constant(fresh("w_zp"), std::move(zp))},
                                attrs);
    return {dq, scales};
  }

  // An int32 bias of `channels` values behind a DequantizeLinear with scale scale_x * scale_w.
  ir::ValueId bias(int64_t channels, float scale_x, const std::vector<float>& scale_w) {
    Tensor b(DType::kInt32, {channels});
    std::uniform_int_distribution<int> dist(-2000, 2000);
    for (int64_t i = 0; i < channels; ++i) b.data<int32_t>()[i] = dist(rng_);
    std::vector<float> scales(static_cast<size_t>(channels));
    for (int64_t i = 0; i < channels; ++i) scales[static_cast<size_t>(i)] = scale_x * scale_w[scale_w.size() == 1 ? 0 : static_cast<size_t>(i)];
    Tensor zp(DType::kInt32, {channels});
    std::map<std::string, ir::Attribute> attrs = {{"axis", ir::Attribute::make_int(0)}};
    return node(ir::OpKind::DequantizeLinear,
                {constant(fresh("b"), std::move(b)),
                 constant(fresh("b_scale"), Tensor::from_vector<float>(DType::kFloat32, {channels}, scales)),
                 constant(fresh("b_zp"), std::move(zp))},
                attrs);
  }

  void output(ir::ValueId v) { graph_.outputs.push_back(v); }

  // Fills dtype and shape of every value (the tests build graphs without declared shapes).
  void infer() { ir::infer_shapes(graph_, true); }

  // A random float input of `shape` in [lo, hi].
  Tensor random_input(const Shape& shape, float lo, float hi) {
    Tensor t(DType::kFloat32, shape);
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng_);
    return t;
  }

  Model model() {
    infer();
    return Model(std::make_shared<ir::Graph>(graph_));
  }

 private:
  std::string fresh(const std::string& base) { return graph_.unique_value_name(base + "_" + std::to_string(counter_++)); }

  ir::Graph graph_;
  std::mt19937 rng_;
  int counter_ = 0;
};

inline ir::Attribute ints(std::vector<int64_t> v) { return ir::Attribute::make_ints(std::move(v)); }
inline ir::Attribute int_attr(int64_t v) { return ir::Attribute::make_int(v); }

}  // namespace octet::test
