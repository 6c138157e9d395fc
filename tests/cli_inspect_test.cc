// `quantlab inspect` end to end: the built executable on real models.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/cli_runner.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

using test_support::run_cli;
using test_support::testdata_path;

// The rows of the text report's layer table: the lines between the
// "Layers" heading (and its column header) and the next blank line.
std::vector<std::string> layer_rows(const std::string& out) {
  std::vector<std::string> rows;
  std::istringstream in(out);
  std::string line;
  bool in_layers = false;
  bool header_seen = false;
  while (std::getline(in, line)) {
    if (line.rfind("Layers", 0) == 0) {
      in_layers = true;
      continue;
    }
    if (!in_layers) continue;
    if (line.empty()) break;
    if (!header_seen) {
      header_seen = true;  // the column header
      continue;
    }
    rows.push_back(line);
  }
  return rows;
}

TEST(CliInspect, PersonDetectListsThirtyOneOps) {
  const auto r = run_cli({"inspect", testdata_path("tflite/person_detect.tflite")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = layer_rows(r.out);
  EXPECT_EQ(rows.size(), 31u);
  int conv = 0, depthwise = 0;
  for (const auto& row : rows) {
    conv += row.find(" CONV_2D ") != std::string::npos;
    depthwise += row.find(" DEPTHWISE_CONV_2D ") != std::string::npos;
  }
  EXPECT_EQ(conv, 14);  // README: CONV_2Dx14, DEPTHWISE_CONV_2Dx14
  EXPECT_EQ(depthwise, 14);
  EXPECT_NE(r.out.find("300,568 bytes"), std::string::npos);  // the file's size on disk
  EXPECT_NE(r.out.find("T#88(input) shape:[1, 96, 96, 1], type:INT8"), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find(" RO "), std::string::npos);
}

TEST(CliInspect, LstmModelNamesTheOpaqueOp) {
  const auto r = run_cli({"inspect", testdata_path("tflite/trained_lstm_float.tflite")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos);
  EXPECT_NE(r.out.find("UnidirectionalSequenceLSTMOptions"), std::string::npos);
  EXPECT_EQ(layer_rows(r.out).size(), 4u);
}

TEST(CliInspect, JsonParsesAndHoldsTheSameContent) {
  const auto r = run_cli({"inspect", "--json", testdata_path("tflite/person_detect.tflite")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out.substr(0, 500);
  EXPECT_EQ(j["layers"].size(), 31u);
  EXPECT_EQ(j["summary"]["ops"], 31);
  EXPECT_EQ(j["summary"]["op_histogram"]["CONV_2D"], 14);
  EXPECT_EQ(j["file_bytes"], 300568);
  EXPECT_EQ(j["schema_version"], 3);
  // Input from golden.json: INT8 [1, 96, 96, 1].
  ASSERT_EQ(j["inputs"].size(), 1u);
  EXPECT_EQ(j["inputs"][0]["dtype"], "INT8");
  EXPECT_EQ(j["inputs"][0]["shape"], (std::vector<int>{1, 96, 96, 1}));
  // Every tensor appears once across the dtype groups.
  size_t tensors = 0;
  for (const auto& [dtype, list] : j["tensors"].items()) tensors += list.size();
  EXPECT_EQ(tensors, j["summary"]["tensors"].get<size_t>());
  // The first layer's options as the text report shows them.
  EXPECT_EQ(j["layers"][0]["options"]["stride"], "2x2");
  EXPECT_EQ(j["layers"][0]["options"]["activation"], "RELU6");
}

TEST(CliInspect, FullyConnectedOptionsAndMacsShown) {
  // fc_f32_3d_keepdims: fc [1,23,13]->[1,23,6], weights [6,13]: 23*6*13 = 1794 MACs.
  const auto r = run_cli({"inspect", testdata_path("ops/tflite/fc_f32_3d_keepdims.tflite")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = layer_rows(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NE(rows[0].find("keep_num_dims=true"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find("1,794"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find("FLOAT32[1, 23, 13]"), std::string::npos) << rows[0];
}

TEST(CliInspect, MissingFileIsOneLineNamingTheFile) {
  const std::string path = "/nonexistent/quantlab/model.tflite";
  const auto r = run_cli({"inspect", path});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST(CliInspect, NotAModelIsOneLineNamingTheFile) {
  // The test data README is a text file, not a flatbuffer.
  const std::string path = testdata_path("README.md");
  const auto r = run_cli({"inspect", path});
  EXPECT_NE(r.exit_code, 0);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
}

TEST(CliInspect, HelpExplainsTheSections) {
  const auto r = run_cli({"inspect", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"Summary", "Layers", "Tensors", "MACs", "RO", "zero_point", "--json"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

}  // namespace
}  // namespace quantlab
