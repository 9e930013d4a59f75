// cv::imencode behind encode_image; see image_io.hpp.
#include "data/image_io.hpp"

#include <vector>

#include "data/opencv.hpp"
#include "octet/error.hpp"

namespace octet::data {

std::string encode_image(const uint8_t* pixels, int height, int width, int channels, const std::string& ext) {
  if (channels != 1 && channels != 3 && channels != 4) fail("encode_image: ", channels, " channels (want 1, 3 or 4)");
  const cv::Mat rgb(height, width, CV_8UC(channels), const_cast<uint8_t*>(pixels));
  cv::Mat bgr = rgb;
  if (channels == 3) cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (channels == 4) cv::cvtColor(rgb, bgr, cv::COLOR_RGBA2BGRA);
  std::vector<uint8_t> out;
  // Best JPEG quality, so tests can compare decoded pixels closely.
  std::vector<int> params;
  if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, 100};
  if (!cv::imencode(ext, bgr, out, params)) fail("encode_image: OpenCV cannot encode '", ext, "'");
  return std::string(out.begin(), out.end());
}

}  // namespace octet::data
