// `quantlab prune`, `quantlab factorize` and `quantlab qat` end to end on a
// tiny synthetic HAR model: the pruned file read back holds the zeros, the
// tensor-train grid writes its models and table, QAT writes the five
// schemes; results are recounted from the written files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "quantlab/core/file_io.h"
#include "quantlab/data/test_python.h"
#include "quantlab/tflite/reader.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

TEST(CompressCli, PruneFactorizeAndQatOnATinyModel) {
  testing::ScratchDir dir;
  const std::string data = dir.file("har"), model = dir.file("lean.tflite");
  ASSERT_EQ(run_cli({"data", "synth", "--kind", "har", "--seed", "4", "-n", "300", "-o", data}).exit_code, 0);
  auto trained = run_cli({"train", "--arch", "smartwatch-lean", "--data", data, "--epochs", "2", "--threads", "1",
                          "-o", model});
  ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;

  const std::string pruned = dir.file("pruned.tflite");
  auto prune = run_cli({"prune", model, "--data", data, "--sparsity", "0.7", "--ramp-epochs", "2", "--epochs", "1",
                        "--threads", "1", "-o", pruned});
  ASSERT_EQ(prune.exit_code, 0) << prune.out << prune.err;
  EXPECT_NE(prune.out.find("file size: original"), std::string::npos) << prune.out;
  auto read = read_tflite_file(pruned);
  ASSERT_TRUE(read.ok()) << read.status().message();
  int64_t zeros = 0, total = 0;
  for (const Op& op : read->ops) {
    if (op.kind != OpKind::kConv2D && op.kind != OpKind::kFullyConnected) continue;
    const std::vector<uint8_t>& bytes = read->constant_bytes(op.input(1));
    for (size_t i = 0; i < bytes.size(); i += sizeof(float)) {
      float v;
      std::memcpy(&v, bytes.data() + i, sizeof(float));
      zeros += v == 0.0f ? 1 : 0;
      ++total;
    }
  }
  ASSERT_GT(total, 0);
  EXPECT_GE(static_cast<double>(zeros) / static_cast<double>(total), 0.7);

  const std::string grid = dir.file("grid");
  auto factorize = run_cli({"factorize", model, "--data", data, "--method", "tt", "--ranks", "1", "2", "--ops", "9",
                            "--epochs", "1", "--threads", "1", "-o", grid});
  ASSERT_EQ(factorize.exit_code, 0) << factorize.out << factorize.err;
  auto table = read_text_file(grid + "/grid.csv");
  ASSERT_TRUE(table.ok());
  int lines = 0;
  for (char c : *table) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, 4) << *table;  // header, original, two ranks
  auto factored = read_tflite_file(grid + "/rank_2.tflite");
  ASSERT_TRUE(factored.ok()) << factored.status().message();
  int matmuls = 0, transposes = 0;
  for (const Op& op : factored->ops) {
    matmuls += op.kind == OpKind::kBatchMatMul ? 1 : 0;
    transposes += op.kind == OpKind::kTranspose ? 1 : 0;
  }
  EXPECT_EQ(matmuls, 2);
  EXPECT_EQ(transposes, 1);

  const std::string qat_dir = dir.file("qat");
  auto qat = run_cli({"qat", grid + "/rank_2.tflite", "--data", data, "--epochs", "1", "--threads", "1", "-o",
                      qat_dir});
  ASSERT_EQ(qat.exit_code, 0) << qat.out << qat.err;
  for (const char* scheme : {"float", "drq", "fiq-f32", "fiq-int8", "fiq-uint8"})
    EXPECT_TRUE(fs::exists(qat_dir + "/rank_2.qat." + scheme + ".tflite")) << scheme;
  EXPECT_NE(qat.out.find("predictions agree"), std::string::npos) << qat.out;

  auto bad = run_cli({"factorize", model, "--data", data, "--method", "svd", "--ranks", "99", "--ops", "9",
                      "--threads", "1", "-o", dir.file("bad.tflite")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("exceeds the maximum"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace quantlab
