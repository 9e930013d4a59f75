// The blocked reference GEMM; see gemm_core.hpp.
#include "runtime/ref/gemm_core.hpp"
#include "runtime/ref/ref_math.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

namespace octet::rt::ref {
namespace {

constexpr int64_t kMB = 64, kNB = 256, kKB = 256;

// C[i..i+R, j..j+16) += alpha * op(A) * B over [k0, k1): the block stays in 2R AVX registers,
// each B load feeding R rows.
template <bool kTransA, int R>
inline void block(int64_t i, int64_t j, int64_t k0, int64_t k1, float alpha, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float* C, int64_t ldc) {
  v8f c[R][2];
  for (int r = 0; r < R; ++r) {
    c[r][0] = load8(C + (i + r) * ldc + j);
    c[r][1] = load8(C + (i + r) * ldc + j + 8);
  }
  for (int64_t k = k0; k < k1; ++k) {
    const v8f b0 = load8(B + k * ldb + j), b1 = load8(B + k * ldb + j + 8);
    for (int r = 0; r < R; ++r) {
      const v8f av = splat(alpha * (kTransA ? A[k * lda + i + r] : A[(i + r) * lda + k]));
      c[r][0] += av * b0;
      c[r][1] += av * b1;
    }
  }
  for (int r = 0; r < R; ++r) {
    store8(C + (i + r) * ldc + j, c[r][0]);
    store8(C + (i + r) * ldc + j + 8, c[r][1]);
  }
}

// One M x N tile of C += alpha * op(A) * B with B not transposed, in 4 x 16 register blocks.
template <bool kTransA>
void tile_nn(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t K, float alpha, const float* A, int64_t lda,
             const float* B, int64_t ldb, float* C, int64_t ldc) {
  auto a = [&](int64_t i, int64_t k) { return kTransA ? A[k * lda + i] : A[i * lda + k]; };
  for (int64_t k0 = 0; k0 < K; k0 += kKB) {
    const int64_t k1 = std::min(K, k0 + kKB);
    for (int64_t i = i0; i < i1; i += 4) {
      const int rows = static_cast<int>(std::min<int64_t>(4, i1 - i));
      int64_t j = j0;
      for (; j + 16 <= j1; j += 16) {
        if (rows == 4) {
          block<kTransA, 4>(i, j, k0, k1, alpha, A, lda, B, ldb, C, ldc);
        } else {
          for (int r = 0; r < rows; ++r) block<kTransA, 1>(i + r, j, k0, k1, alpha, A, lda, B, ldb, C, ldc);
        }
      }
      // Columns left over from the 16-wide blocks.
      const int64_t n = j1 - j;
      if (n <= 0) continue;
      for (int r = 0; r < rows; ++r) {
        float* cr = C + (i + r) * ldc + j;
        for (int64_t k = k0; k < k1; ++k) {
          const float ar = alpha * a(i + r, k);
          const float* b = B + k * ldb + j;
#pragma omp simd
          for (int64_t jj = 0; jj < n; ++jj) cr[jj] += ar * b[jj];
        }
      }
    }
  }
}

// C += alpha * op(A) * B^T: dot products along K (contiguous in B's rows).
template <bool kTransA>
void tile_nt(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t K, float alpha, const float* A, int64_t lda,
             const float* B, int64_t ldb, float* C, int64_t ldc) {
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t j = j0; j < j1; ++j) {
      const float* b = B + j * ldb;
      float sum = 0;
      if constexpr (!kTransA) {
        const float* a = A + i * lda;
#pragma omp simd reduction(+ : sum)
        for (int64_t k = 0; k < K; ++k) sum += a[k] * b[k];
      } else {
        for (int64_t k = 0; k < K; ++k) sum += A[k * lda + i] * b[k];
      }
      C[i * ldc + j] += alpha * sum;
    }
}

}  // namespace

void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) std::memset(c, 0, static_cast<size_t>(N) * sizeof(float));
    else if (beta != 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
  if (K <= 0 || alpha == 0.0f) return;
  const int64_t mt = (M + kMB - 1) / kMB, nt = (N + kNB - 1) / kNB;
  const bool parallel = M * N * K >= (int64_t{1} << 18) && !omp_in_parallel() && mt * nt > 1;
#pragma omp parallel for collapse(2) schedule(dynamic) if (parallel)
  for (int64_t it = 0; it < mt; ++it)
    for (int64_t jt = 0; jt < nt; ++jt) {
      const int64_t i0 = it * kMB, i1 = std::min(M, i0 + kMB), j0 = jt * kNB, j1 = std::min(N, j0 + kNB);
      if (!tb) {
        if (ta) tile_nn<true>(i0, i1, j0, j1, K, alpha, A, lda, B, ldb, C, ldc);
        else tile_nn<false>(i0, i1, j0, j1, K, alpha, A, lda, B, ldb, C, ldc);
      } else {
        if (ta) tile_nt<true>(i0, i1, j0, j1, K, alpha, A, lda, B, ldb, C, ldc);
        else tile_nt<false>(i0, i1, j0, j1, K, alpha, A, lda, B, ldb, C, ldc);
      }
    }
}

}  // namespace octet::rt::ref
