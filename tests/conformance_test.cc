// Conformance of the interpreter against outputs of two real TFLite runtimes.
//
// Every case of the per-op suite (testdata/ops) and every real model
// (testdata/goldens) runs on its recorded inputs. Integer outputs must equal
// the TFLite Micro reference outputs bit for bit; float outputs must agree
// within 1e-5 relative (1e-6 absolute). Cases TFLite Micro could not run are
// compared with the full TFLite runtime: hybrid models within 1e-4 absolute,
// integer outputs exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "quantlab/data/npy.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;

const std::string kTestdata = QL_TESTDATA_DIR;

struct GoldenCase {
  std::string name;
  std::string model_path;
  std::string golden_dir;
};

// Parameterized test names show the case name instead of the struct's bytes.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

std::vector<GoldenCase> ops_cases() {
  std::vector<GoldenCase> cases;
  std::ifstream tsv(kTestdata + "/ops/cases.tsv");
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    const std::string name = line.substr(0, line.find('\t'));
    if (name.empty()) continue;
    cases.push_back({name, kTestdata + "/ops/tflite/" + name + ".tflite", kTestdata + "/ops/goldens/" + name});
  }
  return cases;
}

std::vector<GoldenCase> model_cases() {
  std::vector<GoldenCase> cases;
  for (const auto& entry : fs::directory_iterator(kTestdata + "/goldens")) {
    const std::string name = entry.path().filename().string();
    if (name == "trained_lstm_float") continue;  // outside the op set: tested for its error below
    cases.push_back({name, kTestdata + "/tflite/" + name + ".tflite", entry.path().string()});
  }
  std::sort(cases.begin(), cases.end(), [](const GoldenCase& a, const GoldenCase& b) { return a.name < b.name; });
  return cases;
}

// Loads input_<k>.npy for every model input.
std::vector<Array> load_inputs(const GoldenCase& c, size_t count) {
  std::vector<Array> inputs;
  for (size_t k = 0; k < count; ++k) {
    auto a = read_npy(c.golden_dir + "/input_" + std::to_string(k) + ".npy");
    EXPECT_TRUE(a.ok()) << a.status().message();
    if (a.ok()) inputs.push_back(std::move(*a));
  }
  return inputs;
}

Result<std::vector<Interpreter::Output>> run_case(const Graph& g, const std::vector<Array>& inputs,
                                                  const InterpreterOptions& options) {
  QL_ASSIGN_OR_RETURN(auto interp, Interpreter::create(g, options));
  std::vector<BatchView> views;
  for (const Array& a : inputs) views.push_back({a.dtype, a.shape, a.bytes.data()});
  return interp->run(views);
}

struct Comparison {
  int64_t count = 0;
  int64_t mismatches = 0;  // integer values that differ, or floats outside tolerance
  int64_t off_by_more_than_one = 0;
  double max_abs_diff = 0;
  std::string first;  // description of the first mismatch
};

Comparison compare(const Interpreter::Output& got, const Array& want, double abs_tol, double rel_tol) {
  Comparison c;
  Array g{got.dtype, got.shape, got.bytes};
  c.count = want.num_elements();
  for (int64_t i = 0; i < c.count; ++i) {
    const double a = g.value_as_double(i), b = want.value_as_double(i);
    const double d = std::fabs(a - b);
    c.max_abs_diff = std::max(c.max_abs_diff, d);
    const bool bad = is_float(want.dtype) ? !(d <= std::max(abs_tol, rel_tol * std::fabs(b))) : d != 0;
    if (bad) {
      if (c.mismatches == 0) {
        std::ostringstream os;
        os << "element " << i << ": got " << a << ", want " << b;
        c.first = os.str();
      }
      ++c.mismatches;
      if (d > 1) ++c.off_by_more_than_one;
    }
  }
  return c;
}

