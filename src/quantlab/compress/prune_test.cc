// Magnitude pruning checked against hand-derived masks, the toolkit's
// polynomial schedule evaluated by hand, exact zero counts after
// fine-tuning (recounted from the written .tflite), the interpreter's
// accuracy on the pruned graph, and deflate sizes from Python's zlib.
#include "quantlab/compress/prune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "quantlab/core/file_io.h"
#include "quantlab/data/synth.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "quantlab/zoo/zoo.h"

namespace quantlab::compress {
namespace {

std::vector<uint8_t> float_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(float));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<float> floats_of(const Graph& g, int32_t t) {
  const std::vector<uint8_t>& b = g.constant_bytes(t);
  std::vector<float> v(b.size() / sizeof(float));
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

// input [1, 4] -> FULLY_CONNECTED(w1 [rows1, 4]) -> FULLY_CONNECTED(w2) ...
// Only the weights matter to the pruner, so shapes are kept minimal.
struct TwoDense {
  Graph graph;
  int32_t w1 = -1, w2 = -1;
};
TwoDense two_dense(const std::vector<float>& w1, const std::vector<float>& w2) {
  TwoDense d;
  Graph& g = d.graph;
  const int32_t rows1 = static_cast<int32_t>(w1.size() / 4), rows2 = static_cast<int32_t>(w2.size() / 4);
  const int32_t in = g.add_activation("in", DType::kFloat32, {1, 4});
  d.w1 = g.add_constant("w1", DType::kFloat32, {rows1, 4}, float_bytes(w1));
  const int32_t mid = g.add_activation("mid", DType::kFloat32, {1, rows1});
  d.w2 = g.add_constant("w2", DType::kFloat32, {rows2, 4}, float_bytes(w2));
  const int32_t out = g.add_activation("out", DType::kFloat32, {1, rows2});
  Op a;
  a.kind = OpKind::kFullyConnected;
  a.inputs = {in, d.w1, -1};
  a.outputs = {mid};
  a.options = FullyConnectedOptions{};
  Op b = a;
  b.inputs = {mid, d.w2, -1};
  b.outputs = {out};
  g.ops = {a, b};
  g.inputs = {in};
  g.outputs = {out};
  return d;
}

TEST(PruneSchedule, PolynomialDecayOfPowerThree) {
  // final + (initial - final) * (1 - t)^3 at t = 0, 1/2, 1 and past the end.
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 0, 0, 10), 0.0);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 5, 0, 10), 0.8 - 0.8 * 0.125);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.2, 0.8, 15, 10, 20), 0.8 - 0.6 * 0.125);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 10, 0, 10), 0.8);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.0, 0.8, 99, 0, 10), 0.8);
  EXPECT_DOUBLE_EQ(polynomial_sparsity(0.1, 0.8, 3, 5, 10), 0.1);  // before the ramp
}

TEST(PruneMagnitude, LayerScopeZeroesEachTensorsSmallest) {
  TwoDense d = two_dense({0.5f, -0.1f, 0.3f, -0.7f, 0.2f, 0.05f, -0.9f, 0.4f}, {1, 2, 3, 4});
  ASSERT_TRUE(prune_by_magnitude(&d.graph, 0.5, PruneScope::kLayer).ok());
  // w1: the four smallest |w| are 0.05, 0.1, 0.2, 0.3; w2: 1 and 2.
  EXPECT_EQ(floats_of(d.graph, d.w1), (std::vector<float>{0.5f, 0, 0, -0.7f, 0, 0, -0.9f, 0.4f}));
  EXPECT_EQ(floats_of(d.graph, d.w2), (std::vector<float>{0, 0, 3, 4}));
}

TEST(PruneMagnitude, GlobalScopeUsesOneThreshold) {
  TwoDense d = two_dense({1, 2, 3, 4}, {0.5f, 5, 6, 7});
  ASSERT_TRUE(prune_by_magnitude(&d.graph, 0.5, PruneScope::kGlobal).ok());
  // The four smallest of all eight: 0.5, 1, 2, 3.
  EXPECT_EQ(floats_of(d.graph, d.w1), (std::vector<float>{0, 0, 0, 4}));
  EXPECT_EQ(floats_of(d.graph, d.w2), (std::vector<float>{0, 5, 6, 7}));
  const SparsityReport r = measure_sparsity(d.graph);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].zeros, 3);
  EXPECT_EQ(r.layers[1].zeros, 1);
  EXPECT_EQ(r.zeros, 4);
  EXPECT_EQ(r.total, 8);
}

