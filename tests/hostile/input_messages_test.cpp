// Messages about bad input files that name the real cause, and only a short excerpt of it: a
// huge string in a config or a huge .npy header is quoted in part; a key given twice is an
// error instead of "the last one wins"; the odd image of a folder of mixed sizes and the sample
// with an out-of-range label are named; a count of 0 samples means the same to every command.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_fixture.hpp"
#include "data/image_io.hpp"

namespace octet::testing {
namespace {

namespace fs = std::filesystem;

class HostileInputMessages : public CliTest {
 protected:
  // x [1,3,2,2] -> GlobalAveragePool -> Flatten -> y [1,3]: takes 2x2 RGB images, 3 "classes".
  std::string image_model() const {
    const std::string file = path("img.onnx");
    OnnxBuilder()
        .input("x", {int64_t{1}, int64_t{3}, int64_t{2}, int64_t{2}})
        .node("GlobalAveragePool", {"x"}, {"p"}, "pool")
        .node("Flatten", {"p"}, {"y"}, "flat")
        .output("y", {int64_t{1}, int64_t{3}})
        .save(file);
    return file;
  }
  std::string png(const std::string& name, int h, int w) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    std::vector<uint8_t> pixels(static_cast<size_t>(h * w * 3), 100);
    std::ofstream(path(name), std::ios::binary) << data::encode_image(pixels.data(), h, w, 3, ".png");
    return path(name);
  }
  std::string write_file(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }
  static void expect_error(const ProcessResult& r, const std::string& piece, size_t max_chars = 2000) {
    EXPECT_EQ(r.exit_code, 1) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find(piece), std::string::npos) << piece << "\n" << r.output.substr(0, 2000);
    EXPECT_LT(r.output.size(), max_chars) << r.output.substr(0, 2000);
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output.substr(0, 2000);
  }
  // A .npy file whose header is `header` (padded as numpy does) followed by `data`.
  std::string npy_with_header(const std::string& name, std::string header, const std::string& data) const {
    header.append((64 - (12 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY";
    bytes += '\x02';
    bytes += '\x00';
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return write_file(name, bytes + header + data);
  }
};

TEST_F(HostileInputMessages, AHugeStringIsQuotedAsAnExcerpt) {
  const std::string model = image_model(), huge(1 << 20, 'z');
  const std::string cfg = write_file("cfg.json", R"({"algorithms": [{"name": ")" + huge + R"("}]})");
  expect_error(octet({"quantize", model, "--config", cfg, "--data", png("one/a.png", 2, 2), "-o", path("q.onnx")}),
               "is 'zzzz");
  const std::string broken = write_file("broken.json", R"({"model": ")" + huge + R"(")");  // unterminated
  expect_error(octet({"quantize", "--config", broken, "-o", path("q.onnx")}), broken + ": not valid JSON");
  const std::string npy = npy_with_header("long.npy", "{'descr': '<" + std::string(20000, 'f') +
                                                          "', 'fortran_order': False, 'shape': (1,), }", "abcd");
  expect_error(octet({"run", model, "--input", "x=" + npy, "--output-dir", path("out")}), "(20001 characters)");
}

TEST_F(HostileInputMessages, AKeyGivenTwiceIsAnError) {
  const std::string model = image_model(), data = png("one/a.png", 2, 2);
  const std::string cfg = write_file("twice.json", R"({"algorithms": [{"name": "DefaultQuantization",
      "params": {"preset": "performance", "preset": "mixed"}}]})");
  expect_error(octet({"quantize", model, "--config", cfg, "--data", data, "-o", path("q.onnx")}),
               cfg + ": key 'preset' is given twice in one object");
  expect_error(octet({"eval", model, "--data", path("one"), "--preprocess", R"({"scale": 1, "scale": 2})"}),
               "key 'scale' is given twice");
  const std::string two = write_file("two.json", R"({"algorithms": [{"name": "DefaultQuantization"},
      {"name": "AccuracyAwareQuantization"}]})");
  expect_error(octet({"quantize", model, "--config", two, "--data", data, "-o", path("q.onnx")}),
               two + ": 'algorithms' has 2 entries; octet runs one algorithm per config");
  const std::string npy = npy_with_header(
      "twice.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (1, 3, 2, 2), }", "abcd");
  expect_error(octet({"run", model, "--input", "x=" + npy, "--output-dir", path("out")}),
               npy + ": .npy header gives 'shape' twice");
  EXPECT_FALSE(fs::exists(path("q.onnx")));
}

TEST_F(HostileInputMessages, ZeroSamplesIsTheSameErrorForEveryCommand) {
  const std::string model = image_model(), data = png("one/a.png", 2, 2);
  const std::string why = " wants a number of samples of at least 1, got '0' (leave the flag out for all samples)";
  expect_error(octet({"eval", model, "--data", path("one"), "--labels", write_file("l.txt", "0\n"), "--subset", "0"}),
               "--subset" + why);
  expect_error(octet({"quantize", model, "--data", data, "-o", path("q.onnx"), "--subset-size", "0"}), "--subset-size" + why);
  expect_error(octet({"quantize", model, "--data", data, "-o", path("q.onnx"), "--eval-subset", "0"}), "--eval-subset" + why);
}

TEST_F(HostileInputMessages, MixedImageSizesAndBadLabelsNameTheFile) {
  const std::string model = image_model();
  png("mixed/a.png", 2, 2);
  const std::string odd = png("mixed/b.png", 3, 2);
  // Labelled, so that eval gets as far as reading the images (top1 without labels is refused first).
  const std::string mixed_labels = write_file("mixed_labels.txt", "0\n1\n");
  expect_error(octet({"eval", model, "--data", path("mixed"), "--labels", mixed_labels}), "gives [1,3,3,2] for " + odd);
  expect_error(octet({"quantize", model, "--data", path("mixed"), "-o", path("q.onnx")}),
               odd + ": a sample of shape [1,3,3,2], but " + path("mixed/a.png") + " has [1,3,2,2]");
  png("labelled/a.png", 2, 2);
  png("labelled/b.png", 2, 2);
  const std::string labels = write_file("labels.txt", "1\n7\n");
  expect_error(octet({"eval", model, "--data", path("labelled"), "--labels", labels}),
               "label 7 is out of range for 3 classes (in " + path("labelled/b.png") + ")");
}

TEST_F(HostileInputMessages, AnInitializerListedAsAnInputIsNamedAsSuch) {
  const std::string model = path("w.onnx");
  OnnxBuilder()
      .input("x", {int64_t{3}})
      .input("W", {int64_t{3}})
      .initializer("W", {3}, {1, 2, 3})
      .node("Add", {"x", "W"}, {"y"}, "add")
      .output("y", {int64_t{3}})
      .save(model);
  const std::string x = write_input("x.npy", {3}, {0, 0, 0}), w = write_input("W.npy", {3}, {5, 5, 5});
  expect_error(octet({"run", model, "--input", "x=" + x, "--input", "W=" + w, "--output-dir", path("out")}),
               model + ": 'W' is an initializer that the model also lists as an input (a default value)");
}

}  // namespace
}  // namespace octet::testing
