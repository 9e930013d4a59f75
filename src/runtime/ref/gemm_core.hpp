// A blocked single-precision GEMM shared by the reference Conv, ConvTranspose, MatMul,
// Gemm and FullyConnected: cache tiles of 64 x 256 x 256 and a 4 x 16 register block (GCC
// vector extensions); no packing, so no scratch. Far from oneDNN, fast
// enough for the shapes oneDNN declines.
#pragma once
#include <cstdint>

namespace octet::rt::ref {

// C[M,N] (row stride ldc) = alpha * op(A) * op(B) + beta * C, op = transpose when ta/tb.
// A is M x K (or K x M when ta) with row stride lda; B is K x N (or N x K when tb).
// beta == 0 overwrites C (NaNs in it do not propagate). Runs on the OpenMP threads when
// large and not already inside a parallel region.
void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace octet::rt::ref
