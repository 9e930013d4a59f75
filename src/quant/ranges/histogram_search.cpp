// Ranges searched on a histogram: the threshold minimizing the expected squared quantization
// error (rounding noise step^2/12 inside the range, the clipped distance outside), and
// TensorRT's entropy calibration (the threshold whose quantized distribution is closest in KL
// divergence to the original). Values are taken at bin centers.
#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/ranges/range_estimator.hpp"

namespace octet::quant {
namespace {

// Folds the symmetric histogram into magnitudes: bin m covers [m w, (m+1) w).
std::vector<double> magnitudes(const Histogram& h) {
  const size_t half = h.counts().size() / 2;
  std::vector<double> m(half, 0.0);
  for (size_t i = 0; i < half; ++i) m[i] = h.counts()[half + i] + h.counts()[half - 1 - i];
  return m;
}

size_t last_nonzero(const std::vector<double>& v) {
  size_t last = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] > 0) last = i;
  return last;
}

}  // namespace

float mse_symmetric_threshold(const Histogram& h, bool unsigned_levels) {
  if (h.range() == 0) return 0.0f;
  const std::vector<double> mag = magnitudes(h);
  const double w = h.bin_width();
  const size_t top = last_nonzero(mag);
  const double absmax = static_cast<double>(top + 1) * w;
  const double levels = unsigned_levels ? 255.0 : 127.0;
  const int candidates = 256;
  double best_t = absmax, best_err = std::numeric_limits<double>::infinity();
  for (int k = candidates; k >= 1; --k) {
    const double t = absmax * k / candidates;
    const double step = t / levels;
    double err = 0;
    // Bin 0 holds the exact zeros of ReLU outputs and padding: they quantize without error.
    for (size_t m = 1; m <= top; ++m) {
      const double x = (static_cast<double>(m) + 0.5) * w;
      err += mag[m] * (x <= t ? step * step / 12.0 : (x - t) * (x - t));
    }
    if (err < best_err) {
      best_err = err;
      best_t = t;
    }
  }
  return static_cast<float>(best_t);
}

Range mse_asymmetric_range(const Histogram& h, float lo, float hi) {
  if (h.range() == 0 || hi <= lo) return {lo, hi};
  const auto& counts = h.counts();
  const double w = h.bin_width();
  const int candidates = 256;
  Range best{lo, hi};
  double best_err = std::numeric_limits<double>::infinity();
  for (int k = candidates; k >= 1; --k) {
    const double a = static_cast<double>(k) / candidates;
    const double clo = a * lo, chi = a * hi, step = (chi - clo) / 255.0;
    double err = 0;
    for (size_t b = 0; b < counts.size(); ++b) {
      if (counts[b] == 0) continue;
      const double x = h.bin_lo(static_cast<int>(b)) + 0.5 * w;
      const double d = x < clo ? clo - x : (x > chi ? x - chi : 0.0);
      err += counts[b] * (d > 0 ? d * d : step * step / 12.0);
    }
    if (err < best_err) {
      best_err = err;
      best = {static_cast<float>(clo), static_cast<float>(chi)};
    }
  }
  return best;
}

float kl_threshold(const Histogram& h, bool unsigned_levels) {
  if (h.range() == 0) return 0.0f;
  const std::vector<double> mag = magnitudes(h);
  const double w = h.bin_width();
  const size_t quant_bins = unsigned_levels ? 255 : 128;
  const size_t top = last_nonzero(mag) + 1;
  if (top <= quant_bins) return static_cast<float>(static_cast<double>(top) * w);
  double best_kl = std::numeric_limits<double>::infinity();
  size_t best_i = top;
  std::vector<double> p, q;
  for (size_t i = quant_bins; i <= top; ++i) {
    // P: the first i bins with everything beyond folded into the last one (clipping).
    p.assign(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(i));
    for (size_t j = i; j < mag.size(); ++j) p[i - 1] += mag[j];
    // Q: the first i bins merged into quant_bins levels, each level's mass spread evenly over
    // the bins of it that were non-empty.
    q.assign(i, 0.0);
    for (size_t level = 0; level < quant_bins; ++level) {
      const size_t b0 = level * i / quant_bins, b1 = (level + 1) * i / quant_bins;
      double mass = 0;
      size_t nonzero = 0;
      for (size_t b = b0; b < b1; ++b) {
        mass += mag[b];
        nonzero += mag[b] > 0;
      }
      if (nonzero == 0) continue;
      for (size_t b = b0; b < b1; ++b)
        if (mag[b] > 0) q[b] = mass / static_cast<double>(nonzero);
    }
    double sp = 0, sq = 0;
    for (size_t b = 0; b < i; ++b) { sp += p[b]; sq += q[b]; }
    if (sp <= 0 || sq <= 0) continue;
    double kl = 0;
    for (size_t b = 0; b < i; ++b) {
      if (p[b] <= 0) continue;
      const double pb = p[b] / sp, qb = std::max(q[b] / sq, 1e-12);
      kl += pb * std::log(pb / qb);
    }
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return static_cast<float>(static_cast<double>(best_i) * w);
}

}  // namespace octet::quant
