// Runs one node through a oneDNN kernel directly, with its inputs handed over in chosen
// layouts (blocked buffers zero-padded as the arena is), and reads the outputs back to plain,
// checking that nChw8c channel padding stayed zero. The tests compare the result with the
// reference kernels (rt::evaluate_node) or a plain loop.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "runtime/kernel.hpp"
#include "runtime/ref/layout_index.hpp"

namespace octet::testing {

// Sets an environment variable for one scope (OCTET_DNNL_LAYOUT forces the convolutions'
// layout, so every layout is tested whatever oneDNN prefers on this CPU).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, shape);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

// A graph of one node: non-constant inputs become graph inputs, shapes are inferred.
class OneNode {
 public:
  explicit OneNode(ir::OpKind op, int64_t opset = 17) {
    graph_.opset = opset;
    node_.op = op;
    node_.name = "node";
  }
  OneNode& attr(const std::string& key, ir::Attribute a) {
    node_.attrs[key] = std::move(a);
    return *this;
  }
  OneNode& ints(const std::string& key, std::vector<int64_t> v) { return attr(key, ir::Attribute::make_ints(std::move(v))); }
  OneNode& i(const std::string& key, int64_t v) { return attr(key, ir::Attribute::make_int(v)); }
  OneNode& f(const std::string& key, float v) { return attr(key, ir::Attribute::make_float(v)); }
  OneNode& s(const std::string& key, std::string v) { return attr(key, ir::Attribute::make_string(std::move(v))); }
  OneNode& input(Tensor t, bool constant = false) {
    const std::string name = "in" + std::to_string(node_.inputs.size());
    if (constant) {
      node_.inputs.push_back(graph_.add_constant(name, std::move(t)));
    } else {
      ir::Value v;
      v.name = name;
      v.dtype = t.dtype;
      v.shape = t.shape;
      v.has_shape = true;
      v.dim_params.assign(t.shape.size(), "");
      node_.inputs.push_back(graph_.add_value(v));
      graph_.inputs.push_back(node_.inputs.back());
      feeds_.push_back(std::move(t));
    }
    return *this;
  }
  OneNode& omitted() {
    node_.inputs.push_back(ir::kNoValue);
    return *this;
  }
  OneNode& outputs(int n) {
    outputs_ = n;
    return *this;
  }
  // Finishes the graph (idempotent).
  const ir::Graph& graph() {
    if (!built_) {
      for (int k = 0; k < outputs_; ++k) {
        ir::Value v;
        v.name = "out" + std::to_string(k);
        node_.outputs.push_back(graph_.add_value(v));
        if (k == 0) graph_.outputs.push_back(node_.outputs.back());
      }
      graph_.add_node(node_);
      ir::infer_shapes(graph_, true);
      built_ = true;
    }
    return graph_;
  }
  const ir::Node& node() { return graph().nodes[0]; }
  // Every input's data (constant or fed) in node input order; nullptr where omitted.
  std::vector<const Tensor*> all_inputs() {
    graph();
    std::vector<const Tensor*> r;
    size_t fed = 0;
    for (ir::ValueId v : graph_.nodes[0].inputs) {
      if (v == ir::kNoValue) r.push_back(nullptr);
      else if (graph_.value(v).is_constant()) r.push_back(graph_.value(v).data.get());
      else r.push_back(&feeds_[fed++]);
    }
    return r;
  }

 private:
  ir::Graph graph_;
  ir::Node node_;
  std::vector<Tensor> feeds_;
  int outputs_ = 1;
  bool built_ = false;
};

struct AlignedBytes {
  void* ptr = nullptr;
  explicit AlignedBytes(size_t bytes, unsigned char fill = 0) {
    ptr = std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64));
    std::memset(ptr, fill, std::max<size_t>(64, (bytes + 63) / 64 * 64));
  }
  ~AlignedBytes() { std::free(ptr); }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
};

