// The zoo against the study's listings: SmartWatch lean must reproduce the
// original study's tensor table exactly (shapes and names transcribed from it), every
// family must show the original study's op sequence, and the parameter counts must be
// those worked out by hand in docs/models.md.
#include "quantlab/zoo/zoo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "quantlab/runtime/interpreter.h"

namespace quantlab::zoo {
namespace {

ZooModel build_default(const std::string& arch) {
  auto request = default_request(arch);
  EXPECT_TRUE(request.ok()) << request.status().message();
  auto model = build_model(*request);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return std::move(model).value();
}

std::vector<std::string> op_sequence(const Graph& g) {
  std::vector<std::string> names;
  for (const Op& op : g.ops) names.push_back(op_name(op));
  return names;
}

int32_t find_tensor(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (g.tensors[i].name == name) return static_cast<int32_t>(i);
  return -1;
}

// Parameters of float constants only (the flatten shape constant is not a
// parameter).
int64_t float_parameters(const Graph& g) {
  int64_t n = 0;
  for (const Tensor& t : g.tensors)
    if (t.buffer >= 0 && t.dtype == DType::kFloat32) n += num_elements(t.shape);
  return n;
}

TEST(ZooTest, SmartwatchLeanMatchesTheSeedListing) {
  const Graph g = build_default("smartwatch-lean").graph;
  EXPECT_EQ(op_sequence(g), (std::vector<std::string>{"CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D", "CONV_2D",
                                                       "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D", "RESHAPE",
                                                       "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"}));
  // Tensor table transcribed from the original study's listing of the lean model.
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"serving_default_x:0", {1, 100, 6, 1}},
      {"model/conv2d/BiasAdd/ReadVariableOp", {4}},
      {"model/conv2d_1/BiasAdd/ReadVariableOp", {6}},
      {"model/conv2d_2/BiasAdd/ReadVariableOp", {3}},
      {"model/conv2d_3/BiasAdd/ReadVariableOp", {4}},
      {"model/conv2d/Conv2D", {4, 2, 2, 1}},
      {"model/conv2d_1/Conv2D", {6, 2, 2, 4}},
      {"model/conv2d_2/Conv2D", {3, 2, 2, 6}},
      {"model/conv2d_3/Conv2D", {4, 2, 2, 3}},
      {"model/flatten/Const", {2}},
      {"model/dense/BiasAdd/ReadVariableOp", {8}},
      {"model/dense_1/BiasAdd/ReadVariableOp", {6}},
      {"model/dense/MatMul", {8, 168}},
      {"model/dense_1/MatMul", {6, 8}},
      {"model/max_pooling2d/MaxPool", {1, 50, 6, 4}},
      {"model/max_pooling2d_1/MaxPool", {1, 25, 6, 6}},
      {"model/max_pooling2d_2/MaxPool", {1, 13, 6, 3}},
      {"model/max_pooling2d_3/MaxPool", {1, 7, 6, 4}},
      {"model/flatten/Reshape", {1, 168}},
      {"StatefulPartitionedCall:0", {1, 6}},
  };
  for (const auto& [name, shape] : expected) {
    const int32_t t = find_tensor(g, name);
    ASSERT_GE(t, 0) << name;
    EXPECT_EQ(g.tensors[t].shape, shape) << name;
  }
  // Conv outputs: [1,100,6,4], [1,50,6,6], [1,25,6,3], [1,13,6,4] in the original study.
  EXPECT_EQ(g.tensors[g.ops[0].outputs[0]].shape, (Shape{1, 100, 6, 4}));
  EXPECT_EQ(g.tensors[g.ops[2].outputs[0]].shape, (Shape{1, 50, 6, 6}));
  EXPECT_EQ(g.tensors[g.ops[4].outputs[0]].shape, (Shape{1, 25, 6, 3}));
  EXPECT_EQ(g.tensors[g.ops[6].outputs[0]].shape, (Shape{1, 13, 6, 4}));
  const int32_t flatten_const = find_tensor(g, "model/flatten/Const");
  const int32_t* target = g.constant_data<int32_t>(flatten_const);
  EXPECT_EQ(target[0], -1);
  EXPECT_EQ(target[1], 168);
  // 4*4+4 + 6*16+6 + 3*24+3 + 4*12+4 + 168*8+8 + 8*6+6 = 1655.
  EXPECT_EQ(float_parameters(g), 1655);
  for (int i : {0, 2, 4, 6}) {
    const auto& o = g.ops[i].opts<Conv2DOptions>();
    EXPECT_EQ(o.padding, Padding::kSame);
    EXPECT_EQ(o.activation, Activation::kRelu);
    EXPECT_EQ(g.ops[i].inputs.size(), 3u);
  }
  for (int i : {1, 3, 5, 7}) {
    const auto& o = g.ops[i].opts<Pool2DOptions>();
    EXPECT_EQ(o.padding, Padding::kSame);
    EXPECT_EQ(o.filter_h, 2);
    EXPECT_EQ(o.filter_w, 1);
    EXPECT_EQ(o.stride_h, 2);
    EXPECT_EQ(o.stride_w, 1);
  }
}

