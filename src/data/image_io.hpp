// Encoding 8-bit pixels into image file bytes (PNG, JPEG, ...) with OpenCV imgcodecs, without
// OpenCV types in the interface: the tests make their image folders with it, and tools can
// dump what preprocessing saw.
#pragma once
#include <cstdint>
#include <string>

namespace octet::data {

// `pixels`: height x width x channels bytes, row-major, channels 1 (gray), 3 (RGB) or 4
// (RGBA). `ext`: ".png", ".jpg", ".bmp"... Throws Error if the codec refuses.
std::string encode_image(const uint8_t* pixels, int height, int width, int channels, const std::string& ext);

}  // namespace octet::data
