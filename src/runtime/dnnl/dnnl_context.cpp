// The shared oneDNN engine and stream, layout <-> descriptor mapping, fused activations, and
// DnnlKernel's create-time memories and allocation-free execute.
#include "runtime/dnnl/dnnl_context.hpp"

#include <cstdlib>
#include <cstring>

#include "octet/error.hpp"

namespace octet::rt::onednn {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

bool winograd_allowed() {
  const char* v = std::getenv("OCTET_DNNL_WINOGRAD");
  return !v || std::string(v) != "0";
}

dt dt_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return dt::f32;
    case DType::kFloat16: return dt::f16;
    case DType::kInt8: return dt::s8;
    case DType::kUInt8: return dt::u8;
    case DType::kInt32: return dt::s32;
    default: return dt::undef;
  }
}

dnnl::memory::dims dims_of(const Shape& shape) { return dnnl::memory::dims(shape.begin(), shape.end()); }

tag tag_of(Layout layout, size_t rank) {
  switch (layout) {
    case Layout::kPlain:
      switch (rank) {
        case 0: case 1: return tag::a;
        case 2: return tag::ab;
        case 3: return tag::abc;
        case 4: return tag::abcd;
        case 5: return tag::abcde;
        case 6: return tag::abcdef;
        default: return tag::undef;
      }
    case Layout::kNhwc:
      switch (rank) {
        case 3: return tag::acb;
        case 4: return tag::acdb;
        case 5: return tag::acdeb;
        default: return tag::undef;
      }
    case Layout::kNChw8c:
      switch (rank) {
        case 3: return tag::aBc8b;
        case 4: return tag::aBcd8b;
        case 5: return tag::aBcde8b;
        default: return tag::undef;
      }
  }
  return tag::undef;
}

bool layout_fits(Layout layout, size_t rank) { return tag_of(layout, rank) != tag::undef; }

std::optional<Layout> forced_layout() {
  const char* v = std::getenv("OCTET_DNNL_LAYOUT");
  if (!v || !*v) return std::nullopt;
  const std::string s = v;
  if (s == "plain") return Layout::kPlain;
  if (s == "nhwc") return Layout::kNhwc;
  if (s == "nChw8c") return Layout::kNChw8c;
  fail("OCTET_DNNL_LAYOUT='", s, "' is not one of plain, nhwc, nChw8c");
}

dnnl::memory::desc md_of(const Shape& shape, DType dtype, Layout layout) {
  // oneDNN has no rank-0 tensor; a scalar is one element of rank 1.
  const Shape dims = shape.empty() ? Shape{1} : shape;
  const tag t = tag_of(layout, dims.size());
  if (t == tag::undef) fail("oneDNN has no ", layout_name(layout), " layout for rank ", dims.size());
  return dnnl::memory::desc(dims_of(dims), dt_of(dtype), t);
}

dnnl::memory::desc md_of(const TensorDesc& desc) { return md_of(desc.shape, desc.dtype, desc.layout); }

std::optional<Layout> layout_of(const dnnl::memory::desc& md, const Shape& shape) {
  for (Layout l : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
    if (!layout_fits(l, shape.empty() ? 1 : shape.size())) continue;
    if (md == md_of(shape, DType::kFloat32, l)) return l;
    // Same layout, other element type: compare with the descriptor's own type.
    dnnl::memory::desc same = dnnl::memory::desc(dims_of(shape.empty() ? Shape{1} : shape), md.data_type(),
                                                 tag_of(l, shape.empty() ? 1 : shape.size()));
    if (md == same) return l;
  }
  return std::nullopt;
}

void append_activation(dnnl::post_ops& ops, const ir::FusedActivation& a) {
  using alg = dnnl::algorithm;
  using K = ir::ActivationKind;
  switch (a.kind) {
    case K::kNone: return;
    case K::kRelu: ops.append_eltwise(1.0f, alg::eltwise_relu, 0.0f, 0.0f); return;
    case K::kLeakyRelu: ops.append_eltwise(1.0f, alg::eltwise_relu, a.alpha, 0.0f); return;
    case K::kClip: ops.append_eltwise(1.0f, alg::eltwise_clip_v2, a.alpha, a.beta); return;
    case K::kSigmoid: ops.append_eltwise(1.0f, alg::eltwise_logistic, 0.0f, 0.0f); return;
    case K::kHardSigmoid:
      // oneDNN 2.6 has no hardsigmoid: max(0, min(1, alpha * x + beta)) is linear then clip.
      ops.append_eltwise(1.0f, alg::eltwise_linear, a.alpha, a.beta);
      ops.append_eltwise(1.0f, alg::eltwise_clip_v2, 0.0f, 1.0f);
      return;
    case K::kHardSwish: ops.append_eltwise(1.0f, alg::eltwise_hardswish, 0.0f, 0.0f); return;
    case K::kTanh: ops.append_eltwise(1.0f, alg::eltwise_tanh, 0.0f, 0.0f); return;
    case K::kSwish: ops.append_eltwise(1.0f, alg::eltwise_swish, 1.0f, 0.0f); return;
    case K::kGelu: ops.append_eltwise(1.0f, alg::eltwise_gelu_erf, 0.0f, 0.0f); return;
  }
}

