// The five conversions of real converter-made float models (magic_wand,
// hello_world_float): dtypes the int8 spec demands, the written files
// reloading and running, fiq-int8/fiq-uint8 agreeing bit for bit with
// fiq-f32 inside the graph, closeness to the float model, and comparisons
// with what TensorFlow's converter wrote for the same kind of model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "quantlab/data/npy.h"
#include "quantlab/data/test_python.h"
#include "quantlab/numerics/choose_params.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/runtime/model_io.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"

namespace quantlab {
namespace {

const std::string kModels = std::string(QL_TESTDATA_DIR) + "/tflite/";

Graph load(const std::string& name) {
  auto g = read_tflite_file(kModels + name);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : Graph{};
}

// Seeded uniform samples of the given per-sample shape, stacked along dim 0.
Array uniform_samples(int64_t n, Shape sample_shape, float lo, float hi, uint32_t seed) {
  sample_shape[0] = static_cast<int32_t>(n);
  Array a = Array::zeros(DType::kFloat32, sample_shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = a.data<float>();
  for (int64_t i = 0; i < a.num_elements(); ++i) p[i] = dist(rng);
  return a;
}

// magic_wand reads accelerometer windows; smooth random walks in [-1, 1]
// resemble them more than white noise does, and give the classes variety.
Array magic_wand_samples(int64_t n, uint32_t seed) {
  Array a = Array::zeros(DType::kFloat32, {static_cast<int32_t>(n), 128, 3, 1});
  std::mt19937 rng(seed);
  std::normal_distribution<float> step(0.f, 0.08f);
  std::uniform_real_distribution<float> start(-1.f, 1.f);
  float* p = a.data<float>();
  for (int64_t s = 0; s < n; ++s)
    for (int axis = 0; axis < 3; ++axis) {
      float v = start(rng);
      for (int t = 0; t < 128; ++t) {
        v = std::clamp(v + step(rng), -1.f, 1.f);
        p[(s * 128 + t) * 3 + axis] = v;
      }
    }
  return a;
}

CalibrationTable calibrate_or_fail(const Graph& g, const Array& data, CalibrationMethodSpec method = {}) {
  CalibrationOptions options;
  options.method = method;
  auto table = calibrate(g, {data}, options);
  EXPECT_TRUE(table.ok()) << table.status().message();
  return table.ok() ? *table : CalibrationTable{};
}

// Converts, writes, reads back: every test looks at the file as written.
Graph convert_via_file(const Graph& g, Scheme scheme, const CalibrationTable& ranges, const std::string& path,
                       const ConversionOptions& options = {}) {
  auto q = convert_model(g, scheme, &ranges, options);
  EXPECT_TRUE(q.ok()) << scheme_name(scheme) << ": " << q.status().message();
  if (!q.ok()) return Graph{};
  Status written = write_tflite_file(q->graph, path);
  EXPECT_TRUE(written.ok()) << written.message();
  auto back = read_tflite_file(path);
  EXPECT_TRUE(back.ok()) << back.status().message();
  return back.ok() ? *back : Graph{};
}

int32_t find_tensor(const Graph& g, const std::string& name) {
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (g.tensors[t].name == name) return static_cast<int32_t>(t);
  ADD_FAILURE() << "no tensor '" << name << "'";
  return -1;
}

// Records the bytes of every tensor of sample 0..n-1, by tensor name.
class TensorRecorder : public Observer {
 public:
  explicit TensorRecorder(const Graph& g) : g_(g) {}
  void on_inputs(int64_t s, const std::vector<TensorView>& v) override { record(s, v); }
  void on_op_output(int64_t s, int32_t, const std::vector<TensorView>& v) override { record(s, v); }
  std::map<std::pair<std::string, int64_t>, std::vector<uint8_t>> values;
  std::map<std::string, DType> dtypes;

 private:
  void record(int64_t s, const std::vector<TensorView>& views) {
    for (const TensorView& v : views) {
      const auto* p = static_cast<const uint8_t*>(v.data);
      values[{g_.tensors[v.tensor].name, s}].assign(p, p + v.info->bytes());
      dtypes[g_.tensors[v.tensor].name] = v.info->dtype;
    }
  }
  const Graph& g_;
};

struct RunResult {
  std::vector<uint8_t> output;  // output 0, all samples
  DType dtype;
};

RunResult run_model(const Graph& g, const Array& input, Observer* observer = nullptr) {
  auto interp = Interpreter::create(g, InterpreterOptions{{}, 1, int64_t{1} << 31});
  EXPECT_TRUE(interp.ok()) << interp.status().message();
  if (!interp.ok()) return {};
  auto converted = convert_to_input(input, (*interp)->input_info(0), false, "test input");
  EXPECT_TRUE(converted.ok()) << converted.status().message();
  auto out = (*interp)->run({BatchView{converted->dtype, converted->shape, converted->bytes.data()}}, observer);
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return {};
  return RunResult{(*out)[0].bytes, (*out)[0].dtype};
}

// Real values of output 0 of `g` for `input`.
std::vector<float> real_outputs(const Graph& g, const Array& input) {
  auto interp = Interpreter::create(g);
  EXPECT_TRUE(interp.ok()) << interp.status().message();
  if (!interp.ok()) return {};
  RunResult r = run_model(g, input);
  Array out = Array::zeros(r.dtype, {static_cast<int32_t>(r.output.size() / dtype_size(r.dtype))});
  out.bytes = r.output;
  auto real = dequantize_output(out, (*interp)->output_info(0));
  EXPECT_TRUE(real.ok());
  return real->to_vector<float>();
}

// Index of the largest of the 4 class probabilities of sample s.
int64_t top1(const std::vector<float>& p, size_t s) {
  return std::max_element(p.begin() + 4 * s, p.begin() + 4 * s + 4) - (p.begin() + 4 * s);
}

const QuantParams& quant_of(const Graph& g, const std::string& name) { return g.tensors[find_tensor(g, name)].quant; }

std::string fmt_params(const QuantParams& q) {
  return "scale " + std::to_string(q.scale.at(0)) + " zero point " + std::to_string(q.zero_point.at(0));
}

class MagicWand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    graph_ = new Graph(load("magic_wand.tflite"));
    data_ = new Array(magic_wand_samples(200, 5));
    ranges_ = new CalibrationTable(calibrate_or_fail(*graph_, *data_));
    dir_ = new testing::ScratchDir();
    for (Scheme s : all_schemes())
      converted_[static_cast<int>(s)] =
          new Graph(convert_via_file(*graph_, s, *ranges_, dir_->file(std::string("m.") + scheme_name(s) + ".tflite")));
  }
  static void TearDownTestSuite() {
    for (Graph*& g : converted_) delete g;
    delete dir_;
    delete ranges_;
    delete data_;
    delete graph_;
  }
  static const Graph& model(Scheme s) { return *converted_[static_cast<int>(s)]; }

