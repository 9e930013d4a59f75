// Datasets: where calibration and evaluation samples come from. A Dataset has a size and
// returns sample i, preprocessed and ready to feed a model, with its label when it has one.
// Samples are produced on demand (files are memory-mapped or read once), so iterating a
// seeded subset of N samples costs N samples' work, whatever the dataset's size.
//
//   auto data = octet::open_dataset("fashion-mnist:test");          // or "x.npy", "images/"
//   for (size_t i : octet::sample_indices(data->size(), 300, 42))   // seeded subset, sorted
//     octet::Sample s = data->sample(i);                            // inputs [1,...], label
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "octet/engine.hpp"
#include "octet/error.hpp"
#include "octet/tensor.hpp"

namespace octet {

// Thrown for one unreadable or corrupt sample (an image that does not decode); the message
// names the file. The evaluator can skip these (--skip-bad); every other Error is fatal.
class BadSampleError : public Error {
 public:
  using Error::Error;
};

enum class Interpolation : uint8_t { kNearest, kLinear, kCubic, kArea };
enum class Layout : uint8_t { kNCHW, kNHWC };

// How an 8-bit image (decoded file or IDX record) becomes a model input, in this order:
//   grayscale? -> resize (shorter side or exact) -> center crop -> channel order ->
//   float: x * scale, then (x - mean[c]) / std[c] -> layout, with a leading batch dim of 1.
// The same struct drives calibration and evaluation. Pre-processed .npy data is fed as is.
struct Preprocess {
  int resize_shorter = 0;                         // > 0: scale so the shorter side is this
  int resize_height = 0, resize_width = 0;        // > 0: resize to exactly this (wins over shorter)
  Interpolation interpolation = Interpolation::kLinear;
  int crop_height = 0, crop_width = 0;            // > 0: center crop to this
  bool grayscale = false;                         // convert color images to one channel
  bool bgr = false;                               // channel order fed to the model (default RGB)
  float scale = 1.0f;                             // applied to the 0..255 values first
  std::vector<float> mean, std;                   // one value, or one per channel; empty: 0 and 1
  Layout layout = Layout::kNCHW;

  // JSON object with the keys above (resize_shorter, resize: [h,w], interpolation: "linear",
  // crop: [h,w], grayscale, color: "rgb"|"bgr"|"gray", scale, mean, std, layout: "NCHW").
  // Unknown keys are an error naming them. from_json fills only the keys present.
  static Preprocess from_json(const std::string& json, const std::string& origin);
  void merge_json(const std::string& json, const std::string& origin);
  std::string to_json() const;
  // The "octet.preprocess" metadata entry of a model (models/ carry it), if any.
  static std::optional<Preprocess> from_model(const Model& model);
  // What a model's samples get: its metadata with `json` (a flag's value; may be empty) merged
  // over it; none when there is neither. `origin` names `json` in errors.
  static std::optional<Preprocess> for_model(const Model& model, const std::string& json, const std::string& origin);
  // One line for reports: "scale 0.00392 mean [0.286] std [0.353] NCHW".
  std::string describe() const;
};

// One sample, or a batch of them: one tensor per model input with the batch on dim 0, and one
// label per batch row (empty when the dataset has no labels).
struct Sample {
  std::vector<Tensor> inputs;
  std::vector<int64_t> labels;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  // Sample i with batch dim 1. Throws BadSampleError for an unreadable sample, Error for an
  // index out of range. Safe to call from several threads at once.
  virtual Sample sample(size_t index) const = 0;
  virtual bool has_labels() const = 0;
  // Model input names the tensors are meant for ("" each when positional: input order).
  virtual std::vector<std::string> input_names() const { return {""}; }
  // "fashion-mnist:test (10000 samples)" for reports; sample_name(i) names one in messages
  // ("images/cat/3.jpg", "x.npy[12]").
  virtual std::string describe() const = 0;
  virtual std::string sample_name(size_t index) const = 0;
};

// Opens a dataset from a spec:
//   fashion-mnist, fashion-mnist:test, fashion-mnist:train   (Debian's dataset-fashion-mnist)
//   FILE.npy | NAME=FILE.npy,NAME2=FILE2.npy                 (preprocessed, N on axis 0)
//   FILE (IDX, e.g. t10k-images-idx3-ubyte[.gz])             (images, or vectors)
//   FOLDER                                                   (JPEG/PNG; class sub-folders)
// `labels` (optional): FILE.npy of integers, an IDX labels file, or a text file of "LABEL"
// or "PATH LABEL" lines (ImageNet style, paths relative to FOLDER: that list then defines
// the samples). `preprocess` applies to images (IDX and folders); None means the dataset's
// default (fashion-mnist: scale 1/255). Errors name the file.
std::shared_ptr<Dataset> open_dataset(const std::string& spec, const std::string& labels = "",
                                      const std::optional<Preprocess>& preprocess = std::nullopt);

// The files a spec reads ("x=a.npy,y=b.npy": a.npy and b.npy; "fashion-mnist": none), so
// that no output can overwrite one.
std::vector<std::string> dataset_files(const std::string& spec);

// The spec with its relative file paths taken from `base_dir` (a config file's folder).
std::string resolve_dataset_spec(const std::string& spec, const std::string& base_dir);

// Which dataset tensor feeds each model input: by name when the dataset names its tensors
// (NAME=FILE.npy), else by position. The one rule of quantize and eval: a count that differs or
// a name the model lacks is an error naming the model's inputs.
std::vector<size_t> dataset_input_order(const Dataset& data, const std::vector<ValueInfo>& model_inputs);

// The tensors of `sample` that feed `model_inputs`, in their order (`order` from
// dataset_input_order). A tensor one rank above its input, with a leading 1, is that input
// whole: a .npy that holds whole inputs on axis 0 ([N,2,1,64] for a recurrent state [2,1,64],
// [N] for a scalar) feeds inputs that have no batch dim. Calibration and the accuracy-aware
// search read samples through it; eval stacks samples on dim 0, so it needs that dim.
std::vector<Tensor> model_inputs_of(Sample sample, const std::vector<size_t>& order,
                                    const std::vector<ValueInfo>& model_inputs);

// `n` indices out of [0, size) chosen by a seeded shuffle, sorted (so files stream in order);
// all of them when n == 0 or n >= size. The same (size, n, seed) always gives the same set.
std::vector<size_t> sample_indices(size_t size, size_t n, uint64_t seed);

// The samples at `indices` stacked into one batch (dim 0 = indices.size()).
Sample load_batch(const Dataset& data, const std::vector<size_t>& indices);

// Writes inputs (one .npy per input: `path_prefix`.npy or `path_prefix`_NAME.npy) and labels
// (`labels_path`, int64, if the dataset has them) of the samples at `indices`, preprocessed:
// a dataset turned into the .npy form once and reused.
void write_dataset_npy(const Dataset& data, const std::vector<size_t>& indices, const std::string& inputs_path,
                       const std::string& labels_path);

}  // namespace octet
