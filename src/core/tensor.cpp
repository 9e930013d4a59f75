// Element type facts and dtype conversion for the public Tensor.
#include "octet/tensor.hpp"

#include <cmath>

#include "core/int_math.hpp"
#include "core/limits.hpp"
#include "octet/error.hpp"

namespace octet {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kFloat64: return 8;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kInt16: return 2;
    case DType::kUInt16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kBool: return 1;
    case DType::kUndefined: return 0;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kInt16: return "int16";
    case DType::kUInt16: return "uint16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kBool: return "bool";
    case DType::kUndefined: return "undefined";
  }
  return "undefined";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(DType dtype_, Shape shape_) : dtype(dtype_), shape(std::move(shape_)) {
  // The last line of defence: loaders and shape inference check sizes with better names first.
  check_tensor_size(shape, dtype, "tensor");
  bytes.assign(static_cast<size_t>(numel()) * dtype_size(dtype), 0);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise the mantissa
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) { mant <<= 1; --exp; }
      mant &= 0x3ffu;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow to inf
  if (abs < 0x38800000u) {  // subnormal or zero in half precision
    const float v = std::fabs(f) * 16777216.0f;  // 2^24
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(v)));
  }
  uint32_t mant = abs & 0x7fffffu;
  uint32_t exp = (abs >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;  // round to nearest even
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

namespace {

// Calls f(T{}) with T the C++ type of `dtype`; float16 is held as float and bool as bool.
template <class F>
void with_type(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: case DType::kFloat16: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kInt8: return f(int8_t{});
    case DType::kUInt8: return f(uint8_t{});
    case DType::kInt16: return f(int16_t{});
    case DType::kUInt16: return f(uint16_t{});
    case DType::kInt32: return f(int32_t{});
    case DType::kInt64: return f(int64_t{});
    case DType::kBool: return f(bool{});
    case DType::kUndefined: break;
  }
  fail("cannot convert elements of dtype ", dtype_name(dtype));
}

template <class T>
T load(DType dtype, const uint8_t* p) {
  if (dtype == DType::kFloat16) { uint16_t h; std::memcpy(&h, p, 2); return static_cast<T>(half_to_float(h)); }
  if constexpr (std::is_same_v<T, bool>) return *p != 0;
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <class T>
void store(DType dtype, T v, uint8_t* p) {
  if constexpr (std::is_same_v<T, float>)
    if (dtype == DType::kFloat16) { const uint16_t h = float_to_half(v); std::memcpy(p, &h, 2); return; }
  if constexpr (std::is_same_v<T, bool>) { *p = v ? 1 : 0; return; }
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace

Tensor convert_tensor(const Tensor& src, DType dst_dtype) {
  if (src.dtype == dst_dtype) return src;
  Tensor dst(dst_dtype, src.shape);
  const size_t ss = dtype_size(src.dtype), ds = dtype_size(dst_dtype);
  const int64_t n = src.numel();
  // Element by element as the Cast kernel does (cast_value): integers convert exactly or
  // wrap, floats truncate toward zero and saturate, NaN becomes 0.
  with_type(src.dtype, [&](auto s) {
    using S = decltype(s);
    with_type(dst_dtype, [&](auto d) {
      using D = decltype(d);
      for (int64_t i = 0; i < n; ++i)
        store<D>(dst_dtype, cast_value<D>(load<S>(src.dtype, src.bytes.data() + i * ss)), dst.bytes.data() + i * ds);
    });
  });
  return dst;
}

}  // namespace octet
