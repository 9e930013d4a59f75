// SearchEvaluator and the latency and size helpers; see accuracy_aware_eval.hpp.
#include "quant/algorithms/accuracy_aware_eval.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <thread>

#include "octet/error.hpp"
#include "quant/report_builder.hpp"

namespace octet::quant {
namespace {

// The graph as the engine should compile it: the loaded model's dynamic input and output
// dims back, intermediate shapes re-inferred.
std::shared_ptr<ir::Graph> with_original_dims(const ir::Graph& graph, const ir::Graph& original) {
  auto copy = std::make_shared<ir::Graph>(graph);
  restore_dynamic_dims(*copy, original);
  return copy;
}

bool batch_is_dynamic(const ir::Graph& original) {
  for (ir::ValueId id : original.inputs) {
    const ir::Value& v = original.value(id);
    if (!v.has_shape || v.shape.empty() || v.shape[0] >= 0) return false;
  }
  return !original.inputs.empty();
}

// Stacks rows [begin, end) of `order` (sample indices), padding with the last one up to `batch`.
std::vector<Tensor> stack(const std::vector<std::vector<Tensor>>& samples, const std::vector<size_t>& order,
                          size_t begin, size_t end, int batch) {
  std::vector<Tensor> batched;
  const std::vector<Tensor>& first = samples.at(order[begin]);
  for (size_t input = 0; input < first.size(); ++input) {
    Shape shape = first[input].shape;
    if (shape.empty()) fail("evaluation sample ", order[begin], ": input ", input, " is a scalar; it needs a batch dim");
    const int64_t row_bytes = static_cast<int64_t>(first[input].bytes.size()) / shape[0];
    shape[0] = batch;
    Tensor t(first[input].dtype, shape);
    for (int r = 0; r < batch; ++r) {
      const size_t s = order[std::min(begin + static_cast<size_t>(r), end - 1)];
      const Tensor& src = samples[s].at(input);
      if (static_cast<int64_t>(src.bytes.size()) != row_bytes)
        fail("evaluation sample ", s, ": input ", input, " has shape ", shape_str(src.shape), ", sample ", order[begin],
             " has ", shape_str(first[input].shape));
      std::memcpy(t.bytes.data() + static_cast<size_t>(r) * static_cast<size_t>(row_bytes), src.bytes.data(),
                  static_cast<size_t>(row_bytes));
    }
    batched.push_back(std::move(t));
  }
  return batched;
}

}  // namespace

size_t SampleOutcomes::hits() const {
  size_t n = 0;
  for (uint8_t h : hit) n += h;
  return n;
}

SearchEvaluator::SearchEvaluator(const SampleSource& samples, std::vector<int64_t> labels, const ir::Graph& original,
                                 EvaluatorOptions options)
    : targets_(std::move(labels)), original_(original), options_(std::move(options)) {
  if (samples.count == 0 || !samples.get) fail("accuracy-aware quantization needs evaluation samples; there are none");
  if (!options_.agreement && targets_.size() != samples.count)
    fail("accuracy-aware quantization: ", samples.count, " evaluation samples but ", targets_.size(),
         " labels (without labels, use the agreement metric)");
  samples_.reserve(samples.count);
  for (size_t i = 0; i < samples.count; ++i) {
    std::vector<Tensor> s = samples.get(i);
    for (Tensor& t : s)
      if (t.dtype != DType::kFloat32) t = convert_tensor(t, DType::kFloat32);
    samples_.push_back(std::move(s));
  }
  batch_ = options_.input_shapes.empty() && batch_is_dynamic(original_) ? std::max(1, options_.batch) : 1;
  batch_ = static_cast<int>(std::min<size_t>(static_cast<size_t>(batch_), samples_.size()));
  threads_ = options_.threads > 0 ? options_.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CompiledModel SearchEvaluator::compile(const ir::Graph& graph, int threads) const {
  CompileOptions options;
  options.threads = threads;
  options.batch = batch_;
  Model model(with_original_dims(graph, original_));
  // Open dims beyond the batch (an image's height and width) at the samples' own shape.
  options.input_shapes = samples_.empty() ? options_.input_shapes
                                          : shapes_for_sample(model.inputs(), samples_[0], options_.input_shapes, batch_);
  return CompiledModel::compile(model, options);
}

SampleOutcomes SearchEvaluator::run(const ir::Graph& graph, const std::vector<size_t>& subset) {
  std::vector<size_t> order = subset;
  if (order.empty()) {
    order.resize(samples_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  }
  if (!options_.agreement || !reference_.hit.empty())
    for (size_t i : order)
      if (i >= targets_.size()) fail("accuracy-aware quantization: evaluation sample ", i, " has no target");
  ++runs_;
  // Samples, not layers, are shared out: one single-threaded compiled model per worker, each
  // taking every workers-th batch. Small models at small batches gain little from threads
  // inside a layer, and a barrier per layer stalls whenever another process holds a core.
  const size_t batches = (order.size() + static_cast<size_t>(batch_) - 1) / static_cast<size_t>(batch_);
  const size_t workers = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads_), batches));
  std::vector<CompiledModel> models;
  for (size_t w = 0; w < workers; ++w) models.push_back(compile(graph, 1));
  SampleOutcomes out;
  out.hit.assign(order.size(), 0);
  out.p_target.assign(order.size(), 0.0f);
  std::vector<int64_t> top1(order.size(), 0);  // for the reference run with agreement
  auto work = [&](size_t w) {
    for (size_t bi = w; bi < batches; bi += workers) {
      const size_t begin = bi * static_cast<size_t>(batch_);
      const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_));
      const std::vector<Tensor> outputs = models[w].run(stack(samples_, order, begin, end, batch_));
      const Tensor& logits = outputs.at(0);
      if (logits.dtype != DType::kFloat32 || logits.numel() % batch_ != 0)
        fail("accuracy-aware quantization: output 0 of graph '", graph.name, "' is not float class scores per sample");
      const int64_t classes = logits.numel() / batch_;
      for (size_t r = 0; r < end - begin; ++r) {
        const float* row = logits.data<float>() + static_cast<int64_t>(r) * classes;
        const int64_t best = std::max_element(row, row + classes) - row;
        const size_t sample = order[begin + r];
        const int64_t target = sample < targets_.size() ? targets_[sample] : best;
        if (target < 0 || target >= classes)
          fail("accuracy-aware quantization: label ", target, " of evaluation sample ", sample,
               " is outside the model's ", classes, " classes");
        double denom = 0;
        for (int64_t c = 0; c < classes; ++c) denom += std::exp(static_cast<double>(row[c] - row[best]));
        out.hit[begin + r] = best == target ? 1 : 0;
        out.p_target[begin + r] = static_cast<float>(std::exp(static_cast<double>(row[target] - row[best])) / denom);
        top1[begin + r] = best;
      }
    }
  };
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w)
    pool.emplace_back([&, w] {
      try { work(w); } catch (...) { errors[w] = std::current_exception(); }
    });
  try { work(0); } catch (...) { errors[0] = std::current_exception(); }
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  if (options_.agreement && reference_.hit.empty() && subset.empty()) targets_ = top1;
  if (options_.metric_fn && subset.empty()) {
    const int saved = batch_;
    batch_ = 1;
    CompiledModel model = compile(graph, options_.threads);
    batch_ = saved;
    MetricValue v = options_.metric_fn(model);
    if (!std::isfinite(v.value)) fail("accuracy-aware quantization: the metric returned ", v.value, ", not a finite number");
    if (!v.per_sample.empty() && v.per_sample.size() != samples_.size())
      fail("accuracy-aware quantization: the metric returned ", v.per_sample.size(), " per-sample values for ",
           samples_.size(), " evaluation samples");
    out.value = v.value;
    out.per_sample = std::move(v.per_sample);
  }
  return out;
}