TEST(PruneMagnitude, TiesStillGiveTheExactCountRoundedUp) {
  TwoDense d = two_dense(std::vector<float>(8, 1.0f), std::vector<float>(4, -2.0f));
  ASSERT_TRUE(prune_by_magnitude(&d.graph, 0.3, PruneScope::kLayer).ok());
  const SparsityReport r = measure_sparsity(d.graph);
  EXPECT_EQ(r.layers[0].zeros, 3);  // ceil(0.3 * 8) = ceil(2.4)
  EXPECT_EQ(r.layers[1].zeros, 2);  // ceil(0.3 * 4) = ceil(1.2)
  // An exact product is not rounded up past itself: 0.25 * 8 = 2.
  TwoDense e = two_dense(std::vector<float>(8, 1.0f), std::vector<float>(4, 1.0f));
  ASSERT_TRUE(prune_by_magnitude(&e.graph, 0.25, PruneScope::kLayer).ok());
  EXPECT_EQ(measure_sparsity(e.graph).layers[0].zeros, 2);
  EXPECT_EQ(measure_sparsity(e.graph).layers[1].zeros, 1);
}

TEST(PruneMagnitude, RejectsSparsityOutsideTheUnitInterval) {
  TwoDense d = two_dense({1, 2, 3, 4}, {1, 2, 3, 4});
  EXPECT_FALSE(prune_by_magnitude(&d.graph, 1.0, PruneScope::kLayer).ok());
  EXPECT_FALSE(prune_by_magnitude(&d.graph, -0.1, PruneScope::kLayer).ok());
}