void check_case(const GoldenCase& c) {
  auto graph = read_tflite_file(c.model_path);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  const bool has_tflm = fs::exists(c.golden_dir + "/output_0.tflm.npy");
  const bool hybrid = c.name.find("hybrid") != std::string::npos || c.name.find("_drq") != std::string::npos;
  std::vector<Array> inputs = load_inputs(c, graph->inputs.size());
  ASSERT_EQ(inputs.size(), graph->inputs.size());
  auto outputs = run_case(*graph, inputs, InterpreterOptions{});
  ASSERT_TRUE(outputs.ok()) << outputs.status().message();
  for (size_t j = 0; j < outputs->size(); ++j) {
    const std::string golden =
        c.golden_dir + "/output_" + std::to_string(j) + (has_tflm ? ".tflm.npy" : ".tflite.npy");
    auto want = read_npy(golden);
    ASSERT_TRUE(want.ok()) << want.status().message();
    const auto& got = (*outputs)[j];
    ASSERT_EQ(got.dtype, want->dtype) << golden;
    ASSERT_EQ(num_elements(got.shape), want->num_elements()) << golden;
    const double abs_tol = hybrid ? 1e-4 : 1e-6;
    const double rel_tol = hybrid ? 0.0 : 1e-5;
    Comparison cmp = compare(got, *want, abs_tol, rel_tol);
    EXPECT_EQ(cmp.mismatches, 0) << c.name << " output " << j << " vs " << fs::path(golden).filename() << ": "
                                 << cmp.mismatches << " of " << cmp.count << " differ, first " << cmp.first
                                 << ", max abs diff " << cmp.max_abs_diff;
  }
}

