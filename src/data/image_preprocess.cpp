// The image half of preprocessing: color, resize, crop (OpenCV imgproc), then the float
// arithmetic in the exact order the training script used, x * scale then (x - mean) / std,
// so accuracies computed by PyTorch reproduce to the sample.
#include "data/image_preprocess.hpp"


#include <cmath>

namespace octet::data {
namespace {

int cv_interpolation(Interpolation i) {
  switch (i) {
    case Interpolation::kNearest: return cv::INTER_NEAREST;
    case Interpolation::kLinear: return cv::INTER_LINEAR;
    case Interpolation::kCubic: return cv::INTER_CUBIC;
    case Interpolation::kArea: return cv::INTER_AREA;
  }
  return cv::INTER_LINEAR;
}

}  // namespace

void check_preprocess(const Preprocess& p, int channels, const std::string& origin) {
  auto check_len = [&](const std::vector<float>& v, const char* what) {
    if (v.size() > 1 && v.size() != static_cast<size_t>(channels))
      fail(origin, ": preprocess ", what, " has ", v.size(), " values; want 1 or one per channel (", channels, ")");
  };
  check_len(p.mean, "mean");
  check_len(p.std, "std");
  if (p.resize_height > 0 && p.crop_height > 0 && (p.crop_height > p.resize_height || p.crop_width > p.resize_width))
    fail(origin, ": preprocess crops ", p.crop_height, "x", p.crop_width, " out of a ", p.resize_height, "x",
         p.resize_width, " resize");
}

Tensor preprocess_image(const cv::Mat& src, const Preprocess& p, const std::string& origin) {
  if (src.empty() || src.depth() != CV_8U) fail(origin, ": not an 8-bit image");
  cv::Mat img = src;
  if (img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_BGRA2BGR);
  if (img.channels() == 3 && p.grayscale) cv::cvtColor(img, img, cv::COLOR_BGR2GRAY);
  if (img.channels() != 1 && img.channels() != 3) fail(origin, ": image has ", img.channels(), " channels");

  // Geometry.
  int h = img.rows, w = img.cols;
  if (p.resize_height > 0) {
    h = p.resize_height;
    w = p.resize_width;
  } else if (p.resize_shorter > 0) {
    // The shorter side becomes resize_shorter; the other keeps the aspect ratio (rounded).
    if (h <= w) {
      w = static_cast<int>(std::lround(double(w) * p.resize_shorter / h));
      h = p.resize_shorter;
    } else {
      h = static_cast<int>(std::lround(double(h) * p.resize_shorter / w));
      w = p.resize_shorter;
    }
  }
  if (h != img.rows || w != img.cols) {
    cv::Mat resized;
    cv::resize(img, resized, cv::Size(w, h), 0, 0, cv_interpolation(p.interpolation));
    img = resized;
  }
  if (p.crop_height > 0) {
    if (p.crop_height > img.rows || p.crop_width > img.cols)
      fail(origin, ": image is ", img.rows, "x", img.cols, " after resizing, smaller than the ", p.crop_height, "x",
           p.crop_width, " crop");
    const int top = (img.rows - p.crop_height) / 2, left = (img.cols - p.crop_width) / 2;
    img = img(cv::Rect(left, top, p.crop_width, p.crop_height));
  }

  // Values and layout.
  const int C = img.channels(), H = img.rows, W = img.cols;
  auto per_channel = [&](const std::vector<float>& v, int c, float fallback) {
    return v.empty() ? fallback : v.size() == 1 ? v[0] : v.at(static_cast<size_t>(c));
  };
  float mean[3], stdev[3];
  for (int c = 0; c < C; ++c) {
    if (!p.mean.empty() && p.mean.size() != 1 && p.mean.size() != static_cast<size_t>(C))
      fail(origin, ": preprocess mean has ", p.mean.size(), " values for a ", C, "-channel image");
    if (!p.std.empty() && p.std.size() != 1 && p.std.size() != static_cast<size_t>(C))
      fail(origin, ": preprocess std has ", p.std.size(), " values for a ", C, "-channel image");
    mean[c] = per_channel(p.mean, c, 0.0f);
    stdev[c] = per_channel(p.std, c, 1.0f);
  }
  const bool nchw = p.layout == Layout::kNCHW;
  Tensor t(DType::kFloat32, nchw ? Shape{1, C, H, W} : Shape{1, H, W, C});
  float* dst = t.data<float>();
  for (int y = 0; y < H; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < W; ++x) {
      for (int c = 0; c < C; ++c) {
        // OpenCV holds BGR; the model wants RGB unless told otherwise. Channel c of the output
        // (in the model's order) is mean/std index c.
        const int src_c = (C == 3 && !p.bgr) ? 2 - c : c;
        const float v = static_cast<float>(row[x * C + src_c]) * p.scale;
        const float out = (v - mean[c]) / stdev[c];
        if (nchw) dst[(static_cast<size_t>(c) * H + y) * W + x] = out;
        else dst[(static_cast<size_t>(y) * W + x) * C + c] = out;
      }
    }
  }
  return t;
}

}  // namespace octet::data