  static Graph* graph_;
  static Array* data_;
  static CalibrationTable* ranges_;
  static testing::ScratchDir* dir_;
  static Graph* converted_[5];
};
Graph* MagicWand::graph_ = nullptr;
Array* MagicWand::data_ = nullptr;
CalibrationTable* MagicWand::ranges_ = nullptr;
testing::ScratchDir* MagicWand::dir_ = nullptr;
Graph* MagicWand::converted_[5] = {};

const char* kDense = "sequential/dense/MatMul/ReadVariableOp/transpose";     // [16, 224]
const char* kDense1 = "sequential/dense_1/MatMul/ReadVariableOp/transpose";  // [4, 16]
const char* kConv = "sequential/conv2d_1/Conv2D/ReadVariableOp";             // [16, 4, 1, 8]
const char* kDepthwise = "sequential/conv2d/Conv2D/ReadVariableOp";          // [1, 4, 3, 8]

TEST_F(MagicWand, FloatSchemeIsTheFloatModel) {
  const Graph& f = model(Scheme::kFloat);
  ASSERT_EQ(f.ops.size(), graph_->ops.size());
  for (const Tensor& t : f.tensors) EXPECT_EQ(t.dtype, DType::kFloat32) << t.name;
  // Same outputs as the source model, bit for bit.
  EXPECT_EQ(run_model(f, *data_).output, run_model(*graph_, *data_).output);
}

TEST_F(MagicWand, DynamicRangeQuantizesOnlyWeightsOf1024ElementsOrMore) {
  const Graph& d = model(Scheme::kDynamicRange);
  const Tensor& dense = d.tensors[find_tensor(d, kDense)];
  EXPECT_EQ(dense.dtype, DType::kInt8);
  EXPECT_EQ(dense.shape, (Shape{16, 224}));
  EXPECT_EQ(dense.quant.scale.size(), 1u);  // per tensor
  EXPECT_EQ(dense.quant.zero_point, (std::vector<int64_t>{0}));
  for (const char* small : {kDense1, kConv, kDepthwise})  // 64, 512 and 96 elements
    EXPECT_EQ(d.tensors[find_tensor(d, small)].dtype, DType::kFloat32) << small;
  for (const Tensor& t : d.tensors) {
    if (t.buffer < 0) {
      EXPECT_EQ(t.dtype, DType::kFloat32) << "activation " << t.name;
    }
  }
  int asymmetric = 0;
  for (const Op& op : d.ops)
    if (op.kind == OpKind::kFullyConnected) asymmetric += op.opts<FullyConnectedOptions>().asymmetric_quantize_inputs;
  EXPECT_EQ(asymmetric, 1);  // only the dense op with int8 weights runs hybrid
}

TEST_F(MagicWand, FullIntegerFollowsTheInt8Spec) {
  const Graph& q = model(Scheme::kFullIntegerFloatIo);
  ASSERT_EQ(q.inputs.size(), 1u);
  EXPECT_EQ(q.tensors[q.inputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(q.tensors[q.outputs[0]].dtype, DType::kFloat32);
  EXPECT_EQ(q.tensors[q.inputs[0]].name, "conv2d_input");
  EXPECT_EQ(q.tensors[q.outputs[0]].name, "Identity");
  ASSERT_EQ(q.ops.size(), 9u);
  EXPECT_EQ(q.ops.front().kind, OpKind::kQuantize);
  EXPECT_EQ(q.ops.back().kind, OpKind::kDequantize);
  for (size_t i = 1; i + 1 < q.ops.size(); ++i) {
    const Op& op = q.ops[i];
    for (int32_t t : op.outputs) EXPECT_EQ(q.tensors[t].dtype, DType::kInt8) << describe_op(q, i);
    if (op.kind != OpKind::kConv2D && op.kind != OpKind::kDepthwiseConv2D && op.kind != OpKind::kFullyConnected)
      continue;
    const Tensor& in = q.tensors[op.inputs[0]];
    const Tensor& w = q.tensors[op.inputs[1]];
    ASSERT_GE(op.inputs.size(), 3u);
    const Tensor& b = q.tensors[op.inputs[2]];
    EXPECT_EQ(w.dtype, DType::kInt8);
    EXPECT_EQ(b.dtype, DType::kInt32);
    const size_t channels = op.kind == OpKind::kFullyConnected
                                ? 1
                                : static_cast<size_t>(op.kind == OpKind::kDepthwiseConv2D ? w.shape[3] : w.shape[0]);
    ASSERT_EQ(w.quant.scale.size(), channels) << w.name;
    EXPECT_EQ(w.quant.axis, op.kind == OpKind::kDepthwiseConv2D ? 3 : 0) << w.name;
    const int8_t* values = q.constant_data<int8_t>(op.inputs[1]);
    for (int64_t e = 0; e < num_elements(w.shape); ++e) ASSERT_GE(values[e], -127) << w.name;
    ASSERT_EQ(b.quant.scale.size(), channels);
    for (size_t c = 0; c < channels; ++c) {
      EXPECT_EQ(w.quant.zero_point[c], 0);
      EXPECT_EQ(b.quant.zero_point[c], 0);
      EXPECT_NEAR(b.quant.scale[c], in.quant.scale[0] * w.quant.scale[c], 1e-6 * b.quant.scale[c]) << b.name;
    }
  }
  // Fixed softmax output, shared pooling parameters.
  EXPECT_EQ(quant_of(q, "Identity_int8"), QuantParams::per_tensor(1.f / 256.f, -128));
  EXPECT_EQ(quant_of(q, "sequential/max_pooling2d/MaxPool"), quant_of(q, "sequential/conv2d/Relu"));
  EXPECT_EQ(quant_of(q, "sequential/max_pooling2d_1/MaxPool"), quant_of(q, "sequential/conv2d_1/Relu"));
  // Activation parameters come from the calibrated range, widened to include 0.
  const TensorRange* r = ranges_->find("sequential/dense_1/BiasAdd");
  ASSERT_NE(r, nullptr);
  const AffineParams expected = choose_activation_params(r->min, r->max);
  EXPECT_EQ(quant_of(q, "sequential/dense_1/BiasAdd"), QuantParams::per_tensor(expected.scale, expected.zero_point));
}

TEST_F(MagicWand, IntegerBoundariesReplaceTheFloatOnes) {
  const Graph& f32 = model(Scheme::kFullIntegerFloatIo);
  const Graph& i8 = model(Scheme::kFullIntegerInt8Io);
  const Graph& u8 = model(Scheme::kFullIntegerUInt8Io);
  const Tensor& in_int8 = i8.tensors[i8.inputs[0]];
  const Tensor& out_int8 = i8.tensors[i8.outputs[0]];
  EXPECT_EQ(in_int8.dtype, DType::kInt8);
  EXPECT_EQ(out_int8.dtype, DType::kInt8);
  EXPECT_EQ(in_int8.name, "conv2d_input");
  EXPECT_EQ(out_int8.name, "Identity");
  EXPECT_EQ(in_int8.quant, quant_of(f32, "conv2d_input_int8"));
  EXPECT_EQ(out_int8.quant, quant_of(f32, "Identity_int8"));
  EXPECT_EQ(i8.ops.size(), 7u);
  for (const Op& op : i8.ops) EXPECT_TRUE(op.kind != OpKind::kQuantize && op.kind != OpKind::kDequantize);

  const Tensor& in_uint8 = u8.tensors[u8.inputs[0]];
  const Tensor& out_uint8 = u8.tensors[u8.outputs[0]];
  EXPECT_EQ(in_uint8.dtype, DType::kUInt8);
  EXPECT_EQ(out_uint8.dtype, DType::kUInt8);
  EXPECT_EQ(out_uint8.name, "Identity");
  EXPECT_EQ(in_uint8.quant, QuantParams::per_tensor(in_int8.quant.scale[0], in_int8.quant.zero_point[0] + 128));
  EXPECT_EQ(out_uint8.quant, QuantParams::per_tensor(out_int8.quant.scale[0], out_int8.quant.zero_point[0] + 128));
  EXPECT_EQ(u8.ops.front().kind, OpKind::kQuantize);
  EXPECT_EQ(u8.ops.back().kind, OpKind::kQuantize);
}

TEST_F(MagicWand, Int8IoGivesTheSameIntegersInsideAsFloatIo) {
  TensorRecorder f32(model(Scheme::kFullIntegerFloatIo)), i8(model(Scheme::kFullIntegerInt8Io));
  const Array inputs = magic_wand_samples(24, 99);
  run_model(model(Scheme::kFullIntegerFloatIo), inputs, &f32);
  run_model(model(Scheme::kFullIntegerInt8Io), inputs, &i8);  // quantized with rounding and saturation
  int compared = 0;
  for (const auto& [key, bytes] : i8.values) {
    const std::string& name = key.first;
    // In the float-I/O model the boundary tensors are float; compare their int8 twins.
    const bool boundary = name == "conv2d_input" || name == "Identity";
    auto it = f32.values.find({boundary ? name + "_int8" : name, key.second});
    ASSERT_NE(it, f32.values.end()) << name;
    EXPECT_EQ(it->second, bytes) << name << " sample " << key.second;
    ++compared;
  }
  EXPECT_EQ(compared, 8 * 24);  // input + 7 op outputs, every sample
}

TEST_F(MagicWand, Uint8IoIsInt8IoShiftedBy128) {
  const Array inputs = magic_wand_samples(24, 7);
  RunResult i8 = run_model(model(Scheme::kFullIntegerInt8Io), inputs);
  RunResult u8 = run_model(model(Scheme::kFullIntegerUInt8Io), inputs);
  ASSERT_EQ(i8.output.size(), u8.output.size());
  ASSERT_EQ(u8.dtype, DType::kUInt8);
  for (size_t i = 0; i < i8.output.size(); ++i)
    ASSERT_EQ(static_cast<int>(u8.output[i]), static_cast<int>(static_cast<int8_t>(i8.output[i])) + 128) << i;

  // Fed integers directly: uint8 input = int8 input + 128.
  auto i8_interp = Interpreter::create(model(Scheme::kFullIntegerInt8Io));
  auto u8_interp = Interpreter::create(model(Scheme::kFullIntegerUInt8Io));
  ASSERT_TRUE(i8_interp.ok() && u8_interp.ok());
  auto q8 = convert_to_input(inputs, (*i8_interp)->input_info(0), false, "x");
  auto qu8 = convert_to_input(inputs, (*u8_interp)->input_info(0), false, "x");
  ASSERT_TRUE(q8.ok() && qu8.ok());
  for (int64_t i = 0; i < inputs.num_elements(); ++i)
    ASSERT_EQ(static_cast<int>(qu8->data<uint8_t>()[i]), q8->data<int8_t>()[i] + 128) << i;
}

TEST_F(MagicWand, QuantizedModelsAgreeWithTheFloatModel) {
  const Array inputs = magic_wand_samples(200, 1234);  // same distribution as the calibration data
  const std::vector<float> reference = real_outputs(*graph_, inputs);
  ASSERT_EQ(reference.size(), 800u);
  std::map<Scheme, std::pair<double, double>> expected = {
      // (minimum top-1 agreement, largest probability error allowed)
      {Scheme::kDynamicRange, {0.97, 0.02}},
      {Scheme::kFullIntegerFloatIo, {0.95, 0.05}},
      {Scheme::kFullIntegerInt8Io, {0.95, 0.05}},
      {Scheme::kFullIntegerUInt8Io, {0.95, 0.05}},
  };
  for (const auto& [scheme, bounds] : expected) {
    const std::vector<float> got = real_outputs(model(scheme), inputs);
    ASSERT_EQ(got.size(), reference.size()) << scheme_name(scheme);
    int agree = 0;
    double max_error = 0.0;
    for (size_t s = 0; s < 200; ++s) agree += top1(got, s) == top1(reference, s);
    for (size_t i = 0; i < got.size(); ++i) max_error = std::max(max_error, std::fabs(double(got[i]) - reference[i]));
    EXPECT_GE(agree / 200.0, bounds.first) << scheme_name(scheme);
    EXPECT_LE(max_error, bounds.second) << scheme_name(scheme);
  }
}

TEST_F(MagicWand, EveryCalibrationMethodGivesAModelThatRuns) {
  const Array inputs = magic_wand_samples(100, 31);
  const std::vector<float> reference = real_outputs(*graph_, inputs);
  for (const char* method : {"percentile:99.9", "mse", "kl"}) {
    auto spec = parse_calibration_method(method);
    ASSERT_TRUE(spec.ok());
    CalibrationTable table = calibrate_or_fail(*graph_, *data_, *spec);
    EXPECT_EQ(table.method, method);
    ASSERT_EQ(table.ranges.size(), ranges_->ranges.size());
    for (const auto& [name, r] : table.ranges) {
      // Each method picks a range inside what was observed.
      EXPECT_GE(r.min, r.observed_min) << method << " " << name;
      EXPECT_LE(r.max, r.observed_max) << method << " " << name;
      EXPECT_EQ(r.observed_min, ranges_->find(name)->observed_min) << name;
      EXPECT_EQ(r.observed_max, ranges_->find(name)->observed_max) << name;
    }
    auto q = convert_model(*graph_, Scheme::kFullIntegerInt8Io, &table, {});
    ASSERT_TRUE(q.ok()) << method << ": " << q.status().message();
    const std::vector<float> got = real_outputs(q->graph, inputs);
    ASSERT_EQ(got.size(), reference.size());
    double max_error = 0.0;
    double sum_error = 0.0;
    int agree = 0;
    for (size_t i = 0; i < got.size(); ++i) max_error = std::max(max_error, std::fabs(double(got[i]) - reference[i]));
    for (size_t i = 0; i < got.size(); ++i) sum_error += std::fabs(double(got[i]) - reference[i]);
    for (size_t s = 0; s < 100; ++s) agree += top1(got, s) == top1(reference, s);
    EXPECT_GE(agree, 95) << method;
    EXPECT_LE(max_error, 0.1) << method;
    EXPECT_LE(sum_error / got.size(), 0.01) << method;
  }
}

TEST_F(MagicWand, DeniedNodeStaysFloatBetweenDequantizeAndQuantize) {
  ConversionOptions options;
  options.full_integer.selective.deny_nodes = {"sequential/dense/Relu"};
  auto q = convert_model(*graph_, Scheme::kFullIntegerInt8Io, ranges_, options);
  ASSERT_TRUE(q.ok()) << q.status().message();
  const Graph& g = q->graph;
  int fc_float = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (op.kind != OpKind::kFullyConnected || g.tensors[op.outputs[0]].dtype != DType::kFloat32) continue;
    ++fc_float;
    ASSERT_GT(i, 0u);
    ASSERT_LT(i + 1, g.ops.size());
    EXPECT_EQ(g.ops[i - 1].kind, OpKind::kDequantize);
    EXPECT_EQ(g.ops[i - 1].outputs[0], op.inputs[0]);
    EXPECT_EQ(g.tensors[op.inputs[1]].dtype, DType::kFloat32);
    EXPECT_EQ(g.tensors[op.inputs[2]].dtype, DType::kFloat32);
    EXPECT_EQ(g.ops[i + 1].kind, OpKind::kQuantize);
    EXPECT_EQ(g.ops[i + 1].inputs[0], op.outputs[0]);
  }
  EXPECT_EQ(fc_float, 1);
  bool reported = false;
  for (const TensorDecision& d : q->decisions)
    reported |= d.tensor == "sequential/dense/Relu" && d.kept_float_because == "node 'sequential/dense/Relu' is denied";
  EXPECT_TRUE(reported);
  const Array inputs = magic_wand_samples(50, 8);
  const std::vector<float> reference = real_outputs(*graph_, inputs), got = real_outputs(g, inputs);
  ASSERT_EQ(got.size(), reference.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], reference[i], 0.1);
}

TEST_F(MagicWand, DeniedOutputOpCannotHaveIntegerOutput) {
  ConversionOptions options;
  options.full_integer.selective.deny_ops = {OpKind::kSoftmax};
  auto f32 = convert_model(*graph_, Scheme::kFullIntegerFloatIo, ranges_, options);
  ASSERT_TRUE(f32.ok()) << f32.status().message();
  EXPECT_EQ(f32->graph.ops.back().kind, OpKind::kSoftmax);
  auto i8 = convert_model(*graph_, Scheme::kFullIntegerInt8Io, ranges_, options);
  ASSERT_FALSE(i8.ok());
  EXPECT_NE(i8.status().message().find("'Identity'"), std::string::npos) << i8.status().message();
}

// hello_world: y ~ sin(x) for x in [0, 2 pi], three FULLY_CONNECTED layers,
// every weight under 1024 elements.
class HelloWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    graph_ = load("hello_world_float.tflite");
    // The converter's representative data for this model: x uniform in [0, 2 pi].
    data_ = uniform_samples(300, {1, 1}, 0.f, 6.2831853f, 3);
    ranges_ = calibrate_or_fail(graph_, data_);
  }
  Graph graph_;
  Array data_;
  CalibrationTable ranges_;
};