class OpsConformance : public ::testing::TestWithParam<GoldenCase> {};
TEST_P(OpsConformance, MatchesGoldens) { check_case(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Ops, OpsConformance, ::testing::ValuesIn(ops_cases()),
                         [](const auto& info) { return info.param.name; });

class ModelConformance : public ::testing::TestWithParam<GoldenCase> {};
TEST_P(ModelConformance, MatchesGoldens) { check_case(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Models, ModelConformance, ::testing::ValuesIn(model_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ConformanceSuite, CoversEveryCase) {
  EXPECT_EQ(ops_cases().size(), 150u);
  EXPECT_EQ(model_cases().size(), 12u);
}

TEST(Interpreter, UnsupportedOpIsNamed) {
  auto graph = read_tflite_file(kTestdata + "/tflite/trained_lstm_float.tflite");
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  auto interp = Interpreter::create(*graph);
  ASSERT_FALSE(interp.ok());
  EXPECT_EQ(interp.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(interp.status().message().find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos)
      << interp.status().message();
}

// Results must not depend on how a batch is split: the same 64 samples run
// as one batch, as batches of 7 and one at a time, on 1 and 2 threads.
TEST(Interpreter, BatchAndThreadInvariance) {
  for (const std::string name : {"person_detect", "magic_wand", "magic_wand_drq_synthetic", "hello_world_int8"}) {
    auto graph = read_tflite_file(kTestdata + "/tflite/" + name + ".tflite");
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    auto golden_input = read_npy(kTestdata + "/goldens/" + name + "/input_0.npy");
    ASSERT_TRUE(golden_input.ok());
    // 64 samples: the 16 golden inputs repeated with a per-copy offset so
    // samples differ (integers wrap within their type, floats shift).
    Array input = *golden_input;
    const int64_t per_sample = golden_input->num_elements() / golden_input->shape[0];
    input.shape[0] = 64;
    input.bytes.resize(static_cast<size_t>(64 * per_sample) * dtype_size(input.dtype));
    for (int64_t i = 0; i < 64 * per_sample; ++i) {
      const int64_t src = i % golden_input->num_elements();
      const int copy = static_cast<int>(i / golden_input->num_elements());
      if (input.dtype == DType::kFloat32)
        input.data<float>()[i] = golden_input->data<float>()[src] * (1.0f - 0.1f * copy);
      else
        input.data<int8_t>()[i] = static_cast<int8_t>(golden_input->data<int8_t>()[src] + 17 * copy);
    }
    std::vector<uint8_t> reference;
    for (int threads : {1, 2}) {
      for (int64_t batch : {int64_t{64}, int64_t{7}, int64_t{1}}) {
        InterpreterOptions options;
        options.threads = threads;
        auto interp = Interpreter::create(*graph, options);
        ASSERT_TRUE(interp.ok()) << interp.status().message();
        std::vector<uint8_t> out;
        const size_t in_sample = static_cast<size_t>(per_sample) * dtype_size(input.dtype);
        const size_t out_sample = static_cast<size_t>((*interp)->output_info(0).bytes());
        for (int64_t begin = 0; begin < 64; begin += batch) {
          const int64_t n = std::min<int64_t>(batch, 64 - begin);
          std::vector<uint8_t> chunk(static_cast<size_t>(n) * out_sample);
          ASSERT_TRUE((*interp)->invoke(n, {input.bytes.data() + begin * in_sample}, {chunk.data()}).ok());
          out.insert(out.end(), chunk.begin(), chunk.end());
        }
        if (reference.empty())
          reference = out;
        else
          EXPECT_EQ(out, reference) << name << " threads " << threads << " batch " << batch;
      }
    }
  }
}

}  // namespace
}  // namespace quantlab

namespace quantlab {
namespace {

// `--rounding single` is the XNNPACK/CMSIS-NN requantization. The full TFLite
// runtime (with XNNPACK) produced the `.tflite.npy` goldens, so single
// rounding should move quantlab's int8 outputs towards them. This test
// counts, for every integer case both runtimes ran, how many values differ
// from the full-TFLite golden under each rounding, and prints the table.
TEST(RoundingSingle, CountsDifferencesFromFullTflite) {
  std::vector<GoldenCase> cases = ops_cases();
  for (const GoldenCase& c : model_cases()) cases.push_back(c);
  int64_t total = 0, diff_double = 0, diff_single = 0, beyond_one_single = 0;
  std::printf("%-44s %8s %14s %14s\n", "case", "values", "double!=tflite", "single!=tflite");
  for (const GoldenCase& c : cases) {
    if (!fs::exists(c.golden_dir + "/output_0.tflm.npy") || !fs::exists(c.golden_dir + "/output_0.tflite.npy"))
      continue;
    auto graph = read_tflite_file(c.model_path);
    ASSERT_TRUE(graph.ok());
    auto want = read_npy(c.golden_dir + "/output_0.tflite.npy");
    ASSERT_TRUE(want.ok());
    if (is_float(want->dtype)) continue;
    std::vector<Array> inputs = load_inputs(c, graph->inputs.size());
    InterpreterOptions dbl, sgl;
    sgl.kernels.rounding = Rounding::kSingle;
    auto out_double = run_case(*graph, inputs, dbl);
    auto out_single = run_case(*graph, inputs, sgl);
    ASSERT_TRUE(out_double.ok() && out_single.ok());
    const Comparison d = compare((*out_double)[0], *want, 0, 0);
    const Comparison s = compare((*out_single)[0], *want, 0, 0);
    total += d.count;
    diff_double += d.mismatches;
    diff_single += s.mismatches;
    beyond_one_single += s.off_by_more_than_one;
    if (d.mismatches || s.mismatches)
      std::printf("%-44s %8lld %14lld %14lld\n", c.name.c_str(), static_cast<long long>(d.count),
                  static_cast<long long>(d.mismatches), static_cast<long long>(s.mismatches));
  }
  std::printf("%-44s %8lld %14lld %14lld\n", "TOTAL", static_cast<long long>(total),
              static_cast<long long>(diff_double), static_cast<long long>(diff_single));
  RecordProperty("int8_values", static_cast<int>(total));
  RecordProperty("double_rounding_differences", static_cast<int>(diff_double));
  RecordProperty("single_rounding_differences", static_cast<int>(diff_single));
  EXPECT_GT(total, 0);
  EXPECT_LT(diff_single, diff_double);
}

}  // namespace
}  // namespace quantlab
