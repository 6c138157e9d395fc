// Read -> write -> read must give back the same graph for every real model and
// conformance case: names, shapes, dtypes, quantization, constant bytes, op
// options, opaque ops' raw options, metadata and signatures. compare_graphs,
// which these tests rely on, is itself checked against planted differences.
#include <gtest/gtest.h>

#include <filesystem>

#include "quantlab/ir/graph_compare.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

using test_support::testdata_path;

void expect_round_trip(const std::string& path) {
  auto original = read_tflite_file(path);
  ASSERT_TRUE(original.ok()) << original.status().message();
  auto bytes = write_tflite(*original);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto reread = read_tflite(bytes->data(), bytes->size(), path + " (rewritten)");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  const Status same = compare_graphs(*original, *reread);
  EXPECT_TRUE(same.ok()) << same.message();
  // Writing is deterministic: the rewritten graph writes the same bytes.
  auto bytes_again = write_tflite(*reread);
  ASSERT_TRUE(bytes_again.ok()) << bytes_again.status().message();
  EXPECT_TRUE(*bytes == *bytes_again) << "second write differs from the first";
}

class TfliteRoundTripModel : public ::testing::TestWithParam<std::string> {};
TEST_P(TfliteRoundTripModel, ReadWriteReadIsIdentical) {
  expect_round_trip(testdata_path("tflite/" + GetParam() + ".tflite"));
}
INSTANTIATE_TEST_SUITE_P(All, TfliteRoundTripModel, ::testing::ValuesIn(test_support::model_stems()),
                         [](const auto& info) { return info.param; });

class TfliteRoundTripCase : public ::testing::TestWithParam<test_support::OpsCase> {};
TEST_P(TfliteRoundTripCase, ReadWriteReadIsIdentical) {
  expect_round_trip(testdata_path("ops/tflite/" + GetParam().name + ".tflite"));
}
INSTANTIATE_TEST_SUITE_P(All, TfliteRoundTripCase, ::testing::ValuesIn(test_support::ops_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(TfliteRoundTrip, MetadataAndSignaturesSurvive) {
  // trained_lstm_float carries two metadata entries and a serving signature.
  auto original = read_tflite_file(testdata_path("tflite/trained_lstm_float.tflite"));
  ASSERT_TRUE(original.ok()) << original.status().message();
  ASSERT_EQ(original->metadata.size(), 2u);
  EXPECT_EQ(original->metadata[0].name, "min_runtime_version");
  ASSERT_EQ(original->signatures.size(), 1u);
  EXPECT_EQ(original->signatures[0].key, "serving_default");
  auto bytes = write_tflite(*original);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto reread = read_tflite(bytes->data(), bytes->size(), "rewritten");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  ASSERT_EQ(reread->metadata.size(), 2u);
  EXPECT_EQ(reread->metadata[1].name, original->metadata[1].name);
  EXPECT_EQ(reread->metadata[1].data, original->metadata[1].data);
  ASSERT_EQ(reread->signatures.size(), 1u);
  EXPECT_EQ(reread->signatures[0].inputs, original->signatures[0].inputs);
}

TEST(TfliteRoundTrip, WritesFileAtomicallyAndReadsItBack) {
  auto original = read_tflite_file(testdata_path("tflite/magic_wand.tflite"));
  ASSERT_TRUE(original.ok()) << original.status().message();
  const auto dir = std::filesystem::temp_directory_path() / "quantlab_tflite_roundtrip";
  const std::string path = (dir / "nested" / "magic_wand.tflite").string();
  ASSERT_TRUE(write_tflite_file(*original, path).ok());
  auto reread = read_tflite_file(path);
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  EXPECT_TRUE(compare_graphs(*original, *reread).ok());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---- compare_graphs finds each kind of difference --------------------------

Graph small_graph() {
  auto g = read_tflite_file(testdata_path("tflite/hello_world_int8.tflite"));
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : Graph{};
}

void expect_difference(const Graph& a, const Graph& b, const std::string& needle) {
  const Status s = compare_graphs(a, b);
  ASSERT_FALSE(s.ok()) << "difference not found: " << needle;
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(GraphCompare, EqualGraphsCompareEqual) {
  const Graph a = small_graph();
  EXPECT_TRUE(compare_graphs(a, a).ok());
}

TEST(GraphCompare, NamesEachDifference) {
  const Graph a = small_graph();
  const int32_t in = a.inputs[0];
  const std::string tensor = "tensor " + std::to_string(in) + " '" + a.tensors[in].name + "'";
  {
    Graph b = a;
    b.tensors[in].quant.scale[0] *= 2.0f;
    expect_difference(a, b, tensor + ": scale[0] differs: ");
  }
  {
    Graph b = a;
    b.tensors[in].quant.zero_point[0] += 1;
    expect_difference(a, b, tensor + ": zero_point[0] differs");
  }
  {
    Graph b = a;
    b.tensors[in].name = "renamed";
    expect_difference(a, b, "name differs: '" + a.tensors[in].name + "' vs 'renamed'");
  }
  {
    Graph b = a;
    b.tensors[in].shape = {2, 1};
    expect_difference(a, b, "shape differs: [1, 1] vs [2, 1]");
  }
  {
    Graph b = a;
    b.tensors[in].dtype = DType::kUInt8;
    expect_difference(a, b, "dtype differs: INT8 vs UINT8");
  }
  {
    Graph b = a;
    const int32_t w = b.ops[0].inputs[1];
    std::vector<uint8_t> bytes = b.constant_bytes(w);
    bytes[3] ^= 1;
    b.set_constant(w, bytes);
    expect_difference(a, b, "constant byte 3 differs");
  }
  {
    Graph b = a;
    b.ops[1].opts<FullyConnectedOptions>().activation = Activation::kRelu6;
    expect_difference(a, b, "op 1 (FULLY_CONNECTED): options differ");
  }
  {
    Graph b = a;
    b.ops[2].version = 9;
    expect_difference(a, b, "op 2 (FULLY_CONNECTED): version differs");
  }
  {
    Graph b = a;
    b.description = "other";
    expect_difference(a, b, "description differs");
  }
  {
    Graph b = a;
    b.metadata.push_back({"extra", {1, 2, 3}});
    expect_difference(a, b, "metadata count differs");
  }
}

}  // namespace
}  // namespace quantlab