TEST_F(HelloWorld, DynamicRangeLeavesEveryWeightFloatAndChangesNothing) {
  auto drq = convert_model(graph_, Scheme::kDynamicRange, nullptr, {});
  ASSERT_TRUE(drq.ok()) << drq.status().message();
  for (const Tensor& t : drq->graph.tensors) EXPECT_EQ(t.dtype, DType::kFloat32) << t.name;
  int weights_left_float = 0;
  for (const TensorDecision& d : drq->decisions)
    weights_left_float += d.role == TensorRole::kWeight && d.kept_float_because == "fewer than 1024 elements";
  EXPECT_EQ(weights_left_float, 3);
  EXPECT_EQ(run_model(drq->graph, data_).output, run_model(graph_, data_).output);
}

TEST_F(HelloWorld, FullIntegerStaysCloseToFloat) {
  testing::ScratchDir dir;
  const std::vector<float> reference = real_outputs(graph_, data_);
  for (Scheme s : {Scheme::kFullIntegerFloatIo, Scheme::kFullIntegerInt8Io, Scheme::kFullIntegerUInt8Io}) {
    const Graph q = convert_via_file(graph_, s, ranges_, dir.file(std::string(scheme_name(s)) + ".tflite"));
    const std::vector<float> got = real_outputs(q, data_);
    ASSERT_EQ(got.size(), reference.size());
    const float output_scale = q.tensors[q.outputs[0]].quant.has_scale()
                                   ? q.tensors[q.outputs[0]].quant.scale[0]
                                   : quant_of(q, "StatefulPartitionedCall:0_int8").scale[0];
    double max_error = 0.0;
    for (size_t i = 0; i < got.size(); ++i) max_error = std::max(max_error, std::fabs(double(got[i]) - reference[i]));
    double sum_error = 0.0;
    for (size_t i = 0; i < got.size(); ++i) sum_error += std::fabs(double(got[i]) - reference[i]);
    // The input step (0.0246) alone moves sin(x) by up to 1.5 output steps;
    // three int8 layers add a few more at worst, fewer on average.
    EXPECT_LE(max_error, 6 * output_scale) << scheme_name(s);
    EXPECT_LE(sum_error / got.size(), 2 * output_scale) << scheme_name(s);
  }
}

