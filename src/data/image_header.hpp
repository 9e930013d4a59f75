// Image dimensions read from the file header, without decoding: the folder dataset refuses an
// image whose header claims more than kMaxImagePixels before OpenCV allocates for it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace octet::data {

struct ImageSize {
  int64_t width = 0, height = 0;
};

// Width and height from a PNG, JPEG, BMP, PNM (P1-P6) or WebP header; nullopt for other
// formats or a header too damaged to read (OpenCV then decides, with its own limit).
std::optional<ImageSize> peek_image_size(const std::string& path);

// Throws naming the file if its header claims more than kMaxImagePixels.
void check_image_size(const std::string& path);

}  // namespace octet::data
