// Helpers the reference kernels share: plain-layout and dtype checks, reading constant or
// runtime int inputs, axis normalisation, dtype dispatch, and the broadcasting plan that
// merges dimensions so binary ops run long contiguous inner loops.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "octet/error.hpp"
#include "runtime/kernel.hpp"

namespace octet::rt::ref {

constexpr int kMaxRank = 8;
// Below this many elements a loop runs on one thread: the fork costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

// Wraps a why_not so that an attribute of the wrong kind (Node::attr_* throws) becomes a
// reason instead of an exception: why_not must never throw.
template <std::string (*F)(const KernelContext&)>
std::string guarded(const KernelContext& ctx) {
  try {
    return F(ctx);
  } catch (const std::exception& e) {
    return e.what();
  }
}

// "" when every present input and output is plain, else the reason.
std::string require_plain(const KernelContext& ctx);
// "" when input i is present and of one of the dtypes.
std::string require_dtype(const KernelContext& ctx, size_t i, std::initializer_list<DType> dtypes);
bool is_float_dtype(DType d);  // float32 or float64
bool is_numeric_dtype(DType d);  // every dtype but bool and undefined
bool input_present(const KernelContext& ctx, size_t i);

int64_t normalize_axis(int64_t axis, int64_t rank);  // negative counts from the end; no check
bool axis_ok(int64_t axis, int64_t rank);             // -rank <= axis < rank

// Elements of an integer tensor (int8..int64) as int64.
std::vector<int64_t> read_ints(DType dtype, const void* data, int64_t n);
std::vector<int64_t> tensor_ints(const Tensor& t);
// Element i of a numeric tensor as double.
double read_number(DType dtype, const void* data, int64_t i = 0);
// Row-major strides of a shape, in elements.
std::vector<int64_t> strides_of(const Shape& shape);

// Calls f(T{}) with T the C++ type of dtype (bool as uint8_t). Returns false if the dtype
// has no C++ type here (undefined).
template <class F>
bool visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUInt8: f(uint8_t{}); return true;
    case DType::kInt16: f(int16_t{}); return true;
    case DType::kUInt16: f(uint16_t{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kBool: f(uint8_t{}); return true;
    case DType::kFloat16: f(uint16_t{}); return true;  // only moved, never computed
    case DType::kUndefined: return false;
  }
  return false;
}

// Calls f with an unsigned integer type of the dtype's size: for kernels that only move
// elements (Transpose, Gather, Concat...).
template <class F>
void visit_size(size_t bytes, F&& f) {
  switch (bytes) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(uint64_t{}); break;
  }
}

// A broadcasting plan for up to three inputs against one output shape: dims of size 1
// dropped and runs of dims with the same broadcast pattern merged, so that [N,C,H,W] op
// [1,C,1,1] becomes [N,C,HW] with an inner stride of 0 for the vector.
struct Broadcast {
  int rank = 0;                        // merged rank, >= 1
  int inputs = 0;
  int64_t dims[kMaxRank] = {};         // merged output dims
  int64_t strides[3][kMaxRank] = {};   // per input, element strides (0 where broadcast)
  int64_t inner = 1;                   // dims[rank - 1]
  int64_t rows = 1;                    // product of the other dims
  int64_t numel = 1;

  // Element offset of row r's first element in each input.
  void row_offsets(int64_t row, int64_t* offsets) const {
    for (int i = 0; i < inputs; ++i) offsets[i] = 0;
    for (int d = rank - 2; d >= 0; --d) {
      const int64_t idx = row % dims[d];
      row /= dims[d];
      for (int i = 0; i < inputs; ++i) offsets[i] += idx * strides[i][d];
    }
  }
};

// Plans out = f(in...) with NumPy broadcasting. Throws if an input does not broadcast.
Broadcast make_broadcast(const Shape& out, const std::vector<Shape>& ins);
// The NumPy broadcast of shapes, or a reason in *why.
Shape broadcast_shapes(const std::vector<Shape>& shapes, std::string* why);

// Runs body(row, offsets) for each row of the plan (offsets: each input's element offset of
// the row's start), in parallel when the tensor is large.
template <class Body>
void for_each_row(const Broadcast& b, Body body) {
#pragma omp parallel for schedule(static) if (b.numel >= kParallelMin && b.rows > 1)
  for (int64_t r = 0; r < b.rows; ++r) {
    int64_t off[3];
    b.row_offsets(r, off);
    body(r, off);
  }
}

// Splits [0, n) among threads for flat elementwise loops.
template <class Body>
void parallel_range(int64_t n, Body body) {
  if (n < kParallelMin) {
    body(0, n);
    return;
  }
#pragma omp parallel
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t begin = std::min<int64_t>(n, t * chunk), end = std::min<int64_t>(n, begin + chunk);
    if (begin < end) body(begin, end);
  }
}

}  // namespace octet::rt::ref

namespace octet::rt::ref {

// y (contiguous, dims out[0..rank)) = x[base + sum_d i_d * in_strides[d]]; strides may be
// negative or zero. Rows of the last dim are copied with memcpy when its stride is 1.
template <class T>
void strided_copy(const T* x, T* y, int rank, const int64_t* out, const int64_t* in_strides, int64_t base) {
  if (rank == 0) { y[0] = x[base]; return; }
  const int64_t inner = out[rank - 1], s = in_strides[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; ++d) rows *= out[d];
  if (inner == 0) return;
#pragma omp parallel for schedule(static) if (rows * inner >= kParallelMin && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off = base, rem = r;
    for (int d = rank - 2; d >= 0; --d) {
      off += (rem % out[d]) * in_strides[d];
      rem /= out[d];
    }
    T* yr = y + r * inner;
    if (s == 1) std::memcpy(yr, x + off, static_cast<size_t>(inner) * sizeof(T));
    else for (int64_t i = 0; i < inner; ++i) yr[i] = x[off + i * s];
  }
}

}  // namespace octet::rt::ref
