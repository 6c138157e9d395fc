// `quantlab eval` over the five conversions of a real model: one table, rows
// named by scheme, cells marked against the float row.
#include <gtest/gtest.h>

#include <filesystem>

#include "quantlab/data/dataset.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

const std::string kTestdata = QL_TESTDATA_DIR;

TEST(EvalCli, FiveSchemesInOneMarkedTable) {
  const fs::path dir = fs::temp_directory_path() / ("quantlab_eval_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string calib = kTestdata + "/goldens/magic_wand/input_0.npy";
  auto q = run_cli({"quantize", kTestdata + "/tflite/magic_wand.tflite", "--calib", calib, "-o", dir.string()});
  ASSERT_EQ(q.exit_code, 0) << q.err;

  // A labelled set: the 16 golden inputs with arbitrary labels 0..3. The
  // table's content is checked for structure here; the metric values
  // themselves are checked against scikit-learn elsewhere.
  auto x = read_npy(calib);
  ASSERT_TRUE(x.ok());
  Dataset data;
  data.x = *x;
  std::vector<int32_t> y;
  for (int i = 0; i < 16; ++i) y.push_back(i % 4);
  data.y = Array::from_vector<int32_t>({16}, y);
  const std::string npz = (dir / "test.npz").string();
  ASSERT_TRUE(write_dataset_npz(npz, data).ok());

  std::vector<std::string> args = {"eval"};
  for (const char* s : {"float", "drq", "fiq-f32", "fiq-int8", "fiq-uint8"})
    args.push_back((dir / (std::string("magic_wand.") + s + ".tflite")).string());
  for (const char* a : {"--data", "", "--baseline", "float"}) args.push_back(a);
  args[args.size() - 3] = npz;
  auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* row : {"| Unquantized model (baseline) |", "| DRQ |", "| FIQ – Float32 |", "| FIQ – Int8 |",
                          "| FIQ – UInt8 |"})
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  for (const char* col : {"Accuracy", "Precision", "Recall", "F1", "Balanced Accuracy", "Cohen's Kappa"})
    EXPECT_NE(r.out.find(col), std::string::npos) << col;
  // Every non-baseline cell carries a mark, and the legend explains them.
  EXPECT_NE(r.out.find("~ within 0.5 percentage points"), std::string::npos) << r.out;
  size_t marks = 0;
  for (const char* m : {"~ |", "↑ |", "↓ |"})
    for (size_t p = r.out.find(m); p != std::string::npos; p = r.out.find(m, p + 1)) ++marks;
  EXPECT_EQ(marks, 4u * 6u) << r.out;
  EXPECT_NE(r.out.find("samples/s"), std::string::npos);

  auto json = run_cli({"eval", args[1], args[4], "--data", npz, "--baseline", "float", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"baseline\": \"Unquantized model\""), std::string::npos) << json.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace quantlab
