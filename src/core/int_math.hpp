// Integer arithmetic with every edge defined. C++ leaves signed overflow, INT_MIN / -1 and
// float-to-integer casts of NaN or out-of-range values undefined (x86 raises SIGFPE for the
// division); ONNX leaves the values unspecified. octet wraps as two's complement, which is
// what ONNX Runtime's kernels compute on x86, and saturates float-to-integer casts (NaN
// becomes 0), so no input can crash the process or trip UBSan.
#pragma once
#include <cmath>
#include <limits>
#include <type_traits>

namespace octet {

// The unsigned type of T's width (bool and unsigned types map to themselves).
template <class T>
using wrap_t = std::conditional_t<std::is_signed_v<T>, std::make_unsigned_t<T>, T>;

template <class T>
constexpr T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<wrap_t<T>>(static_cast<wrap_t<T>>(a) + static_cast<wrap_t<T>>(b)));
  else return a + b;
}
template <class T>
constexpr T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<wrap_t<T>>(static_cast<wrap_t<T>>(a) - static_cast<wrap_t<T>>(b)));
  else return a - b;
}
// The product is formed in an unsigned type at least as wide as unsigned int, so that
// uint16 * uint16 does not promote to a signed int that overflows.
template <class T>
constexpr T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, wrap_t<T>>;
    return static_cast<T>(static_cast<wrap_t<T>>(static_cast<U>(static_cast<wrap_t<T>>(a)) *
                                                  static_cast<U>(static_cast<wrap_t<T>>(b))));
  } else {
    return a * b;
  }
}
template <class T>
constexpr T wrap_neg(T a) { return wrap_sub(T(0), a); }
// |min| wraps to min, as two's complement negation does.
template <class T>
constexpr T wrap_abs(T a) {
  if constexpr (std::is_signed_v<T>) return a < 0 ? wrap_neg(a) : a;
  else return a;
}

// Integer division truncating toward zero and its remainder, for b != 0 (callers refuse a zero
// divisor first): min / -1 wraps to min, min % -1 is 0.
template <class T>
constexpr T int_div(T a, T b) {
  if constexpr (std::is_signed_v<T>) if (b == -1) return wrap_neg(a);
  return static_cast<T>(a / b);
}
template <class T>
constexpr T int_rem(T a, T b) {
  if constexpr (std::is_signed_v<T>) if (b == -1) return T(0);
  return static_cast<T>(a % b);
}

// A float cast to integer type T: truncated toward zero, saturated at T's range, NaN to 0.
template <class T, class F>
T saturate_cast(F v) {
  static_assert(std::is_floating_point_v<F>);
  if constexpr (std::is_same_v<T, bool>) {
    return v != F(0);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    // max() of a 64-bit type rounds up to 2^63 (or 2^64) as a float: compare with >= so the
    // value cast is always below it.
    constexpr F hi = static_cast<F>(std::numeric_limits<T>::max());
    constexpr F lo = static_cast<F>(std::numeric_limits<T>::min());
    if (v >= hi) return std::numeric_limits<T>::max();
    if (v <= lo) return std::numeric_limits<T>::min();
    return static_cast<T>(v);
  }
}

// One element converted as ONNX Cast does: to bool tests != 0; float to integer as
// saturate_cast; integer to a narrower integer wraps (C++20 defines it modular).
template <class D, class S>
D cast_value(S v) {
  if constexpr (std::is_same_v<D, bool>) return v != S(0);
  else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) return saturate_cast<D>(v);
  else return static_cast<D>(v);
}

}  // namespace octet
