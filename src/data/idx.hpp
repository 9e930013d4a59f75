// IDX files, the MNIST / Fashion-MNIST format: a big-endian header (magic 0x0000TTNN, N dims)
// followed by the elements. Plain files are memory-mapped; .gz files are inflated once with
// zlib. Multi-byte element types are byte-swapped into host order at load.
#pragma once
#include <memory>
#include <string>

#include "data/mapped_file.hpp"
#include "octet/tensor.hpp"

namespace octet::data {

class IdxArray {
 public:
  // Throws Error naming the file for a bad magic, an unknown type or a size that does not
  // match the header.
  static std::shared_ptr<const IdxArray> open(const std::string& path);
  // True if the file starts like an IDX file (after gunzip), without reading it all.
  static bool looks_like_idx(const std::string& path);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const std::string& path() const { return path_; }
  // Record i (dims 1.. of the shape), in host order.
  const uint8_t* record(size_t i) const { return data_ + i * record_bytes_; }
  size_t record_bytes() const { return record_bytes_; }

 private:
  std::string path_;
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::unique_ptr<MappedFile> mapped_;  // plain single-byte files
  std::string owned_;                   // inflated or byte-swapped contents
  const uint8_t* data_ = nullptr;
  size_t record_bytes_ = 0;
};

}  // namespace octet::data