TEST(ZooTest, FamiliesFollowTheSeedOpLists) {
  const std::vector<std::string> pool_block = {"CONV_2D", "MAX_POOL_2D"};
  std::vector<std::string> fat_sw;
  for (int i = 0; i < 6; ++i) fat_sw.insert(fat_sw.end(), pool_block.begin(), pool_block.end());
  std::vector<std::string> sw_tail = {"RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"};
  fat_sw.insert(fat_sw.end(), sw_tail.begin(), sw_tail.end());
  EXPECT_EQ(op_sequence(build_default("smartwatch-fat").graph), fat_sw);

  // The final BSPC lean listing: five conv+pool blocks, a sixth conv, MEAN.
  std::vector<std::string> lean;
  for (int i = 0; i < 5; ++i) lean.insert(lean.end(), pool_block.begin(), pool_block.end());
  std::vector<std::string> lean_tail = {"CONV_2D", "MEAN", "FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED",
                                        "LOGISTIC"};
  lean.insert(lean.end(), lean_tail.begin(), lean_tail.end());
  EXPECT_EQ(op_sequence(build_default("bspc-lean").graph), lean);

  std::vector<std::string> fat;
  for (int i = 0; i < 6; ++i) fat.insert(fat.end(), pool_block.begin(), pool_block.end());
  std::vector<std::string> fat_tail = {"RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED",
                                       "LOGISTIC"};
  fat.insert(fat.end(), fat_tail.begin(), fat_tail.end());
  EXPECT_EQ(op_sequence(build_default("bspc-fat").graph), fat);

  // The original study's BSPC-GAP layer index, ops 0..22.
  const std::vector<std::string> residual = {
      "CONV_2D", "MAX_POOL_2D", "CONV_2D", "CONV_2D", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "ADD",
      "MAX_POOL_2D", "CONV_2D", "CONV_2D", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "ADD", "MAX_POOL_2D",
      "CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED", "LOGISTIC"};
  EXPECT_EQ(op_sequence(build_default("bspc-gap-lean").graph), residual);
  EXPECT_EQ(op_sequence(build_default("bspc-gap-fat").graph), residual);
}

TEST(ZooTest, ParameterCountsMatchTheDocumentedSizes) {
  // Worked out by hand for the default inputs (see docs/models.md).
  // smartwatch-fat on [100, 6, 1]: convs 2x2 16,32,32,64,64,128 -> 64,128
  // params 80+2080+4128+8256+16448+32896; time 100 -> 2 after six pools,
  // flatten 2*6*128 = 1536; dense 1536*64+64 = 98368; 64*6+6 = 390.
  EXPECT_EQ(float_parameters(build_default("smartwatch-fat").graph),
            80 + 2080 + 4128 + 8256 + 16448 + 32896 + 98368 + 390);
  // The BSPC families on [500, 12, 1]. 2x2 pools take the width 12 -> 6 ->
  // 3 -> 2 -> 1; a conv whose input has width 1 uses a 3x1 kernel (3 taps
  // instead of 9). Time goes 500 -> 250 -> 125 -> 63 -> 32 -> 16 -> 8.
  // bspc-lean: convs 1->16->32->48->64 at widths 12, 6, 3, 2; 64->96 and
  // 96->112 at width 1; GAP leaves 112 features -> 64 -> 32 -> 5.
  EXPECT_EQ(float_parameters(build_default("bspc-lean").graph),
            (9 * 1 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 48 + 48) + (9 * 48 * 64 + 64) + (3 * 64 * 96 + 96) +
                (3 * 96 * 112 + 112) + (112 * 64 + 64) + (64 * 32 + 32) + (32 * 5 + 5));
  EXPECT_EQ(float_parameters(build_default("bspc-lean").graph), 106757);
  // bspc-fat: convs 1->32->64->128->256 at widths 12..2, 256->256 and
  // 256->384 at width 1; flatten 8 x 1 x 384 = 3072 -> 1024 -> 256 -> 5.
  EXPECT_EQ(float_parameters(build_default("bspc-fat").graph),
            (9 * 1 * 32 + 32) + (9 * 32 * 64 + 64) + (9 * 64 * 128 + 128) + (9 * 128 * 256 + 256) +
                (3 * 256 * 256 + 256) + (3 * 256 * 384 + 384) + (3072 * 1024 + 1024) + (1024 * 256 + 256) +
                (256 * 5 + 5));
  // bspc-gap: stem at width 12; block 1's three convs at width 6 and its
  // residual conv at width 3; block 2's convs at width 2, its residual conv
  // and the last conv at width 1; flatten 8 x last.
  auto block = [](int64_t in, int64_t n, int64_t residual_taps) {
    return (9 * in * n + n) + 2 * (9 * n * n + n) + (residual_taps * n * n + n);
  };
  EXPECT_EQ(float_parameters(build_default("bspc-gap-lean").graph),
            (9 * 16 + 16) + block(16, 32, 9) + block(32, 80, 3) + (3 * 80 * 48 + 48) + (384 * 128 + 128) +
                (128 * 32 + 32) + (32 * 5 + 5));
  EXPECT_EQ(float_parameters(build_default("bspc-gap-fat").graph),
            (9 * 32 + 32) + block(32, 128, 9) + block(128, 320, 3) + (3 * 320 * 256 + 256) + (2048 * 384 + 384) +
                (384 * 128 + 128) + (128 * 5 + 5));
}

