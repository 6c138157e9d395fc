// Model facts (ir/analysis) on real files: MACs are derived independently from
// the shapes cases.tsv states for each conformance case; totals from sums the
// test computes from the README and hand arithmetic.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "quantlab/ir/analysis.h"
#include "quantlab/tflite/reader.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

using test_support::testdata_path;

// The bracketed shapes of a params text, in order: "conv [1,2]->[3] filter
// [4,5]" gives {{1, 2}, {3}, {4, 5}}.
std::vector<std::vector<int64_t>> bracketed_shapes(const std::string& text) {
  std::vector<std::vector<int64_t>> shapes;
  size_t open = text.find('[');
  while (open != std::string::npos) {
    const size_t close = text.find(']', open);
    if (close == std::string::npos) break;
    std::vector<int64_t> dims;
    std::stringstream inner(text.substr(open + 1, close - open - 1));
    for (std::string d; std::getline(inner, d, ',');) dims.push_back(std::stoll(d));
    shapes.push_back(dims);
    open = text.find('[', close);
  }
  return shapes;
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// The expected MACs of a single-op case from its cases.tsv "params" text, e.g.
// "conv [1,23,1,6]->[1,23,1,2] filter [2,5,1,6] s1x1 d1x1"; -1 if not a MAC op.
int64_t macs_from_params(const std::string& params) {
  const std::string op = params.substr(0, params.find(' '));
  const auto shapes = bracketed_shapes(params);
  if (shapes.size() < 3) return -1;
  if (op == "conv") return product(shapes[1]) * shapes[2][1] * shapes[2][2] * shapes[2][3];  // filter [out, kh, kw, in]
  if (op == "dwconv") return product(shapes[1]) * shapes[2][1] * shapes[2][2];  // filter [1, kh, kw, channels]
  if (op == "fc") return product(shapes[1]) * shapes[2][1];                     // weights [out, in]
  if (op == "bmm") {
    // "bmm X x Y -> OUT [adj_x] [adj_y]": the contracted dimension is X's last, or the one before with adj_x.
    const auto& x = shapes[0];
    const bool adj_x = params.find(" adj_x") != std::string::npos;
    return product(shapes[2]) * (adj_x ? x[x.size() - 2] : x.back());
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
