// Model facts (ir/analysis) on real files: MACs are derived independently from
// the shapes cases.tsv states for each conformance case; totals from sums the
// test computes from the README and hand arithmetic.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "quantlab/ir/analysis.h"
#include "quantlab/tflite/reader.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

using test_support::testdata_path;

std::vector<int64_t> parse_dims(const std::string& text) {
  std::vector<int64_t> dims;
  std::regex number("-?[0-9]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    dims.push_back(std::stoll(it->str()));
  return dims;
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// The expected MACs of a single-op case from its cases.tsv "params" text, e.g.
// "conv [1,23,1,6]->[1,23,1,2] filter [2,5,1,6] s1x1 d1x1"; -1 if not a MAC op.
int64_t macs_from_params(const std::string& params) {
  std::smatch m;
  static const std::regex conv(R"(^conv (\[[^\]]*\])->(\[[^\]]*\]) filter (\[[^\]]*\]))");
  static const std::regex dwconv(R"(^dwconv (\[[^\]]*\])->(\[[^\]]*\]) filter (\[[^\]]*\]))");
  static const std::regex fc(R"(^fc (\[[^\]]*\])->(\[[^\]]*\]) weights (\[[^\]]*\]))");
  static const std::regex bmm(R"(^bmm (\[[^\]]*\])x(?:const)?(\[[^\]]*\])->(\[[^\]]*\])( adj_x)?)");
  if (std::regex_search(params, m, conv)) {
    const auto f = parse_dims(m[3]);  // [out, kh, kw, in]
    return product(parse_dims(m[2])) * f[1] * f[2] * f[3];
  }
  if (std::regex_search(params, m, dwconv)) {
    const auto f = parse_dims(m[3]);  // [1, kh, kw, channels]
    return product(parse_dims(m[2])) * f[1] * f[2];
  }
  if (std::regex_search(params, m, fc)) return product(parse_dims(m[2])) * parse_dims(m[3])[1];
  if (std::regex_search(params, m, bmm)) {
    const auto x = parse_dims(m[1]);
    const bool adj_x = m[4].matched;
    return product(parse_dims(m[3])) * (adj_x ? x[x.size() - 2] : x.back());
  }
  return -1;
}

TEST(TfliteAnalysis, MacsMatchCaseShapes) {
  std::ifstream in(testdata_path("ops/cases.tsv"));
  std::string line;
  std::getline(in, line);
  int checked = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
    if (cols.size() < 5 || cols[2].find(',') != std::string::npos) continue;  // single-op cases only
    const int64_t expected = macs_from_params(cols[4]);
    if (expected < 0) continue;
    SCOPED_TRACE(cols[0] + ": " + cols[4]);
    auto g = read_tflite_file(testdata_path("ops/tflite/" + cols[0] + ".tflite"));
    ASSERT_TRUE(g.ok()) << g.status().message();
    ASSERT_EQ(g->ops.size(), 1u);
    EXPECT_EQ(op_macs(*g, g->ops[0]), expected);
    EXPECT_EQ(summarize(*g).total_macs, expected);
    ++checked;
  }
  // Conv, depthwise, fully connected and batch matmul cases in float, int8 and hybrid.
  EXPECT_GE(checked, 50);
}

TEST(TfliteAnalysis, HelloWorldSummary) {
  // hello_world: dense 1->16, 16->16, 16->1, each with a bias.
  // MACs = 16 + 256 + 16 = 288; parameters = (16+16) + (256+16) + (16+1) = 321.
  auto g = read_tflite_file(testdata_path("tflite/hello_world_float.tflite"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  const ModelSummary s = summarize(*g);
  EXPECT_EQ(s.total_macs, 288);
  EXPECT_EQ(s.parameter_count, 321);
  EXPECT_EQ(s.constant_bytes, 321 * 4);
  EXPECT_EQ(s.constant_bytes_by_dtype.at(DType::kFloat32), 321 * 4);
  EXPECT_EQ(s.op_histogram.at("FULLY_CONNECTED"), 3);

  // The int8 version: int8 weights (16 + 256 + 16 bytes), int32 biases (33 x 4).
  auto q = read_tflite_file(testdata_path("tflite/hello_world_int8.tflite"));
  ASSERT_TRUE(q.ok()) << q.status().message();
  const ModelSummary sq = summarize(*q);
  EXPECT_EQ(sq.total_macs, 288);
  EXPECT_EQ(sq.constant_bytes_by_dtype.at(DType::kInt8), 288);
  EXPECT_EQ(sq.constant_bytes_by_dtype.at(DType::kInt32), 33 * 4);
}

TEST(TfliteAnalysis, HistogramMatchesReadme) {
  const auto readme = test_support::readme_op_counts();
  for (const auto& stem : test_support::model_stems()) {
    SCOPED_TRACE(stem);
    auto g = read_tflite_file(testdata_path("tflite/" + stem + ".tflite"));
    ASSERT_TRUE(g.ok()) << g.status().message();
    EXPECT_EQ(summarize(*g).op_histogram, readme.at(stem));
  }
}

TEST(TfliteAnalysis, OptionFieldsNameWhatMatters) {
  auto g = read_tflite_file(testdata_path("ops/tflite/conv2d_f32_same_s2_relu6.tflite"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  // From cases.tsv: SAME, stride 2, RELU6, filter [2,4,4,5] (4x4).
  EXPECT_EQ(options_summary(*g, g->ops[0]), "padding=SAME stride=2x2 dilation=1x1 activation=RELU6 filter=4x4");
  auto bmm = read_tflite_file(testdata_path("ops/tflite/bmm_f32_var_var_adjx_adjy.tflite"));
  ASSERT_TRUE(bmm.ok()) << bmm.status().message();
  EXPECT_EQ(options_summary(*bmm, bmm->ops[0]), "adj_x=true adj_y=true");
}

}  // namespace
}  // namespace quantlab
