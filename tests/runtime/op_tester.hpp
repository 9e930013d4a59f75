// OpTester: runs one node through EVERY kernel of kernels_for(op) that accepts it and checks
// each against the reference result (evaluate_node) and, when given, expected values. In the
// spirit of ONNX Runtime's OpTester and ggml's test-backend-ops: a fast kernel added to the
// table is tested the moment a test of its op exists.
//
//   octet::test::OpTester t(octet::ir::OpKind::Conv);
//   t.opset(13)                                   // default 17
//    .input("X", x)                               // a graph input (plain); .input_layout(0, Layout::kNhwc)
//                                                 //   makes kernels see it as produced in NHWC
//    .constant("W", w)                            // an initializer (kernels see its data)
//    .missing()                                   // an omitted optional input
//    .attr("strides", std::vector<int64_t>{2, 2}) // int64_t, float, string, ints, floats
//    .output_count(1)                             // default 1; shapes come from shape inference,
//                                                 //   or .output_desc(i, dtype, shape) when it has none
//    .expect(0, y_expected)                       // optional expected values (plain)
//    .tolerance(1e-4, 1e-5);                      // rtol, atol for kernel vs reference (and expected)
//   octet::test::OpReport r = t.run();            // gtest EXPECTs inside; r.ran / r.skipped name kernels
//   EXPECT_TRUE(r.ran_kernel("dnnl_conv"));
//
// OCTET_TESTER_VERBOSE=1 in the environment prints which kernels ran and why others declined.
//
// Each accepted kernel is created directly with a KernelContext (threads from .threads(n)),
// inputs reordered with the reference reorder into the layout its create() asks for, outputs
// reordered back to plain. A constant input the kernel asks for in another layout is reordered
// too, as the planner does once at compile time.
#pragma once
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/error.hpp"
#include "runtime/kernel.hpp"

namespace octet::test {

// A tensor of uniform random values in [lo, hi) (integers rounded), reproducible by seed.
inline Tensor random_tensor(DType dtype, Shape shape, uint32_t seed = 1, double lo = -1.0, double hi = 1.0) {
  Tensor t(dtype, std::move(shape));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = dist(gen);
    switch (dtype) {
      case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
      case DType::kFloat64: t.data<double>()[i] = v; break;
      case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(std::lround(v)); break;
      case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(std::lround(v)); break;
      case DType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(std::lround(v)); break;
      case DType::kInt64: t.data<int64_t>()[i] = std::lround(v); break;
      case DType::kBool: t.data<uint8_t>()[i] = v > (lo + hi) / 2; break;
      default: fail("random_tensor: dtype ", dtype_name(dtype), " not supported");
    }
  }
  return t;
}

// A float32 tensor from values.
inline Tensor make_tensor(Shape shape, const std::vector<float>& values) {
  return Tensor::from_vector<float>(DType::kFloat32, std::move(shape), values);
}

// "" when `got` matches `want` within rtol/atol (NaN equals NaN, integers exact), else the
// first difference.
inline std::string compare_tensors(const Tensor& got, const Tensor& want, double rtol, double atol) {
  if (got.dtype != want.dtype) return cat("dtype ", dtype_name(got.dtype), " vs ", dtype_name(want.dtype));
  if (got.shape != want.shape) return cat("shape ", shape_str(got.shape), " vs ", shape_str(want.shape));
  const bool is_float = got.dtype == DType::kFloat32 || got.dtype == DType::kFloat64;
  int64_t bad = 0;
  std::string first;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double g = 0, w = 0;
    if (got.dtype == DType::kFloat32) { g = got.data<float>()[i]; w = want.data<float>()[i]; }
    else if (got.dtype == DType::kFloat64) { g = got.data<double>()[i]; w = want.data<double>()[i]; }
    else {
      const size_t es = dtype_size(got.dtype);
      if (std::memcmp(got.bytes.data() + i * es, want.bytes.data() + i * es, es) != 0) {
        if (bad++ == 0) first = cat("element ", i, " differs");
      }
      continue;
    }
    const bool ok = std::isnan(w) ? std::isnan(g) : (std::isinf(w) ? g == w : std::fabs(g - w) <= atol + rtol * std::fabs(w));
    if (!ok && bad++ == 0) first = cat("element ", i, ": got ", g, ", expected ", w);
    (void)is_float;
  }
  return bad ? cat(bad, " of ", got.numel(), " elements differ; first ", first) : "";
}

