// Header parsers for the common image formats, just far enough to find the dimensions; see
// image_header.hpp. Only the first 64 KB are read (JPEG's SOF marker comes after the EXIF and
// ICC segments, which rarely exceed that).
#include "data/image_header.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/limits.hpp"
#include "octet/error.hpp"

namespace octet::data {
namespace {

uint32_t be16(const unsigned char* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t be32(const unsigned char* p) { return (be16(p) << 16) | be16(p + 2); }
uint32_t le16(const unsigned char* p) { return (uint32_t(p[1]) << 8) | p[0]; }
uint32_t le24(const unsigned char* p) { return (uint32_t(p[2]) << 16) | le16(p); }
uint32_t le32(const unsigned char* p) { return (le16(p + 2) << 16) | le16(p); }

std::optional<ImageSize> jpeg_size(const unsigned char* p, size_t n) {
  size_t i = 2;
  while (i + 9 < n) {
    if (p[i] != 0xFF) return std::nullopt;
    const unsigned char marker = p[i + 1];
    if (marker == 0xFF) { ++i; continue; }  // fill byte
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
      return ImageSize{be16(p + i + 7), be16(p + i + 5)};
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
    i += 2 + be16(p + i + 2);
  }
  return std::nullopt;
}

std::optional<ImageSize> pnm_size(const std::string& head) {
  // "P6 <ws/comments> width <ws> height ..."
  std::string text;
  for (size_t i = 2; i < head.size(); ++i) {
    if (head[i] == '#') {
      while (i < head.size() && head[i] != '\n') ++i;
      text += ' ';
      continue;
    }
    text += head[i];
  }
  std::istringstream in(text);
  int64_t w = -1, h = -1;
  if (!(in >> w >> h) || w < 0 || h < 0) return std::nullopt;
  return ImageSize{w, h};
}

// The first 64 KB of the file.
std::string read_head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

bool starts_with(const std::string& head, const char* signature, size_t n) {
  return head.size() >= n && std::memcmp(head.data(), signature, n) == 0;
}

// The formats of the folder dataset's extensions (.jpg .jpeg .png .bmp .ppm .pgm .pbm .tif
// .tiff .webp), by signature.
const char* format_of(const std::string& head) {
  if (starts_with(head, "\xff\xd8\xff", 3)) return "JPEG";
  if (starts_with(head, "\x89PNG\r\n\x1a\n", 8)) return "PNG";
  if (starts_with(head, "BM", 2)) return "BMP";
  if (head.size() >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6') return "PNM";
  if (starts_with(head, "II*\0", 4) || starts_with(head, "MM\0*", 4)) return "TIFF";
  if (head.size() >= 12 && starts_with(head, "RIFF", 4) && std::memcmp(head.data() + 8, "WEBP", 4) == 0) return "WebP";
  return nullptr;
}

std::optional<ImageSize> size_from_head(const std::string& head) {
  const auto* p = reinterpret_cast<const unsigned char*>(head.data());
  const size_t n = head.size();
  if (n >= 24 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return ImageSize{be32(p + 16), be32(p + 20)};
  if (n >= 4 && p[0] == 0xFF && p[1] == 0xD8) return jpeg_size(p, n);
  if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
    const int32_t w = static_cast<int32_t>(le32(p + 18)), h = static_cast<int32_t>(le32(p + 22));
    // A negative height means top-down rows.
    return ImageSize{w < 0 ? -int64_t{w} : w, h < 0 ? -int64_t{h} : h};
  }
  if (n >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6') return pnm_size(head);
  if (n >= 30 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
    if (std::memcmp(p + 12, "VP8X", 4) == 0) return ImageSize{int64_t{le24(p + 24)} + 1, int64_t{le24(p + 27)} + 1};
    if (std::memcmp(p + 12, "VP8 ", 4) == 0) return ImageSize{le16(p + 26) & 0x3FFF, le16(p + 28) & 0x3FFF};
    if (std::memcmp(p + 12, "VP8L", 4) == 0) {
      const uint32_t bits = le32(p + 21);
      return ImageSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ImageSize> peek_image_size(const std::string& path) { return size_from_head(read_head(path)); }

void check_image_header(const std::string& path) {
  const std::string head = read_head(path);
  if (format_of(head) == nullptr)
    fail(path, ": not a JPEG, PNG, BMP, PNM, TIFF or WebP file (its first bytes match none of them); "
               "octet decodes only those formats");
  const std::optional<ImageSize> size = size_from_head(head);
  if (!size) return;
  if (size->width > kMaxImagePixels || size->height > kMaxImagePixels ||
      size->width * size->height > kMaxImagePixels)
    fail(path, ": image header says ", size->width, " x ", size->height, " pixels, over octet's limit of ",
         kMaxImagePixels, " pixels per image; refusing to decode it");
}

}  // namespace octet::data