TEST(ZooTest, EveryWeightOpHasABiasAndTheGraphValidates) {
  for (const ArchInfo& info : architectures()) {
    const Graph g = build_default(info.name).graph;
    EXPECT_TRUE(validate(g).ok()) << info.name;
    for (const Op& op : g.ops) {
      if (op.kind != OpKind::kConv2D && op.kind != OpKind::kFullyConnected) continue;
      ASSERT_EQ(op.inputs.size(), 3u) << info.name;
      EXPECT_TRUE(g.is_constant(op.inputs[2])) << info.name;
    }
  }
}

TEST(ZooTest, InitializationIsSeededAndWithinTheGlorotLimit) {
  auto request = default_request("smartwatch-lean");
  ASSERT_TRUE(request.ok());
  const Graph a = build_model(*request)->graph;
  const Graph b = build_model(*request)->graph;
  request->seed = 2;
  const Graph c = build_model(*request)->graph;
  const int32_t dense = find_tensor(a, "model/dense/MatMul");
  ASSERT_GE(dense, 0);
  EXPECT_EQ(a.constant_bytes(dense), b.constant_bytes(dense));
  EXPECT_NE(a.constant_bytes(dense), c.constant_bytes(dense));
  // Glorot limit for [8, 168]: sqrt(6 / (168 + 8)).
  const double limit = std::sqrt(6.0 / 176.0);
  const float* w = a.constant_data<float>(dense);
  double sum = 0, max_abs = 0;
  for (int i = 0; i < 8 * 168; ++i) {
    sum += w[i];
    max_abs = std::max(max_abs, std::fabs(static_cast<double>(w[i])));
  }
  EXPECT_LE(max_abs, limit);
  EXPECT_GT(max_abs, 0.9 * limit);            // 1344 draws reach near the edge
  EXPECT_LT(std::fabs(sum / 1344), 0.05 * limit);  // centred
}

TEST(ZooTest, WidthScaleShrinksFiltersAndDenseLayers) {
  auto request = default_request("smartwatch-fat");
  ASSERT_TRUE(request.ok());
  request->width_scale = 0.25;
  const Graph g = build_model(*request)->graph;
  // 16,32,32,64,64,128 -> 4,8,8,16,16,32; dense 64 -> 16.
  EXPECT_EQ(g.tensors[g.ops[0].inputs[1]].shape, (Shape{4, 2, 2, 1}));
  EXPECT_EQ(g.tensors[g.ops[10].inputs[1]].shape, (Shape{32, 2, 2, 16}));
  EXPECT_EQ(g.tensors[g.ops[13].inputs[1]].shape, (Shape{16, 2 * 6 * 32}));
}

