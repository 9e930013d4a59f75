// IDX datasets (MNIST, Fashion-MNIST): uint8 images go through the same preprocessing as
// decoded image files (wrapped as cv::Mat without a copy); other IDX arrays are fed as is.
#include "data/opencv.hpp"

#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "data/image_preprocess.hpp"
#include "data/labels.hpp"

namespace octet::data {
namespace {

class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& images_path, const std::string& labels_path, const Preprocess& preprocess,
             std::string display_name)
      : name_(std::move(display_name)), preprocess_(preprocess) {
    images_ = IdxArray::open(images_path);
    const Shape& shape = images_->shape();
    size_ = static_cast<size_t>(shape[0]);
    if (size_ == 0) fail(images_path, ": holds no samples");
    is_image_ = images_->dtype() == DType::kUInt8 &&
                (shape.size() == 3 || (shape.size() == 4 && (shape[3] == 1 || shape[3] == 3)));
    if (is_image_) check_preprocess(preprocess_, shape.size() == 4 && !preprocess.grayscale ? int(shape[3]) : 1, images_path);
    if (!labels_path.empty()) {
      labels_ = read_labels(labels_path);
      if (labels_.size() != size_)
        fail(labels_path, ": ", labels_.size(), " labels for ", size_, " images in ", images_path);
    }
    if (name_.empty()) name_ = images_path;
  }

  size_t size() const override { return size_; }
  bool has_labels() const override { return !labels_.empty(); }
  std::string describe() const override {
    return cat(name_, " (", size_, " ", is_image_ ? "images" : "samples", labels_.empty() ? "" : ", labelled", ")");
  }
  std::string sample_name(size_t i) const override { return cat(images_->path(), "[", i, "]"); }

  Sample sample(size_t i) const override {
    if (i >= size_) fail(describe(), ": sample ", i, " is out of range");
    Sample s;
    const Shape& shape = images_->shape();
    if (is_image_) {
      const int channels = shape.size() == 4 ? static_cast<int>(shape[3]) : 1;
      // OpenCV wants a non-const pointer for a header over foreign data; it is only read.
      const cv::Mat image(static_cast<int>(shape[1]), static_cast<int>(shape[2]), CV_8UC(channels),
                          const_cast<uint8_t*>(images_->record(i)));
      if (channels == 3) {
        // IDX color records are RGB; preprocess_image takes OpenCV's BGR.
        cv::Mat bgr;
        cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
        s.inputs.push_back(preprocess_image(bgr, preprocess_, sample_name(i)));
      } else {
        s.inputs.push_back(preprocess_image(image, preprocess_, sample_name(i)));
      }
    } else {
      Shape one = shape;
      one[0] = 1;
      Tensor t(images_->dtype(), one);
      std::memcpy(t.bytes.data(), images_->record(i), images_->record_bytes());
      s.inputs.push_back(std::move(t));
    }
    if (!labels_.empty()) s.labels.push_back(labels_[i]);
    return s;
  }

 private:
  std::string name_;
  Preprocess preprocess_;
  std::shared_ptr<const IdxArray> images_;
  std::vector<int64_t> labels_;
  size_t size_ = 0;
  bool is_image_ = false;
};

}  // namespace

std::shared_ptr<Dataset> make_idx_dataset(const std::string& images_path, const std::string& labels_path,
                                          const Preprocess& preprocess, const std::string& display_name) {
  return std::make_shared<IdxDataset>(images_path, labels_path, preprocess, display_name);
}

}  // namespace octet::data
