// Image folders: class sub-folders give sorted labels, an ImageNet-style list fixes samples
// and order, PNG pixels survive exactly, JPEG closely, and bad images or empty folders are
// refused naming the file (a bad image as BadSampleError, which evaluation may skip).
#include <cmath>

#include "data/data_fixture.hpp"

namespace octet::testing {
namespace {

using FolderDataset = DataTest;

// A w x h RGB image whose pixel (y, x) is (base + 10y + x, 2 * base, 255 - base).
std::vector<uint8_t> pattern(int h, int w, int base) {
  std::vector<uint8_t> p;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      p.push_back(static_cast<uint8_t>(base + 10 * y + x));
      p.push_back(static_cast<uint8_t>(2 * base));
      p.push_back(static_cast<uint8_t>(255 - base));
    }
  return p;
}

TEST_F(FolderDataset, ClassSubFoldersGiveSortedLabelsAndExactPngPixels) {
  write_image("imgs/zebra/b.png", 2, 3, 3, pattern(2, 3, 40));
  write_image("imgs/zebra/a.png", 2, 3, 3, pattern(2, 3, 30));
  write_image("imgs/ant/only.png", 2, 3, 3, pattern(2, 3, 20));
  write_bytes(path("imgs/ant/notes.txt"), "not an image, ignored");
  auto data = open_dataset(path("imgs"));
  ASSERT_EQ(data->size(), 3u);
  ASSERT_TRUE(data->has_labels());
  // ant -> 0, zebra -> 1; files sorted within a class.
  EXPECT_EQ(data->sample(0).labels, std::vector<int64_t>{0});
  EXPECT_EQ(data->sample(1).labels, std::vector<int64_t>{1});
  EXPECT_NE(data->sample_name(1).find("zebra/a.png"), std::string::npos);
  const Sample s = data->sample(2);  // zebra/b.png, base 40, NCHW RGB, no scaling
  ASSERT_EQ(s.inputs[0].shape, (Shape{1, 3, 2, 3}));
  const float* v = s.inputs[0].data<float>();
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) {
      EXPECT_EQ(v[0 * 6 + y * 3 + x], 40 + 10 * y + x);
      EXPECT_EQ(v[1 * 6 + y * 3 + x], 80);
      EXPECT_EQ(v[2 * 6 + y * 3 + x], 215);
    }
}

TEST_F(FolderDataset, AppliesScaleMeanStdBgrAndNhwc) {
  write_image("imgs/one.png", 2, 2, 3, pattern(2, 2, 50));
  Preprocess p = Preprocess::from_json(
      R"({"scale": 0.5, "mean": [1, 2, 3], "std": [2, 4, 8], "color": "bgr", "layout": "NHWC"})", "test");
  auto data = open_dataset(path("imgs"), "", p);
  EXPECT_FALSE(data->has_labels());
  const Sample s = data->sample(0);
  ASSERT_EQ(s.inputs[0].shape, (Shape{1, 2, 2, 3}));
  const float* v = s.inputs[0].data<float>();
  // Pixel (1, 1) = RGB (61, 100, 205); BGR order, so channel 0 is blue.
  const float* px = v + (1 * 2 + 1) * 3;
  EXPECT_FLOAT_EQ(px[0], (205 * 0.5f - 1) / 2);
  EXPECT_FLOAT_EQ(px[1], (100 * 0.5f - 2) / 4);
  EXPECT_FLOAT_EQ(px[2], (61 * 0.5f - 3) / 8);
}

TEST_F(FolderDataset, ResizesCropsAndConvertsToGray) {
  // 4x6 gray gradient: value 10 * x + y.
  std::vector<uint8_t> gray;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x) gray.push_back(static_cast<uint8_t>(10 * x + y));
  write_image("imgs/g.png", 4, 6, 1, gray);

  // Exact nearest-neighbour resize to 8x12 repeats every pixel twice in each direction.
  auto nearest = open_dataset(path("imgs"), "",
                              Preprocess::from_json(R"({"resize": [8, 12], "interpolation": "nearest", "color": "gray"})", "t"));
  const Sample n = nearest->sample(0);
  ASSERT_EQ(n.inputs[0].shape, (Shape{1, 1, 8, 12}));
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 12; ++x) ASSERT_EQ(n.inputs[0].data<float>()[y * 12 + x], 10 * (x / 2) + y / 2) << y << "," << x;

  // Shorter side 2 keeps the 2:3 aspect (-> 2x3), then a centre crop of 2x1 takes column 1.
  auto shorter = open_dataset(path("imgs"), "",
                              Preprocess::from_json(R"({"resize_shorter": 2, "interpolation": "area", "crop": [2, 1], "color": "gray"})", "t"));
  const Sample s = shorter->sample(0);
  ASSERT_EQ(s.inputs[0].shape, (Shape{1, 1, 2, 1}));
  // Area resize by 2: each output pixel is the mean of a 2x2 block; column 1 covers x 2..3.
  EXPECT_FLOAT_EQ(s.inputs[0].data<float>()[0], std::round((20 + 30 + 21 + 31) / 4.0f));
  EXPECT_FLOAT_EQ(s.inputs[0].data<float>()[1], std::round((22 + 32 + 23 + 33) / 4.0f));

  // Color image to gray: the standard luma weights.
  write_image("color/c.png", 1, 1, 3, {200, 100, 50});
  auto gray_data = open_dataset(path("color"), "", Preprocess::from_json(R"({"color": "gray"})", "t"));
  const Sample g = gray_data->sample(0);
  ASSERT_EQ(g.inputs[0].shape, (Shape{1, 1, 1, 1}));
  EXPECT_NEAR(g.inputs[0].data<float>()[0], 0.299 * 200 + 0.587 * 100 + 0.114 * 50, 1.0);
}