struct OpReport {
  std::vector<std::string> ran;      // kernels that accepted the node and were checked
  std::vector<std::string> skipped;  // "name: reason" for kernels that declined
  std::vector<Tensor> reference;     // the reference kernel's outputs
  bool ran_kernel(const std::string& name) const {
    for (const std::string& r : ran)
      if (r == name) return true;
    return false;
  }
};

class OpTester {
 public:
  explicit OpTester(ir::OpKind op) { node_.op = op; node_.name = cat("test_", ir::op_name(op)); }

  OpTester& opset(int64_t v) { opset_ = v; return *this; }
  OpTester& threads(int n) { threads_ = n; return *this; }
  OpTester& tolerance(double rtol, double atol) { rtol_ = rtol; atol_ = atol; return *this; }

  OpTester& input(const std::string& name, Tensor t) { return add(name, std::move(t), false); }
  OpTester& constant(const std::string& name, Tensor t) { return add(name, std::move(t), true); }
  OpTester& missing() { inputs_.push_back({"", Tensor(), false, true, rt::Layout::kPlain}); return *this; }
  OpTester& input_layout(size_t i, rt::Layout layout) { inputs_.at(i).layout = layout; return *this; }

  OpTester& attr(const std::string& key, int64_t v) { node_.attrs[key] = ir::Attribute::make_int(v); return *this; }
  OpTester& attr(const std::string& key, int v) { return attr(key, static_cast<int64_t>(v)); }
  OpTester& attr(const std::string& key, float v) { node_.attrs[key] = ir::Attribute::make_float(v); return *this; }
  OpTester& attr(const std::string& key, const char* v) { node_.attrs[key] = ir::Attribute::make_string(v); return *this; }
  OpTester& attr(const std::string& key, const std::string& v) { node_.attrs[key] = ir::Attribute::make_string(v); return *this; }
  OpTester& attr(const std::string& key, std::vector<int64_t> v) { node_.attrs[key] = ir::Attribute::make_ints(std::move(v)); return *this; }
  OpTester& attr(const std::string& key, std::vector<float> v) { node_.attrs[key] = ir::Attribute::make_floats(std::move(v)); return *this; }
  OpTester& attr(const std::string& key, ir::Attribute a) { node_.attrs[key] = std::move(a); return *this; }

  OpTester& output_count(size_t n) { outputs_.resize(n); return *this; }
  OpTester& output_desc(size_t i, DType dtype, Shape shape) {
    if (outputs_.size() <= i) outputs_.resize(i + 1);
    outputs_[i] = {dtype, std::move(shape), true};
    return *this;
  }
  OpTester& expect(size_t i, Tensor t) {
    if (expected_.size() <= i) expected_.resize(i + 1);
    expected_[i] = std::move(t);
    return *this;
  }

