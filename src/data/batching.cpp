// Seeded subsets, batches and the .npy export of a dataset: the few helpers calibration and
// evaluation share, so both pick the same samples for the same seed.
#include <algorithm>
#include <filesystem>

#include "data/npy.hpp"
#include "octet/data.hpp"

namespace octet {
namespace {

// splitmix64: a tiny, well-mixed generator whose output is the same on every platform
// (std::uniform_int_distribution is not), so a seed names the same subset everywhere.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<size_t> sample_indices(size_t size, size_t n, uint64_t seed) {
  std::vector<size_t> all(size);
  for (size_t i = 0; i < size; ++i) all[i] = i;
  if (n == 0 || n >= size) return all;
  // A partial Fisher-Yates shuffle: the first n slots end up a uniform random n-subset.
  uint64_t state = seed;
  for (size_t i = 0; i < n; ++i) {
    const size_t j = i + static_cast<size_t>(splitmix64(state) % (size - i));
    std::swap(all[i], all[j]);
  }
  all.resize(n);
  std::sort(all.begin(), all.end());
  return all;
}

Sample load_batch(const Dataset& data, const std::vector<size_t>& indices) {
  Sample batch;
  if (indices.empty()) return batch;
  std::vector<Shape> first_shapes;
  for (size_t k = 0; k < indices.size(); ++k) {
    Sample s = data.sample(indices[k]);
    if (k == 0) {
      for (const Tensor& t : s.inputs) {
        first_shapes.push_back(t.shape);
        Shape shape = t.shape;
        if (shape.empty()) shape = {1};
        shape[0] = static_cast<int64_t>(indices.size());
        batch.inputs.emplace_back(t.dtype, shape);
      }
    }
    if (s.inputs.size() != batch.inputs.size()) fail(data.sample_name(indices[k]), ": wrong number of inputs");
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      Tensor& dst = batch.inputs[i];
      const Tensor& src = s.inputs[i];
      const size_t row = dst.bytes.size() / indices.size();
      if (src.shape != first_shapes[i] || src.dtype != dst.dtype)
        fail(data.sample_name(indices[k]), ": shape ", shape_str(src.shape), " ", dtype_name(src.dtype), " differs from ",
             data.sample_name(indices[0]), "'s ", shape_str(first_shapes[i]), " ", dtype_name(dst.dtype),
             "; samples in a batch must agree (set a resize or crop)");
      std::memcpy(dst.bytes.data() + k * row, src.bytes.data(), row);
    }
    batch.labels.insert(batch.labels.end(), s.labels.begin(), s.labels.end());
  }
  return batch;
}

void write_dataset_npy(const Dataset& data, const std::vector<size_t>& indices, const std::string& inputs_path,
                       const std::string& labels_path) {
  if (indices.empty()) fail(inputs_path, ": no samples to write");
  const Sample all = load_batch(data, indices);
  const std::vector<std::string> names = data.input_names();
  for (size_t i = 0; i < all.inputs.size(); ++i) {
    std::string path = inputs_path;
    if (all.inputs.size() > 1) {
      // Several inputs: one file each, named after the input (or its position).
      const std::string tag = i < names.size() && !names[i].empty() ? names[i] : std::to_string(i);
      const std::filesystem::path p(inputs_path);
      path = (p.parent_path() / (p.stem().string() + "_" + tag + ".npy")).string();
    }
    data::write_npy(path, all.inputs[i]);
  }
  if (!labels_path.empty() && !all.labels.empty())
    data::write_npy(labels_path, Tensor::from_vector(DType::kInt64, {static_cast<int64_t>(all.labels.size())}, all.labels));
}

}  // namespace octet
