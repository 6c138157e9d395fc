// End-to-end tests of `quantlab run`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "quantlab/data/npy.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

const std::string kTestdata = QL_TESTDATA_DIR;

class CliRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quantlab_cli_run_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(CliRun, FloatModelMatchesGolden) {
  auto r = run_cli({"run", kTestdata + "/tflite/magic_wand.tflite", "--input",
                    kTestdata + "/goldens/magic_wand/input_0.npy", "--output", path("y.npy"), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = read_npy(path("y.npy"));
  auto want = read_npy(kTestdata + "/goldens/magic_wand/output_0.tflm.npy");
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_EQ(got->shape, want->shape);
  for (int64_t i = 0; i < want->num_elements(); ++i)
    EXPECT_NEAR(got->value_as_double(i), want->value_as_double(i), 1e-6 + 1e-5 * std::fabs(want->value_as_double(i)));
  EXPECT_NE(r.out.find("arena"), std::string::npos) << r.out;
}

TEST_F(CliRun, IntegerModelIsBitExact) {
  auto r = run_cli({"run", kTestdata + "/tflite/person_detect.tflite", "--input",
                    kTestdata + "/goldens/person_detect/input_0.npy", "--output", path("y.npy"), "--batch", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = read_npy(path("y.npy"));
  auto want = read_npy(kTestdata + "/goldens/person_detect/output_0.tflm.npy");
  ASSERT_TRUE(got.ok() && want.ok());
  EXPECT_EQ(got->bytes, want->bytes);
}

// Float data fed to an int8-input model is quantized with the input's
// parameters (rounding, saturation): it must give the same result as the
// integer data quantized by hand with numpy.
TEST_F(CliRun, FloatDataIsQuantizedForIntegerInputs) {
  const std::string model = kTestdata + "/tflite/hello_world_int8.tflite";
  // hello_world_int8 input: scale 0.0245..., zero point -128 (from golden.json);
  // values well outside the representable range must saturate, not wrap.
  Array x = Array::from_vector<float>({6, 1}, {0.0f, 1.0f, 3.14f, 6.2f, 100.0f, -50.0f});
  ASSERT_TRUE(write_npy(path("x.npy"), x).ok());
  auto r = run_cli({"run", model, "--input", path("x.npy"), "--output", path("y_float_in.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script =
      "import json,numpy as np;"
      "g=json.load(open('" + kTestdata + "/goldens/hello_world_int8/golden.json'));"
      "s=g['inputs'][0]['scale'];z=g['inputs'][0]['zero_point'];"
      "x=np.array([0.0,1.0,3.14,6.2,100.0,-50.0],dtype=np.float32);"
      "q=np.clip(np.sign(x/s)*np.floor(np.abs(x/s)+0.5)+z,-128,127).astype(np.int8).reshape(6,1);"
      "np.save('" + path("q.npy") + "',q)";
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"" + script + "\"").c_str()), 0);
  r = run_cli({"run", model, "--input", path("q.npy"), "--raw", "--output", path("y_int_in.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = read_npy(path("y_float_in.npy"));
  auto b = read_npy(path("y_int_in.npy"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->bytes, b->bytes);
}

TEST_F(CliRun, WrongShapeNamesExpectedAndGot) {
  Array x = Array::from_vector<float>({2, 7}, std::vector<float>(14, 0.5f));
  ASSERT_TRUE(write_npy(path("x.npy"), x).ok());
  auto r = run_cli({"run", kTestdata + "/tflite/magic_wand.tflite", "--input", path("x.npy")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("expected [N, 128, 3, 1] FLOAT32, got [2, 7] FLOAT32"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(CliRun, MissingFilesAndUnsupportedOpsFailCleanly) {
  auto r = run_cli({"run", path("nope.tflite"), "--input", path("x.npy")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nope.tflite"), std::string::npos) << r.err;

  auto lstm = run_cli({"run", kTestdata + "/tflite/trained_lstm_float.tflite", "--input",
                       kTestdata + "/goldens/trained_lstm_float/input_0.npy"});
  EXPECT_NE(lstm.exit_code, 0);
  EXPECT_NE(lstm.err.find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos) << lstm.err;
}

TEST_F(CliRun, DumpWritesEveryTensor) {
  auto r = run_cli({"run", kTestdata + "/tflite/hello_world_float.tflite", "--input",
                    kTestdata + "/goldens/hello_world_float/input_0.npy", "--dump", path("dump")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int files = 0;
  for (const auto& e : fs::directory_iterator(path("dump"))) {
    auto a = read_npy(e.path().string());
    ASSERT_TRUE(a.ok()) << e.path();
    EXPECT_EQ(a->shape[0], 16) << e.path();  // 16 samples in the golden input
    ++files;
  }
  // hello_world_float: the input and the outputs of its three FULLY_CONNECTED ops.
  EXPECT_EQ(files, 4);
}

TEST_F(CliRun, SingleRoundingIsSelectable) {
  auto r = run_cli({"run", kTestdata + "/tflite/person_detect.tflite", "--input",
                    kTestdata + "/goldens/person_detect/input_0.npy", "--rounding", "single"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("single rounding"), std::string::npos) << r.out;
  auto bad = run_cli({"run", kTestdata + "/tflite/person_detect.tflite", "--input", "x", "--rounding", "triple"});
  EXPECT_NE(bad.exit_code, 0);
}

}  // namespace
}  // namespace quantlab
