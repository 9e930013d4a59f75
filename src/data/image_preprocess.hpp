// Applies a Preprocess to one decoded 8-bit image. Internal: OpenCV types stay out of the
// public headers. Used by the IDX and image-folder datasets so both share one code path.
#pragma once
#include "data/opencv.hpp"
#include <string>

#include "octet/data.hpp"

namespace octet::data {

// `image`: 8-bit, 1 channel, or 3 (BGR, as OpenCV decodes), or 4 (BGRA; alpha dropped).
// Returns float32 [1,C,H,W] (or [1,H,W,C]). `origin` names the sample in errors.
Tensor preprocess_image(const cv::Mat& image, const Preprocess& p, const std::string& origin);

// Checks what does not depend on the pixels (mean/std lengths for `channels` channels, crop
// against an exact resize); datasets call it once when they open.
void check_preprocess(const Preprocess& p, int channels, const std::string& origin);

}  // namespace octet::data
