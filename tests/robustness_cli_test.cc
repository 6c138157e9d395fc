// Failure behaviour of every subcommand: a missing file, an unreadable one
// (a directory or a FIFO in its place: the tests run as root, for whom
// chmod 000 does not block reads), data of the wrong shape and an invalid
// option must each end the process normally with a non-zero exit code and a
// single error line on stderr that names the file (or option) and says what
// is wrong.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "quantlab/data/dataset.h"
#include "quantlab/data/npy.h"
#include "quantlab/ir/graph.h"
#include "quantlab/tflite/writer.h"
#include "support/cli_runner.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::CliOutput;
using test_support::run_cli;

const std::string kTestdata = QL_TESTDATA_DIR;
// A float model with one input [1, 128, 3, 1] and four classes.
const std::string kFloatModel = kTestdata + "/tflite/magic_wand.tflite";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// The process exited on its own (no signal, so no crash or sanitizer abort)
// with a non-zero code, and printed exactly one line on stderr containing
// every one of `expected` (the file or option, and the problem).
void expect_one_line_error(const CliOutput& r, const std::vector<std::string>& expected) {
  EXPECT_GT(r.exit_code, 0) << "stderr: " << r.err;
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr: " << r.err;
  for (const std::string& e : expected) EXPECT_NE(lines[0].find(e), std::string::npos) << "missing '" << e << "' in: " << lines[0];
}

// Errors found while parsing the command line come from the option parser:
// its line names the option and the bad value; only a hint to use --help
// may follow it.
void expect_option_error(const CliOutput& r, const std::vector<std::string>& expected) {
  EXPECT_GT(r.exit_code, 0) << "stderr: " << r.err;
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_GE(lines.size(), 1u);
  ASSERT_LE(lines.size(), 2u) << "stderr: " << r.err;
  for (const std::string& e : expected) EXPECT_NE(lines[0].find(e), std::string::npos) << "missing '" << e << "' in: " << lines[0];
  if (lines.size() == 2) {
    EXPECT_NE(lines[1].find("--help"), std::string::npos) << lines[1];
  }
}

class RobustnessCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quantlab_robust_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // A directory where a file is expected.
  std::string directory(const std::string& name) const {
    fs::create_directories(dir_ / name);
    return path(name);
  }
  // A FIFO nobody writes to: reading it must not wait forever.
  std::string fifo(const std::string& name) const {
    EXPECT_EQ(::mkfifo(path(name).c_str(), 0600), 0);
    return path(name);
  }

  // Samples for kFloatModel: x [n, ...sample_shape] and class labels 0..3.
  std::string dataset(const std::string& name, const Shape& sample_shape, int32_t n = 8) const {
    Dataset d;
    Shape shape = {n};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    d.x = Array::zeros(DType::kFloat32, shape);
    std::vector<int32_t> labels;
    for (int32_t i = 0; i < n; ++i) labels.push_back(i % 4);
    d.y = Array::from_vector<int32_t>({n}, labels);
    EXPECT_TRUE(write_dataset_npz(path(name), d).ok());
    return path(name);
  }
  std::string array(const std::string& name, const Shape& shape) const {
    EXPECT_TRUE(write_npy(path(name), Array::zeros(DType::kFloat32, shape)).ok());
    return path(name);
  }

  fs::path dir_;
};

// ---- inspect ----------------------------------------------------------------

TEST_F(RobustnessCli, InspectMissingFile) {
  expect_one_line_error(run_cli({"inspect", path("absent.tflite")}), {path("absent.tflite"), "no such file"});
}

TEST_F(RobustnessCli, InspectUnreadableFile) {
  const std::string dir = directory("model.tflite");
  expect_one_line_error(run_cli({"inspect", dir}), {dir, "is a directory"});
  const std::string pipe = fifo("pipe.tflite");
  expect_one_line_error(run_cli({"inspect", pipe}), {pipe, "not a regular file"});
}

// A model whose declared tensor shape is absurd (its element count
// overflows any allocation) is refused with the tensor and shape named.
TEST_F(RobustnessCli, InspectAbsurdShape) {
  Graph g;
  const int32_t in = g.add_activation("huge_input", DType::kFloat32, {1 << 20, 1 << 20, 1 << 20});
  const int32_t out = g.add_activation("out", DType::kFloat32, {1 << 20, 1 << 20, 1 << 20});
  Op relu;
  relu.kind = OpKind::kRelu;
  relu.inputs = {in};
  relu.outputs = {out};
  g.ops.push_back(relu);
  g.inputs = {in};
  g.outputs = {out};
  TfliteWriteOptions unchecked;
  unchecked.validate = false;
  ASSERT_TRUE(write_tflite_file(g, path("absurd.tflite"), unchecked).ok());
  expect_one_line_error(run_cli({"inspect", path("absurd.tflite")}),
                        {path("absurd.tflite"), "huge_input", "[1048576, 1048576, 1048576]"});
}

