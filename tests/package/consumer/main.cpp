// Loads a model, quantizes it from a few seeded random samples, runs both and prints the
// outputs' shapes and the report's layer count: the public API end to end, from outside.
//   consumer MODEL.onnx OUT_INT8.onnx
#include <cstdio>
#include <random>

#include "octet/engine.hpp"
#include "octet/quantize.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer MODEL.onnx OUT_INT8.onnx\n");
    return 2;
  }
  try {
    const octet::Model model = octet::Model::load(argv[1]);
    const octet::ValueInfo in = model.inputs().at(0);
    octet::Shape shape = in.shape;
    if (!shape.empty() && shape[0] < 0) shape[0] = 1;
    std::mt19937 gen(7);
    std::normal_distribution<float> normal;
    std::vector<octet::Tensor> samples;
    for (int i = 0; i < 8; ++i) {
      octet::Tensor t(octet::DType::kFloat32, shape);
      for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = normal(gen);
      samples.push_back(std::move(t));
    }
    const octet::SampleSource source{samples.size(), [&](size_t i) { return std::vector<octet::Tensor>{samples[i]}; }};
    octet::QuantizeOptions options;
    options.threads = 1;
    const octet::QuantizeResult q = octet::quantize(model, source, options);
    q.model.save(argv[2]);
    octet::CompiledModel fp32 = octet::CompiledModel::compile(model);
    octet::CompiledModel int8 = octet::CompiledModel::compile(octet::Model::load(argv[2]));
    const auto a = fp32.run({samples[0]}), b = int8.run({samples[0]});
    std::printf("fp32 output %s, int8 output %s, %zu layers in the report\n", octet::shape_str(a.at(0).shape).c_str(),
                octet::shape_str(b.at(0).shape).c_str(), q.report.layers.size());
    return a.at(0).shape == b.at(0).shape && !q.report.layers.empty() ? 0 : 1;
  } catch (const octet::Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
