// Pre-processed samples in .npy files, one file per model input, memory-mapped: sample i is
// a copy of row i, so a 10 GB calibration set costs only the rows actually used.
#include <memory>

#include "data/datasets.hpp"
#include "data/labels.hpp"
#include "data/mapped_file.hpp"
#include "data/npy.hpp"

namespace octet::data {
namespace {

class NpyDataset : public Dataset {
 public:
  struct Input {
    std::string name, path;
    std::unique_ptr<MappedFile> file;
    NpyHeader header;
    size_t row_bytes = 0;
  };

  NpyDataset(const std::vector<std::pair<std::string, std::string>>& specs, const std::string& labels_path) {
    if (specs.empty()) fail("no .npy file given");
    for (const auto& [name, path] : specs) {
      Input in;
      in.name = name;
      in.path = path;
      in.file = std::make_unique<MappedFile>(path);
      in.header = parse_npy_header(in.file->data(), in.file->size(), path);
      // Any numeric dtype, as `octet run` takes: the engine converts to the model input's dtype
      // (float64 features to float32), and token ids stay int64.
      const DType dt = in.header.dtype;
      if (in.header.shape.empty()) fail(path, ": a scalar is not a dataset; want N samples on axis 0");
      in.row_bytes = dtype_size(dt);
      for (size_t d = 1; d < in.header.shape.size(); ++d) in.row_bytes *= static_cast<size_t>(in.header.shape[d]);
      inputs_.push_back(std::move(in));
    }
    size_ = static_cast<size_t>(inputs_[0].header.shape[0]);
    for (const Input& in : inputs_)
      if (static_cast<size_t>(in.header.shape[0]) != size_)
        fail(in.path, ": holds ", in.header.shape[0], " samples but ", inputs_[0].path, " holds ", size_);
    if (size_ == 0) fail(inputs_[0].path, ": holds no samples (axis 0 is 0)");
    if (!labels_path.empty()) {
      labels_ = read_labels(labels_path);
      if (labels_.size() != size_)
        fail(labels_path, ": ", labels_.size(), " labels for ", size_, " samples in ", inputs_[0].path);
    }
  }

  size_t size() const override { return size_; }
  bool has_labels() const override { return !labels_.empty(); }
  std::vector<std::string> input_names() const override {
    std::vector<std::string> names;
    for (const Input& in : inputs_) names.push_back(in.name);
    return names;
  }
  std::string describe() const override {
    std::string s;
    for (const Input& in : inputs_) s += (s.empty() ? "" : ", ") + (in.name.empty() ? "" : in.name + "=") + in.path;
    return cat(s, " (", size_, " samples", labels_.empty() ? "" : ", labelled", ")");
  }
  std::string sample_name(size_t i) const override { return cat(inputs_[0].path, "[", i, "]"); }

  Sample sample(size_t i) const override {
    if (i >= size_) fail(describe(), ": sample ", i, " is out of range");
    Sample s;
    for (const Input& in : inputs_) {
      Shape shape = in.header.shape;
      shape[0] = 1;
      Tensor t(in.header.dtype, shape);
      std::memcpy(t.bytes.data(), in.file->data() + in.header.data_offset + i * in.row_bytes, in.row_bytes);
      s.inputs.push_back(std::move(t));
    }
    if (!labels_.empty()) s.labels.push_back(labels_[i]);
    return s;
  }

 private:
  std::vector<Input> inputs_;
  std::vector<int64_t> labels_;
  size_t size_ = 0;
};

}  // namespace

std::shared_ptr<Dataset> make_npy_dataset(const std::vector<std::pair<std::string, std::string>>& inputs,
                                          const std::string& labels_path) {
  return std::make_shared<NpyDataset>(inputs, labels_path);
}

}  // namespace octet::data