TEST_F(RobustnessCli, InspectCorruptFile) {
  std::vector<uint8_t> bytes = test_support::read_bytes(kFloatModel);
  ASSERT_GT(bytes.size(), 1000u);
  bytes.resize(bytes.size() / 2);
  FILE* f = std::fopen(path("truncated.tflite").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  expect_one_line_error(run_cli({"inspect", path("truncated.tflite")}), {path("truncated.tflite"), "truncated"});
}

TEST_F(RobustnessCli, InspectInvalidOption) {
  expect_option_error(run_cli({"inspect", kFloatModel, "--colour"}), {"--colour"});
}

// ---- run --------------------------------------------------------------------

TEST_F(RobustnessCli, RunMissingFiles) {
  const std::string x = array("x.npy", {2, 128, 3, 1});
  expect_one_line_error(run_cli({"run", path("absent.tflite"), "--input", x}), {path("absent.tflite"), "no such file"});
  expect_one_line_error(run_cli({"run", kFloatModel, "--input", path("absent.npy")}),
                        {path("absent.npy"), "no such file"});
}

TEST_F(RobustnessCli, RunUnreadableFiles) {
  const std::string x = array("x.npy", {2, 128, 3, 1});
  const std::string dir = directory("model.tflite");
  expect_one_line_error(run_cli({"run", dir, "--input", x}), {dir, "is a directory"});
  const std::string pipe = fifo("x_pipe.npy");
  expect_one_line_error(run_cli({"run", kFloatModel, "--input", pipe}), {pipe, "not a regular file"});
}

TEST_F(RobustnessCli, RunWrongShape) {
  const std::string x = array("x.npy", {2, 64, 3, 1});
  expect_one_line_error(run_cli({"run", kFloatModel, "--input", x}),
                        {x, "expected [N, 128, 3, 1] FLOAT32", "got [2, 64, 3, 1]"});
}

TEST_F(RobustnessCli, RunWrongInputCount) {
  const std::string x = array("x.npy", {2, 128, 3, 1});
  expect_one_line_error(run_cli({"run", kFloatModel, "--input", x, "--input", x}),
                        {kFloatModel, "1 input(s)", "2 --input"});
}

TEST_F(RobustnessCli, RunInvalidOptions) {
  const std::string x = array("x.npy", {2, 128, 3, 1});
  expect_option_error(run_cli({"run", kFloatModel, "--input", x, "--rounding", "triple"}), {"--rounding", "triple"});
  expect_option_error(run_cli({"run", kFloatModel, "--input", x, "--batch", "0"}), {"--batch", "0"});
  expect_option_error(run_cli({"run", kFloatModel, "--input", x, "--max-arena", "lots"}), {"--max-arena", "lots"});
}

// ---- eval -------------------------------------------------------------------

TEST_F(RobustnessCli, EvalMissingFiles) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  expect_one_line_error(run_cli({"eval", path("absent.tflite"), "--data", data}),
                        {path("absent.tflite"), "no such file"});
  expect_one_line_error(run_cli({"eval", kFloatModel, "--data", path("absent.npz")}),
                        {path("absent.npz"), "no such file"});
}

TEST_F(RobustnessCli, EvalUnreadableFiles) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  const std::string dir = directory("model.tflite");
  expect_one_line_error(run_cli({"eval", dir, "--data", data}), {dir, "is a directory"});
  const std::string data_dir = directory("data_dir.npz");
  expect_one_line_error(run_cli({"eval", kFloatModel, "--data", data_dir}), {data_dir, "is a directory"});
  const std::string pipe = fifo("pipe.npz");
  expect_one_line_error(run_cli({"eval", kFloatModel, "--data", pipe}), {pipe, "not a regular file"});
  const std::string csv_pipe = fifo("pipe.csv");
  expect_one_line_error(run_cli({"eval", kFloatModel, "--data", csv_pipe}), {csv_pipe, "not a regular file"});
}

TEST_F(RobustnessCli, EvalWrongShape) {
  const std::string data = dataset("data.npz", {100, 6, 1});
  expect_one_line_error(run_cli({"eval", kFloatModel, "--data", data}), {"[100, 6, 1]", "[1, 128, 3, 1]"});
}

