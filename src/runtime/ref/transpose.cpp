// Transpose, any dtype (elements moved by size). Dims that stay adjacent are merged; a
// batched swap of the last two dims runs in cache tiles, everything else row by row with
// a strided inner read (contiguous when the last dim stays last, as in attention's
// [B,S,H,D] -> [B,H,S,D]).
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class TransposeKernel final : public Kernel {
 public:
  explicit TransposeKernel(const KernelContext& ctx) : elem_(dtype_size(ctx.inputs[0].dtype)) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    std::vector<int64_t> perm = ctx.node->attr_ints("perm", {});
    if (perm.empty())
      for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    for (int64_t& p : perm) p = normalize_axis(p, rank);
    // Drop size-1 dims, then merge runs where perm[k+1] == perm[k] + 1.
    std::vector<int64_t> keep_index(static_cast<size_t>(rank), -1);
    std::vector<int64_t> in_dims;
    for (int64_t d = 0; d < rank; ++d)
      if (s[static_cast<size_t>(d)] != 1) { keep_index[static_cast<size_t>(d)] = static_cast<int64_t>(in_dims.size()); in_dims.push_back(s[static_cast<size_t>(d)]); }
    std::vector<int64_t> p2;
    for (int64_t p : perm)
      if (keep_index[static_cast<size_t>(p)] >= 0) p2.push_back(keep_index[static_cast<size_t>(p)]);
    // Group input dims: a group is a run of input dims appearing consecutively in p2.
    std::vector<int64_t> group_of(in_dims.size(), -1);
    std::vector<std::vector<int64_t>> groups;  // in output order, each a list of input dims
    for (size_t k = 0; k < p2.size(); ++k) {
      if (k > 0 && p2[k] == p2[k - 1] + 1) groups.back().push_back(p2[k]);
      else groups.push_back({p2[k]});
    }
    // Merged input dims in input order: sort groups by their first input dim.
    std::vector<size_t> order(groups.size());
    for (size_t g = 0; g < groups.size(); ++g) order[g] = g;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return groups[a][0] < groups[b][0]; });
    std::vector<int64_t> mdims(groups.size()), mstride_in(groups.size());
    int64_t stride = 1;
    for (size_t i = order.size(); i-- > 0;) {
      int64_t dim = 1;
      for (int64_t d : groups[order[i]]) dim *= in_dims[static_cast<size_t>(d)];
      mdims[order[i]] = dim;
      mstride_in[order[i]] = stride;
      stride *= dim;
    }
    rank_ = static_cast<int>(groups.size());
    if (rank_ == 0) { rank_ = 1; mdims = {1}; mstride_in = {1}; }
    for (int d = 0; d < rank_; ++d) { dims_[d] = mdims[static_cast<size_t>(d)]; in_strides_[d] = mstride_in[static_cast<size_t>(d)]; }
    numel_ = ctx.inputs[0].numel();
  }

  void execute(const ExecArgs& args) override {
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      run(static_cast<const T*>(args.src[0]), static_cast<T*>(args.dst[0]));
    });
  }

 private:
  template <class T>
  void run(const T* x, T* y) {
    const int r = rank_;
    const int64_t inner = dims_[r - 1], inner_stride = in_strides_[r - 1];
    // Batched 2-D swap: the last output dim is the input's second-to-last group.
    if (r >= 2 && inner_stride != 1 && in_strides_[r - 2] == 1) {
      const int64_t rows = dims_[r - 2], cols = inner, batch = numel_ / (rows * cols);
      const int64_t bstride = rows * cols;  // the batch dims keep their order here only if r == 2 or 3
      if (r == 2 || (r == 3 && in_strides_[0] == bstride)) {
#pragma omp parallel for schedule(static) if (numel_ >= kParallelMin)
        for (int64_t b = 0; b < batch; ++b) {
          const T* xb = x + b * bstride;
          T* yb = y + b * bstride;
          constexpr int64_t kTile = 32;
          for (int64_t i0 = 0; i0 < rows; i0 += kTile)
            for (int64_t j0 = 0; j0 < cols; j0 += kTile)
              for (int64_t i = i0; i < std::min(rows, i0 + kTile); ++i)
                for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j) yb[i * cols + j] = xb[j * rows + i];
        }
        return;
      }
    }
    const int64_t rows = numel_ / inner;
#pragma omp parallel for schedule(static) if (numel_ >= kParallelMin)
    for (int64_t row = 0; row < rows; ++row) {
      int64_t off = 0, rem = row;
      for (int d = r - 2; d >= 0; --d) {
        off += (rem % dims_[d]) * in_strides_[d];
        rem /= dims_[d];
      }
      T* yr = y + row * inner;
      const T* xr = x + off;
      if (inner_stride == 1) std::memcpy(yr, xr, static_cast<size_t>(inner) * sizeof(T));
      else for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i * inner_stride];
    }
  }

  size_t elem_;
  int rank_ = 1;
  int64_t dims_[kMaxRank] = {};        // merged output dims
  int64_t in_strides_[kMaxRank] = {};  // input stride of each merged output dim
  int64_t numel_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  std::vector<int64_t> perm = ctx.node->attr_ints("perm", {});
  if (!perm.empty()) {
    if (static_cast<int64_t>(perm.size()) != rank) return "perm length differs from the rank";
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t p : perm) {
      if (!axis_ok(p, rank) || seen[static_cast<size_t>(normalize_axis(p, rank))]) return "perm is not a permutation";
      seen[static_cast<size_t>(normalize_axis(p, rank))] = true;
    }
  }
  if (ctx.inputs[0].numel() == 0) return "empty tensor";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<TransposeKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> transpose_entries() {
  return {{"ref_transpose", ir::OpKind::Transpose, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
