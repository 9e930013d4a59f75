// Offset of a logical (N, C, spatial...) element in each Layout, shared by the reference
// reorder and the tests of blocked-layout kernels.
#pragma once
#include <cstdint>

#include "runtime/kernel.hpp"

namespace octet::rt::ref {

// Element offset of logical index (n, c, s) where s is the flattened spatial index, for a
// tensor of N x C x S (S = product of spatial dims).
inline int64_t layout_offset(Layout layout, int64_t C, int64_t S, int64_t n, int64_t c, int64_t s) {
  switch (layout) {
    case Layout::kPlain: return (n * C + c) * S + s;
    case Layout::kNhwc: return (n * S + s) * C + c;
    case Layout::kNChw8c: {
      const int64_t cb = (C + 7) / 8;
      return ((n * cb + c / 8) * S + s) * 8 + c % 8;
    }
  }
  return 0;
}

}  // namespace octet::rt::ref