TEST_F(RobustnessCli, EvalInvalidOptions) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  expect_option_error(run_cli({"eval", kFloatModel, "--data", data, "--format", "xml"}), {"--format", "xml"});
  expect_option_error(run_cli({"eval", kFloatModel, "--data", data, "--average", "median"}), {"--average", "median"});
}

// ---- quantize ---------------------------------------------------------------

TEST_F(RobustnessCli, QuantizeMissingFiles) {
  expect_one_line_error(run_cli({"quantize", path("absent.tflite"), "-o", path("out")}),
                        {path("absent.tflite"), "no such file"});
  expect_one_line_error(
      run_cli({"quantize", kFloatModel, "-o", path("out"), "--scheme", "fiq-int8", "--calib", path("absent.npy")}),
      {path("absent.npy"), "no such file"});
  EXPECT_FALSE(fs::exists(path("out/magic_wand.fiq-int8.tflite")));
}

TEST_F(RobustnessCli, QuantizeUnreadableFiles) {
  const std::string dir = directory("model.tflite");
  expect_one_line_error(run_cli({"quantize", dir, "-o", path("out")}), {dir, "is a directory"});
  const std::string pipe = fifo("calib.npy");
  expect_one_line_error(run_cli({"quantize", kFloatModel, "-o", path("out"), "--scheme", "fiq-int8", "--calib", pipe}),
                        {pipe, "not a regular file"});
}

TEST_F(RobustnessCli, QuantizeWrongShape) {
  const std::string calib = array("calib.npy", {4, 3, 128, 1});
  expect_one_line_error(run_cli({"quantize", kFloatModel, "-o", path("out"), "--scheme", "fiq-int8", "--calib", calib}),
                        {calib, "expected [N, 128, 3, 1] FLOAT32", "got [4, 3, 128, 1]"});
  EXPECT_FALSE(fs::exists(path("out/magic_wand.fiq-int8.tflite")));
}

TEST_F(RobustnessCli, QuantizeInvalidOptions) {
  expect_one_line_error(run_cli({"quantize", kFloatModel, "-o", path("out"), "--scheme", "int3"}),
                        {"unknown scheme 'int3'"});
  expect_one_line_error(run_cli({"quantize", kFloatModel, "-o", path("out"), "--deny-op", "NOT_AN_OP"}),
                        {"--deny-op", "NOT_AN_OP"});
  expect_option_error(run_cli({"quantize", kFloatModel, "-o", path("out"), "--calib-samples", "0"}),
                      {"--calib-samples", "0"});
  expect_option_error(run_cli({"quantize", kFloatModel}), {"--output-dir"});
}

// ---- train and data ---------------------------------------------------------

TEST_F(RobustnessCli, TrainMissingAndUnreadableData) {
  expect_one_line_error(run_cli({"train", "--arch", "smartwatch-lean", "--data", path("absent.npz"), "-o", path("m.tflite")}),
                        {path("absent.npz"), "no such file"});
  const std::string pipe = fifo("pipe.npz");
  expect_one_line_error(run_cli({"train", "--arch", "smartwatch-lean", "--data", pipe, "-o", path("m.tflite")}), {pipe, "not a regular file"});
  EXPECT_FALSE(fs::exists(path("m.tflite")));
}

TEST_F(RobustnessCli, TrainInvalidOptions) {
  expect_option_error(run_cli({"train", "--data", path("d.npz"), "-o", path("m.tflite"), "--epochs", "0"}),
                      {"--epochs: must be a number > 0, got '0'"});
  expect_option_error(run_cli({"train", "--data", path("d.npz"), "-o", path("m.tflite"), "--lr", "fast"}),
                      {"--lr: must be a number > 0, got 'fast'"});
}

// The training subcommands check the data against the model before any
// training: the error names both shapes. (It does not yet name the data
// file; the message starts with the split it came from.)
TEST_F(RobustnessCli, TrainWrongShape) {
  const std::string data = dataset("data.npz", {10}, 40);
  expect_one_line_error(run_cli({"train", "--init", kFloatModel, "--data", data, "-o", path("m.tflite")}),
                        {"[10]", "[1, 128, 3, 1]"});
  EXPECT_FALSE(fs::exists(path("m.tflite")));
}

// ---- debug ------------------------------------------------------------------

