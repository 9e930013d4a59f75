// IR -> ONNX ModelProto.
#include <onnx/onnx_pb.h>

#include "octet/engine.hpp"
#include "octet/error.hpp"
#include "onnx/loader.hpp"
#include "onnx/tensor_proto.hpp"

namespace octet::onnx_io {

void save_model(const ir::Graph& graph, const std::string& path) {
  fail(path, ": saving models is not implemented yet");
}

}  // namespace octet::onnx_io
