// Which shape function serves which op: each family file answers for its own ops, so adding
// an op means adding its function in the file of its family.
#include "ir/shapes/shape_fn.hpp"
#include "ir/shapes/shape_util.hpp"

namespace octet::ir {
ShapeFn shape_fn_for(OpKind op) {
  using namespace shapes;
  for (ShapeFn (*family)(OpKind) :
       {elementwise_shape_fn, conv_pool_shape_fn, matmul_shape_fn, reduce_shape_fn, reshape_shape_fn,
        gather_slice_shape_fn, resize_shape_fn, generator_shape_fn, normalization_shape_fn, quant_shape_fn,
        misc_shape_fn, quant_ops_shape_fn, control_flow_shape_fn})
    if (ShapeFn fn = family(op)) return fn;
  return nullptr;
}

}  // namespace octet::ir