// The converter-made hello_world_int8.tflite was trained separately from
// hello_world_float.tflite (their float weights differ), so only the
// parameters fixed by the data's range can be compared: calibrated on the
// same input range [0, 2 pi], the input parameters agree.
TEST_F(HelloWorld, InputParametersMatchTheConverter) {
  const Graph converter = load("hello_world_int8.tflite");
  auto q = convert_model(graph_, Scheme::kFullIntegerInt8Io, &ranges_, {});
  ASSERT_TRUE(q.ok()) << q.status().message();
  const QuantParams& ours = q->graph.tensors[q->graph.inputs[0]].quant;
  const QuantParams& theirs = converter.tensors[converter.inputs[0]].quant;
  EXPECT_EQ(ours.zero_point, theirs.zero_point);  // both -128: x >= 0
  EXPECT_NEAR(ours.scale[0], theirs.scale[0], 0.01 * theirs.scale[0]);
  // Both outputs span about [-1.1, 1.1] (sin plus the fit's error).
  const QuantParams& our_out = q->graph.tensors[q->graph.outputs[0]].quant;
  const QuantParams& their_out = converter.tensors[converter.outputs[0]].quant;
  EXPECT_NEAR(our_out.scale[0], their_out.scale[0], 0.25 * their_out.scale[0]);
  RecordProperty("our_input", fmt_params(ours));
  RecordProperty("converter_input", fmt_params(theirs));
  RecordProperty("our_output", fmt_params(our_out));
  RecordProperty("converter_output", fmt_params(their_out));
}