TEST_F(FolderDataset, DecodesJpegClosely) {
  std::vector<uint8_t> flat(8 * 8 * 3);
  for (size_t i = 0; i < flat.size(); i += 3) { flat[i] = 200; flat[i + 1] = 30; flat[i + 2] = 90; }
  write_image("imgs/flat.jpg", 8, 8, 3, flat);
  const Sample s = open_dataset(path("imgs"))->sample(0);
  ASSERT_EQ(s.inputs[0].shape, (Shape{1, 3, 8, 8}));
  EXPECT_NEAR(s.inputs[0].data<float>()[0], 200, 4);
  EXPECT_NEAR(s.inputs[0].data<float>()[64], 30, 4);
  EXPECT_NEAR(s.inputs[0].data<float>()[128], 90, 4);
}

TEST_F(FolderDataset, LabelListFixesSamplesAndOrder) {
  write_image("val/x1.png", 1, 1, 3, {1, 2, 3});
  write_image("val/x2.png", 1, 1, 3, {4, 5, 6});
  write_image("val/sub dir/x3.png", 1, 1, 3, {7, 8, 9});
  write_bytes(path("val.txt"), "x2.png 7\n# comment\n\nsub dir/x3.png 0\r\nx1.png 3\n");
  auto data = open_dataset(path("val"), path("val.txt"));
  ASSERT_EQ(data->size(), 3u);
  EXPECT_EQ(data->sample(0).labels, std::vector<int64_t>{7});
  EXPECT_EQ(data->sample(0).inputs[0].data<float>()[0], 4);
  EXPECT_EQ(data->sample(1).labels, std::vector<int64_t>{0});
  EXPECT_EQ(data->sample(1).inputs[0].data<float>()[0], 7);
  EXPECT_EQ(data->sample(2).labels, std::vector<int64_t>{3});
}

