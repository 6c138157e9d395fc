// The writer's output format: the details runtimes depend on, checked on the
// raw file (operator-code table, buffer placement, options tables) rather
// than through the reader.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <tuple>

#include "quantlab/ir/graph_compare.h"
#include "quantlab/tflite/file_facts.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

using test_support::testdata_path;

struct Written {
  Graph graph;
  std::vector<uint8_t> bytes;
  TfliteFileFacts facts;
};

Written rewrite(const std::string& relative) {
  Written w;
  auto g = read_tflite_file(testdata_path(relative));
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (!g.ok()) return w;
  w.graph = *g;
  auto bytes = write_tflite(w.graph);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  if (!bytes.ok()) return w;
  w.bytes = *bytes;
  auto facts = read_tflite_file_facts(w.bytes.data(), w.bytes.size(), relative);
  EXPECT_TRUE(facts.ok()) << facts.status().message();
  if (facts.ok()) w.facts = *facts;
  return w;
}

TEST(TfliteWriter, BufferZeroIsEmptyAndDataIsSixteenByteAligned) {
  for (const std::string model : {"person_detect", "trained_lstm_float", "magic_wand_drq_synthetic"}) {
    SCOPED_TRACE(model);
    const Written w = rewrite("tflite/" + model + ".tflite");
    ASSERT_FALSE(w.facts.buffers.empty());
    EXPECT_EQ(w.facts.buffers[0].size, 0u);
    int with_data = 0;
    for (const auto& b : w.facts.buffers) {
      if (b.size == 0) continue;
      ++with_data;
      EXPECT_EQ(b.offset % 16, 0u) << "buffer at " << b.offset;
      EXPECT_LE(b.offset + b.size, w.bytes.size());
    }
    // One file buffer per distinct constant plus one per metadata entry.
    EXPECT_EQ(with_data, static_cast<int>(w.graph.buffers.size() + w.graph.metadata.size()));
  }
}

TEST(TfliteWriter, ConstantBytesAreStoredVerbatim) {
  const Written w = rewrite("tflite/hello_world_int8.tflite");
  // Every graph buffer's bytes appear at some file buffer's offset.
  for (const auto& data : w.graph.buffers) {
    bool found = false;
    for (const auto& b : w.facts.buffers)
      if (b.size == data.size() && std::memcmp(w.bytes.data() + b.offset, data.data(), data.size()) == 0) found = true;
    EXPECT_TRUE(found) << "a constant of " << data.size() << " bytes is missing from the file";
  }
}

TEST(TfliteWriter, OperatorCodesAreDeduplicatedAndFillBothFields) {
  const Written w = rewrite("tflite/person_detect.tflite");
  // person_detect uses 5 distinct ops, each at one version.
  std::set<std::tuple<int32_t, std::string, int32_t>> distinct;
  for (const auto& c : w.facts.operator_codes) {
    EXPECT_TRUE(distinct.insert({c.builtin_code, c.custom_code, c.version}).second) << "duplicate code";
    EXPECT_EQ(c.deprecated_builtin_code, std::min(c.builtin_code, 127));
  }
  EXPECT_EQ(w.facts.operator_codes.size(), 5u);
  EXPECT_EQ(w.facts.operators.size(), 31u);
  for (const auto& op : w.facts.operators) EXPECT_LT(op.opcode_index, w.facts.operator_codes.size());
}