TEST(ZooTest, FamiliesAdaptToOtherInputShapes) {
  struct Case {
    std::string arch;
    Shape input;
    int outputs;
    Head head;
  };
  const std::vector<Case> cases = {
      {"smartwatch-lean", {128, 9, 1}, 6, Head::kSoftmax}, {"smartwatch-lean", {8, 8, 1}, 10, Head::kSoftmax},
      {"smartwatch-lean", {250, 12, 1}, 5, Head::kSigmoid}, {"bspc-gap-lean", {128, 9, 1}, 6, Head::kSoftmax},
      {"bspc-gap-lean", {8, 8, 1}, 10, Head::kSoftmax},     {"bspc-gap-lean", {250, 12, 1}, 5, Head::kSigmoid},
      {"smartwatch-fat", {8, 8}, 1, Head::kSigmoid},        {"bspc-fat", {64}, 3, Head::kSoftmax},
  };
  for (const Case& c : cases) {
    ModelRequest r;
    r.arch = c.arch;
    r.input_shape = c.input;
    r.num_outputs = c.outputs;
    r.head = c.head;
    auto model = build_model(r);
    ASSERT_TRUE(model.ok()) << c.arch << " " << shape_to_string(c.input) << ": " << model.status().message();
    const Graph& g = model->graph;
    EXPECT_EQ(g.tensors[g.outputs[0]].shape, (Shape{1, c.outputs}));
    EXPECT_EQ(g.ops.back().kind, c.head == Head::kSoftmax ? OpKind::kSoftmax : OpKind::kLogistic);
  }
  // smartwatch-lean on 8x8: time 8 -> 4 -> 2 -> 1, so the fourth conv sees
  // a 1x8 input (its kernel becomes 1x2) and the fourth pool has nothing
  // left to pool and is left out (one op fewer); both are reported.
  ModelRequest r;
  r.arch = "smartwatch-lean";
  r.input_shape = {8, 8, 1};
  r.num_outputs = 10;
  auto model = build_model(r);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->graph.ops.size(), 11u);
  ASSERT_EQ(model->adaptations.size(), 2u);
  EXPECT_EQ(model->adaptations[0], "conv2d_3: kernel 2x2 shortened to 1x2 for its input 1x8");
  EXPECT_EQ(model->adaptations[1], "pooling stage 4 left out: its input is already 1x8");
  EXPECT_EQ(model->graph.tensors[model->graph.ops[6].inputs[1]].shape, (Shape{4, 1, 2, 3}));
  // bspc-fat on a 64-sample vector: kernels shorten to 3x1 on the width-1
  // input and every pool becomes 2x1.
  r.arch = "bspc-fat";
  r.input_shape = {64};
  r.num_outputs = 3;
  model = build_model(r);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->graph.tensors[model->graph.ops[0].inputs[1]].shape, (Shape{32, 3, 1, 1}));
  EXPECT_FALSE(model->adaptations.empty());
}

TEST(ZooTest, RefusesWhatItCannotBuildWithAReason) {
  ModelRequest r;
  r.arch = "smartwatch-lean";
  r.input_shape = {100, 6, 1};
  r.num_outputs = 1;
  r.head = Head::kSoftmax;
  auto model = build_model(r);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("softmax"), std::string::npos);

  r.num_outputs = 6;
  r.input_shape = {1, 100, 6, 1};
  model = build_model(r);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("1 to 3 dimensions"), std::string::npos);

  r.input_shape = {100, 0, 1};
  EXPECT_FALSE(build_model(r).ok());
  r.input_shape = {100, 6, 1};
  r.width_scale = 0;
  EXPECT_FALSE(build_model(r).ok());
  r.width_scale = 1;
  r.arch = "resnet";
  model = build_model(r);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("smartwatch-lean"), std::string::npos);

  // A long wide input leaves bspc-fat's flatten far beyond the dense limit.
  r.arch = "bspc-fat";
  r.input_shape = {20000, 600, 1};
  model = build_model(r);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("weights (limit"), std::string::npos) << model.status().message();
}

// The runtime's own shape inference must agree with the shapes the builder
// declared, and the models must run (softmax rows sum to 1).
TEST(ZooTest, ModelsPrepareAndRunInTheInterpreter) {
  for (const ArchInfo& info : architectures()) {
    const Graph g = build_default(info.name).graph;
    auto interpreter = Interpreter::create(g);
    ASSERT_TRUE(interpreter.ok()) << info.name << ": " << interpreter.status().message();
    for (size_t t = 0; t < g.tensors.size(); ++t)
      EXPECT_EQ((*interpreter)->tensor_info(static_cast<int32_t>(t)).shape, g.tensors[t].shape)
          << info.name << " " << g.tensors[t].name;
    Shape batch = g.tensors[g.inputs[0]].shape;
    std::vector<float> x(static_cast<size_t>(num_elements(batch)));
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
    auto out = (*interpreter)->run({BatchView{DType::kFloat32, batch, x.data()}});
    ASSERT_TRUE(out.ok()) << info.name << ": " << out.status().message();
    const auto& y = (*out)[0];
    const float* p = reinterpret_cast<const float*>(y.bytes.data());
    double sum = 0;
    for (int i = 0; i < info.default_outputs; ++i) {
      EXPECT_GE(p[i], 0.f);
      EXPECT_LE(p[i], 1.f);
      sum += p[i];
    }
    if (info.default_head == Head::kSoftmax) {
      EXPECT_NEAR(sum, 1.0, 1e-5) << info.name;
    }
  }
}

}  // namespace
}  // namespace quantlab::zoo
