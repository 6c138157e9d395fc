// Reading real TFLite files: every model and conformance case must read, its
// op list must match what the test data's README / cases.tsv state, and its
// inputs and outputs must match the goldens the real runtimes recorded.
// Malformed files must give errors that name the file, index and bad value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "quantlab/ir/graph.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "support/tflite_testdata.h"
#include "support/tiny_tflite.h"

namespace quantlab {
namespace {

using test_support::testdata_path;

// Checks graph inputs/outputs against golden.json's "inputs"/"outputs" lists.
void expect_io_matches_golden(const Graph& g, const std::vector<int32_t>& ids, const nlohmann::json& golden,
                              const std::string& what) {
  ASSERT_TRUE(golden.is_array()) << what;
  ASSERT_EQ(ids.size(), golden.size()) << what << " count";
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE(what + " " + std::to_string(i));
    const Tensor& t = g.tensors[ids[i]];
    const auto& want = golden[i];
    EXPECT_EQ(t.name, want["name"].get<std::string>());
    const auto dtype = dtype_from_name(want["dtype"].get<std::string>());
    ASSERT_TRUE(dtype.has_value()) << want["dtype"];
    EXPECT_EQ(t.dtype, *dtype);
    EXPECT_EQ(t.shape, want["shape"].get<std::vector<int32_t>>());
    if (want["scale"].is_null()) {
      EXPECT_TRUE(t.quant.scale.empty()) << "golden has no quantization but the tensor has a scale";
    } else {
      const auto scales = want["scale"].get<std::vector<double>>();
      const auto zero_points = want["zero_point"].get<std::vector<int64_t>>();
      ASSERT_EQ(t.quant.scale.size(), scales.size());
      for (size_t k = 0; k < scales.size(); ++k) EXPECT_FLOAT_EQ(t.quant.scale[k], static_cast<float>(scales[k]));
      EXPECT_EQ(t.quant.zero_point, zero_points);
    }
  }
}

std::vector<std::string> execution_order_names(const Graph& g) {
  auto order = topological_order(g);
  EXPECT_TRUE(order.ok());
  std::vector<std::string> names;
  if (order.ok())
    for (int32_t i : *order) names.push_back(op_name(g.ops[i]));
  return names;
}

// ---- Real models -------------------------------------------------------------

class TfliteReaderModel : public ::testing::TestWithParam<std::string> {};

TEST_P(TfliteReaderModel, ReadsWithReadmeOpsAndGoldenIo) {
  const std::string stem = GetParam();
  auto graph = read_tflite_file(testdata_path("tflite/" + stem + ".tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(graph->schema_version, 3u);

  const auto readme = test_support::readme_op_counts();
  ASSERT_TRUE(readme.count(stem)) << stem << " is not in the README table";
  std::map<std::string, int> counts;
  for (const Op& op : graph->ops) ++counts[op_name(op)];
  EXPECT_EQ(counts, readme.at(stem));

  const auto golden = test_support::read_json(testdata_path("goldens/" + stem + "/golden.json"));
  expect_io_matches_golden(*graph, graph->inputs, golden["inputs"], "input");
  expect_io_matches_golden(*graph, graph->outputs, golden["outputs"], "output");
}

INSTANTIATE_TEST_SUITE_P(All, TfliteReaderModel, ::testing::ValuesIn(test_support::model_stems()),
                         [](const auto& info) { return info.param; });

TEST(TfliteReader, FindsAllThirteenModels) { EXPECT_EQ(test_support::model_stems().size(), 13u); }

TEST(TfliteReader, LstmIsOpaqueWithItsBuiltinName) {
  auto graph = read_tflite_file(testdata_path("tflite/trained_lstm_float.tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  int lstm = 0;
  for (const Op& op : graph->ops) {
    if (op.kind != OpKind::kOpaque) continue;
    const auto& o = op.opts<OpaqueOptions>();
    EXPECT_EQ(o.name, "UNIDIRECTIONAL_SEQUENCE_LSTM");
    EXPECT_EQ(o.builtin_code, 44);
    EXPECT_EQ(o.options_type, 71);  // UnidirectionalSequenceLSTMOptions
    EXPECT_FALSE(o.fields.empty());
    ++lstm;
  }
  EXPECT_EQ(lstm, 1);
}

TEST(TfliteReader, PersonDetectFirstLayerIsPerChannelDepthwise) {
  // MobileNet's first layer over the single grey channel, converted to a
  // DEPTHWISE_CONV_2D with multiplier 8: filter [1, 3, 3, 8], stride 2, int8
  // weights quantized per output channel along dimension 3.
  auto graph = read_tflite_file(testdata_path("tflite/person_detect.tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  auto order = topological_order(*graph);
  ASSERT_TRUE(order.ok());
  const Op& conv = graph->ops[(*order)[0]];
  ASSERT_EQ(conv.kind, OpKind::kDepthwiseConv2D);
  const auto& o = conv.opts<DepthwiseConv2DOptions>();
  EXPECT_EQ(o.depth_multiplier, 8);
  EXPECT_EQ(o.stride_w, 2);
  EXPECT_EQ(o.stride_h, 2);
  EXPECT_EQ(o.padding, Padding::kSame);
  EXPECT_EQ(o.activation, Activation::kRelu6);
  const Tensor& filter = graph->tensors[conv.inputs[1]];
  EXPECT_EQ(filter.dtype, DType::kInt8);
  EXPECT_EQ(filter.shape, (Shape{1, 3, 3, 8}));
  EXPECT_EQ(filter.quant.scale.size(), 8u);
  EXPECT_EQ(filter.quant.axis, 3);
  EXPECT_TRUE(graph->is_constant(conv.inputs[1]));
  // The bias: int32 [8], one scale per channel. The file gives it the
  // filter's quantized dimension (3), outside its rank; it is read as axis 0.
  const Tensor& bias = graph->tensors[conv.inputs[2]];
  EXPECT_EQ(bias.dtype, DType::kInt32);
  EXPECT_EQ(bias.shape, (Shape{8}));
  EXPECT_EQ(bias.quant.scale.size(), 8u);
  EXPECT_EQ(bias.quant.axis, 0);
}

// ---- Conformance cases -------------------------------------------------------

class TfliteReaderCase : public ::testing::TestWithParam<test_support::OpsCase> {};

TEST_P(TfliteReaderCase, ReadsWithListedOpsAndGoldenIo) {
  const auto& c = GetParam();
  auto graph = read_tflite_file(testdata_path("ops/tflite/" + c.name + ".tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(execution_order_names(*graph), c.ops);
  for (const Op& op : graph->ops) EXPECT_NE(op.kind, OpKind::kOpaque) << op_name(op);
  const auto golden = test_support::read_json(testdata_path("ops/goldens/" + c.name + "/golden.json"));
  expect_io_matches_golden(*graph, graph->inputs, golden["inputs"], "input");
  expect_io_matches_golden(*graph, graph->outputs, golden["outputs"], "output");
}

INSTANTIATE_TEST_SUITE_P(All, TfliteReaderCase, ::testing::ValuesIn(test_support::ops_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(TfliteReader, FindsAllOpsCases) { EXPECT_EQ(test_support::ops_cases().size(), 150u); }

// ---- Malformed files -----------------------------------------------------------

std::vector<uint8_t> hello_world_bytes() {
  return test_support::read_bytes(testdata_path("tflite/hello_world_int8.tflite"));
}

// Reads `bytes` as "bad.tflite" and expects an error mentioning each of `needles`.
void expect_read_error(const std::vector<uint8_t>& bytes, const std::vector<std::string>& needles) {
  auto graph = read_tflite(bytes.data(), bytes.size(), "bad.tflite");
  ASSERT_FALSE(graph.ok()) << "a malformed file was accepted";
  const std::string& message = graph.status().message();
  EXPECT_EQ(message.rfind("bad.tflite: ", 0), 0u) << message;
  for (const auto& needle : needles) EXPECT_NE(message.find(needle), std::string::npos) << message;
}

TEST(TfliteReaderErrors, TruncatedFiles) {
  const auto bytes = hello_world_bytes();
  ASSERT_GT(bytes.size(), 100u);
  for (size_t keep : {size_t{0}, size_t{3}, size_t{7}, size_t{64}, bytes.size() / 2, bytes.size() - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " bytes");
    expect_read_error(std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep), {std::to_string(keep) + " bytes"});
  }
}

TEST(TfliteReaderErrors, RandomBytes) {
  std::vector<uint8_t> bytes(4096);
  uint32_t state = 12345;
  for (auto& b : bytes) {
    state = state * 1664525u + 1013904223u;  // a fixed LCG: the same bytes every run
    b = static_cast<uint8_t>(state >> 24);
  }
  expect_read_error(bytes, {"not a valid TFLite flatbuffer"});
}

TEST(TfliteReaderErrors, WrongIdentifier) {
  auto bytes = hello_world_bytes();
  bytes[4] = 'A';
  bytes[5] = 'B';
  bytes[6] = 'C';
  bytes[7] = 'D';
  expect_read_error(bytes, {"identifier is 'ABCD'", "TFL3"});
}

// Flipping single bits anywhere in a real file must give either a graph that
// validates (and writes and reads back) or an error, never a crash. Returns
// the number of errors.
int flip_bits_and_read(const std::string& model, int trials) {
  const auto original = test_support::read_bytes(testdata_path("tflite/" + model + ".tflite"));
  uint32_t state = 99;
  int errors = 0;
  for (int trial = 0; trial < trials; ++trial) {
    auto bytes = original;
    state = state * 1664525u + 1013904223u;  // a fixed LCG: the same flips every run
    const size_t at = state % bytes.size();
    bytes[at] = static_cast<uint8_t>(bytes[at] ^ (1u << (trial % 8)));
    auto graph = read_tflite(bytes.data(), bytes.size(), "fuzzed.tflite");
    if (!graph.ok()) {
      ++errors;
      EXPECT_FALSE(graph.status().message().empty());
      continue;
    }
    EXPECT_TRUE(validate(*graph).ok()) << "byte " << at;
    auto rewritten = write_tflite(*graph);
    if (!rewritten.ok()) {
      ADD_FAILURE() << "byte " << at << ": " << rewritten.status().message();
      continue;
    }
    EXPECT_TRUE(read_tflite(rewritten->data(), rewritten->size(), "rewritten").ok()) << "byte " << at;
  }
  return errors;
}

TEST(TfliteReaderErrors, BitFlipsNeverCrash) {
  // Most of hello_world is structure, so many flips must be caught; most of
  // the LSTM model is weights, and its opaque options table is exercised too.
  EXPECT_GT(flip_bits_and_read("hello_world_int8", 400), 40);
  flip_bits_and_read("trained_lstm_float", 400);
}

// Corruptions made through the IR, written without validation.
std::vector<uint8_t> write_unchecked(const Graph& g) {
  TfliteWriteOptions options;
  options.validate = false;
  auto bytes = write_tflite(g, options);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

Graph hello_world_graph() {
  auto graph = read_tflite_file(testdata_path("tflite/hello_world_int8.tflite"));
  EXPECT_TRUE(graph.ok()) << graph.status().message();
  return graph.ok() ? *graph : Graph{};
}

TEST(TfliteReaderErrors, OpTensorIndexOutOfRange) {
  Graph g = hello_world_graph();
  g.ops[0].inputs[0] = 999;
  expect_read_error(write_unchecked(g), {"op 0 (FULLY_CONNECTED)", "999"});
}

TEST(TfliteReaderErrors, GraphOutputIndexOutOfRange) {
  Graph g = hello_world_graph();
  g.outputs[0] = 12345;
  expect_read_error(write_unchecked(g), {"output", "12345"});
}

TEST(TfliteReaderErrors, BufferShorterThanTensor) {
  Graph g = hello_world_graph();
  // The first layer's weights [16, 1] int8: claim [16, 2] so 32 bytes are needed.
  const int32_t w = g.ops[0].inputs[1];
  ASSERT_EQ(g.tensors[w].shape, (Shape{16, 1}));
  g.tensors[w].shape = {16, 2};
  expect_read_error(write_unchecked(g), {"tensor " + std::to_string(w), "needs 32 bytes", "holds 16"});
}

TEST(TfliteReaderErrors, ZeroAndNonFiniteScales) {
  for (float bad : {0.0f, -0.5f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    SCOPED_TRACE(bad);
    Graph g = hello_world_graph();
    const int32_t t = g.inputs[0];
    g.tensors[t].quant.scale[0] = bad;
    expect_read_error(write_unchecked(g), {"tensor " + std::to_string(t), "scale[0]", "finite and positive"});
  }
}

// ---- Hand-built files: defects the writer cannot produce ---------------------

TEST(TfliteReaderErrors, HandBuiltBaselineReads) {
  // The baseline of the hand-built cases must itself be valid, or the cases
  // below would pass for the wrong reason.
  const auto bytes = test_support::build_tiny_relu_model({});
  auto graph = read_tflite(bytes.data(), bytes.size(), "tiny.tflite");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  ASSERT_EQ(graph->ops.size(), 1u);
  EXPECT_EQ(graph->ops[0].kind, OpKind::kRelu);
  EXPECT_EQ(graph->tensors[0].name, "in");
  EXPECT_EQ(graph->description, "tiny relu");
}

TEST(TfliteReaderErrors, UnknownTensorType) {
  test_support::TinyReluSpec spec;
  spec.input_type = 77;
  expect_read_error(test_support::build_tiny_relu_model(spec), {"tensor 0 'in'", "type code 77"});
}

TEST(TfliteReaderErrors, UnsupportedTensorType) {
  test_support::TinyReluSpec spec;
  spec.input_type = 8;  // COMPLEX64
  expect_read_error(test_support::build_tiny_relu_model(spec), {"tensor 0 'in'", "COMPLEX64"});
}

TEST(TfliteReaderErrors, BufferIndexOutOfRange) {
  test_support::TinyReluSpec spec;
  spec.input_buffer = 42;
  expect_read_error(test_support::build_tiny_relu_model(spec), {"tensor 0 'in'", "buffer 42", "3 buffers"});
}

TEST(TfliteReaderErrors, OpcodeIndexOutOfRange) {
  test_support::TinyReluSpec spec;
  spec.opcode_index = 5;
  expect_read_error(test_support::build_tiny_relu_model(spec), {"op 0", "operator code 5", "1 operator codes"});
}

TEST(TfliteReaderErrors, OpOutputIndexOutOfRange) {
  test_support::TinyReluSpec spec;
  spec.output_tensor = 7;
  expect_read_error(test_support::build_tiny_relu_model(spec), {"op 0 (RELU) output 0", "tensor 7"});
}

TEST(TfliteReaderErrors, SeveralSubgraphs) {
  test_support::TinyReluSpec spec;
  spec.num_subgraphs = 2;
  expect_read_error(test_support::build_tiny_relu_model(spec), {"2 subgraphs"});
}

TEST(TfliteReaderErrors, OtherSchemaVersion) {
  test_support::TinyReluSpec spec;
  spec.schema_version = 2;
  expect_read_error(test_support::build_tiny_relu_model(spec), {"schema version 2"});
}

TEST(TfliteReaderErrors, MissingFileNamesThePath) {
  auto graph = read_tflite_file("/nonexistent/dir/model.tflite");
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("/nonexistent/dir/model.tflite"), std::string::npos);
}

TEST(TfliteReader, UnalignedInputIsAccepted) {
  const auto bytes = hello_world_bytes();
  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 1);
  auto graph = read_tflite(shifted.data() + 1, bytes.size(), "shifted.tflite");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(graph->ops.size(), 3u);
}

}  // namespace
}  // namespace quantlab