TEST_F(FolderDataset, BadImagesAreBadSamplesNamingTheFile) {
  write_image("imgs/a/good.png", 2, 2, 3, pattern(2, 2, 0));
  write_bytes(path("imgs/a/broken.png"), "\x89PNG\r\n\x1a\n but then garbage");
  const std::string jpg = data::encode_image(pattern(8, 8, 5).data(), 8, 8, 3, ".jpg");
  write_bytes(path("imgs/a/cut.jpg"), jpg.substr(0, 20));
  auto data = open_dataset(path("imgs"));
  ASSERT_EQ(data->size(), 3u);  // broken.png, cut.jpg, good.png
  for (size_t i : {size_t{0}, size_t{1}}) {
    try {
      data->sample(i);
      ADD_FAILURE() << "sample " << i << " decoded";
    } catch (const BadSampleError& e) {
      EXPECT_NE(std::string(e.what()).find(i == 0 ? "broken.png" : "cut.jpg"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(data->sample(2).inputs[0].shape, (Shape{1, 3, 2, 2}));
  // A listed file that is missing is a bad sample too.
  write_bytes(path("list.txt"), "a/good.png 1\na/gone.png 2\n");
  auto listed = open_dataset(path("imgs"), path("list.txt"));
  EXPECT_THROW(listed->sample(1), BadSampleError);
}

// OpenCV picks a decoder by content: a file named .png holding another format reaches that
// format's decoder. Only the listed formats are decoded; a DICOM file (the signature "DICM" at
// byte 128, which sends OpenCV to GDCM, whose reader aborted on this fuzzer-made file) is a bad
// sample naming the file, and a JPEG named .png still decodes as the JPEG it is.
TEST_F(FolderDataset, DecodesOnlyTheListedFormatsWhateverTheName) {
  std::string dicom(128, '\0');
  dicom += "DICM";
  dicom += std::string(64, '\x01');
  write_bytes(path("imgs/a/scan.png"), dicom);
  write_bytes(path("imgs/a/photo.png"), data::encode_image(pattern(4, 4, 1).data(), 4, 4, 3, ".jpg"));
  auto data = open_dataset(path("imgs"));
  ASSERT_EQ(data->size(), 2u);  // photo.png, scan.png
  EXPECT_EQ(data->sample(0).inputs[0].shape, (Shape{1, 3, 4, 4}));
  try {
    data->sample(1);
    ADD_FAILURE() << "the DICOM file reached a decoder";
  } catch (const BadSampleError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("scan.png"), std::string::npos) << what;
    EXPECT_NE(what.find("not a JPEG, PNG"), std::string::npos) << what;
  }
}

TEST_F(FolderDataset, RefusesEmptyFoldersAndMismatchedLabels) {
  std::filesystem::create_directories(path("empty/cats"));
  expect_error([&] { open_dataset(path("empty")); }, {"empty", "no images"});
  write_image("two/a.png", 1, 1, 3, {1, 2, 3});
  write_image("two/b.png", 1, 1, 3, {1, 2, 3});
  write_bytes(path("three.txt"), "0\n1\n2\n");
  expect_error([&] { open_dataset(path("two"), path("three.txt")); }, {"three.txt", "3 labels", "2 images"});
  expect_error([&] { open_dataset(path("two"), "", Preprocess::from_json(R"({"mean": [1, 2]})", "t")); }, {"mean", "2 values"});
  // A crop larger than the image is a configuration error, not a bad sample.
  auto cropped = open_dataset(path("two"), "", Preprocess::from_json(R"({"crop": [4, 4]})", "t"));
  expect_error([&] { cropped->sample(0); }, {"a.png", "crop"});
}

TEST(PreprocessJson, RoundTripsAndRefusesTypos) {
  const Preprocess p = Preprocess::from_json(
      R"({"resize_shorter": 256, "crop": [224, 224], "interpolation": "cubic", "scale": 0.5,
          "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "color": "bgr", "layout": "NHWC"})",
      "test");
  const Preprocess q = Preprocess::from_json(p.to_json(), "round trip");
  EXPECT_EQ(q.resize_shorter, 256);
  EXPECT_EQ(q.crop_height, 224);
  EXPECT_EQ(q.crop_width, 224);
  EXPECT_EQ(q.interpolation, Interpolation::kCubic);
  EXPECT_EQ(q.scale, 0.5f);
  EXPECT_EQ(q.mean, p.mean);
  EXPECT_EQ(q.std, p.std);
  EXPECT_TRUE(q.bgr);
  EXPECT_EQ(q.layout, Layout::kNHWC);
  expect_error([] { Preprocess::from_json(R"({"sclae": 2})", "model.onnx"); }, {"model.onnx", "sclae"});
  expect_error([] { Preprocess::from_json(R"({"std": [0]})", "x"); }, {"std", "positive"});
  expect_error([] { Preprocess::from_json(R"({"interpolation": "lanczos"})", "x"); }, {"lanczos"});
  expect_error([] { Preprocess::from_json("{not json", "flags"); }, {"flags", "JSON"});
}

// Symlinks back up the tree: the walk ends, and each image is one sample whichever way it is
// reached (a class folder linked from elsewhere is still followed).
TEST_F(FolderDataset, SymlinkLoopsEndAndCountEachImageOnce) {
  for (const char* f : {"imgs/a/1.png", "imgs/a/2.png", "imgs/b/1.png", "imgs/b/2.png"})
    write_image(f, 2, 2, 3, pattern(2, 2, 10));
  std::filesystem::create_directory_symlink("..", path("imgs/a/up"));
  auto one_loop = open_dataset(path("imgs"));
  EXPECT_EQ(one_loop->size(), 4u);
  EXPECT_EQ(one_loop->describe(), path("imgs") + " (4 images, 2 classes, labelled)");
  std::filesystem::create_directory_symlink("..", path("imgs/b/up"));
  std::filesystem::create_directory_symlink("../../imgs", path("imgs/b/again"));
  auto loops = open_dataset(path("imgs"));
  ASSERT_EQ(loops->size(), 4u);
  EXPECT_EQ(loops->sample(2).labels, std::vector<int64_t>{1});  // b's images stay b's
  // A flat folder with a loop, and a class folder that is a link to one outside the tree.
  write_image("flat/x.png", 2, 2, 3, pattern(2, 2, 10));
  std::filesystem::create_directory_symlink(".", path("flat/self"));
  EXPECT_EQ(open_dataset(path("flat"))->size(), 1u);
  write_image("outside/4.png", 2, 2, 3, pattern(2, 2, 10));
  std::filesystem::create_directory_symlink(path("outside"), path("linked/a"));
  write_image("linked/z/3.png", 2, 2, 3, pattern(2, 2, 10));
  EXPECT_EQ(open_dataset(path("linked"))->size(), 2u);
}

}  // namespace
}  // namespace octet::testing
