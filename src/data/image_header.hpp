// What the folder dataset checks in an image file before OpenCV decodes it: that it is one of
// the formats octet reads, by its signature bytes, and that its header does not claim more
// than kMaxImagePixels (before OpenCV allocates for it).
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

// Throws naming the file unless it starts with the signature of a JPEG, PNG, BMP, PNM, TIFF
// or WebP file (the extensions the folder dataset lists), or if its header claims more than
// kMaxImagePixels. OpenCV picks its decoder by content, not by file name, and would hand
// anything else to decoders octet never meant to expose: a file named .png that carries a
// DICOM signature aborted inside GDCM's reader (an assert, found by fuzz/image_fuzz.cpp).
void check_image_header(const std::string& path);

}  // namespace octet::data
