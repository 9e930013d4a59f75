// .npy datasets: rows come back in order with their labels, several inputs pair up by name,
// and every malformed file is refused with a message naming it.
#include "data/data_fixture.hpp"

namespace octet::testing {
namespace {

using NpyDataset = DataTest;

std::vector<float> iota_values(size_t n, float start = 0.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + 0.5f * static_cast<float>(i);
  return v;
}

TEST_F(NpyDataset, ReturnsRowsInOrderWithTheirLabels) {
  const std::string x = path("x.npy"), y = path("y.npy");
  data::write_npy(x, Tensor::from_vector(DType::kFloat32, {5, 2, 3}, iota_values(30)));
  data::write_npy(y, Tensor::from_vector(DType::kInt64, {5}, std::vector<int64_t>{4, 0, 3, 1, 2}));
  auto data = open_dataset(x, y);
  ASSERT_EQ(data->size(), 5u);
  EXPECT_TRUE(data->has_labels());
  const std::vector<int64_t> labels = {4, 0, 3, 1, 2};
  for (size_t i = 0; i < 5; ++i) {
    const Sample s = data->sample(i);
    ASSERT_EQ(s.inputs.size(), 1u);
    ASSERT_EQ(s.inputs[0].shape, (Shape{1, 2, 3}));
    ASSERT_EQ(s.inputs[0].dtype, DType::kFloat32);
    for (int k = 0; k < 6; ++k) EXPECT_EQ(s.inputs[0].data<float>()[k], 0.5f * static_cast<float>(i * 6 + k));
    ASSERT_EQ(s.labels, std::vector<int64_t>{labels[i]});
  }
  EXPECT_NE(data->sample_name(3).find("x.npy[3]"), std::string::npos);
  expect_error([&] { data->sample(5); }, {"out of range"});
}

TEST_F(NpyDataset, KeepsUint8AndTakesInt32LabelsOfShapeNx1) {
  const std::string x = path("x.npy"), y = path("y.npy");
  data::write_npy(x, Tensor::from_vector(DType::kUInt8, {3, 2}, std::vector<uint8_t>{1, 2, 3, 4, 250, 255}));
  data::write_npy(y, Tensor::from_vector(DType::kInt32, {3, 1}, std::vector<int32_t>{7, 8, 9}));
  auto data = open_dataset(x, y);
  const Sample s = data->sample(2);
  ASSERT_EQ(s.inputs[0].dtype, DType::kUInt8);
  EXPECT_EQ(s.inputs[0].data<uint8_t>()[1], 255);
  EXPECT_EQ(s.labels, std::vector<int64_t>{9});
}

TEST_F(NpyDataset, PairsSeveralInputsByName) {
  const std::string a = path("a.npy"), b = path("b.npy");
  data::write_npy(a, Tensor::from_vector(DType::kFloat32, {2, 2}, iota_values(4)));
  data::write_npy(b, Tensor::from_vector(DType::kInt8, {2, 3}, std::vector<int8_t>{-1, -2, -3, 4, 5, 6}));
  auto data = open_dataset("ids=" + b + ",x=" + a);
  EXPECT_EQ(data->input_names(), (std::vector<std::string>{"ids", "x"}));
  EXPECT_FALSE(data->has_labels());
  const Sample s = data->sample(1);
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_EQ(s.inputs[0].shape, (Shape{1, 3}));
  EXPECT_EQ(s.inputs[0].data<int8_t>()[0], 4);
  EXPECT_EQ(s.inputs[1].data<float>()[1], 1.5f);
  EXPECT_TRUE(s.labels.empty());
}

TEST_F(NpyDataset, RefusesBadFilesNamingThem) {
  const std::string good = path("good.npy");
  data::write_npy(good, Tensor::from_vector(DType::kFloat32, {4, 2}, iota_values(8)));
  // float64 (and integer) arrays are data like any other, as `octet run` takes them: the
  // engine converts to the model's input dtype.
  const std::string f64 = path("f64.npy");
  data::write_npy(f64, Tensor::from_vector(DType::kFloat64, {4, 2}, std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(open_dataset(f64)->sample(3).inputs.at(0).data<double>()[1], 7.0);

  const std::string scalar = path("scalar.npy");
  data::write_npy(scalar, Tensor(DType::kFloat32, {}));
  expect_error([&] { open_dataset(scalar); }, {"scalar.npy", "axis 0"});

  const std::string good_bytes = read_bytes(good);
  const std::string truncated = path("truncated.npy");
  write_bytes(truncated, good_bytes.substr(0, good_bytes.size() - 4));
  expect_error([&] { open_dataset(truncated); }, {"truncated.npy", "32 bytes", "28 bytes"});
  const std::string cut_header = path("cut_header.npy");
  write_bytes(cut_header, good_bytes.substr(0, 40));
  expect_error([&] { open_dataset(cut_header); }, {"cut_header.npy", "truncated"});

  const std::string three = path("three.npy");
  data::write_npy(three, Tensor::from_vector(DType::kInt64, {3}, std::vector<int64_t>{0, 1, 2}));
  expect_error([&] { open_dataset(good, three); }, {"three.npy", "3 labels", "4 samples"});

  const std::string float_labels = path("float_labels.npy");
  data::write_npy(float_labels, Tensor(DType::kFloat32, {4}));
  expect_error([&] { open_dataset(good, float_labels); }, {"float_labels.npy", "integers", "float32"});

  const std::string matrix_labels = path("matrix_labels.npy");
  data::write_npy(matrix_labels, Tensor(DType::kInt64, {4, 2}));
  expect_error([&] { open_dataset(good, matrix_labels); }, {"matrix_labels.npy", "[4,2]"});

  const std::string other = path("other.npy");
  data::write_npy(other, Tensor(DType::kFloat32, {5, 2}));
  expect_error([&] { open_dataset("a=" + good + ",b=" + other); }, {"other.npy", "5 samples", "good.npy"});

  expect_error([&] { open_dataset(path("missing.npy")); }, {"missing.npy"});
  expect_error([&] { open_dataset(good, path("missing_labels.npy")); }, {"missing_labels.npy"});
}

TEST_F(NpyDataset, ReadsPlainTextLabels) {
  const std::string x = path("x.npy"), y = path("y.txt"), bad = path("bad.txt");
  data::write_npy(x, Tensor(DType::kFloat32, {3, 1}));
  write_bytes(y, "# class ids\n2\n0\n\n1\n");
  EXPECT_EQ(open_dataset(x, y)->sample(2).labels, std::vector<int64_t>{1});
  write_bytes(bad, "2\ncat\n1\n");
  expect_error([&] { open_dataset(x, bad); }, {"bad.txt:2", "cat"});
}

// Inputs without a batch dim (a recurrent state [2,1,64], a scalar) come as whole inputs on
// axis 0, and model_inputs_of hands them over at the input's own shape, in the model's order.
TEST_F(NpyDataset, WholeInputsOnAxisZeroFeedInputsWithoutABatchDim) {
  const std::string audio = path("audio.npy"), state = path("state.npy"), rate = path("rate.npy");
  data::write_npy(audio, Tensor::from_vector(DType::kFloat32, {3, 4}, iota_values(12)));
  data::write_npy(state, Tensor::from_vector(DType::kFloat32, {3, 2, 1, 2}, iota_values(12, 100.0f)));
  data::write_npy(rate, Tensor::from_vector(DType::kInt64, {3}, std::vector<int64_t>{16000, 8000, 16000}));
  auto data = open_dataset("sr=" + rate + ",h=" + state + ",input=" + audio);
  std::vector<ValueInfo> want(3);
  want[0].name = "input", want[0].shape = {1, 4};
  want[1].name = "h", want[1].shape = {2, 1, 2};
  want[2].name = "sr", want[2].shape = {};
  const std::vector<Tensor> inputs = model_inputs_of(data->sample(1), dataset_input_order(*data, want), want);
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_EQ(inputs[0].shape, (Shape{1, 4}));  // same rank: the batch dim stays
  EXPECT_EQ(inputs[0].data<float>()[0], 2.0f);
  EXPECT_EQ(inputs[1].shape, (Shape{2, 1, 2}));
  EXPECT_EQ(inputs[1].data<float>()[0], 102.0f);
  EXPECT_EQ(inputs[2].shape, Shape{});
  EXPECT_EQ(inputs[2].data<int64_t>()[0], 8000);
}

}  // namespace
}  // namespace octet::testing
