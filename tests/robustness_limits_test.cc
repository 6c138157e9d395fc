// Resource limits: a model that declares absurd tensor sizes is refused
// before anything is allocated for it, both where a shape's element count
// overflows (the reader) and where the activation memory exceeds the
// interpreter's limit (`--max-arena`, InterpreterOptions::max_arena_bytes).
// In the sanitizer build an attempt to allocate a terabyte would abort the
// test, so passing also shows that the refusal comes first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "quantlab/data/npy.h"
#include "quantlab/ir/graph.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

const std::string kTestdata = QL_TESTDATA_DIR;

// RELU from an input of `shape` to an output of the same shape.
Graph relu_graph(const Shape& shape) {
  Graph g;
  const int32_t in = g.add_activation("wide_input", DType::kFloat32, shape);
  const int32_t out = g.add_activation("wide_output", DType::kFloat32, shape);
  Op relu;
  relu.kind = OpKind::kRelu;
  relu.inputs = {in};
  relu.outputs = {out};
  g.ops.push_back(relu);
  g.inputs = {in};
  g.outputs = {out};
  return g;
}

class RobustnessLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quantlab_robust_limits_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Any input will do: the model is refused before inputs are read.
    ASSERT_TRUE(write_npy(path("x.npy"), Array::zeros(DType::kFloat32, {1, 4})).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write_model(const std::string& name, const Graph& g, bool validate = true) const {
    TfliteWriteOptions options;
    options.validate = validate;
    EXPECT_TRUE(write_tflite_file(g, path(name), options).ok());
    return path(name);
  }

  fs::path dir_;
};

