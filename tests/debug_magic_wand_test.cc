// The quantization debugger on the real magic_wand model, quantized in the
// test by the quantizer: rounding-noise levels a layer must show when it
// quantizes well (1/sqrt(12) steps, lowered by ReLU's exact zeros), the
// CSV in TensorFlow's column order, dynamic-range and uint8-boundary models,
// task metrics with labels taken from TensorFlow Lite's own outputs, the
// recipe read off a quantized model, and the automatic fallback finding a
// layer quantized from a tampered range table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/data/npy.h"
#include "quantlab/data/test_python.h"
#include "quantlab/debug/chart_library.h"
#include "quantlab/debug/debug_report.h"
#include "quantlab/debug/fallback.h"
#include "quantlab/debug/layer_debugger.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/ir/graph_compare.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

const std::string kTestdata = QL_TESTDATA_DIR;
const std::string kFloatModel = kTestdata + "/tflite/magic_wand.tflite";
const std::string kGoldenInputs = kTestdata + "/goldens/magic_wand/input_0.npy";
const double kRoundingNoise = 1.0 / std::sqrt(12.0);  // RMS of a uniform error over one step

Graph load(const std::string& path) {
  auto g = read_tflite_file(path);
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : Graph{};
}

Array golden_inputs() {
  auto a = read_npy(kGoldenInputs);
  EXPECT_TRUE(a.ok()) << a.status().message();
  return a.ok() ? *a : Array{};
}

// Smooth random walks in [-1, 1], shaped like accelerometer windows.
Array random_walks(int n, uint32_t seed) {
  Array a = Array::zeros(DType::kFloat32, {n, 128, 3, 1});
  std::mt19937 rng(seed);
  std::normal_distribution<float> step(0.f, 0.08f);
  std::uniform_real_distribution<float> start(-1.f, 1.f);
  float* p = a.data<float>();
  for (int s = 0; s < n; ++s)
    for (int axis = 0; axis < 3; ++axis) {
      float v = start(rng);
      for (int t = 0; t < 128; ++t) {
        v = std::clamp(v + step(rng), -1.f, 1.f);
        p[(s * 128 + t) * 3 + axis] = v;
      }
    }
  return a;
}

CalibrationTable calibrated(const Graph& g, const Array& x) {
  auto table = calibrate(g, {x}, CalibrationOptions{});
  EXPECT_TRUE(table.ok()) << table.status().message();
  return table.ok() ? *table : CalibrationTable{};
}

Graph convert(const Graph& g, Scheme scheme, const CalibrationTable& ranges, const ConversionOptions& options = {}) {
  auto q = convert_model(g, scheme, &ranges, options);
  EXPECT_TRUE(q.ok()) << scheme_name(scheme) << ": " << q.status().message();
  return q.ok() ? q->graph : Graph{};
}

