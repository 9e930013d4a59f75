// Shared by the tests that quantize the trained Fashion-MNIST models (models/fmnist_*.onnx):
// where the models are, calibration samples from the training images, and compiling a QDQ
// model on octet's reference path (weights dequantized once, every activation Q/DQ run as is),
// the exact-QDQ-arithmetic oracle.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "octet/data.hpp"
#include "octet/engine.hpp"
#include "octet/quantize.hpp"
#include "quant/transforms/insert_qdq.hpp"

namespace octet::testing {

// $OCTET_FMNIST_MODELS overrides the folder (to try models before they are committed).
inline std::string fmnist_model_path(const std::string& name) {
  const char* env = std::getenv("OCTET_FMNIST_MODELS");
  const std::string dir = env && *env ? env : std::string(OCTET_SOURCE_DIR) + "/models";
  return dir + "/" + name + ".onnx";
}

// A seeded subset of `count` training images, preprocessed as the model's metadata says.
struct Calibration {
  std::shared_ptr<Dataset> data;
  std::vector<size_t> indices;
  SampleSource source() const {
    SampleSource s;
    s.count = indices.size();
    s.get = [this](size_t i) { return data->sample(indices.at(i)).inputs; };
    return s;
  }
};

inline Calibration fmnist_calibration(const Model& model, size_t count, uint64_t seed = 0) {
  Calibration c;
  c.data = open_dataset("fashion-mnist:train", "", Preprocess::from_model(model));
  c.indices = sample_indices(c.data->size(), count, seed);
  return c;
}

inline CompiledModel compile_reference(const Model& qdq, int64_t batch, int threads = 2) {
  Model folded = qdq;
  quant::fold_constant_dequantize(folded.mutable_graph());
  CompileOptions options;
  options.optimize = false;
  options.batch = batch;
  options.threads = threads;
  return CompiledModel::compile(folded, options);
}

inline CompiledModel compile_engine(const Model& model, int64_t batch, int threads = 2) {
  CompileOptions options;
  options.batch = batch;
  options.threads = threads;
  return CompiledModel::compile(model, options);
}

}  // namespace octet::testing