  // The graph this tester builds (for tests that want it).
  ir::Graph build_graph() const {
    ir::Graph g;
    g.opset = opset_;
    ir::Node node = node_;
    for (const In& in : inputs_) {
      if (in.missing) { node.inputs.push_back(ir::kNoValue); continue; }
      ir::ValueId id;
      if (in.constant) {
        id = g.add_constant(in.name, in.tensor);
      } else {
        ir::Value v;
        v.name = in.name;
        v.dtype = in.tensor.dtype;
        v.shape = in.tensor.shape;
        v.has_shape = true;
        v.dim_params.assign(v.shape.size(), "");
        id = g.add_value(v);
        g.inputs.push_back(id);
      }
      node.inputs.push_back(id);
    }
    const size_t n_out = std::max<size_t>(outputs_.size(), 1);
    for (size_t i = 0; i < n_out; ++i) {
      ir::Value v;
      v.name = cat("out", i);
      if (i < outputs_.size() && outputs_[i].set) {
        v.dtype = outputs_[i].dtype;
        v.shape = outputs_[i].shape;
        v.has_shape = true;
        v.dim_params.assign(v.shape.size(), "");
      }
      const ir::ValueId id = g.add_value(v);
      node.outputs.push_back(id);
      g.outputs.push_back(id);
    }
    g.add_node(node);
    ir::infer_shapes(g, /*require_static=*/true);
    return g;
  }

  OpReport run() const {
    OpReport report;
    const ir::Graph g = build_graph();
    const ir::Node& node = g.nodes.back();
    std::vector<const Tensor*> in_ptrs;
    for (const In& in : inputs_) in_ptrs.push_back(in.missing ? nullptr : &in.tensor);
    report.reference = rt::evaluate_node(g, node, in_ptrs);
    for (size_t i = 0; i < expected_.size() && i < report.reference.size(); ++i)
      if (expected_[i].dtype != DType::kUndefined) {
        const std::string diff = compare_tensors(report.reference[i], expected_[i], rtol_, atol_);
        EXPECT_EQ(diff, "") << node.describe() << ": reference output " << i << " vs expected";
      }
    omp_set_num_threads(threads_);
    for (const rt::KernelEntry* e : rt::kernels_for(node.op)) {
      rt::KernelContext ctx = context(g, node);
      const std::string why = e->why_not(ctx);
      if (!why.empty()) { report.skipped.push_back(cat(e->name, ": ", why)); continue; }
      report.ran.push_back(e->name);
      std::vector<Tensor> got = run_kernel(*e, ctx, g, node);
      for (size_t i = 0; i < got.size(); ++i) {
        if (got[i].dtype == DType::kUndefined) continue;
        const std::string diff = compare_tensors(got[i], report.reference[i], rtol_, atol_);
        EXPECT_EQ(diff, "") << node.describe() << ": kernel " << e->name << " output " << i << " vs the reference";
      }
    }
    EXPECT_FALSE(report.ran.empty()) << node.describe() << ": no kernel accepted it";
    if (std::getenv("OCTET_TESTER_VERBOSE")) {
      std::cerr << node.describe() << ": ran";
      for (const std::string& r : report.ran) std::cerr << " " << r;
      for (const std::string& r : report.skipped) std::cerr << "\n  skipped " << r;
      std::cerr << "\n";
    }
    return report;
  }

 private:
  struct In {
    std::string name;
    Tensor tensor;
    bool constant = false, missing = false;
    rt::Layout layout = rt::Layout::kPlain;
  };
  struct Out {
    DType dtype = DType::kUndefined;
    Shape shape;
    bool set = false;
  };

  OpTester& add(const std::string& name, Tensor t, bool constant) {
    inputs_.push_back({name, std::move(t), constant, false, rt::Layout::kPlain});
    return *this;
  }

  rt::KernelContext context(const ir::Graph& g, const ir::Node& node) const {
    rt::KernelContext ctx;
    ctx.graph = &g;
    ctx.node = &node;
    ctx.threads = threads_;
    for (const In& in : inputs_) {
      rt::TensorDesc d;
      if (!in.missing) d = {in.tensor.dtype, in.tensor.shape, in.constant ? rt::Layout::kPlain : in.layout};
      ctx.inputs.push_back(d);
      ctx.constants.push_back(in.constant ? &in.tensor : nullptr);
    }
    for (ir::ValueId out : node.outputs) {
      const ir::Value& v = g.value(out);
      ctx.outputs.push_back({v.dtype, v.shape, rt::Layout::kPlain});
    }
    return ctx;
  }

