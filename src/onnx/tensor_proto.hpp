// TensorProto <-> octet::Tensor, shared by the loader and the writer.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

#include "octet/tensor.hpp"

namespace octet::onnx_io {

// Maps an ONNX TensorProto data type to DType; kUndefined if octet cannot hold it.
DType dtype_from_onnx(int32_t onnx_type);
int32_t dtype_to_onnx(DType dtype);

// Decodes a TensorProto (raw_data, typed fields or external data resolved against
// `model_dir`). `what` names the tensor in errors ("initializer 'conv1.weight' in m.onnx").
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what);

// Encodes a tensor as raw_data.
void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto* proto);

}  // namespace octet::onnx_io
