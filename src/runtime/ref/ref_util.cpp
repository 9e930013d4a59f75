// Shared helpers of the reference kernels: checks, int reading, broadcasting plans.
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {

std::string require_plain(const KernelContext& ctx) {
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.inputs[i].present() && ctx.inputs[i].layout != Layout::kPlain)
      return cat("input ", i, " is in layout ", layout_name(ctx.inputs[i].layout), "; reference kernels read plain");
  for (size_t i = 0; i < ctx.outputs.size(); ++i)
    if (ctx.outputs[i].present() && ctx.outputs[i].layout != Layout::kPlain)
      return cat("output ", i, " is in layout ", layout_name(ctx.outputs[i].layout), "; reference kernels write plain");
  for (const TensorDesc& d : ctx.inputs)
    if (d.shape.size() > static_cast<size_t>(kMaxRank)) return cat("rank ", d.shape.size(), " exceeds ", kMaxRank);
  for (const TensorDesc& d : ctx.outputs)
    if (d.shape.size() > static_cast<size_t>(kMaxRank)) return cat("rank ", d.shape.size(), " exceeds ", kMaxRank);
  return "";
}

bool input_present(const KernelContext& ctx, size_t i) { return i < ctx.inputs.size() && ctx.inputs[i].present(); }

std::string require_dtype(const KernelContext& ctx, size_t i, std::initializer_list<DType> dtypes) {
  if (!input_present(ctx, i)) return cat("input ", i, " is missing");
  for (DType d : dtypes)
    if (ctx.inputs[i].dtype == d) return "";
  return cat("input ", i, " has dtype ", dtype_name(ctx.inputs[i].dtype), ", not supported here");
}

bool is_float_dtype(DType d) { return d == DType::kFloat32 || d == DType::kFloat64; }

bool is_numeric_dtype(DType d) { return d != DType::kBool && d != DType::kUndefined && d != DType::kFloat16; }

int64_t normalize_axis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

bool axis_ok(int64_t axis, int64_t rank) { return axis >= -rank && axis < rank; }

std::vector<int64_t> read_ints(DType dtype, const void* data, int64_t n) {
  std::vector<int64_t> r(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) r[static_cast<size_t>(i)] = static_cast<int64_t>(read_number(dtype, data, i));
  if (dtype == DType::kInt64) std::memcpy(r.data(), data, static_cast<size_t>(n) * 8);  // exact beyond 2^53
  return r;
}

std::vector<int64_t> tensor_ints(const Tensor& t) { return read_ints(t.dtype, t.bytes.data(), t.numel()); }

double read_number(DType dtype, const void* data, int64_t i) {
  double v = 0;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    v = static_cast<double>(static_cast<const T*>(data)[i]);
  });
  if (dtype == DType::kFloat16) v = half_to_float(static_cast<const uint16_t*>(data)[i]);
  return v;
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    s[static_cast<size_t>(d)] = s[static_cast<size_t>(d) + 1] * shape[static_cast<size_t>(d) + 1];
  return s;
}

Shape broadcast_shapes(const std::vector<Shape>& shapes, std::string* why) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    for (size_t k = 0; k < s.size(); ++k) {
      const size_t d = rank - s.size() + k;
      const int64_t dim = s[k];
      if (dim == out[d] || dim == 1) continue;
      if (out[d] == 1) { out[d] = dim; continue; }
      if (why) *why = cat("shapes ", shape_str(shapes[0]), " and ", shape_str(s), " do not broadcast");
      return {};
    }
  }
  return out;
}

Broadcast make_broadcast(const Shape& out, const std::vector<Shape>& ins) {
  Broadcast b;
  b.inputs = static_cast<int>(ins.size());
  const int rank = static_cast<int>(out.size());
  // Full-rank strides per input (0 on broadcast dims), then drop size-1 dims and merge.
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> strides(ins.size());
  std::vector<std::vector<int64_t>> full(ins.size(), std::vector<int64_t>(static_cast<size_t>(rank), 0));
  for (size_t i = 0; i < ins.size(); ++i) {
    const Shape& s = ins[i];
    if (s.size() > out.size()) fail("input of shape ", shape_str(s), " does not broadcast to ", shape_str(out));
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; --d) {
      const int k = d - (rank - static_cast<int>(s.size()));
      const int64_t dim = k >= 0 ? s[static_cast<size_t>(k)] : 1;
      if (dim != 1 && dim != out[static_cast<size_t>(d)])
        fail("input of shape ", shape_str(s), " does not broadcast to ", shape_str(out));
      full[i][static_cast<size_t>(d)] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  for (int d = 0; d < rank; ++d) {
    if (out[static_cast<size_t>(d)] == 1) continue;
    bool merge = !dims.empty();
    for (size_t i = 0; i < ins.size() && merge; ++i)
      merge = strides[i].back() == full[i][static_cast<size_t>(d)] * out[static_cast<size_t>(d)];
    if (merge) {
      dims.back() *= out[static_cast<size_t>(d)];
      for (size_t i = 0; i < ins.size(); ++i) strides[i].back() = full[i][static_cast<size_t>(d)];
    } else {
      dims.push_back(out[static_cast<size_t>(d)]);
      for (size_t i = 0; i < ins.size(); ++i) strides[i].push_back(full[i][static_cast<size_t>(d)]);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    for (auto& s : strides) s.push_back(0);
  }
  if (dims.size() > static_cast<size_t>(kMaxRank)) fail("broadcast of rank ", dims.size(), " exceeds ", kMaxRank);
  b.rank = static_cast<int>(dims.size());
  for (int d = 0; d < b.rank; ++d) {
    b.dims[d] = dims[static_cast<size_t>(d)];
    for (size_t i = 0; i < ins.size(); ++i) b.strides[i][d] = strides[i][static_cast<size_t>(d)];
  }
  b.inner = b.dims[b.rank - 1];
  b.numel = shape_numel(out);
  b.rows = b.inner == 0 ? 0 : b.numel / b.inner;
  if (b.numel == 0) b.rows = 0;
  return b;
}

}  // namespace octet::rt::ref