DebugReport debug(const Graph& f, const Graph& q, const Array& x, DebugOptions options = {}) {
  auto r = debug_quantization(f, q, {x}, options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : DebugReport{};
}

const LayerReport* layer_named(const DebugReport& r, const std::string& name) {
  for (const LayerReport& l : r.layers)
    if (l.tensor_name == name) return &l;
  return nullptr;
}

// Fraction of exactly-zero values each float op output holds over `x`,
// counted by a plain observer of the float model.
class ZeroCounter : public Observer {
 public:
  void on_op_output(int64_t, int32_t, const std::vector<TensorView>& outputs) override {
    for (const TensorView& v : outputs) {
      const float* p = static_cast<const float*>(v.data);
      for (int64_t i = 0; i < v.info->num_elements(); ++i) {
        zeros[v.tensor] += p[i] == 0.f ? 1 : 0;
        total[v.tensor] += 1;
      }
    }
  }
  double nonzero_fraction(int32_t t) const { return 1.0 - double(zeros.at(t)) / double(total.at(t)); }
  std::map<int32_t, int64_t> zeros, total;
};

ZeroCounter count_zeros(const Graph& f, const Array& x) {
  ZeroCounter counter;
  auto interp = Interpreter::create(f, InterpreterOptions{{}, 1, int64_t{1} << 31});
  EXPECT_TRUE(interp.ok());
  if (interp.ok()) {
    EXPECT_TRUE((*interp)->run({{x.dtype, x.shape, x.bytes.data()}}, &counter).ok());
  }
  return counter;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

TEST(DebugMagicWand, FullIntegerLayersShowRoundingNoise) {
  const Graph f = load(kFloatModel);
  const Array x = golden_inputs();
  ConversionOptions options;
  options.full_integer.fc_per_channel = true;  // per-tensor dense weights add error of their own
  const Graph q = convert(f, Scheme::kFullIntegerFloatIo, calibrated(f, x), options);
  const DebugReport r = debug(f, q, x);
  ASSERT_EQ(r.layers.size(), 7u);
  ASSERT_EQ(r.samples, 16);

  // Quantizing the continuous input is rounding alone.
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_NEAR(r.inputs[0].stats.rmse_over_scale, kRoundingNoise, 0.02);

  // A max pool only selects rounded inputs: in the isolated view its error
  // is the rounding error of each non-zero output, and exact zeros (ReLU)
  // have none, so rmse/scale = sqrt(nonzero fraction / 12).
  const ZeroCounter zeros = count_zeros(f, x);
  int pools = 0;
  for (const LayerReport& l : r.layers) {
    ASSERT_TRUE(l.isolated && l.propagated) << l.tensor_name;
    EXPECT_TRUE(l.has_scale) << l.tensor_name;
    const double rounding = kRoundingNoise * std::sqrt(zeros.nonzero_fraction(l.float_tensor));
    SCOPED_TRACE(l.tensor_name + " expected rounding noise " + std::to_string(rounding));
    if (l.op_name == "MAX_POOL_2D") {
      ++pools;
      EXPECT_NEAR(l.isolated->rmse_over_scale, rounding, 0.03);
    } else {
      // Other ops add input and weight rounding on top of the output's, but
      // a well-quantized layer stays well within the suspect threshold.
      EXPECT_GE(l.isolated->rmse_over_scale, rounding - 0.03);
      EXPECT_LE(l.isolated->rmse_over_scale, 0.7);
    }
  }
  EXPECT_EQ(pools, 2);
  // Softmax output has no zeros and a fixed 1/256 scale: close to 1/sqrt(12).
  const LayerReport* softmax = layer_named(r, "Identity");
  ASSERT_NE(softmax, nullptr);
  EXPECT_NEAR(softmax->isolated->rmse_over_scale, kRoundingNoise, 0.1);
  // The first op reads the same quantized input in both views.
  EXPECT_DOUBLE_EQ(r.layers[0].isolated->mean_squared_error, r.layers[0].propagated->mean_squared_error);
  // Error carried through several layers may still exceed the threshold
  // when propagated, but no op is a suspect on its own.
  for (const LayerReport* l : suspect_layers(r, 0.7)) EXPECT_LE(l->isolated->rmse_over_scale, 0.7) << l->tensor_name;
}

TEST(DebugMagicWand, CsvHasTensorflowColumnOrder) {
  const Graph f = load(kFloatModel);
  const Array x = golden_inputs();
  const Graph q = convert(f, Scheme::kFullIntegerInt8Io, calibrated(f, x));
  const DebugReport r = debug(f, q, x);
  const std::string csv = layer_stats_csv(r, DebugView::kPropagated);
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header,
            "op_name,tensor_idx,num_elements,stddev,mean_error,max_abs_error,mean_squared_error,mean_abs_error,"
            "rmse/scale,sqnr_db,cosine_similarity,scale,zero_point,tensor_name");
  const std::vector<std::string> columns = split_csv_line(header);
  std::string line;
  size_t row = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(row, r.layers.size());
    const LayerReport& l = r.layers[row];
    const std::vector<std::string> fields = split_csv_line(line);
    ASSERT_EQ(fields.size(), columns.size()) << line;
    EXPECT_EQ(fields[0], l.op_name);
    // tensor_idx is the quantized model's tensor; tensor_name the float model's.
    const int idx = std::stoi(fields[1]);
    EXPECT_EQ(q.tensors[idx].dtype, DType::kInt8);
    EXPECT_EQ(fields.back(), f.tensors[l.float_tensor].name);
    EXPECT_EQ(std::stoll(fields[2]), num_elements(f.tensors[l.float_tensor].shape));
    EXPECT_NEAR(std::stod(fields[8]), l.propagated->rmse_over_scale, 1e-6 * (1 + l.propagated->rmse_over_scale));
    EXPECT_FLOAT_EQ(std::stof(fields[11]), q.tensors[idx].quant.scale[0]);
    EXPECT_EQ(std::stoll(fields[12]), q.tensors[idx].quant.zero_point[0]);
    ++row;
  }
  EXPECT_EQ(row, r.layers.size());
}