TEST_F(RobustnessCli, DebugFailures) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  expect_one_line_error(run_cli({"debug", path("absent.tflite"), kFloatModel, "--data", data}),
                        {path("absent.tflite"), "no such file"});
  const std::string dir = directory("quant.tflite");
  expect_one_line_error(run_cli({"debug", kFloatModel, dir, "--data", data}), {dir, "is a directory"});
  const std::string pipe = fifo("x.npy");
  expect_one_line_error(run_cli({"debug", kFloatModel, kFloatModel, "--data", pipe}), {pipe, "not a regular file"});
  const std::string wrong = dataset("wrong.npz", {10});
  expect_one_line_error(run_cli({"debug", kFloatModel, kFloatModel, "--data", wrong}),
                        {wrong, "[1, 128, 3, 1]"});
  expect_option_error(run_cli({"debug", kFloatModel, kFloatModel, "--data", data, "--view", "sideways"}),
                      {"--view", "sideways"});
}

// ---- bench ------------------------------------------------------------------

TEST_F(RobustnessCli, BenchFailures) {
  expect_one_line_error(run_cli({"bench", path("absent.tflite")}), {path("absent.tflite"), "no such file"});
  const std::string pipe = fifo("model.tflite");
  expect_one_line_error(run_cli({"bench", pipe}), {pipe, "not a regular file"});
  expect_option_error(run_cli({"bench", kFloatModel, "--rounding", "triple"}), {"--rounding", "triple"});
  expect_option_error(run_cli({"bench", kFloatModel, "--seconds", "-1"}), {"--seconds", "-1"});
}

// ---- prune, factorize, qat --------------------------------------------------

TEST_F(RobustnessCli, PruneFailures) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  expect_one_line_error(run_cli({"prune", path("absent.tflite"), "--data", data, "-o", path("p.tflite")}),
                        {path("absent.tflite"), "no such file"});
  const std::string pipe = fifo("pipe.npz");
  expect_one_line_error(run_cli({"prune", kFloatModel, "--data", pipe, "-o", path("p.tflite")}),
                        {pipe, "not a regular file"});
  expect_one_line_error(run_cli({"prune", kFloatModel, "--data", dataset("wrong.npz", {10}, 40), "-o", path("p.tflite")}),
                        {"[10]", "[1, 128, 3, 1]"});
  expect_option_error(run_cli({"prune", kFloatModel, "--data", data, "-o", path("p.tflite"), "--sparsity", "1.5"}),
                      {"--sparsity", "1.5"});
  EXPECT_FALSE(fs::exists(path("p.tflite")));
}

TEST_F(RobustnessCli, FactorizeFailures) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  expect_one_line_error(
      run_cli({"factorize", path("absent.tflite"), "--data", data, "-o", path("f.tflite"), "--ranks", "2"}),
      {path("absent.tflite"), "no such file"});
  const std::string dir = directory("data_dir.npz");
  expect_one_line_error(run_cli({"factorize", kFloatModel, "--data", dir, "-o", path("f.tflite"), "--ranks", "2"}),
                        {dir, "no such file"});
  expect_one_line_error(run_cli({"factorize", kFloatModel, "--data", dataset("wrong.npz", {10}, 40), "-o",
                                 path("f.tflite"), "--ranks", "2"}),
                        {"[10]", "[1, 128, 3, 1]"});
  expect_option_error(run_cli({"factorize", kFloatModel, "--data", data, "-o", path("f.tflite"), "--ranks", "0"}),
                      {"--ranks", "0"});
  EXPECT_FALSE(fs::exists(path("f.tflite")));
}

TEST_F(RobustnessCli, QatFailures) {
  const std::string data = dataset("data.npz", {128, 3, 1});
  expect_one_line_error(run_cli({"qat", path("absent.tflite"), "--data", data, "-o", path("q")}),
                        {path("absent.tflite"), "no such file"});
  const std::string pipe = fifo("pipe.csv");
  expect_one_line_error(run_cli({"qat", kFloatModel, "--data", pipe, "-o", path("q")}), {pipe, "not a regular file"});
  expect_one_line_error(run_cli({"qat", kFloatModel, "--data", dataset("wrong.npz", {10}, 40), "-o", path("q")}),
                        {"expected [N, 128, 3, 1]", ", 10] FLOAT32"});
  expect_option_error(run_cli({"qat", kFloatModel, "--data", data, "-o", path("q"), "--range-decay", "2"}),
                      {"--range-decay", "2"});
  EXPECT_FALSE(fs::exists(path("q")));
}

TEST_F(RobustnessCli, DataInvalidOptions) {
  expect_option_error(run_cli({"data", "synth", "--kind", "weather", "-o", path("d")}), {"--kind", "weather"});
}

}  // namespace
}  // namespace quantlab
