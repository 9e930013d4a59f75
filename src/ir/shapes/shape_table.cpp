// Which shape function serves which op.
#include "ir/shapes/shape_fn.hpp"

namespace octet::ir {

ShapeFn shape_fn_for(OpKind op) {
  switch (op) {
    default: return nullptr;
  }
}

}  // namespace octet::ir
