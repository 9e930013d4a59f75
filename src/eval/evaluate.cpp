// evaluate(): runs a compiled model (and optionally a reference) over a dataset in batches of
// the compiled batch size and feeds a Metric. The next batch is loaded on a second thread
// while the model runs, so decoding images overlaps inference.
#include <chrono>
#include <future>

#include "octet/eval.hpp"

namespace octet {
namespace {

struct LoadedBatch {
  std::vector<Sample> samples;               // good samples, in order
  std::vector<std::string> names;            // their names (file or array[index]), for messages
  std::vector<std::string> skipped;          // messages of bad ones
};

LoadedBatch load(const Dataset& data, const std::vector<size_t>& indices, size_t begin, size_t end, bool skip_bad) {
  LoadedBatch b;
  for (size_t i = begin; i < end; ++i) {
    try {
      b.samples.push_back(data.sample(indices[i]));
      b.names.push_back(data.sample_name(indices[i]));
    } catch (const BadSampleError& e) {
      if (!skip_bad) throw;
      b.skipped.push_back(e.what());
    }
  }
  return b;
}

void check_fit(const CompiledModel& model, const char* which, const Sample& s, const std::vector<size_t>& order,
               const Dataset& data, const std::string& sample_name) {
  for (size_t m = 0; m < order.size(); ++m) {
    const ValueInfo& want = model.inputs()[m];
    const Tensor& got = s.inputs.at(order[m]);
    bool fits = got.shape.size() == want.shape.size() && !got.shape.empty();
    for (size_t d = 1; fits && d < got.shape.size(); ++d) fits = got.shape[d] == want.shape[d];
    if (!fits)
      fail(which, " input '", want.name, "' takes ", shape_str(want.shape), " (batch first); dataset ", data.describe(),
           " gives ", shape_str(got.shape), " for ", sample_name,
           " (check the preprocessing: resize, crop, grayscale, layout)");
  }
}

// Stacks samples into the model's inputs, padding to `batch` rows with the last sample.
std::vector<Tensor> stack(const std::vector<Sample>& samples, const std::vector<size_t>& order, int64_t batch) {
  std::vector<Tensor> inputs;
  for (size_t src : order) {
    const Tensor& first = samples[0].inputs[src];
    Shape shape = first.shape;
    shape[0] = batch;
    Tensor t(first.dtype, shape);
    const size_t row = first.bytes.size();
    for (int64_t r = 0; r < batch; ++r) {
      const Tensor& s = samples[std::min<size_t>(r, samples.size() - 1)].inputs[src];
      if (s.bytes.size() != row || s.dtype != first.dtype)
        fail("samples in one batch differ in shape or type: ", shape_str(s.shape), " vs ", shape_str(first.shape));
      std::memcpy(t.bytes.data() + r * row, s.bytes.data(), row);
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

// Keeps the first `rows` rows of outputs whose dim 0 is the batch.
void trim(std::vector<Tensor>& outputs, int64_t batch, int64_t rows) {
  if (rows == batch) return;
  for (Tensor& t : outputs) {
    if (t.shape.empty() || t.shape[0] != batch)
      fail("output of shape ", shape_str(t.shape), " has no batch dim; evaluate it with a batch of 1");
    const size_t row = t.bytes.size() / static_cast<size_t>(batch);
    t.shape[0] = rows;
    t.bytes.resize(row * static_cast<size_t>(rows));
  }
}

}  // namespace

EvalResult evaluate(CompiledModel& model, const Dataset& data, Metric& metric, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (metric.needs_labels() && !data.has_labels())
    fail("metric '", metric.name(), "' needs labels; dataset ", data.describe(),
         " has none (give labels, or compare with a reference model: metric agreement)");
  if (metric.needs_reference() && !options.reference)
    fail("metric '", metric.name(), "' compares with a reference model; none was given");
  if (model.inputs().empty()) fail("the model has no inputs");
  const int64_t batch = model.inputs()[0].shape.empty() ? 0 : model.inputs()[0].shape[0];
  if (batch <= 0) fail("model input '", model.inputs()[0].name, "' has no fixed batch dim (compile with a batch size)");
  for (const ValueInfo& v : model.inputs())
    if (v.shape.empty() || v.shape[0] != batch)
      fail("model inputs disagree on the batch size: '", v.name, "' is ", shape_str(v.shape));
  if (options.reference) {
    const auto& ref = options.reference->inputs();
    if (ref.size() != model.inputs().size() || ref[0].shape != model.inputs()[0].shape)
      fail("the reference model takes ", ref.empty() ? std::string("no inputs") : shape_str(ref[0].shape),
           ", the model ", shape_str(model.inputs()[0].shape), "; they must take the same inputs");
  }
  const std::vector<size_t> order = dataset_input_order(data, model.inputs());
  const std::vector<size_t> indices = sample_indices(data.size(), options.subset, options.seed);

  EvalResult result;
  result.metric = metric.name();
  metric.reset();
  const size_t n = indices.size(), step = static_cast<size_t>(batch);
  auto launch = [&](size_t begin) {
    return std::async(std::launch::async, load, std::cref(data), std::cref(indices), begin, std::min(n, begin + step),
                      options.skip_bad);
  };
  std::future<LoadedBatch> next = launch(0);
  for (size_t begin = 0; begin < n; begin += step) {
    LoadedBatch b = next.get();
    if (begin + step < n) next = launch(begin + step);
    for (std::string& m : b.skipped) {
      ++result.skipped;
      if (result.skipped_messages.size() < 10) result.skipped_messages.push_back(std::move(m));
    }
    if (!b.samples.empty()) {
      // Every sample, not only the first: an image folder of mixed sizes is named at the odd file.
      for (size_t k = 0; k < b.samples.size(); ++k) {
        check_fit(model, "model", b.samples[k], order, data, b.names[k]);
        if (options.reference) check_fit(*options.reference, "reference model", b.samples[k], order, data, b.names[k]);
      }
      const int64_t rows = static_cast<int64_t>(b.samples.size());
      const std::vector<Tensor> inputs = stack(b.samples, order, batch);
      std::vector<Tensor> outputs = model.run(inputs), reference;
      trim(outputs, batch, rows);
      if (options.reference) {
        reference = options.reference->run(inputs);
        trim(reference, batch, rows);
      }
      std::vector<int64_t> labels;
      if (data.has_labels())
        for (const Sample& s : b.samples) labels.insert(labels.end(), s.labels.begin(), s.labels.end());
      try {
        metric.update(outputs, reference, labels);
      } catch (const Error& e) {  // a label out of range: say in which samples
        fail(e.what(), " (in ", b.names.size() == 1 ? b.names[0] : cat(b.names.front(), " ... ", b.names.back()), ")");
      }
      result.samples += b.samples.size();
    }
    if (options.progress) options.progress(std::min(n, begin + step), n);
  }
  if (result.samples == 0) fail("dataset ", data.describe(), ": no sample could be read (", result.skipped, " skipped)");
  result.value = metric.result();
  result.details = metric.details();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace octet
