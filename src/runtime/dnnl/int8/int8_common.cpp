// Small pieces the oneDNN INT8 kernels share.
#include "octet/engine.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"

namespace octet::rt::onednn::int8 {

Layout int8_layout(size_t rank) { return layout_fits(Layout::kNhwc, rank) ? Layout::kNhwc : Layout::kPlain; }

bool int8_dot_products_exact() { return cpu_info().int8_vnni; }

dnnl::memory zero_point_memory(int32_t value) {
  dnnl::memory m(dnnl::memory::desc({1}, dnnl::memory::data_type::s32, dnnl::memory::format_tag::a), engine());
  *static_cast<int32_t*>(m.get_data_handle()) = value;
  return m;
}

dnnl::pooling_v2_forward::primitive_desc int8_pool_pd(dnnl::algorithm alg, const TensorDesc& x, const TensorDesc& y,
                                                      Layout layout, const Window& w) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, md_of(x.shape, x.dtype, layout),
                                   md_of(y.shape, y.dtype, layout), w.strides, w.kernel, w.dilations, w.pad_l,
                                   w.pad_r);
  return dnnl::pooling_v2_forward::primitive_desc(d, attr, engine());
}

Int8PoolKernel::Int8PoolKernel(KernelContext& ctx, const Int8PoolSetup& s) {
  ctx.inputs[0].layout = s.layout;
  ctx.outputs[0].layout = s.layout;
  add_call(dnnl::pooling_v2_forward(s.pd), s.pd,
           {{DNNL_ARG_SRC, src_memory(0, s.pd.src_desc())}, {DNNL_ARG_DST, dst_memory(0, s.pd.dst_desc())}});
}

}  // namespace octet::rt::onednn::int8
