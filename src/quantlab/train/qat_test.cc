// Quantization-aware training checked against the quantizer and the
// interpreter: the model converted with the learned ranges (fiq-int8, run by
// the integer interpreter) predicts what the fake-quantized torch model
// predicts, pruning zeros survive QAT, and SOFTMAX's fixed range is used.
#include "quantlab/train/qat.h"

#include <gtest/gtest.h>

#include <cstring>

#include "quantlab/compress/prune.h"
#include "quantlab/data/synth.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/zoo/zoo.h"

namespace quantlab::train {
namespace {

struct Fixture {
  DatasetSplits data;
  Graph graph;
};

Fixture tiny_model() {
  configure_threads(1);
  synth::HarOptions o;
  o.seed = 33;
  o.num_windows = 400;
  Fixture f{*synth::generate_har(o), {}};
  zoo::ModelRequest request;
  request.arch = "smartwatch-lean";
  request.input_shape = {100, 6, 1};
  request.num_outputs = 6;
  request.head = zoo::Head::kSoftmax;
  auto model = zoo::build_model(request);
  EXPECT_TRUE(model.ok()) << model.status().message();
  f.graph = model->graph;
  TrainOptions warmup;
  warmup.epochs = 3;
  warmup.batch_size = 32;
  warmup.learning_rate = 3e-3;
  EXPECT_TRUE(train_graph(&f.graph, f.data.train, f.data.val, nullptr, warmup).ok());
  return f;
}

TEST(Qat, ConvertedModelAgreesWithTheFakeQuantModel) {
  Fixture f = tiny_model();
  QatOptions options;
  options.train.epochs = 1;
  options.train.batch_size = 32;
  options.train.learning_rate = 5e-4;
  auto qat = quantization_aware_train(&f.graph, f.data.train, f.data.val, nullptr, options);
  ASSERT_TRUE(qat.ok()) << qat.status().message();
  const std::vector<std::string> keys = calibration_keys(f.graph);
  const int32_t output = f.graph.outputs[0];
  const TensorRange* softmax = qat->ranges.find(keys[static_cast<size_t>(output)]);
  ASSERT_NE(softmax, nullptr);
  EXPECT_EQ(softmax->min, 0.0f);
  EXPECT_EQ(softmax->max, 1.0f);
  ASSERT_NE(qat->ranges.find(keys[static_cast<size_t>(f.graph.inputs[0])]), nullptr);

  auto converted = convert_model(f.graph, Scheme::kFullIntegerInt8Io, &qat->ranges, ConversionOptions{});
  ASSERT_TRUE(converted.ok()) << converted.status().message();
  EvalOptions eval_options;
  eval_options.threads = 1;
  auto evaluated = evaluate(converted->graph, f.data.test, eval_options);
  ASSERT_TRUE(evaluated.ok()) << evaluated.status().message();
  auto fake = fake_quant_predictions(f.graph, qat->ranges, f.data.test);
  ASSERT_TRUE(fake.ok()) << fake.status().message();
  ASSERT_EQ(fake->size(), evaluated->predicted.size());
  int64_t agree = 0;
  for (size_t i = 0; i < fake->size(); ++i) agree += (*fake)[i] == evaluated->predicted[i] ? 1 : 0;
  // The two compute the same int8 arithmetic up to float accumulation
  // order; a tie between two classes can flip at most a sample or two.
  EXPECT_GE(static_cast<double>(agree) / static_cast<double>(fake->size()), 0.97)
      << agree << " of " << fake->size();
}

TEST(Qat, PruningZerosSurvive) {
  Fixture f = tiny_model();
  ASSERT_TRUE(compress::prune_by_magnitude(&f.graph, 0.6, compress::PruneScope::kLayer).ok());
  const compress::SparsityReport before = compress::measure_sparsity(f.graph);
  QatOptions options;
  options.train.epochs = 1;
  options.train.batch_size = 32;
  auto qat = quantization_aware_train(&f.graph, f.data.train, f.data.val, nullptr, options);
  ASSERT_TRUE(qat.ok()) << qat.status().message();
  const compress::SparsityReport after = compress::measure_sparsity(f.graph);
  ASSERT_EQ(after.layers.size(), before.layers.size());
  for (size_t i = 0; i < after.layers.size(); ++i) EXPECT_EQ(after.layers[i].zeros, before.layers[i].zeros) << i;
}

TEST(Qat, RejectsABadDecay) {
  Graph g;
  Dataset empty;
  QatOptions options;
  options.range_decay = 1.0;
  EXPECT_FALSE(quantization_aware_train(&g, empty, empty, nullptr, options).ok());
}

}  // namespace
}  // namespace quantlab::train