inline void split_shape(const Shape& shape, int64_t& n, int64_t& c, int64_t& s) {
  n = shape.empty() ? 1 : shape[0];
  c = shape.size() < 2 ? 1 : shape[1];
  s = 1;
  for (size_t d = 2; d < shape.size(); ++d) s *= shape[d];
}

// Copies a plain float tensor into a buffer of `desc` (its layout), padding left zero.
inline void pack(const Tensor& t, const rt::TensorDesc& desc, void* dst) {
  int64_t n, c, s;
  split_shape(t.shape, n, c, s);
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t is = 0; is < s; ++is)
        static_cast<float*>(dst)[rt::ref::layout_offset(desc.layout, c, s, in, ic, is)] = t.data<float>()[(in * c + ic) * s + is];
}

// Reads a buffer of `desc` back to plain; false if some nChw8c padding element is not zero.
inline bool unpack(const void* src, const rt::TensorDesc& desc, Tensor& t) {
  t = Tensor(desc.dtype, desc.shape);
  int64_t n, c, s;
  split_shape(desc.shape, n, c, s);
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t is = 0; is < s; ++is)
        t.data<float>()[(in * c + ic) * s + is] = static_cast<const float*>(src)[rt::ref::layout_offset(desc.layout, c, s, in, ic, is)];
  if (desc.layout != rt::Layout::kNChw8c) return true;
  const int64_t cp = (c + 7) / 8 * 8;
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = c; ic < cp; ++ic)
      for (int64_t is = 0; is < s; ++is)
        if (static_cast<const float*>(src)[rt::ref::layout_offset(desc.layout, c, s, in, ic, is)] != 0.0f) return false;
  return true;
}

struct KernelRun {
  std::string why_not;               // non-empty: the kernel declined
  std::vector<Tensor> outputs;       // plain
  std::vector<rt::Layout> input_layouts, output_layouts;  // as the kernel asked / wrote
  bool padding_zero = true;
  int output0_may_alias = -1;
};

inline const rt::KernelEntry* find_entry(const std::string& name, ir::OpKind op) {
  for (const rt::KernelEntry* e : rt::kernels_for(op))
    if (name == e->name) return e;
  return nullptr;
}

