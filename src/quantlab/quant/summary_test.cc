#include "quantlab/quant/summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace quantlab {
namespace {

SchemeOutcome drq_outcome() {
  SchemeOutcome o;
  o.scheme = Scheme::kDynamicRange;
  o.path = "out/m.drq.tflite";
  o.file_bytes = 18400;
  o.decisions = {
      {"dense", "op 4 (FULLY_CONNECTED)", TensorRole::kWeight, DType::kInt8, 3584, "int8 symmetric, per tensor", ""},
      {"conv", "op 2 (CONV_2D)", TensorRole::kWeight, DType::kFloat32, 512, "float32", "fewer than 1024 elements"},
      {"dw", "op 0 (DEPTHWISE_CONV_2D)", TensorRole::kWeight, DType::kFloat32, 96, "float32",
       "fewer than 1024 elements"},
      {"b", "op 2 (CONV_2D)", TensorRole::kBias, DType::kFloat32, 16, "float32",
       "dynamic-range models keep biases float"},
  };
  return o;
}

TEST(SchemeSummaryLine, SaysWhatWasQuantizedAndWhyTheRestStayedFloat) {
  const std::string line = scheme_summary_line(drq_outcome());
  EXPECT_EQ(line,
            "drq       out/m.drq.tflite  18,400 bytes | INT8: 1 weight | left float: 2 weights (fewer than 1024 "
            "elements), 1 bias (dynamic-range models keep biases float)");
}

TEST(SchemeSummaryLine, FailedSchemeShowsItsError) {
  SchemeOutcome o;
  o.scheme = Scheme::kFullIntegerUInt8Io;
  o.status = invalid_argument("no calibrated range for tensor 3 'h'");
  EXPECT_EQ(scheme_summary_line(o), "fiq-uint8 FAILED, nothing written: no calibrated range for tensor 3 'h'");
}

TEST(QuantizeSummaryJson, ListsEveryDecisionOfEveryScheme) {
  QuantizeRunInfo info;
  info.model_path = "m.tflite";
  info.calibration_source = "none";
  SchemeOutcome failed;
  failed.scheme = Scheme::kFullIntegerFloatIo;
  failed.status = invalid_argument("needs ranges");
  const nlohmann::json doc = nlohmann::json::parse(quantize_summary_json(info, {drq_outcome(), failed}));
  ASSERT_EQ(doc["schemes"].size(), 2u);
  EXPECT_EQ(doc["schemes"][0]["scheme"], "drq");
  EXPECT_EQ(doc["schemes"][0]["bytes"], 18400);
  ASSERT_EQ(doc["schemes"][0]["tensors"].size(), 4u);
  EXPECT_EQ(doc["schemes"][0]["tensors"][0]["quantized"], true);
  EXPECT_EQ(doc["schemes"][0]["tensors"][1]["kept_float_because"], "fewer than 1024 elements");
  EXPECT_EQ(doc["schemes"][1]["ok"], false);
  EXPECT_EQ(doc["schemes"][1]["error"], "needs ranges");
  EXPECT_EQ(doc["options"]["drq_min_elements"], 1024);
}

}  // namespace
}  // namespace quantlab