TEST(DebugMagicWand, OutputStatisticsMatchTheEvaluationHarness) {
  const Graph f = load(kFloatModel);
  const Array x = random_walks(40, 1);
  const Graph q = convert(f, Scheme::kFullIntegerUInt8Io, calibrated(f, x));
  const DebugReport r = debug(f, q, x);
  ASSERT_EQ(r.outputs.size(), 1u);
  // The harness quantizes inputs and dequantizes outputs on its own path.
  auto fs = predict_scores(f, x, EvalOptions{});
  auto qs = predict_scores(q, x, EvalOptions{});
  ASSERT_TRUE(fs.ok() && qs.ok());
  double sum = 0, worst = 0;
  int agree = 0;
  for (int s = 0; s < 40; ++s) {
    int fa = 0, qa = 0;
    for (int c = 0; c < 4; ++c) {
      const double d = double(fs->data<float>()[s * 4 + c]) - qs->data<float>()[s * 4 + c];
      sum += d * d;
      worst = std::max(worst, std::fabs(d));
      if (fs->data<float>()[s * 4 + c] > fs->data<float>()[s * 4 + fa]) fa = c;
      if (qs->data<float>()[s * 4 + c] > qs->data<float>()[s * 4 + qa]) qa = c;
    }
    agree += fa == qa;
  }
  EXPECT_NEAR(r.outputs[0].mean_squared_error, sum / 160, 1e-12);
  EXPECT_DOUBLE_EQ(r.outputs[0].max_abs_error, worst);
  EXPECT_DOUBLE_EQ(r.outputs[0].top1_agreement, agree / 40.0);
}

TEST(DebugMagicWand, DynamicRangeLayersAreExactWhereWeightsStayedFloat) {
  const Graph f = load(kFloatModel);
  const Array x = random_walks(16, 2);
  // With TFLite's 1024-element threshold only the 16x224 dense weights are
  // quantized, so every layer before it is computed exactly as in float.
  const Graph q = convert(f, Scheme::kDynamicRange, CalibrationTable{});
  const DebugReport r = debug(f, q, x);
  ASSERT_EQ(r.layers.size(), 7u);
  EXPECT_TRUE(r.inputs.empty());  // a float input is not quantized at the boundary
  bool after_dense = false;
  for (const LayerReport& l : r.layers) {
    EXPECT_FALSE(l.has_scale);
    EXPECT_TRUE(std::isnan(l.propagated->rmse_over_scale));
    if (l.tensor_name == "sequential/dense/Relu") after_dense = true;
    if (!after_dense) {
      EXPECT_EQ(l.propagated->mean_squared_error, 0.0) << l.tensor_name;
      EXPECT_EQ(l.isolated->mean_squared_error, 0.0) << l.tensor_name;
    } else if (l.tensor_name == "sequential/dense/Relu") {
      EXPECT_GT(l.isolated->mean_squared_error, 0.0);
      EXPECT_GT(l.isolated->sqnr_db, 20.0);
    }
  }
  EXPECT_TRUE(after_dense);
  // The CSV leaves scale and zero point empty and says nan for rmse/scale.
  std::istringstream lines(layer_stats_csv(r, DebugView::kIsolated));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  const std::vector<std::string> fields = split_csv_line(line);
  ASSERT_EQ(fields.size(), 14u);
  EXPECT_EQ(fields[8], "nan");
  EXPECT_EQ(fields[11], "");
  EXPECT_EQ(fields[12], "");
}