TEST(TfliteWriter, CodesAbove127SaturateTheByteField) {
  // A GELU (code 150) outside the op set, between a float input and output.
  Graph g;
  g.inputs = {g.add_activation("x", DType::kFloat32, {1, 4})};
  g.outputs = {g.add_activation("y", DType::kFloat32, {1, 4})};
  OpaqueOptions gelu;
  gelu.name = "GELU";
  gelu.builtin_code = 150;
  g.ops.push_back(Op{OpKind::kOpaque, g.inputs, g.outputs, gelu});
  auto bytes = write_tflite(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto facts = read_tflite_file_facts(bytes->data(), bytes->size(), "gelu");
  ASSERT_TRUE(facts.ok()) << facts.status().message();
  ASSERT_EQ(facts->operator_codes.size(), 1u);
  EXPECT_EQ(facts->operator_codes[0].builtin_code, 150);
  EXPECT_EQ(facts->operator_codes[0].deprecated_builtin_code, 127);
  auto reread = read_tflite(bytes->data(), bytes->size(), "gelu");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  EXPECT_EQ(op_name(reread->ops[0]), "GELU");
  EXPECT_TRUE(compare_graphs(g, *reread).ok()) << compare_graphs(g, *reread).message();
}

TEST(TfliteWriter, EmptyOptionsTablesWhereConvertersWriteThem) {
  // Union tags from the TFLite schema: PadOptions 22, TransposeOptions 26,
  // DequantizeOptions 38, QuantizeOptions 89; activation ops carry none.
  const std::vector<std::pair<std::string, uint8_t>> cases = {
      {"pad_f32_4d", 22},         {"transpose_f32_4d", 26}, {"dequantize_i8_to_f32", 38},
      {"quantize_f32_to_i8", 89}, {"logistic_f32", 0},      {"relu_f32", 0},
      {"relu6_f32", 0},
  };
  for (const auto& [name, tag] : cases) {
    SCOPED_TRACE(name);
    const Written w = rewrite("ops/tflite/" + name + ".tflite");
    ASSERT_EQ(w.facts.operators.size(), 1u);
    EXPECT_EQ(w.facts.operators[0].options_type, tag);
    EXPECT_EQ(w.facts.operators[0].has_options_table, tag != 0);
  }
}

TEST(TfliteWriter, TypedOptionsUseTheirUnionTags) {
  // Conv2DOptions 1, DepthwiseConv2DOptions 2, Pool2DOptions 5,
  // FullyConnectedOptions 8, SoftmaxOptions 9, BatchMatMulOptions 101.
  const std::vector<std::pair<std::string, uint8_t>> cases = {
      {"conv2d_f32_same_s1_relu", 1}, {"dwconv_f32_m1_same_s1_relu", 2}, {"maxpool_f32_same_s2", 5},
      {"fc_f32_2d", 8},               {"softmax_f32_beta1", 9},          {"bmm_f32_var_var", 101},
  };
  for (const auto& [name, tag] : cases) {
    SCOPED_TRACE(name);
    const Written w = rewrite("ops/tflite/" + name + ".tflite");
    ASSERT_EQ(w.facts.operators.size(), 1u);
    EXPECT_EQ(w.facts.operators[0].options_type, tag);
  }
}

TEST(TfliteWriter, StoresOpsInExecutionOrder) {
  // Ops kept out of order in the IR (RELU6 first, though it reads RELU's output).
  Graph g;
  g.inputs = {g.add_activation("in", DType::kFloat32, {1, 4})};
  const int32_t mid = g.add_activation("mid", DType::kFloat32, {1, 4});
  g.outputs = {g.add_activation("out", DType::kFloat32, {1, 4})};
  g.ops.push_back(Op{OpKind::kRelu6, {mid}, g.outputs, NoOptions{}});
  g.ops.push_back(Op{OpKind::kRelu, g.inputs, {mid}, NoOptions{}});
  auto bytes = write_tflite(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto reread = read_tflite(bytes->data(), bytes->size(), "ordered");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  ASSERT_EQ(reread->ops.size(), 2u);
  EXPECT_EQ(reread->ops[0].kind, OpKind::kRelu);
  EXPECT_EQ(reread->ops[1].kind, OpKind::kRelu6);
}

TEST(TfliteWriter, OpaqueScalarFieldsRoundTripExactly) {
  // An options table the reader has no schema for: a one-byte field in slot 0
  // and a four-byte float (10.0f = 0x41200000) in slot 1, as an LSTM's
  // activation and cell clip.
  Graph g;
  g.inputs = {g.add_activation("x", DType::kFloat32, {1, 2, 3})};
  g.outputs = {g.add_activation("y", DType::kFloat32, {1, 2, 3})};
  OpaqueOptions o;
  o.name = "UNIDIRECTIONAL_SEQUENCE_LSTM";
  o.builtin_code = 44;
  o.options_type = 71;
  o.fields = {{0, {0x04}}, {1, {0x00, 0x00, 0x20, 0x41}}};
  g.ops.push_back(Op{OpKind::kOpaque, g.inputs, g.outputs, o});
  auto bytes = write_tflite(g);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto reread = read_tflite(bytes->data(), bytes->size(), "opaque");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  const auto& back = reread->ops[0].opts<OpaqueOptions>();
  ASSERT_EQ(back.fields.size(), 2u);
  EXPECT_EQ(back.fields[0].slot, 0);
  EXPECT_EQ(back.fields[0].bytes, (std::vector<uint8_t>{0x04}));
  EXPECT_EQ(back.fields[1].slot, 1);
  EXPECT_EQ(back.fields[1].bytes, (std::vector<uint8_t>{0x00, 0x00, 0x20, 0x41}));
}

TEST(TfliteWriter, LstmOptionsKeepTheirValues) {
  // trained_lstm_float's LSTM: fused activation TANH (4) in slot 0 and a cell
  // clip of 10.0f in slot 1; after a rewrite the same bytes must be there.
  const Written w = rewrite("tflite/trained_lstm_float.tflite");
  auto reread = read_tflite(w.bytes.data(), w.bytes.size(), "lstm rewritten");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  bool found = false;
  for (const Op& op : reread->ops) {
    if (op.kind != OpKind::kOpaque) continue;
    found = true;
    const auto& o = op.opts<OpaqueOptions>();
    ASSERT_GE(o.fields.size(), 2u);
    EXPECT_EQ(o.fields[0].bytes[0], 4);
    float clip = 0;
    ASSERT_EQ(o.fields[1].bytes.size(), 4u);
    std::memcpy(&clip, o.fields[1].bytes.data(), 4);
    EXPECT_EQ(clip, 10.0f);
  }
  EXPECT_TRUE(found);
}

TEST(TfliteWriter, RefusesInvalidGraphs) {
  auto g = read_tflite_file(testdata_path("tflite/hello_world_float.tflite"));
  ASSERT_TRUE(g.ok()) << g.status().message();
  g->ops[1].inputs[0] = 500;
  auto bytes = write_tflite(*g);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.status().message().find("op 1 (FULLY_CONNECTED) input 0 is tensor 500"), std::string::npos)
      << bytes.status().message();
}

TEST(TfliteWriter, RewrittenFilesAreNotLargerThanNeeded) {
  // The rewrite holds the same constants; alignment and tables add at most a
  // little per tensor. A writer that duplicated buffers would fail this.
  for (const std::string model : {"person_detect", "magic_wand"}) {
    SCOPED_TRACE(model);
    const auto original = test_support::read_bytes(testdata_path("tflite/" + model + ".tflite"));
    const Written w = rewrite("tflite/" + model + ".tflite");
    EXPECT_LT(w.bytes.size(), original.size() + 64 * w.graph.tensors.size());
  }
}

}  // namespace
}  // namespace quantlab
