// An input value ONNX makes an error, found while a node computes (integer division by zero):
// the model is well formed but these values have no answer. It is an octet::Error like every
// other; the subtype only lets constant folding tell it from "no kernel can evaluate this
// node", which folding skips quietly, so that the error is reported when folding meets it.
#pragma once
#include "octet/error.hpp"

namespace octet {

class ValueError : public Error {
 public:
  using Error::Error;
};

}  // namespace octet