TEST(DebugMagicWand, UInt8BoundariesGiveTheSameLayersAsInt8) {
  // The uint8 model is the int8 graph with exact +128 shifts at its edges.
  const Graph f = load(kFloatModel);
  const Array x = golden_inputs();
  const CalibrationTable ranges = calibrated(f, x);
  const DebugReport a = debug(f, convert(f, Scheme::kFullIntegerInt8Io, ranges), x);
  const DebugReport b = debug(f, convert(f, Scheme::kFullIntegerUInt8Io, ranges), x);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_EQ(a.layers[i].tensor_name, b.layers[i].tensor_name);
    EXPECT_EQ(a.layers[i].propagated->mean_squared_error, b.layers[i].propagated->mean_squared_error);
    EXPECT_EQ(a.layers[i].isolated->max_abs_error, b.layers[i].isolated->max_abs_error);
  }
  EXPECT_EQ(a.outputs[0].mean_squared_error, b.outputs[0].mean_squared_error);
}

TEST(DebugMagicWand, TaskMetricsWithLabelsFromTfliteOutputs) {
  const Graph f = load(kFloatModel);
  auto golden = read_npy(kTestdata + "/goldens/magic_wand/output_0.tflite.npy");
  ASSERT_TRUE(golden.ok());
  Dataset data;
  data.x = golden_inputs();
  std::vector<int32_t> labels;
  for (int s = 0; s < 16; ++s) {
    int best = 0;
    for (int c = 1; c < 4; ++c)
      if (golden->value_as_double(s * 4 + c) > golden->value_as_double(s * 4 + best)) best = c;
    labels.push_back(best);
  }
  data.y = Array::from_vector<int32_t>({16}, labels);
  EvalOptions options;
  options.task = Task::kMulticlass;
  const Graph q = convert(f, Scheme::kFullIntegerFloatIo, calibrated(f, data.x));
  auto c = compare_on_task(f, q, data, options);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_FALSE(c->float_metrics.empty());
  EXPECT_EQ(c->float_metrics[0].name, "Accuracy");
  EXPECT_DOUBLE_EQ(c->float_metrics[0].value, 1.0);  // our float run decides as TFLite did
  ASSERT_EQ(c->quant_metrics.size(), c->float_metrics.size());
  for (size_t i = 0; i < c->quant_metrics.size(); ++i) EXPECT_EQ(c->quant_metrics[i].name, c->float_metrics[i].name);
}

TEST(DebugMagicWand, RecipeReadOffTheModelReproducesIt) {
  const Graph f = load(kFloatModel);
  const Array x = random_walks(24, 3);
  const CalibrationTable ranges = calibrated(f, x);
  ConversionOptions selective;
  selective.full_integer.selective.deny_nodes = {"sequential/dense_1/BiasAdd"};
  selective.full_integer.fc_per_channel = true;
  struct Case {
    Scheme scheme;
    ConversionOptions options;
  };
  for (const Case& c : {Case{Scheme::kFullIntegerFloatIo, {}}, Case{Scheme::kFullIntegerInt8Io, {}},
                        Case{Scheme::kFullIntegerUInt8Io, {}}, Case{Scheme::kFullIntegerFloatIo, selective},
                        Case{Scheme::kDynamicRange, {}}}) {
    SCOPED_TRACE(scheme_name(c.scheme));
    const Graph q = convert(f, c.scheme, ranges, c.options);
    auto match = match_graphs(f, q);
    ASSERT_TRUE(match.ok());
    auto recipe = infer_recipe(f, q, *match);
    ASSERT_TRUE(recipe.ok()) << recipe.status().message();
    EXPECT_EQ(recipe->scheme, c.scheme);
    auto again = apply_recipe(f, *recipe, {});
    ASSERT_TRUE(again.ok()) << again.status().message();
    // Recovered ranges give back the very same scales and zero points.
    const Status same = compare_graphs(*again, q);
    EXPECT_TRUE(same.ok()) << same.message();
  }
}