std::string read_activation(const ir::Node& node, ir::FusedActivation& out) {
  try {
    out = ir::read_fused_activation(node);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string impl_of(const dnnl::primitive_desc_base& pd) { return pd.impl_info_str(); }

bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  const std::string impl = impl_of(pd);
  return impl.rfind("ref", 0) == 0;
}

std::string reference_why_not(const dnnl::primitive_desc_base& pd) {
  return is_reference_impl(pd) ? cat("oneDNN offers only ", impl_of(pd)) : std::string();
}

dnnl::primitive_attr DnnlKernel::base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::memory DnnlKernel::src_memory(int input, const dnnl::memory::desc& md) {
  dnnl::memory m(md, engine(), nullptr);
  bindings_.push_back({Binding::Kind::kSrc, input, 0, m});
  return m;
}

dnnl::memory DnnlKernel::dst_memory(int output, const dnnl::memory::desc& md) {
  dnnl::memory m(md, engine(), nullptr);
  bindings_.push_back({Binding::Kind::kDst, output, 0, m});
  return m;
}

dnnl::memory DnnlKernel::scratch_memory(const dnnl::memory::desc& md) {
  dnnl::memory m(md, engine(), nullptr);
  bindings_.push_back({Binding::Kind::kScratch, 0, scratch_bytes_, m});
  scratch_bytes_ += (md.get_size() + 63) / 64 * 64;
  return m;
}

dnnl::memory DnnlKernel::pack_constant(const void* data, const dnnl::memory::desc& user_md,
                                       const dnnl::memory::desc& md) {
  dnnl::memory packed(md, engine());  // owned by oneDNN, zero padding set up
  dnnl::memory user(user_md, engine(), const_cast<void*>(data));  // only read by the reorder
  dnnl::reorder(user, packed).execute(stream(), user, packed);
  stream().wait();
  return packed;
}

void DnnlKernel::add_call(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                          std::vector<std::pair<int, dnnl::memory>> args) {
  const dnnl::memory::desc scratchpad = pd.scratchpad_desc();
  if (scratchpad.get_size() > 0) args.emplace_back(DNNL_ARG_SCRATCHPAD, scratch_memory(scratchpad));
  Call call;
  call.prim = prim;
  call.owned_args = std::move(args);
  for (const auto& [arg, mem] : call.owned_args) call.args.push_back({arg, mem.get()});
  calls_.push_back(std::move(call));
}

void DnnlKernel::zero_padding_after(int output, const TensorDesc& desc) {
  if (desc.layout != Layout::kNChw8c || desc.shape.size() < 2 || desc.shape[1] % 8 == 0) return;
  if (desc.dtype != DType::kFloat32) fail("zero padding of nChw8c ", dtype_name(desc.dtype), " is not supported");
  ZeroPad z{};
  z.output = output;
  z.cb = (desc.shape[1] + 7) / 8;
  z.valid = desc.shape[1] % 8;
  z.spatial = 1;
  for (size_t d = 2; d < desc.shape.size(); ++d) z.spatial *= desc.shape[d];
  z.batch = desc.shape[0];
  zero_pad_.push_back(z);
}

dnnl::memory::desc flat_md(const TensorDesc& desc) {
  return dnnl::memory::desc({static_cast<int64_t>(desc.bytes() / dtype_size(desc.dtype))}, dt_of(desc.dtype), tag::a);
}

void DnnlKernel::copy_input_to_output(int from, int to, size_t bytes) {
  copy_from_ = from;
  copy_to_ = to;
  copy_bytes_ = bytes;
}

void DnnlKernel::execute(const ExecArgs& args) {
  for (Binding& b : bindings_) {
    void* ptr = nullptr;
    switch (b.kind) {
      case Binding::Kind::kSrc: ptr = const_cast<void*>(args.src[b.index]); break;
      case Binding::Kind::kDst: ptr = args.dst[b.index]; break;
      case Binding::Kind::kScratch: ptr = static_cast<char*>(args.scratch) + b.offset; break;
    }
    b.memory.set_data_handle(ptr);
  }
  if (copy_from_ >= 0 && args.src[copy_from_] != args.dst[copy_to_])
    std::memcpy(args.dst[copy_to_], args.src[copy_from_], copy_bytes_);
  for (Call& c : calls_) {
    const dnnl_status_t status =
        dnnl_primitive_execute(c.prim.get(), stream().get(), static_cast<int>(c.args.size()), c.args.data());
    if (status != dnnl_success) fail("oneDNN primitive failed to execute (status ", static_cast<int>(status), ")");
  }
  for (const ZeroPad& z : zero_pad_) {
    auto* dst = static_cast<float*>(args.dst[z.output]);
    const int64_t pad = 8 - z.valid;
#pragma omp parallel for collapse(2)
    for (int64_t n = 0; n < z.batch; ++n)
      for (int64_t s = 0; s < z.spatial; ++s)
        std::memset(dst + ((n * z.cb + z.cb - 1) * z.spatial + s) * 8 + z.valid, 0, static_cast<size_t>(pad) * sizeof(float));
  }
}

}  // namespace octet::rt::onednn