// Batching the optimized graph is only valid when no batch-1 shape was folded into it (a
// Reshape target computed from Shape and folded at batch 1, as in exported transformers): the
// first batch must match the same samples run one by one, else the evaluation runs at batch 1.
bool SearchEvaluator::batching_is_exact(const ir::Graph& fp32) {
  if (batch_ <= 1) return true;
  std::vector<size_t> order(static_cast<size_t>(batch_));
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<Tensor> batched;
  try {
    batched = compile(fp32, 1).run(stack(samples_, order, 0, order.size(), batch_));
  } catch (const Error&) {
    return false;
  }
  const int saved = batch_;
  batch_ = 1;
  CompiledModel single = compile(fp32, 1);
  batch_ = saved;
  const Tensor& b = batched.at(0);
  if (b.dtype != DType::kFloat32) return false;
  const int64_t row = b.numel() / saved;
  for (size_t i = 0; i < order.size(); ++i) {
    const Tensor one = single.run(samples_[i]).at(0);
    if (one.numel() != row) return false;
    for (int64_t k = 0; k < row; ++k) {
      const float x = one.data<float>()[k], y = b.data<float>()[static_cast<int64_t>(i) * row + k];
      if (std::fabs(x - y) > 1e-4f * (1.0f + std::fabs(x))) return false;
    }
  }
  return true;
}

const SampleOutcomes& SearchEvaluator::set_reference(const ir::Graph& fp32) {
  if (!batching_is_exact(fp32)) batch_ = 1;
  reference_ = run(fp32);
  return reference_;
}

double SearchEvaluator::metric(const SampleOutcomes& o) const {
  if (!std::isnan(o.value)) return o.value;
  return o.hit.empty() ? 0.0 : static_cast<double>(o.hits()) / static_cast<double>(o.hit.size());
}

double graph_latency_ms(const ir::Graph& graph, const ir::Graph& original, const std::vector<Tensor>& inputs,
                        int threads, int runs) {
  CompileOptions options;
  options.threads = threads;
  options.batch = 1;
  Model model(with_original_dims(graph, original));
  options.input_shapes = shapes_for_sample(model.inputs(), inputs);
  CompiledModel compiled = CompiledModel::compile(model, options);
  return median_latency_ms(compiled, inputs, runs);
}

int64_t graph_weight_bytes(const ir::Graph& graph) {
  std::set<const Tensor*> seen;
  int64_t bytes = 0;
  for (const ir::Value& v : graph.values)
    if (v.data && seen.insert(v.data.get()).second) bytes += static_cast<int64_t>(v.data->bytes.size());
  return bytes;
}

}  // namespace octet::quant