TEST(DebugMagicWand, AutoFallbackFindsTheTamperedLayer) {
  const Graph f = load(kFloatModel);
  const Array x = random_walks(120, 4);
  CalibrationTable tampered = calibrated(f, x);
  TensorRange& bad = tampered.ranges.at("sequential/conv2d_1/Relu");
  bad.max = bad.max / 10;  // clips nine tenths of the layer's range
  const Graph q = convert(f, Scheme::kFullIntegerInt8Io, tampered);

  const DebugReport r = debug(f, q, x);
  const std::vector<const LayerReport*> suspects = suspect_layers(r, 0.7);
  ASSERT_FALSE(suspects.empty());
  const LayerReport* conv = layer_named(r, "sequential/conv2d_1/Relu");
  ASSERT_NE(conv, nullptr);
  EXPECT_GT(conv->isolated->rmse_over_scale, 0.7);  // the op's own output clips
  EXPECT_NE(std::find(suspects.begin(), suspects.end(), conv), suspects.end());

  Dataset data;
  data.x = x;  // no labels: the metric is agreement with the float model
  FallbackOptions options;
  options.max_drop_points = 1.0;
  auto result = auto_fallback(f, q, data, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->metric, "Top-1 agreement with float");
  EXPECT_DOUBLE_EQ(result->float_metric, 1.0);
  EXPECT_EQ(result->recreation_max_abs_diff, 0.0);
  EXPECT_GT(result->drop_points(result->start_metric), 1.0);
  ASSERT_TRUE(result->reached);
  ASSERT_FALSE(result->steps.empty());
  EXPECT_EQ(result->steps[0].layer, "sequential/conv2d_1/Relu");
  EXPECT_NE(std::find(result->kept_float.begin(), result->kept_float.end(), "sequential/conv2d_1/Relu"),
            result->kept_float.end());
  EXPECT_GT(result->final_bytes, result->start_bytes);  // float weights cost bytes

  // The written model, evaluated on its own, agrees with float as reported.
  auto written = write_tflite(result->model);
  ASSERT_TRUE(written.ok());
  auto reread = read_tflite(written->data(), written->size(), "fallback model");
  ASSERT_TRUE(reread.ok());
  auto fs = predict_scores(f, x, EvalOptions{});
  auto qs = predict_scores(*reread, x, EvalOptions{});
  ASSERT_TRUE(fs.ok() && qs.ok());
  int agree = 0;
  for (int s = 0; s < 120; ++s) {
    const float* a = fs->data<float>() + s * 4;
    const float* b = qs->data<float>() + s * 4;
    agree += std::max_element(a, a + 4) - a == std::max_element(b, b + 4) - b;
  }
  EXPECT_DOUBLE_EQ(agree / 120.0, result->final_metric);
  EXPECT_GE(agree, 119);
}

TEST(DebugMagicWand, ChartLibraryIsVendoredFromNpm) {
  const ChartLibrary& lib = chart_library();
  ASSERT_TRUE(lib.available()) << "the build could not fetch chart.js with npm";
  EXPECT_EQ(lib.version, "4.5.1");
  EXPECT_EQ(lib.source.substr(0, 20), "/*!\n * Chart.js v4.5");
  EXPECT_NE(lib.license.find("MIT License"), std::string_view::npos);
}

