// Element types and the plain host tensor that crosses the public API: model inputs and
// outputs, initializers, .npy files. Dense, row-major, owning its bytes.
#pragma once
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace octet {

enum class DType : uint8_t {
  kUndefined,
  kFloat32,
  kFloat16,
  kFloat64,
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kInt64,
  kBool,
};

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

using Shape = std::vector<int64_t>;

// Number of elements; 1 for a scalar (empty shape).
int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);

struct Tensor {
  DType dtype = DType::kUndefined;
  Shape shape;
  std::vector<uint8_t> bytes;  // numel * dtype_size bytes, row-major

  Tensor() = default;
  Tensor(DType dtype_, Shape shape_);  // zero-filled

  int64_t numel() const { return shape_numel(shape); }
  template <class T> T* data() { return reinterpret_cast<T*>(bytes.data()); }
  template <class T> const T* data() const { return reinterpret_cast<const T*>(bytes.data()); }

  template <class T>
  static Tensor from_vector(DType dtype, Shape shape, const std::vector<T>& values) {
    Tensor t(dtype, std::move(shape));
    // Too few values would be read past their end; an empty tensor copies nothing (memcpy
    // from an empty vector's null data is undefined even for zero bytes).
    if (values.size() * sizeof(T) < t.bytes.size()) throw std::invalid_argument("Tensor::from_vector: too few values for the shape");
    if (!t.bytes.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }
};

// Converts between the numeric types; used for Cast, FP16 weights and .npy inputs.
Tensor convert_tensor(const Tensor& src, DType dst_dtype);

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace octet