// 2^19 x 2^19 floats: 2^38 elements (a valid count) but 1 TiB per tensor.
TEST_F(RobustnessLimits, TerabyteActivationsAreRefusedByDefault) {
  const Graph g = relu_graph({1, 1 << 19, 1 << 19});
  const std::string model = write_model("terabyte.tflite", g);
  auto r = run_cli({"run", model, "--input", path("x.npy")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // Two 2^40-byte tensors alive at once (the op reads one, writes the other).
  EXPECT_NE(r.err.find("needs 2199023255552 bytes of activation memory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("limit of 2147483648"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(model), std::string::npos) << r.err;

  auto created = Interpreter::create(g);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(RobustnessLimits, MaxArenaOptionIsEnforced) {
  // [1, 256, 256] float: 256 KiB per tensor, input and output alive together.
  const std::string model = write_model("quarter_mib.tflite", relu_graph({1, 256, 256}));
  ASSERT_TRUE(write_npy(path("x256.npy"), Array::zeros(DType::kFloat32, {2, 256, 256})).ok());
  const std::string needed = std::to_string(2 * 256 * 256 * 4);

  auto refused = run_cli({"run", model, "--input", path("x256.npy"), "--max-arena", "524287"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("needs " + needed + " bytes"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("limit of 524287"), std::string::npos) << refused.err;

  auto accepted = run_cli({"run", model, "--input", path("x256.npy"), "--max-arena", needed,
                           "--output", path("y.npy")});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  auto y = read_npy(path("y.npy"));
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(y->shape, (Shape{2, 256, 256}));
}

TEST_F(RobustnessLimits, RealModelRefusedUnderSmallArena) {
  // person_detect's first activations alone ([1, 48, 48, 8] int8) are 18 KiB.
  auto r = run_cli({"run", kTestdata + "/tflite/person_detect.tflite", "--input",
                    kTestdata + "/goldens/person_detect/input_0.npy", "--max-arena", "16384"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("limit of 16384"), std::string::npos) << r.err;
}

// Dimensions whose product overflows int64 (2^31-1 to the fourth power is
// about 2^124) are refused by the reader, naming the tensor.
TEST_F(RobustnessLimits, OverflowingShapeIsRefusedByTheReader) {
  constexpr int32_t kMax = 2147483647;
  const std::string model = write_model("overflow.tflite", relu_graph({kMax, kMax, kMax, kMax}), false);
  auto graph = read_tflite_file(model);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kResourceExhausted) << graph.status().message();
  EXPECT_NE(graph.status().message().find("wide_input"), std::string::npos) << graph.status().message();

  auto r = run_cli({"run", model, "--input", path("x.npy")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("[2147483647, 2147483647, 2147483647, 2147483647]"), std::string::npos) << r.err;
}

// Kernels prepare before memory planning, so per-position tables built in
// prepare must not grow with a declared shape. Fuzzing found the optimized
// DEPTHWISE_CONV_2D asking for 10 GB of tap tables for an input of height
// 838860805 (53 GB of activations, refused only afterwards); the same shape
// here must be refused by the arena limit without that allocation (the
// sanitizer build would abort on it).
TEST(RobustnessPrepareLimits, DepthwiseWithHugeHeightIsRefusedByTheArenaLimit) {
  constexpr int32_t kHeight = 838860805;
  Graph g;
  const int32_t in = g.add_activation("tall_input", DType::kFloat32, {1, kHeight, 4, 4});
  const int32_t filter = g.add_constant("filter", DType::kFloat32, {1, 3, 3, 4}, std::vector<uint8_t>(3 * 3 * 4 * 4));
  const int32_t bias = g.add_constant("bias", DType::kFloat32, {4}, std::vector<uint8_t>(4 * 4));
  const int32_t out = g.add_activation("tall_output", DType::kFloat32, {1, kHeight, 4, 4});
  Op op;
  op.kind = OpKind::kDepthwiseConv2D;
  op.inputs = {in, filter, bias};
  op.outputs = {out};
  op.options = DepthwiseConv2DOptions{};
  g.ops.push_back(op);
  g.inputs = {in};
  g.outputs = {out};
  for (KernelSet kernels : {KernelSet::kOptimized, KernelSet::kReference}) {
    InterpreterOptions options;
    options.kernels.kernels = kernels;
    auto created = Interpreter::create(g, options);
    ASSERT_FALSE(created.ok());
    // The output alone is 838860805 * 16 floats = 53687091520 bytes.
    EXPECT_EQ(created.status().code(), StatusCode::kResourceExhausted) << created.status().message();
    EXPECT_NE(created.status().message().find("limit of 2147483648"), std::string::npos)
        << created.status().message();
  }
}

// The same for the optimized BATCH_MATMUL's per-column tables: an empty
// constant rhs [0, 2^30] costs no bytes yet declares 2^30 columns; the
// [4, 2^30] int8 output (4 GiB) is refused by the 2 GiB arena limit.
TEST(RobustnessPrepareLimits, BatchMatMulWithHugeEmptyRhsIsRefusedByTheArenaLimit) {
  constexpr int32_t kColumns = 1 << 30;
  const QuantParams unit = QuantParams::per_tensor(1.f, 0);
  Graph g;
  const int32_t lhs = g.add_activation("lhs", DType::kInt8, {4, 0}, unit);
  const int32_t rhs = g.add_constant("empty_rhs", DType::kInt8, {0, kColumns}, {}, unit);
  const int32_t out = g.add_activation("wide_output", DType::kInt8, {4, kColumns}, unit);
  Op op;
  op.kind = OpKind::kBatchMatMul;
  op.inputs = {lhs, rhs};
  op.outputs = {out};
  op.options = BatchMatMulOptions{};
  g.ops.push_back(op);
  g.inputs = {lhs};
  g.outputs = {out};
  for (KernelSet kernels : {KernelSet::kOptimized, KernelSet::kReference}) {
    InterpreterOptions options;
    options.kernels.kernels = kernels;
    auto created = Interpreter::create(g, options);
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.status().code(), StatusCode::kResourceExhausted) << created.status().message();
  }
}

TEST_F(RobustnessLimits, NegativeDimensionIsRefusedByTheReader) {
  const std::string model = write_model("negative.tflite", relu_graph({1, -4}), false);
  auto r = run_cli({"inspect", model});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("negative dimension -4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace quantlab
