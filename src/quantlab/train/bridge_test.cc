// The torch bridge against independent references: every float32 case of
// the per-op conformance suite and magic_wand against the outputs of the
// real TFLite runtimes, and every zoo model against quantlab's interpreter.
// Then the training-side contract: all parameters receive gradients, hooks
// see weights and activations, and trained weights go back into the graph.
#include "quantlab/train/bridge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

#include "quantlab/data/npy.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/zoo/zoo.h"
#include "support/tflite_testdata.h"

namespace quantlab::train {
namespace {

namespace fs = std::filesystem;
using test_support::testdata_path;

torch::Tensor to_torch(const Array& a) {
  std::vector<int64_t> sizes(a.shape.begin(), a.shape.end());
  torch::Tensor t = torch::empty(sizes, torch::kFloat32);
  std::memcpy(t.data_ptr<float>(), a.bytes.data(), a.bytes.size());
  return t;
}

// [N, ...sample] data for a model input declared [1, ...sample] becomes
// [N, 1, ...sample], the bridge's batch layout.
torch::Tensor as_batch(const torch::Tensor& samples) { return samples.unsqueeze(1); }

// Largest |a - b| / (1 + |b|) over all elements.
double max_relative_gap(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs() / (b.abs() + 1.0)).max().item<double>();
}

std::shared_ptr<GraphModule> bridge_or_fail(const Graph& g, const std::string& what) {
  auto module = GraphModule::create(g);
  EXPECT_TRUE(module.ok()) << what << ": " << module.status().message();
  return module.ok() ? *module : nullptr;
}

class BridgeConformance : public ::testing::TestWithParam<test_support::OpsCase> {};

TEST_P(BridgeConformance, MatchesTheRealRuntimeOnTheRecordedInputs) {
  const auto& c = GetParam();
  auto graph = read_tflite_file(testdata_path("ops/tflite/" + c.name + ".tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  auto module = bridge_or_fail(*graph, c.name);
  ASSERT_TRUE(module);
  const std::string dir = testdata_path("ops/goldens/" + c.name);
  std::vector<torch::Tensor> inputs;
  for (size_t i = 0; i < graph->inputs.size(); ++i) {
    auto x = read_npy(dir + "/input_" + std::to_string(i) + ".npy");
    ASSERT_TRUE(x.ok()) << x.status().message();
    inputs.push_back(as_batch(to_torch(*x)));
  }
  torch::NoGradGuard no_grad;
  auto outputs = module->forward(inputs);
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  for (size_t j = 0; j < outputs->size(); ++j) {
    std::string golden = dir + "/output_" + std::to_string(j) + ".tflm.npy";
    if (!fs::exists(golden)) golden = dir + "/output_" + std::to_string(j) + ".tflite.npy";
    auto y = read_npy(golden);
    ASSERT_TRUE(y.ok()) << y.status().message();
    const torch::Tensor expected = to_torch(*y);
    const torch::Tensor got = (*outputs)[j].reshape(expected.sizes());
    EXPECT_LT(max_relative_gap(got, expected), 1e-5) << c.name << " output " << j;
  }
}

std::vector<test_support::OpsCase> float_cases() {
  std::vector<test_support::OpsCase> cases;
  for (const auto& c : test_support::ops_cases())
    if (c.mode == "float32") cases.push_back(c);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Float32Cases, BridgeConformance, ::testing::ValuesIn(float_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(BridgeTest, ConformanceSuiteCoversEveryFloatOpTheBridgeRuns) {
  std::set<std::string> covered;
  for (const auto& c : float_cases()) covered.insert(c.ops.begin(), c.ops.end());
  for (const char* op : {"ADD", "AVERAGE_POOL_2D", "BATCH_MATMUL", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
                         "FULLY_CONNECTED", "LOGISTIC", "MAX_POOL_2D", "MEAN", "MUL", "PAD", "RELU", "RELU6",
                         "RESHAPE", "SOFTMAX", "SQUEEZE", "TRANSPOSE"})
    EXPECT_TRUE(covered.count(op)) << op;
}

TEST(BridgeTest, MagicWandMatchesTheRealRuntime) {
  auto graph = read_tflite_file(testdata_path("tflite/magic_wand.tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  auto module = bridge_or_fail(*graph, "magic_wand");
  ASSERT_TRUE(module);
  auto x = read_npy(testdata_path("goldens/magic_wand/input_0.npy"));
  auto y = read_npy(testdata_path("goldens/magic_wand/output_0.tflm.npy"));
  ASSERT_TRUE(x.ok() && y.ok());
  torch::NoGradGuard no_grad;
  auto out = module->forward({as_batch(to_torch(*x))});
  ASSERT_TRUE(out.ok()) << out.status().message();
  const torch::Tensor expected = to_torch(*y);
  EXPECT_LT(max_relative_gap((*out)[0].reshape(expected.sizes()), expected), 1e-5);
}

// Torch forward and the interpreter on the same random inputs.
void expect_agrees_with_interpreter(const Graph& g, const std::string& what, int samples = 4) {
  auto module = bridge_or_fail(g, what);
  ASSERT_TRUE(module);
  auto interpreter = Interpreter::create(g);
  ASSERT_TRUE(interpreter.ok()) << what << ": " << interpreter.status().message();
  const Shape& declared = g.tensors[g.inputs[0]].shape;
  std::vector<int64_t> sizes{samples};
  sizes.insert(sizes.end(), declared.begin() + 1, declared.end());
  torch::manual_seed(11);
  const torch::Tensor x = torch::rand(sizes) * 4.0 - 2.0;
  Shape batch_shape(sizes.begin(), sizes.end());
  auto expected = (*interpreter)->run({BatchView{DType::kFloat32, batch_shape, x.data_ptr<float>()}});
  ASSERT_TRUE(expected.ok()) << what << ": " << expected.status().message();
  torch::NoGradGuard no_grad;
  auto got = module->forward({as_batch(x)});
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
  const auto& e = (*expected)[0];
  torch::Tensor want = torch::empty({static_cast<int64_t>(e.bytes.size() / sizeof(float))});
  std::memcpy(want.data_ptr<float>(), e.bytes.data(), e.bytes.size());
  EXPECT_LT(((*got)[0].reshape({-1}) - want).abs().max().item<double>(), 1e-4) << what;
}

TEST(BridgeTest, ZooModelsAgreeWithTheInterpreter) {
  for (const zoo::ArchInfo& info : zoo::architectures()) {
    auto request = zoo::default_request(info.name);
    ASSERT_TRUE(request.ok());
    auto model = zoo::build_model(*request);
    ASSERT_TRUE(model.ok()) << model.status().message();
    expect_agrees_with_interpreter(model->graph, info.name, 2);
  }
}

TEST(BridgeTest, MagicWandAgreesWithTheInterpreter) {
  auto graph = read_tflite_file(testdata_path("tflite/magic_wand.tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  expect_agrees_with_interpreter(*graph, "magic_wand", 8);
}

Graph smartwatch_lean() {
  auto request = zoo::default_request("smartwatch-lean");
  return zoo::build_model(*request)->graph;
}

TEST(BridgeTest, EveryParameterReceivesAGradient) {
  const Graph g = smartwatch_lean();
  auto module = bridge_or_fail(g, "smartwatch-lean");
  ASSERT_TRUE(module);
  // Four conv filters + biases and two dense weights + biases.
  EXPECT_EQ(module->weights().size(), 12u);
  EXPECT_EQ(module->parameters().size(), 12u);
  torch::manual_seed(3);
  auto out = module->forward({torch::randn({16, 1, 100, 6, 1}) * 3.0});
  ASSERT_TRUE(out.ok());
  // A loss that depends on every output keeps every path alive.
  ((*out)[0] * torch::arange(6).to(torch::kFloat32)).sum().backward();
  for (const auto& [t, p] : module->weights()) {
    ASSERT_TRUE(p.grad().defined()) << g.tensors[t].name;
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0) << g.tensors[t].name;
  }
}

// Multiplies one filter by a mask, as pruning does, and records which
// activations it saw.
class MaskingHooks : public BridgeHooks {
 public:
  explicit MaskingHooks(int32_t tensor, torch::Tensor mask) : tensor_(tensor), mask_(std::move(mask)) {}
  torch::Tensor weight(const WeightSite& site, const torch::Tensor& w) override {
    return site.tensor == tensor_ ? w * mask_ : w;
  }
  torch::Tensor activation(const ActivationSite& site, const torch::Tensor& x) override {
    seen.push_back(site.op_index);
    return x;
  }
  std::vector<int32_t> seen;

 private:
  int32_t tensor_;
  torch::Tensor mask_;
};

TEST(BridgeTest, HooksWrapWeightsAndSeeEveryActivation) {
  const Graph g = smartwatch_lean();
  auto module = bridge_or_fail(g, "smartwatch-lean");
  ASSERT_TRUE(module);
  const int32_t dense = g.ops[9].inputs[1];  // model/dense/MatMul [8, 168]
  ASSERT_EQ(g.tensors[dense].name, "model/dense/MatMul");
  torch::Tensor mask = torch::ones({8, 168});
  mask.index_put_({torch::indexing::Slice(0, 4)}, 0.0);
  auto hooks = std::make_shared<MaskingHooks>(dense, mask);
  module->set_hooks(hooks);
  torch::manual_seed(3);
  auto out = module->forward({torch::randn({16, 1, 100, 6, 1}) * 3.0});
  ASSERT_TRUE(out.ok());
  // The softmax outputs of a row sum to one, so weight them: a plain sum
  // would have no gradient at all.
  ((*out)[0] * torch::arange(6).to(torch::kFloat32)).sum().backward();
  const torch::Tensor grad = module->parameter_for(dense).grad();
  // Masked rows get no gradient; the others do.
  EXPECT_EQ(grad.index({torch::indexing::Slice(0, 4)}).abs().sum().item<double>(), 0.0);
  EXPECT_GT(grad.index({torch::indexing::Slice(4, 8)}).abs().sum().item<double>(), 0.0);
  // The model input (-1) and all 12 ops, in execution order.
  std::vector<int32_t> expected{-1};
  for (int32_t i = 0; i < 12; ++i) expected.push_back(i);
  EXPECT_EQ(hooks->seen, expected);
}

TEST(BridgeTest, WrittenWeightsReproduceTheModuleInTheInterpreter) {
  Graph g = smartwatch_lean();
  auto module = bridge_or_fail(g, "smartwatch-lean");
  ASSERT_TRUE(module);
  {
    torch::NoGradGuard no_grad;
    torch::manual_seed(5);
    for (auto& p : module->parameters()) p.add_(torch::randn(p.sizes()) * 0.3);
  }
  const size_t buffers_before = g.buffers.size();
  ASSERT_TRUE(module->write_weights(&g).ok());
  EXPECT_EQ(g.buffers.size(), buffers_before);  // unshared buffers are rewritten in place
  const int32_t filter = g.ops[0].inputs[1];
  EXPECT_EQ(std::memcmp(g.constant_bytes(filter).data(), module->parameter_for(filter).data_ptr<float>(),
                        g.constant_bytes(filter).size()),
            0);
  // The rewritten graph, run by the interpreter, computes what the module does.
  expect_agrees_with_interpreter(g, "smartwatch-lean after write_weights");
  torch::NoGradGuard no_grad;
  auto interpreter = Interpreter::create(g);
  ASSERT_TRUE(interpreter.ok());
  torch::manual_seed(11);
  const torch::Tensor x = torch::rand({4, 100, 6, 1}) * 4.0 - 2.0;
  auto run = (*interpreter)->run({BatchView{DType::kFloat32, Shape{4, 100, 6, 1}, x.data_ptr<float>()}});
  auto out = module->forward({as_batch(x)});
  ASSERT_TRUE(run.ok() && out.ok());
  const float* want = reinterpret_cast<const float*>((*run)[0].bytes.data());
  const torch::Tensor got = (*out)[0].reshape({-1}).contiguous();
  for (int i = 0; i < 24; ++i) EXPECT_NEAR(got[i].item<float>(), want[i], 1e-5);

  auto copy = module->trained_graph();
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->constant_bytes(filter), g.constant_bytes(filter));

  Graph other = smartwatch_lean();
  other.tensors[filter].shape = {4, 2, 2, 2};
  EXPECT_FALSE(module->write_weights(&other).ok());
}

TEST(BridgeTest, RefusesGraphsOutsideTheFloatOpSet) {
  auto int8 = read_tflite_file(testdata_path("tflite/hello_world_int8.tflite"));
  ASSERT_TRUE(int8.ok());
  auto module = GraphModule::create(*int8);
  ASSERT_FALSE(module.ok());
  EXPECT_NE(module.status().message().find("INT8"), std::string::npos) << module.status().message();

  auto lstm = read_tflite_file(testdata_path("tflite/trained_lstm_float.tflite"));
  ASSERT_TRUE(lstm.ok());
  module = GraphModule::create(*lstm);
  ASSERT_FALSE(module.ok());
  EXPECT_NE(module.status().message().find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos)
      << module.status().message();
}

TEST(BridgeTest, WrongInputShapeIsAnErrorNotACrash) {
  auto module = bridge_or_fail(smartwatch_lean(), "smartwatch-lean");
  ASSERT_TRUE(module);
  auto out = module->forward({torch::zeros({2, 1, 99, 6, 1})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("[N, 1, 100, 6, 1]"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace quantlab::train
