// The one size limit on any tensor octet creates: initializers, graph inputs, every value
// shape inference derives, .npy/IDX arrays, decoded images. Checked from declared shapes,
// before anything is allocated, so a file that claims 10^12 elements fails with a message
// naming it instead of exhausting memory (or overflowing int64 and allocating too little).
#pragma once
#include <cstdint>
#include <string>

#include "octet/tensor.hpp"

namespace octet {

// 16 GiB per tensor: far above any activation or weight of the models octet targets, far
// below what a hostile header can claim.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 34;
// Decoded images: 64 Mpixels (8192 x 8192), about 200 MB as 8-bit BGR.
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// Bytes of a tensor of `shape` and `dtype` (an undefined dtype counts 1 byte per element), or
// -1 if a dim is negative or the byte count overflows int64.
int64_t tensor_bytes_checked(const Shape& shape, DType dtype);

// Throws naming `what` if the shape has a negative dim, overflows, or exceeds kMaxTensorBytes.
void check_tensor_size(const Shape& shape, DType dtype, const std::string& what);

}  // namespace octet
