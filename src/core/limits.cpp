// Overflow-safe tensor size arithmetic behind check_tensor_size; see limits.hpp.
#include "core/limits.hpp"

#include "octet/error.hpp"

namespace octet {

int64_t tensor_bytes_checked(const Shape& shape, DType dtype) {
  const int64_t elem = dtype_size(dtype) > 0 ? static_cast<int64_t>(dtype_size(dtype)) : 1;
  for (int64_t d : shape)
    if (d < 0) return -1;
  // The other dims of an empty tensor must still multiply without overflow: numel() and
  // the kernels' index arithmetic multiply them all.
  int64_t bytes = elem;
  bool empty = false;
  for (int64_t d : shape) {
    if (d == 0) empty = true;
    else if (__builtin_mul_overflow(bytes, d, &bytes)) return -1;
  }
  return empty ? 0 : bytes;
}

void check_tensor_size(const Shape& shape, DType dtype, const std::string& what) {
  for (int64_t d : shape)
    if (d < 0) fail(what, ": shape ", shape_str(shape), " has a negative dimension");
  const int64_t bytes = tensor_bytes_checked(shape, dtype);
  if (bytes < 0 || bytes > kMaxTensorBytes)
    fail(what, ": shape ", shape_str(shape), " of ", dtype_name(dtype), " is ",
         bytes < 0 ? std::string("more than 2^63 bytes") : cat(bytes, " bytes"), ", over octet's limit of ",
         kMaxTensorBytes, " bytes (16 GiB) per tensor");
}

}  // namespace octet