  // Reorders `bytes` (laid out as `from`) into `to` with the reference reorder.
  static std::vector<uint8_t> reorder(const ir::Graph& g, const rt::TensorDesc& from, const rt::TensorDesc& to,
                                      const void* bytes) {
    if (from.layout == to.layout) {
      const uint8_t* p = static_cast<const uint8_t*>(bytes);
      return std::vector<uint8_t>(p, p + from.bytes());
    }
    ir::Node node;
    node.op = ir::OpKind::Reorder;
    node.name = "test_reorder";
    rt::KernelContext ctx;
    ctx.graph = &g;
    ctx.node = &node;
    ctx.inputs = {from};
    ctx.constants = {nullptr};
    ctx.outputs = {to};
    for (const rt::KernelEntry* e : rt::kernels_for(ir::OpKind::Reorder)) {
      if (std::string(e->name) != "ref_reorder") continue;
      const std::string why = e->why_not(ctx);
      if (!why.empty()) fail("ref_reorder declines ", rt::layout_name(from.layout), " -> ", rt::layout_name(to.layout), ": ", why);
      auto k = e->create(ctx);
      std::vector<uint8_t> out(to.bytes(), 0);
      const void* src[] = {bytes};
      void* dst[] = {out.data()};
      k->execute({src, dst, nullptr});
      return out;
    }
    fail("no ref_reorder kernel");
  }

  std::vector<Tensor> run_kernel(const rt::KernelEntry& e, rt::KernelContext& ctx, const ir::Graph& g,
                                 const ir::Node& node) const {
    std::vector<Tensor> result;
    if (e.output_aliases_input0) {
      Tensor t(ctx.outputs[0].dtype, ctx.outputs[0].shape);
      t.bytes = inputs_[0].tensor.bytes;
      result.push_back(std::move(t));
      return result;
    }
    std::vector<rt::TensorDesc> given;  // layouts the inputs arrive in
    for (const rt::TensorDesc& d : ctx.inputs) given.push_back(d);
    std::unique_ptr<rt::Kernel> kernel = e.create(ctx);
    std::vector<std::vector<uint8_t>> in_bytes(inputs_.size());
    std::vector<const void*> src(inputs_.size(), nullptr);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].missing) continue;
      // The input as its producer lays it out, then as the kernel asked.
      rt::TensorDesc plain = given[i];
      plain.layout = rt::Layout::kPlain;
      const std::vector<uint8_t> produced = reorder(g, plain, given[i], inputs_[i].tensor.bytes.data());
      in_bytes[i] = reorder(g, given[i], ctx.inputs[i], produced.data());
      src[i] = in_bytes[i].data();
    }
    std::vector<std::vector<uint8_t>> out_bytes(ctx.outputs.size());
    std::vector<void*> dst(ctx.outputs.size(), nullptr);
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
      out_bytes[i].assign(ctx.outputs[i].bytes(), 0);  // zeroed, like the plan's arena
      dst[i] = out_bytes[i].data();
    }
    const size_t scratch_bytes = kernel->scratch_bytes();
    void* scratch = scratch_bytes ? std::aligned_alloc(64, (scratch_bytes + 63) / 64 * 64) : nullptr;
    kernel->execute({src.data(), dst.data(), scratch});
    std::free(scratch);
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
      rt::TensorDesc plain = ctx.outputs[i];
      plain.layout = rt::Layout::kPlain;
      Tensor t(plain.dtype, plain.shape);
      t.bytes = reorder(g, ctx.outputs[i], plain, out_bytes[i].data());
      result.push_back(std::move(t));
    }
    return result;
  }

  ir::Node node_;
  int64_t opset_ = 17;
  int threads_ = 1;
  double rtol_ = 1e-4, atol_ = 1e-5;
  std::vector<In> inputs_;
  std::vector<Out> outputs_;
  std::vector<Tensor> expected_;
};

}  // namespace octet::test