// Runs `node` with kernel `name`; the non-constant inputs arrive in `layouts` (plain where
// not given). Blocked/nhwc inputs the kernel asks for in another layout are converted here,
// as the planner's reorders would. `in_place` hands output 0 the buffer of the input the
// kernel allows (as the planner does when that input is dead).
inline KernelRun run_kernel(const std::string& name, OneNode& one, std::vector<rt::Layout> layouts = {},
                            int threads = 1, bool in_place = false) {
  const ir::Graph& graph = one.graph();
  const ir::Node& node = graph.nodes[0];
  std::vector<const Tensor*> data = one.all_inputs();
  rt::KernelContext ctx;
  ctx.graph = &graph;
  ctx.node = &node;
  ctx.threads = threads;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    rt::TensorDesc d;
    if (data[k]) {
      d.dtype = data[k]->dtype;
      d.shape = data[k]->shape;
      if (k < layouts.size() && !graph.value(node.inputs[k]).is_constant()) d.layout = layouts[k];
    }
    ctx.inputs.push_back(d);
    ctx.constants.push_back(node.inputs[k] != ir::kNoValue && graph.value(node.inputs[k]).is_constant() ? data[k] : nullptr);
  }
  for (ir::ValueId v : node.outputs) ctx.outputs.push_back({graph.value(v).dtype, graph.value(v).shape, rt::Layout::kPlain});
  KernelRun run;
  const rt::KernelEntry* entry = find_entry(name, node.op);
  if (!entry) {
    run.why_not = "no such kernel for this op";
    return run;
  }
  run.why_not = entry->why_not(ctx);
  if (!run.why_not.empty()) return run;
  auto kernel = entry->create(ctx);
  run.output0_may_alias = ctx.output0_may_alias;
  std::vector<std::unique_ptr<AlignedBytes>> in_bufs, out_bufs;
  std::vector<const void*> src;
  for (size_t k = 0; k < ctx.inputs.size(); ++k) {
    run.input_layouts.push_back(ctx.inputs[k].layout);
    if (!data[k]) { src.push_back(nullptr); continue; }
    in_bufs.push_back(std::make_unique<AlignedBytes>(ctx.inputs[k].bytes()));
    // A constant asked for in another layout is reordered too, as the planner does.
    if (ctx.constants[k] && ctx.inputs[k].layout == rt::Layout::kPlain) {
      // An empty constant (Resize's unused roi) has no data pointer, and memcpy wants one.
      if (!data[k]->bytes.empty()) std::memcpy(in_bufs.back()->ptr, data[k]->bytes.data(), data[k]->bytes.size());
    }
    else pack(*data[k], ctx.inputs[k], in_bufs.back()->ptr);
    src.push_back(in_bufs.back()->ptr);
  }
  std::vector<void*> dst;
  for (size_t k = 0; k < ctx.outputs.size(); ++k) {
    run.output_layouts.push_back(ctx.outputs[k].layout);
    if (k == 0 && in_place && ctx.output0_may_alias >= 0) {
      dst.push_back(const_cast<void*>(src[static_cast<size_t>(ctx.output0_may_alias)]));
      continue;
    }
    out_bufs.push_back(std::make_unique<AlignedBytes>(ctx.outputs[k].bytes()));
    dst.push_back(out_bufs.back()->ptr);
  }
  AlignedBytes scratch(kernel->scratch_bytes(), 0xff);  // garbage: kernels must not rely on it
  kernel->execute({src.data(), dst.data(), scratch.ptr});
  for (size_t k = 0; k < ctx.outputs.size(); ++k) {
    Tensor t;
    run.padding_zero = unpack(dst[k], ctx.outputs[k], t) && run.padding_zero;
    run.outputs.push_back(std::move(t));
  }
  return run;
}

// |a - b| <= atol + rtol * |b| everywhere; reports the first mismatch.
inline ::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, float atol = 1e-4f, float rtol = 1e-4f) {
  if (a.shape != b.shape) return ::testing::AssertionFailure() << "shapes " << shape_str(a.shape) << " vs " << shape_str(b.shape);
  for (int64_t k = 0; k < a.numel(); ++k) {
    const float x = a.data<float>()[k], y = b.data<float>()[k];
    if (std::isnan(x) != std::isnan(y) || std::fabs(x - y) > atol + rtol * std::fabs(y))
      return ::testing::AssertionFailure() << "element " << k << ": " << x << " vs " << y;
  }
  return ::testing::AssertionSuccess();
}

// Runs kernel `name` and the reference (rt::evaluate_node on plain tensors) and compares
// every output; the kernel's nChw8c outputs must keep zero padding.
inline void expect_like_reference(const std::string& name, OneNode& one, std::vector<rt::Layout> layouts = {},
                                  float tol = 1e-5f, int threads = 1, bool in_place = false) {
  const std::vector<Tensor> expect = rt::evaluate_node(one.graph(), one.node(), one.all_inputs());
  KernelRun run = run_kernel(name, one, layouts, threads, in_place);
  ASSERT_EQ(run.why_not, "") << one.node().describe();
  EXPECT_TRUE(run.padding_zero) << one.node().describe() << ": nChw8c padding written";
  ASSERT_EQ(run.outputs.size(), expect.size());
  for (size_t k = 0; k < expect.size(); ++k)
    EXPECT_TRUE(all_close(run.outputs[k], expect[k], tol, tol))
        << one.node().describe() << " output " << k << " in " << rt::layout_name(run.output_layouts[k]);
}

}  // namespace octet::testing
