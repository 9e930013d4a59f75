// NumPy .npy files (format versions 1-3, C order, little-endian), the exchange format for
// model inputs and outputs on the command line and for preprocessed datasets.
#pragma once
#include <string>

#include "octet/tensor.hpp"

namespace octet::data {

// The header of a .npy file: what the data is and where it starts. Checks that exactly the
// declared number of bytes follows (so a memory-mapped file can be indexed safely).
struct NpyHeader {
  DType dtype = DType::kUndefined;
  Shape shape;
  size_t data_offset = 0;  // bytes from the start of the file to the first element
};
NpyHeader parse_npy_header(const char* bytes, size_t size, const std::string& origin);

// Reads float32/float64/float16/int8/uint8/int16/uint16/int32/int64/bool. Throws Error naming
// the file for a bad header, Fortran order, big-endian data or a size that does not match.
Tensor read_npy(const std::string& path);
Tensor parse_npy(const std::string& bytes, const std::string& origin);

// Serializes to .npy bytes; write_npy writes them atomically.
std::string encode_npy(const Tensor& tensor);
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace octet::data