TEST(PruneFineTune, MasksHoldThroughFineTuningAndTheFileKeepsTheZeros) {
  train::configure_threads(1);
  synth::HarOptions o;
  o.seed = 21;
  o.num_windows = 300;
  const DatasetSplits data = *synth::generate_har(o);
  zoo::ModelRequest request;
  request.arch = "smartwatch-lean";
  request.input_shape = {100, 6, 1};
  request.num_outputs = 6;
  request.head = zoo::Head::kSoftmax;
  auto model = zoo::build_model(request);
  ASSERT_TRUE(model.ok()) << model.status().message();
  Graph g = model->graph;

  PruneOptions options;
  options.final_sparsity = 0.65;
  options.ramp_epochs = 2;
  options.mask_update_every = 2;
  options.train.epochs = 2;
  options.train.batch_size = 32;
  auto summary = prune_graph(&g, data.train, data.val, &data.test, options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();

  const std::string path = (std::filesystem::temp_directory_path() / "quantlab_prune_test.tflite").string();
  ASSERT_TRUE(write_tflite_file(g, path).ok());
  auto read = read_tflite_file(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  std::filesystem::remove(path);
  // Every conv and dense weight read back from the file: exactly
  // ceil(0.65 * n) zeros, the count the final mask sets (a trained float
  // weight lands on exactly 0 only through the mask).
  int64_t zeros = 0, total = 0, layers = 0;
  for (const Op& op : read->ops) {
    if (op.kind != OpKind::kConv2D && op.kind != OpKind::kFullyConnected) continue;
    const std::vector<float> w = floats_of(*read, op.input(1));
    int64_t layer_zeros = 0;
    for (float v : w) layer_zeros += v == 0.0f ? 1 : 0;
    EXPECT_EQ(layer_zeros, static_cast<int64_t>(std::ceil(0.65 * static_cast<double>(w.size()) - 1e-9)))
        << describe_op(*read, static_cast<int32_t>(&op - read->ops.data()));
    zeros += layer_zeros;
    total += static_cast<int64_t>(w.size());
    ++layers;
  }
  EXPECT_EQ(layers, 6);
  EXPECT_GE(static_cast<double>(zeros) / static_cast<double>(total), 0.65);
  EXPECT_EQ(summary->sparsity.zeros, zeros);
  EXPECT_EQ(summary->sparsity.total, total);

  // The reported test accuracy is the interpreter's on the pruned file.
  auto interpreter = Interpreter::create(*read);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status().message();
  auto out = (*interpreter)->run({BatchView{DType::kFloat32, data.test.x.shape, data.test.x.bytes.data()}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::vector<float> probs((*out)[0].bytes.size() / sizeof(float));
  std::memcpy(probs.data(), (*out)[0].bytes.data(), (*out)[0].bytes.size());
  const int64_t n = data.test.size();
  const int32_t* labels = reinterpret_cast<const int32_t*>(data.test.y.bytes.data());
  ASSERT_EQ(data.test.y.dtype, DType::kInt32);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = probs.data() + i * 6;
    correct += (std::max_element(row, row + 6) - row) == labels[i] ? 1 : 0;
  }
  ASSERT_TRUE(summary->fine_tune.has_test);
  EXPECT_NEAR(summary->fine_tune.test.accuracy, static_cast<double>(correct) / static_cast<double>(n),
              1.5 / static_cast<double>(n));
}

TEST(PruneFineTune, FineTuningKeepsExistingZeros) {
  train::configure_threads(1);
  synth::HarOptions o;
  o.seed = 22;
  o.num_windows = 200;
  const DatasetSplits data = *synth::generate_har(o);
  zoo::ModelRequest request;
  request.arch = "smartwatch-lean";
  request.input_shape = {100, 6, 1};
  request.num_outputs = 6;
  request.head = zoo::Head::kSoftmax;
  auto model = zoo::build_model(request);
  ASSERT_TRUE(model.ok()) << model.status().message();
  Graph g = model->graph;
  ASSERT_TRUE(prune_by_magnitude(&g, 0.5, PruneScope::kGlobal).ok());
  std::vector<std::vector<float>> before;
  for (const PrunableWeight& w : prunable_weights(g)) before.push_back(floats_of(g, w.tensor));
  train::TrainOptions options;
  options.epochs = 1;
  options.batch_size = 32;
  ASSERT_TRUE(fine_tune_keeping_zeros(&g, data.train, data.val, nullptr, options).ok());
  const std::vector<PrunableWeight> weights = prunable_weights(g);
  ASSERT_EQ(weights.size(), before.size());
  int64_t changed = 0;
  for (size_t w = 0; w < weights.size(); ++w) {
    const std::vector<float> after = floats_of(g, weights[w].tensor);
    for (size_t i = 0; i < after.size(); ++i) {
      if (before[w][i] == 0.0f) {
        EXPECT_EQ(after[i], 0.0f) << w << " " << i;
      }
      changed += after[i] != before[w][i] ? 1 : 0;
    }
  }
  EXPECT_GT(changed, 0);  // the other weights did train
}

// zlib's deflate of the same bytes from Python, minus the 2-byte header and
// 4-byte Adler-32 trailer of the zlib stream (a zip entry stores raw
// deflate). libzip compresses at zlib's highest level unless told otherwise.
int64_t python_deflate_size(const std::string& path) {
  const std::string command = "/usr/bin/python3 -c \"import zlib,sys; print(len(zlib.compress(open(sys.argv[1],'rb')"
                              ".read(), 9)) - 6)\" " + path;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  long long size = -1;
  if (std::fscanf(pipe, "%lld", &size) != 1) size = -1;
  pclose(pipe);
  return size;
}

TEST(PruneDeflate, MatchesZlibOnTextZerosAndNoise) {
  std::mt19937 rng(5);
  std::vector<uint8_t> noise(3000);
  for (uint8_t& b : noise) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> half_zero(4000, 0);
  for (size_t i = 0; i < half_zero.size(); i += 2) half_zero[i] = static_cast<uint8_t>(rng() % 7);
  const std::string text = "a weight tensor of zeros deflates to almost nothing; ";
  std::vector<uint8_t> repeated;
  for (int i = 0; i < 40; ++i) repeated.insert(repeated.end(), text.begin(), text.end());
  for (const std::vector<uint8_t>& bytes : {noise, half_zero, repeated, std::vector<uint8_t>(65536, 0)}) {
    const std::string path = (std::filesystem::temp_directory_path() / "quantlab_deflate_test.bin").string();
    ASSERT_TRUE(write_file_atomic(path, bytes).ok());
    const int64_t expected = python_deflate_size(path);
    std::filesystem::remove(path);
    auto size = deflate_size(bytes);
    ASSERT_TRUE(size.ok()) << size.status().message();
    EXPECT_EQ(*size, expected) << bytes.size() << " bytes";
  }
}

}  // namespace
}  // namespace quantlab::compress
