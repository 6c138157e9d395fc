// The training loop, checked against references outside torch: the loss it
// reports equals cross-entropy computed in double precision from the
// interpreter's softmax outputs, the test metrics equal those of the
// interpreter's predictions on the written graph, and the kept weights are
// those of the best validation epoch. Tiny data and few epochs keep it fast.
#include "quantlab/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "quantlab/data/synth.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/train/bridge.h"
#include "quantlab/train/trainable_graph.h"
#include "quantlab/zoo/zoo.h"

namespace quantlab::train {
namespace {

// One torch thread: the tests share the machine with other work, where
// OpenMP's spinning workers only slow a tiny model down.
class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { configure_threads(1); }
};

DatasetSplits tiny_har(int64_t windows = 600) {
  synth::HarOptions o;
  o.seed = 21;
  o.num_windows = windows;
  return *synth::generate_har(o);
}

Graph zoo_graph(const std::string& arch, const Shape& input, int outputs, zoo::Head head, double scale = 1.0) {
  zoo::ModelRequest r;
  r.arch = arch;
  r.input_shape = input;
  r.num_outputs = outputs;
  r.head = head;
  r.width_scale = scale;
  auto model = zoo::build_model(r);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model->graph;
}

// Model outputs for every sample of `data`, by the interpreter.
std::vector<float> interpreter_outputs(const Graph& g, const Dataset& data) {
  auto interpreter = Interpreter::create(g);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status().message();
  auto out = (*interpreter)->run({BatchView{DType::kFloat32, data.x.shape, data.x.bytes.data()}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  const auto& bytes = (*out)[0].bytes;
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

TEST_F(TrainerTest, LossIsCrossEntropyOfTheModelsSoftmax) {
  const DatasetSplits data = tiny_har(300);
  const Graph g = zoo_graph("smartwatch-lean", {100, 6, 1}, 6, zoo::Head::kSoftmax);
  auto stats = evaluate_graph(g, data.val);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  // Mean of -log p(true class) over the interpreter's probabilities.
  const std::vector<float> p = interpreter_outputs(g, data.val);
  const int32_t* y = data.val.y.data<int32_t>();
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < data.val.size(); ++i) {
    loss -= std::log(static_cast<double>(p[i * 6 + y[i]]));
    int best = 0;
    for (int k = 1; k < 6; ++k)
      if (p[i * 6 + k] > p[i * 6 + best]) best = k;
    correct += best == y[i];
  }
  loss /= static_cast<double>(data.val.size());
  EXPECT_NEAR(stats->loss, loss, 1e-4 * (1 + loss));
  EXPECT_DOUBLE_EQ(stats->accuracy, static_cast<double>(correct) / data.val.size());
}

TEST_F(TrainerTest, TrainsHarAndKeepsTheBestEpoch) {
  const DatasetSplits data = tiny_har();
  Graph g = zoo_graph("smartwatch-lean", {100, 6, 1}, 6, zoo::Head::kSoftmax);
  TrainOptions options;
  options.epochs = 12;
  options.batch_size = 32;
  options.learning_rate = 3e-3;
  options.patience = 0;
  int epochs_seen = 0;
  int64_t batches = 0;
  TrainProgress progress;
  progress.on_batch = [&](int, int64_t, int64_t, double) { ++batches; };
  progress.on_epoch = [&](const EpochStats&) { ++epochs_seen; };
  auto summary = train_graph(&g, data.train, data.val, &data.test, options, progress);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->task, TrainTask::kMulticlass);
  EXPECT_EQ(summary->metric_name, "accuracy");
  EXPECT_EQ(epochs_seen, 12);
  EXPECT_EQ(batches, 12 * ((data.train.size() + 31) / 32));
  EXPECT_LT(summary->epochs.back().train_loss, 0.6 * summary->epochs.front().train_loss);
  // Six classes: chance is 1/6; a dozen short epochs on 400 windows must
  // learn well beyond it.
  EXPECT_GT(summary->epochs[summary->best_epoch - 1].val_metric, 0.5);

  // The graph holds the best epoch's weights: its validation loss is the
  // lowest recorded, recomputed here from the written constants.
  double lowest = 1e9;
  for (const EpochStats& e : summary->epochs) lowest = std::min(lowest, e.val_loss);
  EXPECT_DOUBLE_EQ(summary->epochs[summary->best_epoch - 1].val_loss, lowest);
  auto val = evaluate_graph(g, data.val);
  ASSERT_TRUE(val.ok());
  EXPECT_NEAR(val->loss, lowest, 1e-5);

  // The reported test accuracy is that of the interpreter running the
  // written graph.
  ASSERT_TRUE(summary->has_test);
  const std::vector<float> p = interpreter_outputs(g, data.test);
  const int32_t* y = data.test.y.data<int32_t>();
  int64_t correct = 0;
  for (int64_t i = 0; i < data.test.size(); ++i) {
    int best = 0;
    for (int k = 1; k < 6; ++k)
      if (p[i * 6 + k] > p[i * 6 + best]) best = k;
    correct += best == y[i];
  }
  EXPECT_DOUBLE_EQ(summary->test.accuracy, static_cast<double>(correct) / data.test.size());
}

TEST_F(TrainerTest, EarlyStoppingStopsAfterPatienceEpochs) {
  const DatasetSplits data = tiny_har(300);
  Graph g = zoo_graph("smartwatch-lean", {100, 6, 1}, 6, zoo::Head::kSoftmax);
  TrainOptions options;
  options.epochs = 40;
  options.patience = 1;
  // A high learning rate on 200 windows: the validation loss soon fails to
  // improve for an epoch.
  options.learning_rate = 0.02;
  auto summary = train_graph(&g, data.train, data.val, nullptr, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_TRUE(summary->stopped_early);
  EXPECT_LT(summary->epochs.size(), 40u);
  EXPECT_EQ(static_cast<int>(summary->epochs.size()), summary->best_epoch + 1);
}

TEST_F(TrainerTest, MultilabelEcgUsesBinaryCrossEntropyAndMacroF1) {
  synth::EcgOptions o;
  o.seed = 3;
  o.num_records = 120;
  o.leads = 3;
  o.length = 250;
  const DatasetSplits data = *synth::generate_ecg(o);
  Graph g = zoo_graph("bspc-lean", {250, 3, 1}, 5, zoo::Head::kSigmoid, 0.25);
  TrainOptions options;
  options.epochs = 3;
  auto summary = train_graph(&g, data.train, data.val, &data.test, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->task, TrainTask::kMultilabel);
  EXPECT_EQ(summary->metric_name, "macro F1");
  EXPECT_DOUBLE_EQ(summary->test.metric, summary->test.macro_f1);

  // BCE recomputed from the interpreter's sigmoid outputs.
  auto stats = evaluate_graph(g, data.test);
  ASSERT_TRUE(stats.ok());
  const std::vector<float> p = interpreter_outputs(g, data.test);
  const uint8_t* y = data.test.y.data<uint8_t>();
  double loss = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double q = std::clamp(static_cast<double>(p[i]), 1e-12, 1 - 1e-12);
    loss -= y[i] ? std::log(q) : std::log(1 - q);
  }
  loss /= static_cast<double>(p.size());
  EXPECT_NEAR(stats->loss, loss, 1e-4 * (1 + loss));
  EXPECT_NEAR(summary->test.loss, loss, 1e-4 * (1 + loss));
}

TEST_F(TrainerTest, BinaryTaskFromOneSigmoidOutput) {
  DatasetSplits data = tiny_har(300);
  // Moving or still: classes 0-3 are gait, 4-5 are not.
  for (Dataset* d : {&data.train, &data.val, &data.test}) {
    int32_t* y = d->y.data<int32_t>();
    for (int64_t i = 0; i < d->size(); ++i) y[i] = y[i] >= 4 ? 1 : 0;
    d->label_names = {"moving", "still"};
  }
  Graph g = zoo_graph("smartwatch-lean", {100, 6, 1}, 1, zoo::Head::kSigmoid);
  TrainOptions options;
  options.epochs = 6;
  options.learning_rate = 3e-3;
  auto summary = train_graph(&g, data.train, data.val, &data.test, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->task, TrainTask::kBinary);
  // Gravity alone separates these; chance would be about 0.6.
  EXPECT_GT(summary->test.accuracy, 0.85);
}

TEST_F(TrainerTest, MismatchedDataIsAnErrorThatSaysWhy) {
  const DatasetSplits har = tiny_har(300);
  TrainOptions options;
  options.epochs = 1;

  Graph three_classes = zoo_graph("smartwatch-lean", {100, 6, 1}, 3, zoo::Head::kSoftmax);
  auto result = train_graph(&three_classes, har.train, har.val, nullptr, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("6 classes but the model has 3 outputs"), std::string::npos)
      << result.status().message();

  Graph wrong_shape = zoo_graph("smartwatch-lean", {128, 9, 1}, 6, zoo::Head::kSoftmax);
  result = train_graph(&wrong_shape, har.train, har.val, nullptr, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("[1, 128, 9, 1]"), std::string::npos) << result.status().message();

  synth::EcgOptions o;
  o.num_records = 20;
  o.leads = 6;
  o.length = 200;
  const DatasetSplits ecg = *synth::generate_ecg(o);
  Graph softmax = zoo_graph("bspc-lean", {200, 6, 1}, 5, zoo::Head::kSoftmax, 0.25);
  result = train_graph(&softmax, ecg.train, ecg.val, nullptr, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("multi-hot"), std::string::npos) << result.status().message();

  Graph ok = zoo_graph("smartwatch-lean", {100, 6, 1}, 6, zoo::Head::kSoftmax);
  options.learning_rate = -1;
  EXPECT_FALSE(train_graph(&ok, har.train, har.val, nullptr, options).ok());
}

// What a pruning pass does through the extension points: a mask applied in
// the forward pass (BridgeHooks) and re-applied to the parameter after
// every step; the written graph holds the zeros.
class RowMask : public BridgeHooks {
 public:
  RowMask(int32_t tensor, torch::Tensor mask) : tensor_(tensor), mask_(std::move(mask)) {}
  torch::Tensor weight(const WeightSite& site, const torch::Tensor& w) override {
    return site.tensor == tensor_ ? w * mask_ : w;
  }

 private:
  int32_t tensor_;
  torch::Tensor mask_;
};

TEST_F(TrainerTest, ExtensionPointsSeeTheModuleAndEveryStep) {
  const DatasetSplits data = tiny_har(300);
  Graph g = zoo_graph("smartwatch-lean", {100, 6, 1}, 6, zoo::Head::kSoftmax);
  const int32_t dense = g.ops[9].inputs[1];  // [8, 168]
  torch::Tensor mask = torch::ones({8, 1});
  mask.index_put_({torch::indexing::Slice(0, 4)}, 0.0);
  int starts = 0;
  int64_t last_step = 0;
  TrainOptions options;
  options.epochs = 2;
  options.batch_size = 50;
  options.on_start = [&](GraphModule& module) {
    ++starts;
    module.set_hooks(std::make_shared<RowMask>(dense, mask));
  };
  options.after_step = [&](GraphModule& module, int64_t step) {
    EXPECT_EQ(step, last_step + 1);
    last_step = step;
    torch::NoGradGuard no_grad;
    module.parameter_for(dense).mul_(mask);
  };
  auto summary = train_graph(&g, data.train, data.val, nullptr, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(last_step, 2 * ((data.train.size() + 49) / 50));
  const float* w = g.constant_data<float>(dense);
  int zeros_in_masked_rows = 0, zeros_elsewhere = 0;
  for (int i = 0; i < 8 * 168; ++i) (i < 4 * 168 ? zeros_in_masked_rows : zeros_elsewhere) += w[i] == 0.0f;
  EXPECT_EQ(zeros_in_masked_rows, 4 * 168);
  EXPECT_EQ(zeros_elsewhere, 0);
}

// A converter-made float model (depthwise conv included) fine-tunes like
// a zoo model, and the written weights run in the interpreter as in torch.
TEST_F(TrainerTest, FineTunesARealTfliteModel) {
  auto read = read_tflite_file(QL_TESTDATA_DIR "/tflite/magic_wand.tflite");
  ASSERT_TRUE(read.ok()) << read.status().message();
  Graph g = *read;
  const Graph original = g;
  auto make = [](int n, int64_t seed) {
    torch::manual_seed(seed);
    Dataset d;
    d.x = Array::zeros(DType::kFloat32, {n, 128, 3, 1});
    const torch::Tensor x = torch::randn({n * 128 * 3});
    std::memcpy(d.x.bytes.data(), x.data_ptr<float>(), d.x.bytes.size());
    std::vector<int32_t> y(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) y[static_cast<size_t>(i)] = i % 4;
    d.y = Array::from_vector<int32_t>({n}, y);
    return d;
  };
  const Dataset train = make(64, 1), val = make(16, 2);
  TrainOptions options;
  options.epochs = 2;
  auto summary = train_graph(&g, train, val, &val, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->task, TrainTask::kMulticlass);
  int changed = 0, weights = 0;
  for (size_t op = 0; op < g.ops.size(); ++op) {
    if (g.ops[op].kind != OpKind::kConv2D && g.ops[op].kind != OpKind::kDepthwiseConv2D &&
        g.ops[op].kind != OpKind::kFullyConnected)
      continue;
    ++weights;
    const int32_t w = g.ops[op].inputs[1];
    changed += g.constant_bytes(w) != original.constant_bytes(w);
  }
  EXPECT_EQ(weights, 4);
  EXPECT_EQ(changed, 4);
  // The interpreter's outputs on the fine-tuned graph give the reported
  // validation loss of the kept epoch.
  const std::vector<float> p = interpreter_outputs(g, val);
  const int32_t* y = val.y.data<int32_t>();
  double loss = 0;
  for (int64_t i = 0; i < val.size(); ++i) loss -= std::log(static_cast<double>(p[i * 4 + y[i]]));
  loss /= static_cast<double>(val.size());
  EXPECT_NEAR(summary->epochs[summary->best_epoch - 1].val_loss, loss, 1e-4 * (1 + loss));
}

TEST(TrainableGraphTest, MissingBiasesAreAddedAsZeros) {
  Graph g = zoo_graph("smartwatch-lean", {100, 6, 1}, 6, zoo::Head::kSoftmax);
  // The original study's lean model: 1655 weights and biases (the int32 flatten shape
  // constant is not a parameter).
  EXPECT_EQ(trainable_parameter_count(g), 1655);
  g.ops[0].inputs.resize(2);   // conv without bias
  g.ops[9].inputs[2] = -1;     // dense with an absent bias
  const size_t tensors = g.tensors.size();
  EXPECT_EQ(add_missing_biases(&g), 2);
  EXPECT_EQ(g.tensors.size(), tensors + 2);
  EXPECT_EQ(trainable_parameter_count(g), 1655);
  EXPECT_EQ(g.tensors[g.ops[0].inputs[2]].shape, (Shape{4}));
  EXPECT_EQ(g.tensors[g.ops[9].inputs[2]].shape, (Shape{8}));
  for (uint8_t b : g.constant_bytes(g.ops[9].inputs[2])) EXPECT_EQ(b, 0);
  EXPECT_TRUE(validate(g).ok());
  EXPECT_EQ(add_missing_biases(&g), 0);

  auto head = find_output_head(g);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->kind, HeadKind::kSoftmax);
  EXPECT_EQ(head->num_outputs, 6);
  EXPECT_EQ(head->logits_tensor, g.ops[10].outputs[0]);
}

}  // namespace
}  // namespace quantlab::train