// ---- The command line ------------------------------------------------------

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(DebugCli, WritesReportsAndChartsForEveryScheme) {
  testing::ScratchDir dir;
  const Graph f = load(kFloatModel);
  const Array x = golden_inputs();
  const CalibrationTable ranges = calibrated(f, x);
  for (Scheme scheme : {Scheme::kFullIntegerInt8Io, Scheme::kFullIntegerUInt8Io, Scheme::kDynamicRange}) {
    SCOPED_TRACE(scheme_name(scheme));
    const std::string model = dir.file(std::string("m.") + scheme_name(scheme) + ".tflite");
    ASSERT_TRUE(write_tflite_file(convert(f, scheme, ranges), model).ok());
    const std::string out = dir.file(std::string("out_") + scheme_name(scheme));
    auto r = test_support::run_cli({"debug", kFloatModel, model, "--data", kGoldenInputs, "-o", out, "--threads", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("## Worst layers"), std::string::npos);
    const std::string csv = slurp(out + "/layers.propagated.csv");
    EXPECT_EQ(csv.substr(0, csv.find('\n')), "op_name,tensor_idx,num_elements,stddev,mean_error,max_abs_error,"
                                              "mean_squared_error,mean_abs_error,rmse/scale,sqnr_db,"
                                              "cosine_similarity,scale,zero_point,tensor_name");
    EXPECT_EQ(count(csv, "\n"), 8u);  // header + 7 layers
    EXPECT_EQ(count(slurp(out + "/layers.isolated.csv"), "\n"), 8u);
    const nlohmann::json j = nlohmann::json::parse(slurp(out + "/debug.json"));
    EXPECT_EQ(j["format"], "quantlab-debug");
    EXPECT_EQ(j["layers"].size(), 7u);
    EXPECT_EQ(j["samples"], 16);
    const std::string html = slurp(out + "/charts.html");
    EXPECT_EQ(count(html, "<canvas"), layer_metrics().size());
    EXPECT_NE(html.find("Chart.js v4.5.1"), std::string::npos);  // inlined, not linked
    EXPECT_EQ(html.find("<script src"), std::string::npos);
    EXPECT_NE(html.find("sequential/conv2d_1/Relu"), std::string::npos);  // the layer index table
  }
}

// The chart page opened in headless Chromium (Debian's package, which
// run.sh installs): every chart is drawn by the inlined library and the
// page logs nothing to the console (Chromium prints each console message,
// errors included, as an "INFO:CONSOLE" line with --enable-logging).
TEST(DebugCli, ChartsRenderInABrowserWithoutConsoleMessages) {
  const std::string chromium = "/usr/bin/chromium";
  ASSERT_TRUE(std::filesystem::exists(chromium))
      << chromium << " is missing: install Debian's chromium package (run.sh installs it)";
  testing::ScratchDir dir;
  const Graph f = load(kFloatModel);
  const std::string model = dir.file("m.fiq-int8.tflite");
  ASSERT_TRUE(write_tflite_file(convert(f, Scheme::kFullIntegerInt8Io, calibrated(f, golden_inputs())), model).ok());
  auto r = test_support::run_cli({"debug", kFloatModel, model, "--data", kGoldenInputs, "-o", dir.file("out"),
                                  "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string dom = dir.file("dom.html"), log = dir.file("chromium.log");
  const std::string command = "timeout 60 " + chromium +
                              " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                              " --disable-extensions --disable-background-networking --enable-logging=stderr --v=0"
                              " --virtual-time-budget=8000 --user-data-dir=" + testing::shell_quote(dir.file("profile")) +
                              " --dump-dom " + testing::shell_quote("file://" + dir.file("out/charts.html")) + " > " +
                              testing::shell_quote(dom) + " 2> " + testing::shell_quote(log);
  ASSERT_EQ(std::system(command.c_str()), 0) << slurp(log);
  const std::string page = slurp(dom);
  // Chart.js sizes every canvas it draws into with an inline style.
  EXPECT_EQ(count(page, "<canvas"), layer_metrics().size());
  EXPECT_EQ(count(page, "box-sizing: border-box"), layer_metrics().size()) << page.substr(0, 2000);
  EXPECT_EQ(count(slurp(log), ":CONSOLE"), 0u) << slurp(log);
}

TEST(DebugCli, OneViewAndAutoFallback) {
  testing::ScratchDir dir;
  const Graph f = load(kFloatModel);
  const Array x = random_walks(60, 5);
  ASSERT_TRUE(write_npy(dir.file("x.npy"), x).ok());
  CalibrationTable tampered = calibrated(f, x);
  tampered.ranges.at("sequential/conv2d_1/Relu").max /= 10;
  const std::string model = dir.file("bad.fiq-f32.tflite");
  ASSERT_TRUE(write_tflite_file(convert(f, Scheme::kFullIntegerFloatIo, tampered), model).ok());
  auto r = test_support::run_cli({"debug", kFloatModel, model, "--data", dir.file("x.npy"), "-o", dir.file("out"),
                                  "--view", "isolated", "--auto-fallback", "--max-drop", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::ifstream(dir.file("out/layers.propagated.csv")).good());
  EXPECT_TRUE(std::ifstream(dir.file("out/layers.isolated.csv")).good());
  EXPECT_NE(r.out.find("## Automatic fallback"), std::string::npos);
  EXPECT_NE(r.out.find("Limit met"), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(slurp(dir.file("out/debug.json")));
  EXPECT_EQ(j["fallback"]["steps"][0]["layer"], "sequential/conv2d_1/Relu");
  EXPECT_EQ(j["suspects"][0]["tensor_name"].get<std::string>().find("sequential/"), 0u);
  auto fallback = read_tflite_file(dir.file("out/bad.fiq-f32.fallback.tflite"));
  ASSERT_TRUE(fallback.ok()) << fallback.status().message();
  EXPECT_TRUE(Interpreter::create(*fallback).ok());
}

TEST(DebugCli, WorksOnQatDerivedModels) {
  // `quantlab qat` fine-tunes through fake quantization and converts with
  // the learned ranges; the debugger compares its float and int8 outputs.
  testing::ScratchDir dir;
  Dataset data;
  data.x = random_walks(48, 6);
  std::vector<int32_t> labels(48);
  for (int i = 0; i < 48; ++i) labels[i] = i % 4;
  data.y = Array::from_vector<int32_t>({48}, labels);
  ASSERT_TRUE(write_dataset_npz(dir.file("d.npz"), data).ok());
  auto qat = test_support::run_cli({"qat", kFloatModel, "--data", dir.file("d.npz"), "-o", dir.file("qat"), "--epochs",
                                    "1", "--threads", "1"});
  ASSERT_EQ(qat.exit_code, 0) << qat.err;
  auto r = test_support::run_cli({"debug", dir.file("qat/magic_wand.qat.float.tflite"),
                                  dir.file("qat/magic_wand.qat.fiq-uint8.tflite"), "--data", dir.file("d.npz"), "-o",
                                  dir.file("out"), "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(slurp(dir.file("out/debug.json")));
  ASSERT_EQ(j["layers"].size(), 7u);
  for (const auto& layer : j["layers"]) {
    EXPECT_EQ(layer["dtype"], "INT8");
    EXPECT_EQ(layer["matched_by"], "structure");
  }
  // The learned input range still quantizes the input by rounding alone.
  EXPECT_NEAR(j["inputs"][0]["stats"]["rmse/scale"].get<double>(), kRoundingNoise, 0.03);
  EXPECT_EQ(j["task"]["metrics"][0]["name"], "Accuracy");
}

TEST(DebugCli, HelpExplainsEveryMetricAndBadInputFails) {
  auto help = test_support::run_cli({"debug", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const LayerMetricInfo& m : layer_metrics()) EXPECT_NE(help.out.find(m.name), std::string::npos) << m.name;
  for (const char* word : {"num_elements", "propagated", "isolated", "--auto-fallback", "--suspect"})
    EXPECT_NE(help.out.find(word), std::string::npos) << word;

  auto mismatch = test_support::run_cli({"debug", kFloatModel, kTestdata + "/tflite/hello_world_int8.tflite", "--data",
                                         kGoldenInputs});
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_NE(mismatch.err.find("quantlab debug: error:"), std::string::npos) << mismatch.err;
}

}  // namespace
}  // namespace quantlab
