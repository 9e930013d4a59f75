// The project's own Fashion-MNIST models (models/, trained by scripts/train_fashion_models.py):
// `octet eval` must reproduce each FP32 test accuracy PyTorch recorded in models/manifest.json,
// to within 0.1 points on all 10,000 test images, both from the IDX files (octet's own
// preprocessing, read from the model's metadata) and from a .npy this test preprocesses by
// hand from the raw pixels.
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

const std::string kModels = std::string(OCTET_SOURCE_DIR) + "/models";

nlohmann::json manifest() {
  std::ifstream in(kModels + "/manifest.json");
  if (!in) return nlohmann::json();
  return nlohmann::json::parse(in);
}

std::string inflate(const std::string& file) {
  gzFile f = gzopen(file.c_str(), "rb");
  std::string out;
  char buf[1 << 16];
  int n;
  while (f && (n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  if (f) gzclose(f);
  return out;
}

class CliEvalModels : public ::testing::TestWithParam<std::string> {
 protected:
  // The test images as float32 [10000,1,28,28], preprocessed with the manifest's constants in
  // the training script's order, and the labels as int64: written once for all models.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/octet-fmnist-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const nlohmann::json m = manifest();
    ASSERT_TRUE(m.contains("preprocess")) << kModels << "/manifest.json has no preprocess entry";
    const float scale = m["preprocess"]["scale"].get<float>();
    const float mean = m["preprocess"]["mean"][0].get<float>(), std = m["preprocess"]["std"][0].get<float>();
    const std::string images = inflate("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    const std::string labels = inflate("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
    ASSERT_EQ(images.size(), 16u + 10000u * 784u);
    ASSERT_EQ(labels.size(), 8u + 10000u);
    Tensor x(DType::kFloat32, {10000, 1, 28, 28});
    Tensor y(DType::kInt64, {10000});
    for (size_t i = 0; i < 10000u * 784u; ++i)
      x.data<float>()[i] = (static_cast<float>(static_cast<uint8_t>(images[16 + i])) * scale - mean) / std;
    for (size_t i = 0; i < 10000; ++i) y.data<int64_t>()[i] = static_cast<uint8_t>(labels[8 + i]);
    data::write_npy(dir_ + "/x.npy", x);
    data::write_npy(dir_ + "/y.npy", y);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static double eval_json(const std::vector<std::string>& args, std::string& output) {
    std::vector<std::string> argv = {OCTET_CLI, "eval"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* a : {"--batch", "100", "--threads", "2", "--json"}) argv.push_back(a);
    const ProcessResult r = run_process(argv);
    output = r.output;
    if (r.exit_code != 0) return -1.0;
    const nlohmann::json j = nlohmann::json::parse(output.substr(output.rfind("\n{") == std::string::npos ? output.find('{') : output.rfind("\n{") + 1));
    if (j.at("samples") != 10000) return -2.0;
    return j.at("value").get<double>();
  }

  static inline std::string dir_;
};

TEST_P(CliEvalModels, ReproducesTheManifestAccuracy) {
  const nlohmann::json m = manifest();
  ASSERT_TRUE(m.contains("models") && m["models"].contains(GetParam())) << "no " << GetParam() << " in models/manifest.json";
  const nlohmann::json& entry = m["models"][GetParam()];
  const std::string model = kModels + "/" + entry.at("file").get<std::string>();
  const double expected = entry.at("accuracy_top1").get<double>();
  std::string output;
  const double from_idx = eval_json({model, "--data", "fashion-mnist"}, output);
  EXPECT_NEAR(from_idx, expected, 0.001) << output;
  const double from_npy = eval_json({model, "--data", dir_ + "/x.npy", "--labels", dir_ + "/y.npy"}, output);
  EXPECT_NEAR(from_npy, expected, 0.001) << output;
}

INSTANTIATE_TEST_SUITE_P(Models, CliEvalModels, ::testing::Values("fmnist_resnet", "fmnist_mobilenet", "fmnist_vit"));

}  // namespace
}  // namespace octet::testing