// The converter's int8 weights follow the rule quantize_weights_symmetric
// implements (scale = max|w| / 127 per channel, so max|q| = 127), and its
// biases the rule quantize_bias implements (scale = input x weight scale):
// re-quantizing its dequantized weights gives back its integers and scales.
TEST(ConverterModels, WeightsAndBiasesFollowTheRulesWeImplement) {
  int checked = 0;
  for (const char* name : {"hello_world_int8.tflite", "model_runner_codegen_model.tflite", "person_detect.tflite"}) {
    const Graph g = load(name);
    for (const Op& op : g.ops) {
      if (op.kind != OpKind::kConv2D && op.kind != OpKind::kDepthwiseConv2D && op.kind != OpKind::kFullyConnected)
        continue;
      const Tensor& w = g.tensors[op.inputs[1]];
      const int axis = w.quant.scale.size() > 1 ? w.quant.axis : -1;
      const int64_t n = num_elements(w.shape);
      const int8_t* q = g.constant_data<int8_t>(op.inputs[1]);
      std::vector<float> real(static_cast<size_t>(n));
      const int64_t inner = axis < 0 ? n : [&] {
        int64_t p = 1;
        for (size_t d = static_cast<size_t>(axis) + 1; d < w.shape.size(); ++d) p *= w.shape[d];
        return p;
      }();
      for (int64_t i = 0; i < n; ++i) {
        const size_t c = axis < 0 ? 0 : static_cast<size_t>((i / inner) % w.shape[axis]);
        real[i] = static_cast<float>(q[i]) * w.quant.scale[c];
      }
      const SymmetricWeights again = quantize_weights_symmetric(real.data(), w.shape, axis);
      ASSERT_EQ(again.values, std::vector<int8_t>(q, q + n)) << name << " " << w.name;
      ASSERT_EQ(again.scales.size(), w.quant.scale.size());
      for (size_t c = 0; c < again.scales.size(); ++c) EXPECT_FLOAT_EQ(again.scales[c], w.quant.scale[c]) << w.name;

      const Tensor& in = g.tensors[op.inputs[0]];
      const Tensor& b = g.tensors[op.inputs[2]];
      for (size_t c = 0; c < b.quant.scale.size(); ++c) {
        const double expected = double(in.quant.scale[0]) * w.quant.scale[w.quant.scale.size() > 1 ? c : 0];
        EXPECT_NEAR(b.quant.scale[c], expected, 1e-6 * expected) << name << " " << b.name;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3 + 4 + 28);
}

}  // namespace
}  // namespace quantlab
