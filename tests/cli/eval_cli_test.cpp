// `octet eval` as a user runs it: the JSON report, subsets, reference comparisons, and every
// kind of bad data ending in exit 1 with a message naming the file or sample (or, with
// --skip-bad, a counted warning).
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.hpp"
#include "data/image_io.hpp"

namespace octet::testing {
namespace {

class CliEval : public CliTest {
 protected:
  // x [N,4] -> Identity: the dataset rows are the class scores.
  std::string identity_model(int64_t classes = 4) const {
    const std::string file = path("identity.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), classes})
        .node("Identity", {"x"}, {"y"})
        .output("y", {std::string("N"), classes})
        .save(file);
    return file;
  }
  // x [N,1,2,2] -> Flatten -> [N,4]: a 2x2 gray image's pixels are the class scores.
  std::string image_model() const {
    const std::string file = path("flatten.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), int64_t{1}, int64_t{2}, int64_t{2}})
        .node("Flatten", {"x"}, {"y"})
        .output("y", {std::string("N"), int64_t{4}})
        .save(file);
    return file;
  }
  // 10 rows: row r scores class r % 4 highest; labels say r % 4 except rows 3 and 7.
  void write_rows(const std::string& x, const std::string& y) const {
    std::vector<float> v(40, 0.0f);
    std::vector<int64_t> l(10);
    for (int r = 0; r < 10; ++r) {
      v[r * 4 + r % 4] = 1.0f;
      l[r] = (r == 3 || r == 7) ? 0 : r % 4;
    }
    data::write_npy(x, Tensor::from_vector(DType::kFloat32, {10, 4}, v));
    data::write_npy(y, Tensor::from_vector(DType::kInt64, {10}, l));
  }
  void write_png(const std::string& name, const std::vector<uint8_t>& gray) const {
    const std::string file = path(name);
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file, std::ios::binary) << data::encode_image(gray.data(), 2, 2, 1, ".png");
  }
  static nlohmann::json last_json_line(const std::string& output) {
    const auto start = output.rfind("\n{");
    return nlohmann::json::parse(output.substr(start == std::string::npos ? output.find('{') : start + 1));
  }
};

TEST_F(CliEval, ReportsTop1AsJson) {
  const std::string x = path("x.npy"), y = path("y.npy");
  write_rows(x, y);
  for (const char* batch : {"1", "3"}) {
    const ProcessResult r = octet({"eval", identity_model(), "--data", x, "--labels", y, "--batch", batch, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const nlohmann::json j = last_json_line(r.output);
    EXPECT_EQ(j.at("metric"), "top1");
    EXPECT_DOUBLE_EQ(j.at("value").get<double>(), 0.8);
    EXPECT_EQ(j.at("samples"), 10);
    // stderr is a pipe here, not a terminal: no progress bar.
    EXPECT_EQ(r.output.find('\r'), std::string::npos) << r.output;
  }
  const ProcessResult text = octet({"eval", identity_model(), "--data", x, "--labels", y});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("top1: 0.8000 (80.00%) on 10 samples"), std::string::npos) << text.output;
}

TEST_F(CliEval, SubsetAndReferenceComparisons) {
  const std::string x = path("x.npy"), y = path("y.npy");
  write_rows(x, y);
  const ProcessResult sub = octet({"eval", identity_model(), "--data", x, "--labels", y, "--subset", "4", "--seed", "2", "--json"});
  ASSERT_EQ(sub.exit_code, 0) << sub.output;
  EXPECT_EQ(last_json_line(sub.output).at("samples"), 4);
  // No labels, a reference: agreement by default; a model agrees with itself.
  const ProcessResult agree = octet({"eval", identity_model(), "--data", x, "--reference", identity_model(), "--json"});
  ASSERT_EQ(agree.exit_code, 0) << agree.output;
  EXPECT_EQ(last_json_line(agree.output).at("metric"), "agreement");
  EXPECT_DOUBLE_EQ(last_json_line(agree.output).at("value").get<double>(), 1.0);
  const ProcessResult cos = octet({"eval", identity_model(), "--data", x, "--reference", identity_model(), "--metric", "cosine", "--json"});
  ASSERT_EQ(cos.exit_code, 0) << cos.output;
  EXPECT_DOUBLE_EQ(last_json_line(cos.output).at("value").get<double>(), 1.0);
}

TEST_F(CliEval, SkipBadTurnsACorruptImageIntoAWarning) {
  write_png("imgs/c0/a.png", {9, 1, 1, 1});
  write_png("imgs/c1/b.png", {1, 9, 1, 1});
  std::ofstream(path("imgs/c1/broken.png"), std::ios::binary) << "\x89PNG\r\n\x1a\nbroken";
  const std::string gray = R"({"color":"gray"})";
  const ProcessResult fails = octet({"eval", image_model(), "--data", path("imgs"), "--preprocess", gray});
  EXPECT_EQ(fails.exit_code, 1) << fails.output;
  EXPECT_NE(fails.output.find("broken.png"), std::string::npos) << fails.output;
  const ProcessResult skips = octet({"eval", image_model(), "--data", path("imgs"), "--preprocess", gray, "--skip-bad", "--json"});
  ASSERT_EQ(skips.exit_code, 0) << skips.output;
  EXPECT_NE(skips.output.find("skipped 1 bad sample"), std::string::npos) << skips.output;
  EXPECT_NE(skips.output.find("broken.png"), std::string::npos) << skips.output;
  const nlohmann::json j = last_json_line(skips.output);
  EXPECT_EQ(j.at("samples"), 2);
  EXPECT_EQ(j.at("skipped"), 1);
  EXPECT_DOUBLE_EQ(j.at("value").get<double>(), 1.0);
}

struct BadCase {
  const char* what;
  std::vector<std::string> args;
  std::vector<std::string> message;
};

TEST_F(CliEval, BadDataFailsNamingTheProblem) {
  const std::string model = identity_model(), x = path("x.npy"), y = path("y.npy");
  write_rows(x, y);
  const std::string short_labels = path("short.npy"), wide = path("wide.npy");
  data::write_npy(short_labels, Tensor(DType::kInt64, {9}));
  data::write_npy(wide, Tensor(DType::kFloat32, {10, 5}));
  std::filesystem::create_directories(path("empty/class_a"));
  write_png("color/c0/a.png", {1, 2, 3, 4});
  const std::vector<BadCase> cases = {
      {"an input name the model lacks", {"eval", model, "--data", "pixels=" + x, "--labels", y},
       {"model input 'x' is not given by dataset pixels=", "the model's inputs: 'x'"}},
      {"labels count", {"eval", model, "--data", x, "--labels", short_labels}, {"short.npy", "9 labels", "10 samples"}},
      {"wrong width", {"eval", model, "--data", wide, "--labels", y}, {"'x'", "[1,5]", "wide.npy"}},
      {"empty folder", {"eval", image_model(), "--data", path("empty")}, {"empty", "no images"}},
      {"color into gray model", {"eval", image_model(), "--data", path("color")}, {"'x'", "[1,3,2,2]"}},
      {"fashion-mnist into a 4-wide model", {"eval", model, "--data", "fashion-mnist"}, {"'x'", "[1,1,28,28]"}},
      {"no labels for top1", {"eval", model, "--data", x}, {"top1", "labels"}},
      {"unknown metric", {"eval", model, "--data", x, "--labels", y, "--metric", "f1"}, {"f1", "top5"}},
      {"missing data", {"eval", model}, {"--data"}},
      {"missing file", {"eval", model, "--data", path("nope.npy")}, {"nope.npy"}},
      {"preprocess typo", {"eval", image_model(), "--data", path("color"), "--preprocess", R"({"colour":"gray"})"}, {"colour"}},
      {"bad batch", {"eval", model, "--data", x, "--labels", y, "--batch", "0"}, {"--batch"}},
  };
  for (const BadCase& c : cases) {
    const ProcessResult r = octet(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.what << "\n" << r.output;
    for (const std::string& piece : c.message)
      EXPECT_NE(r.output.find(piece), std::string::npos) << c.what << ": '" << piece << "' not in:\n" << r.output;
  }
}

}  // namespace
}  // namespace octet::testing
