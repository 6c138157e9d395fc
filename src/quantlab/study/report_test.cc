// The study's reports rendered from hand-written results (report_fixture.h):
// every expected cell, mark and message below is worked out from the
// fixture's numbers by hand, not taken from a rendering.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "quantlab/debug/chart_library.h"
#include "quantlab/study/report.h"
#include "quantlab/study/report_fixture.h"
#include "quantlab/study/results.h"

namespace quantlab::study {
namespace {

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The page's data block, parsed as the page's script parses it.
nlohmann::json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return nullptr;
  const size_t end = html.find("</script>", begin);
  return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

class StudyReportTest : public ::testing::Test {
 protected:
  StudyResults results_ = fixture::make_results();
};

TEST_F(StudyReportTest, MarkdownHeaderCountsAndFailures) {
  const std::string md = report_markdown(results_);
  EXPECT_NE(md.find("# Study report: fixture study"), std::string::npos);
  EXPECT_NE(md.find("- Profile: quick\n  - widths x0.5\n"), std::string::npos);
  // 25 SmartWatch results + 1 failed + 6 BSPC; 8 + 4 float models, BSPC's two final ones failed.
  EXPECT_NE(md.find("- Pipelines: 32 (31 ok, 1 failed, 1 taken from a previous run); float models: 12 (2 failed)"),
            std::string::npos);
  // The fixture's step counts, on the header line.
  EXPECT_NE(md.find("wall time 4 min 12 s; 2 jobs; 40 steps (30 run, 8 from the cache, 2 failed)\n"),
            std::string::npos);
  EXPECT_NE(md.find("All datasets are synthetic"), std::string::npos);
  EXPECT_NE(md.find("| SmartWatch | synthetic HAR windows, 6 classes, 30 subjects |"), std::string::npos);
  // The failure table: '<' written as an entity, '|' escaped so the row keeps its cells.
  EXPECT_NE(md.find("| `smartwatch-fat/final/ptq/fiq-int8` | quantize: tensor &lt;model/dense> has no calibrated "
                    "range \\| 0 samples |"),
            std::string::npos);
  EXPECT_NE(md.find("| `bspc-lean/final/ptq (model)` | factorize: rank 8 exceeds"), std::string::npos);
}

TEST_F(StudyReportTest, MarkdownAccuracyTablesFollowTheSeedLayout) {
  const std::string md = report_markdown(results_);
  // Families in the configuration's order.
  ASSERT_NE(md.find("## SmartWatch"), std::string::npos);
  EXPECT_LT(md.find("## SmartWatch"), md.find("## BSPC"));
  EXPECT_NE(md.find("| Quantization scheme | Before pruning · Lean | Before pruning · Fat | Final (pruned + LRF) · "
                    "Lean | Final (pruned + LRF) · Fat |"),
            std::string::npos);
  // PTQ: percentages with one decimal; the DRQ NaN and the failed FIQ cell are "–".
  EXPECT_NE(md.find("| Unquantized model | 93.4% | 94.9% | 92.3% | 94.0% |"), std::string::npos);
  EXPECT_NE(md.find("| DRQ | 93.4% | 94.8% | 92.3% | – |"), std::string::npos);
  EXPECT_NE(md.find("| FIQ – Int8 | 80.9% | 82.1% | 77.6% | – |"), std::string::npos);
  // QAT against PTQ, 0.5 points tolerance:
  //  float 91.7-93.4=-1.7 ↓, 91.4-94.9 ↓, 90.8-92.3 ↓, 91.9-94.0 ↓;
  //  DRQ 93.9-93.4=+0.5 ~ (at the tolerance), 95.1-94.8=+0.3 ~, 90.4-92.3 ↓, no PTQ value: no mark;
  //  FIQ 83.0-80.9=+2.1 ↑, 75.0-82.1 ↓, 62.4-77.6 ↓, PTQ failed: no mark.
  EXPECT_NE(md.find("| Unquantized model | 91.7%↓ | 91.4%↓ | 90.8%↓ | 91.9%↓ |"), std::string::npos);
  EXPECT_NE(md.find("| DRQ | 93.9%~ | 95.1%~ | 90.4%↓ | 91.8% |"), std::string::npos);
  EXPECT_NE(md.find("| FIQ – Int8 | 83.0%↑ | 75.0%↓ | 62.4%↓ | 70.0% |"), std::string::npos);
  EXPECT_NE(md.find("↑ higher, ↓ lower, ~ within 0.5 percentage points"), std::string::npos);
  // Why cells are empty.
  EXPECT_NE(md.find("DRQ / Final (pruned + LRF) · Fat: Accuracy is undefined for this model"), std::string::npos);
  EXPECT_NE(md.find("FIQ – Int8 / Final (pruned + LRF) · Fat: failed: quantize: tensor &lt;model/dense>"),
            std::string::npos);
}

TEST_F(StudyReportTest, MarkdownInputQuantizationSectionComparesCorrectAndNaiveCast) {
  const std::string md = report_markdown(results_);
  const size_t at = md.find("### Input quantization: correct vs naive cast");
  ASSERT_NE(at, std::string::npos);
  // Right after the accuracy tables it explains, before the per-version tables.
  EXPECT_LT(md.find("### Prediction accuracy"), at);
  EXPECT_LT(at, md.find("### Every metric per model version"));
  EXPECT_LT(at, md.find("## BSPC"));
  const std::string section = md.substr(at, md.find("### Every metric per model version") - at);
  EXPECT_NE(section.find("| Quantization scheme | Strategy | Before pruning · Lean | Before pruning · Fat | "
                         "Final (pruned + LRF) · Lean | Final (pruned + LRF) · Fat |"),
            std::string::npos);
  // Cells: correct / plain cast (plain cast minus correct, in points):
  //  0.412-0.809=-39.7, 0.655-0.821=-16.6, 0.776-0.776=±0.0; the fat final PTQ pipeline failed;
  //  0.800-0.830=-3.0, the fat original QAT pipeline has no plain-cast value, 0.500-0.624=-12.4,
  //  0.650-0.700=-5.0; UInt8: 0.209-0.809=-60.0 and 0.833-0.833=±0.0, the other versions not run.
  EXPECT_NE(section.find("| FIQ – Int8 | PTQ | 80.9% / 41.2% (-39.7 points) | 82.1% / 65.5% (-16.6 points) | "
                         "77.6% / 77.6% (±0.0 points) | – |"),
            std::string::npos);
  EXPECT_NE(section.find("| FIQ – Int8 | QAT | 83.0% / 80.0% (-3.0 points) | 75.0% / – | "
                         "62.4% / 50.0% (-12.4 points) | 70.0% / 65.0% (-5.0 points) |"),
            std::string::npos);
  EXPECT_NE(section.find("| FIQ – UInt8 | PTQ | 80.9% / 20.9% (-60.0 points) | – | – | – |"), std::string::npos);
  EXPECT_NE(section.find("| FIQ – UInt8 | QAT | 83.3% / 83.3% (±0.0 points) | – | – | – |"), std::string::npos);
  // No row for the float-input schemes.
  EXPECT_EQ(section.find("| DRQ |"), std::string::npos);
  EXPECT_EQ(section.find("| Unquantized model |"), std::string::npos);
  EXPECT_NE(section.find("FIQ – Int8 / Final (pruned + LRF) · Fat: failed: quantize: tensor &lt;model/dense>"),
            std::string::npos);
  // The paragraph: the two mechanisms, then the numbers. Eight pipelines
  // have both values: -39.7-16.6+0.0-3.0-12.4-5.0-60.0+0.0 = -136.7, mean
  // -17.0875; the worst is UInt8's -60.0.
  EXPECT_NE(section.find("truncates toward zero instead of rounding"), std::string::npos);
  EXPECT_NE(section.find("wraps values outside [-128, 127] or [0, 255] around modulo 256 instead of saturating"),
            std::string::npos);
  EXPECT_NE(section.find("In this study the plain cast changed accuracy by -17.1 points on average over the 8 models "
                         "evaluated both ways, and by -60.0 points at worst (FIQ – UInt8, lean, before pruning, PTQ)."),
            std::string::npos);
  // Inputs: 8 x 36,000 values, 8 x 18,000 changed (50.0%), 90 wrapped (90 / 288,000 = 0.03125%).
  EXPECT_NE(section.find(" Over their 288,000 input values it gave another integer than correct quantization for "
                         "144,000 (50.0%) and wrapped 90 (0.031%) that fell outside the type's range."),
            std::string::npos);
  // -60 points is far beyond the 2-point bound of a small cost.
  EXPECT_NE(section.find("A loss of this size comes from the harness, not from the model"), std::string::npos);
  EXPECT_EQ(section.find("Here the cast costs little"), std::string::npos);
  // BSPC's integer-input pipelines carry no plain-cast values: the
  // section says so instead of inventing numbers.
  const std::string bspc = md.substr(md.find("## BSPC"));
  const size_t bspc_at = bspc.find("### Input quantization: correct vs naive cast");
  ASSERT_NE(bspc_at, std::string::npos);
  EXPECT_NE(bspc.find("These results hold no plain-cast evaluation"), std::string::npos);
  EXPECT_NE(bspc.find("| FIQ – Int8 | PTQ | 84.3% / – | – |"), std::string::npos);
  EXPECT_NE(bspc.find("| FIQ – UInt8 | QAT | – | – |"), std::string::npos);
}

TEST_F(StudyReportTest, MarkdownSaysWhenThePlainCastCostsLittle) {
  // Every SmartWatch plain-cast value within 2 points of the correct one,
  // and nothing wrapped: the paragraph says the cast costs little here.
  for (PipelineResult& p : results_.pipelines) {
    if (p.family != "SmartWatch" || p.plain_cast_metrics.empty()) continue;
    p.plain_cast_metrics = fixture::multiclass_metrics(p.metric("Accuracy") - 0.015);
    p.plain_cast_inputs->wrapped = 0;
  }
  const std::string md = report_markdown(results_);
  const size_t at = md.find("### Input quantization: correct vs naive cast");
  ASSERT_NE(at, std::string::npos);
  const std::string section = md.substr(at, md.find("### Every metric per model version") - at);
  // Each of the 8 pipelines lost 1.5 points.
  EXPECT_NE(section.find("changed accuracy by -1.5 points on average over the 8 models evaluated both ways, and by "
                         "-1.5 points at worst"),
            std::string::npos);
  EXPECT_NE(section.find("and wrapped none: no input fell outside the type's range."), std::string::npos);
  EXPECT_NE(section.find("Here the cast costs little"), std::string::npos);
  EXPECT_EQ(section.find("A loss of this size"), std::string::npos);
}

TEST_F(StudyReportTest, ResultsJsonKeepsPlainCastMetricsAndReadsFilesWithoutThem) {
  const nlohmann::json doc = results_to_json(results_);
  auto reread = results_from_json(doc, "fixture");
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  ASSERT_EQ(reread->pipelines.size(), results_.pipelines.size());
  // The first SmartWatch FIQ – Int8 pipeline: 0.809 correct, 0.412 plain cast.
  const PipelineResult& int8 = reread->pipelines[2];
  ASSERT_EQ(int8.id, "smartwatch-lean/original/ptq/fiq-int8");
  ASSERT_EQ(int8.plain_cast_metrics.size(), 6u);
  EXPECT_DOUBLE_EQ(int8.plain_cast_metric("Accuracy"), 0.412);
  EXPECT_DOUBLE_EQ(int8.plain_cast_metric("Cohen's Kappa"), 0.312);
  ASSERT_TRUE(int8.plain_cast_inputs.has_value());
  EXPECT_EQ(int8.plain_cast_inputs->values, 36000);
  EXPECT_EQ(int8.plain_cast_inputs->changed, 18000);
  EXPECT_EQ(int8.plain_cast_inputs->wrapped, 0);
  EXPECT_TRUE(reread->pipelines[0].plain_cast_metrics.empty());
  EXPECT_FALSE(reread->pipelines[0].plain_cast_inputs.has_value());
  EXPECT_TRUE(std::isnan(reread->pipelines[0].plain_cast_metric("Accuracy")));
  EXPECT_EQ(reread->steps_total, 40);
  // A results.json written before the plain-cast evaluation has no such key.
  nlohmann::json old = doc;
  for (nlohmann::json& p : old["pipelines"]) {
    p.erase("plain_cast_metrics");
    p.erase("plain_cast_inputs");
  }
  auto old_read = results_from_json(old, "old");
  ASSERT_TRUE(old_read.ok()) << old_read.status().message();
  for (const PipelineResult& p : old_read->pipelines) {
    EXPECT_TRUE(p.plain_cast_metrics.empty()) << p.id;
    EXPECT_FALSE(p.plain_cast_inputs.has_value()) << p.id;
  }
  EXPECT_DOUBLE_EQ(old_read->pipelines[2].metric("Accuracy"), 0.809);
  // A malformed value is an error naming where it is.
  nlohmann::json bad = doc;
  bad["pipelines"][2]["plain_cast_metrics"][0]["value"] = "high";
  auto bad_read = results_from_json(bad, "bad");
  ASSERT_FALSE(bad_read.ok());
  EXPECT_NE(bad_read.status().message().find("pipelines[2].plain_cast_metrics[0]"), std::string::npos)
      << bad_read.status().message();
}

TEST_F(StudyReportTest, MarkdownMultilabelFamilyUsesBinaryAccuracy) {
  const std::string md = report_markdown(results_);
  const std::string bspc = md.substr(md.find("## BSPC"));
  EXPECT_NE(bspc.find("binary accuracy (the fraction of correct label decisions"), std::string::npos);
  // BSPC has one size and its final model was never made.
  EXPECT_NE(bspc.find("| Quantization scheme | Before pruning · Lean | Final (pruned + LRF) · Lean |"), std::string::npos);
  EXPECT_NE(bspc.find("| Unquantized model | 86.2% | – |"), std::string::npos);
  // QAT: 87.8-86.2 ↑, 87.3-86.1 ↑, 85.1-84.3=+0.8 ↑.
  EXPECT_NE(bspc.find("| Unquantized model | 87.8%↑ | – |"), std::string::npos);
  EXPECT_NE(bspc.find("| DRQ | 87.3%↑ | – |"), std::string::npos);
  EXPECT_NE(bspc.find("| FIQ – Int8 | 85.1%↑ | – |"), std::string::npos);
  EXPECT_NE(bspc.find("model not made: factorize: rank 8 exceeds the smallest dimension 4"), std::string::npos);
  // The seven multilabel metrics; Hamming loss 1-0.843=0.157 is above the float's 0.138: ↑.
  EXPECT_NE(bspc.find("| Model | Binary Accuracy | Precision | Recall | F1 | Hamming Loss | Jaccard Score | Exact Match |"),
            std::string::npos);
  EXPECT_NE(bspc.find("| FIQ – Int8 | 0.843↓ | 0.813↓ | 0.803↓ | 0.808↓ | 0.157↑ | 0.643↓ | 0.543↓ |"), std::string::npos);
}

TEST_F(StudyReportTest, MarkdownPerVersionTablesMarkAgainstTheUnquantizedRow) {
  const std::string md = report_markdown(results_);
  const size_t at = md.find("#### SmartWatch, Lean, final (pruned + LRF) – PTQ");
  ASSERT_NE(at, std::string::npos);
  // The final models come first, as in the original study.
  EXPECT_LT(at, md.find("#### SmartWatch, Lean, before pruning – PTQ"));
  const std::string table = md.substr(at, md.find("####", at + 4) - at);
  EXPECT_NE(table.find("| Model | Accuracy | Precision | Recall | F1 | Balanced Accuracy | Cohen's Kappa |"),
            std::string::npos);
  // Accuracy a, precision a-0.01, recall a-0.02, F1 a-0.015, balanced a-0.005, kappa a-0.1.
  EXPECT_NE(table.find("| Unquantized model (baseline) | 0.923 | 0.913 | 0.903 | 0.908 | 0.918 | 0.823 |"),
            std::string::npos);
  EXPECT_NE(table.find("| DRQ | 0.923~ | 0.913~ | 0.903~ | 0.908~ | 0.918~ | 0.823~ |"), std::string::npos);
  EXPECT_NE(table.find("| FIQ – Int8 | 0.776↓ | 0.766↓ | 0.756↓ | 0.761↓ | 0.771↓ | 0.676↓ |"), std::string::npos);
  const size_t fat = md.find("#### SmartWatch, Fat, final (pruned + LRF) – PTQ");
  ASSERT_NE(fat, std::string::npos);
  const std::string fat_table = md.substr(fat, md.find("####", fat + 4) - fat);
  EXPECT_NE(fat_table.find("| DRQ | – | – | – | – | – | – |"), std::string::npos);
  EXPECT_NE(fat_table.find("| FIQ – Int8 | failed: quantize: tensor &lt;model/dense> has no calibrated range \\| 0 samples |"),
            std::string::npos);
}

TEST_F(StudyReportTest, MarkdownSizesDtypesDebuggerLayersAndConfig) {
  const std::string md = report_markdown(results_);
  // Sizes: 2,456 parameters; the final model deflates to 1,000 of 2,000 bytes: -50%.
  EXPECT_NE(md.find("| Lean, before pruning | PTQ | 2,456 | 2,456 | 0.0% | 120,000 | 12,000 B (11.7 KiB) | "
                    "2,000 B (2.0 KiB) | ±0.0% |"),
            std::string::npos);
  EXPECT_NE(md.find("| Lean, final (pruned + LRF) | PTQ | 1,100 | 220 | 80.0% | 40,000 | 6,000 B (5.9 KiB) | 1,000 B | −50.0% |"),
            std::string::npos);
  // Converted files against the unquantized 12,000 bytes: 11,000 is -8.3%, 5,000 is -58.3%.
  EXPECT_NE(md.find("| Lean, before pruning | PTQ | 12,000 B | 11,000 B (−8.3%) | 5,000 B (−58.3%) |"), std::string::npos);
  EXPECT_NE(md.find("| Fat, final (pruned + LRF) | PTQ | 12,000 B | 11,000 B (−8.3%) | – |"), std::string::npos);
  // The float-vs-DRQ answer from the lean original model's analyses.
  EXPECT_NE(md.find("DRQ stored 1 of its 8 weight tensors as int8 (1,536 int8 constant bytes) and kept 7 in float32"),
            std::string::npos);
  EXPECT_NE(md.find("None of its 11 activation tensors are integer"), std::string::npos);
  EXPECT_NE(md.find("(FIQ – Int8 makes 11 of its 11 activations integer)"), std::string::npos);
  EXPECT_NE(md.find("accuracy 93.4% unquantized against 93.4% with DRQ (+0.0 points)"), std::string::npos);
  EXPECT_NE(md.find("| Lean, before pruning | DRQ | float32 19 (8), int8 1 (1), int32 1 (1) | 1 of 8 | 0 of 11 | 2 |"),
            std::string::npos);
  // Debugger: four runs; the worst layer's tensor name is kept verbatim inside a code span.
  EXPECT_EQ(count_of(md, "debug/smartwatch-"), 4u);
  EXPECT_NE(md.find(std::string("  - `FULLY_CONNECTED ") + fixture::kHostileTensor + " (rmse/scale 0.41)`"),
            std::string::npos);
  EXPECT_NE(md.find("| 50 | 0.0123 | 96.0% |"), std::string::npos);
  // Layer index rows.
  EXPECT_NE(md.find("| 0 | CONV_2D | `model/conv2d/Relu` | `[1, 50, 6, 4]` |"), std::string::npos);
  EXPECT_NE(md.find("## Study configuration\n\n```json\n{\n  \"datasets\""), std::string::npos);
}

TEST_F(StudyReportTest, HtmlTablesMarksAndHoverReasons) {
  const std::string html = report_html(results_);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<td class=\"num\">93.4%</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\" title=\"PTQ: 93.4%\">91.7%<span class=\"mark down\">↓</span></td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\" title=\"PTQ: 93.4%\">93.9%<span class=\"mark same\">~</span></td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\" title=\"PTQ: 80.9%\">83.0%<span class=\"mark up\">↑</span></td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num missing\" title=\"failed: quantize: tensor &lt;model/dense&gt; has no "
                      "calibrated range | 0 samples\">–</td>"),
            std::string::npos);
  EXPECT_NE(html.find("title=\"model not made: factorize: rank 8 exceeds"), std::string::npos);
  EXPECT_NE(html.find("id=\"family-0-ptq-table\""), std::string::npos);
  EXPECT_NE(html.find("id=\"family-1-qat-table\""), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#family-1\">BSPC model</a>"), std::string::npos);
  EXPECT_NE(html.find("<code>smartwatch-fat/final/ptq/fiq-int8</code>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"debug/smartwatch-lean.original.fiq-int8.html\" title=\"debug/smartwatch-lean.original."
                      "fiq-int8.html\">charts</a> · <a href=\"debug/smartwatch-lean.original.fiq-int8.csv\""),
            std::string::npos);
  EXPECT_NE(html.find("−50.0%"), std::string::npos);
  // The step counts among the header facts.
  EXPECT_NE(html.find("<dt>Steps</dt><dd>40 steps (30 run, 8 from the cache, 2 failed)</dd>"), std::string::npos);
}

TEST_F(StudyReportTest, HtmlInputQuantizationSectionIsInTheContents) {
  const std::string html = report_html(results_);
  EXPECT_NE(html.find("<a href=\"#family-0-input-quantization\">Input quantization: correct vs naive cast</a>"),
            std::string::npos);
  EXPECT_NE(html.find("<a href=\"#family-1-input-quantization\">Input quantization: correct vs naive cast</a>"),
            std::string::npos);
  EXPECT_NE(html.find("<h3 id=\"family-0-input-quantization\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"family-0-input-quantization-table\""), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">80.9% / 41.2% (-39.7 points)</td>"), std::string::npos);
  // A cell without a plain-cast value says why on hover.
  EXPECT_NE(html.find("title=\"not evaluated with a plain cast (results written before that evaluation)\">75.0% / "
                      "–</td>"),
            std::string::npos);
  EXPECT_NE(html.find("on average over the 8 models evaluated both ways"), std::string::npos);
}

TEST_F(StudyReportTest, HtmlEscapesNamesAndKeepsScriptsClosedOnlyWhereMeant) {
  const std::string html = report_html(results_);
  // The hostile names never appear raw: as text they are entity-escaped, in
  // the data block every '<' is written \u003c.
  EXPECT_EQ(html.find(fixture::kHostileTensor), std::string::npos);
  EXPECT_NE(html.find("model/dense&lt;/script&gt;&lt;script&gt;alert(&quot;it&#39;s&quot;)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("model/dense\\u003c/script>\\u003cscript>alert(\\\"it's\\\")\\u003c/script>"), std::string::npos);
  EXPECT_NE(html.find("Identity \\\"out\\\" \\u003c!--\\u003cscript>"), std::string::npos);
  EXPECT_EQ(html.find("<!--<script>"), std::string::npos);
  // Exactly the page's own script elements close: error capture, data, library and page script
  // (or error capture, data and the fallback without the library).
  EXPECT_EQ(count_of(html, "</script>"), chart_library().available() ? 4u : 3u);
  EXPECT_NE(html.find("a &lt;/script&gt; in the config stays text"), std::string::npos);
}

TEST_F(StudyReportTest, HtmlDataBlockHoldsNullsForMissingValues) {
  const std::string html = report_html(results_);
  const nlohmann::json data = page_data(html);
  ASSERT_TRUE(data.is_object());
  ASSERT_EQ(data["families"].size(), 2u);
  const nlohmann::json& sw = data["families"][0];
  EXPECT_EQ(sw["name"], "SmartWatch");
  EXPECT_EQ(data["families"][1]["name"], "BSPC");
  EXPECT_EQ(data["families"][1]["metric"], "Binary Accuracy");
  EXPECT_EQ(sw["versions"][3], "Fat, final (pruned + LRF)");
  EXPECT_DOUBLE_EQ(sw["main"]["qat"][0][0].get<double>(), 0.917);
  EXPECT_TRUE(sw["main"]["ptq"][1][3].is_null());  // NaN metric
  EXPECT_TRUE(sw["main"]["ptq"][2][3].is_null());  // failed pipeline
  ASSERT_EQ(sw["runs"].size(), 4u);
  const nlohmann::json& run = sw["runs"][0];
  // Names are listed once per family; runs refer to them by position.
  ASSERT_TRUE(run["tensors"][1].is_number_unsigned());
  EXPECT_EQ(sw["names"][run["tensors"][1].get<size_t>()], fixture::kHostileTensor);
  EXPECT_EQ(sw["names"][run["ops"][1].get<size_t>()], "FULLY_CONNECTED");
  EXPECT_EQ(sw["names"].size(), 6u);  // three ops and three tensors, shared by all four runs
  EXPECT_TRUE(run["values"]["propagated"]["cosine_similarity"][1].is_null());
  EXPECT_FALSE(run["values"].contains("isolated"));
  EXPECT_TRUE(data["families"][1]["runs"].empty());
}

TEST_F(StudyReportTest, HtmlChartCanvasesAndLibrary) {
  const std::string html = report_html(results_);
  if (chart_library().available()) {
    // Two main-metric charts per family (PTQ, QAT) and three debugger statistics for SmartWatch.
    EXPECT_NE(html.find("data-charts-expected=\"7\""), std::string::npos);
    EXPECT_EQ(count_of(html, "<canvas "), 7u);
    EXPECT_NE(html.find("/* Chart.js "), std::string::npos);
    EXPECT_NE(html.find("<option value=\"fiq-int8\" selected>"), std::string::npos);
    EXPECT_NE(html.find("<option value=\"ptq\" selected>"), std::string::npos);
    EXPECT_NE(html.find("id=\"charts-missing\" hidden"), std::string::npos);
  } else {
    EXPECT_NE(html.find("data-charts-expected=\"0\""), std::string::npos);
    EXPECT_NE(html.find("this build of quantlab has no charting library"), std::string::npos);
  }
  EXPECT_LT(html.size(), 600u * 1024u) << "the page repeats data it should share";
}

TEST_F(StudyReportTest, InvalidUtf8InNamesDoesNotStopTheReport) {
  // A tensor name read from a foreign file may hold any bytes; the JSON
  // writer would throw on them unless told to replace them.
  for (PipelineResult& p : results_.pipelines)
    if (p.debug) p.debug->layers[0].tensor_name = "bad\xff\xfename";
  results_.models[0].layers[0].output_name = "bad\xffname";
  std::string html, md;
  EXPECT_NO_THROW(html = report_html(results_));
  EXPECT_NO_THROW(md = report_markdown(results_));
  EXPECT_TRUE(page_data(html).is_object());
  EXPECT_NE(md.find("## BSPC"), std::string::npos);
}

TEST_F(StudyReportTest, MalformedConfigFallsBackToTheResults) {
  // A hand-edited results.json may hold any config: the layout then comes
  // from the models and pipelines alone (families in their first-seen order).
  results_.config = {{"models", {{{"family", 3}, {"size", nullptr}}, "x"}}, {"stages", 5}, {"datasets", {1}}};
  std::string md;
  EXPECT_NO_THROW(md = report_markdown(results_));
  EXPECT_NO_THROW(report_html(results_));
  EXPECT_LT(md.find("## SmartWatch"), md.find("## BSPC"));
  EXPECT_EQ(md.find("All datasets are synthetic"), std::string::npos);
  EXPECT_NE(md.find("| Unquantized model | 93.4% | 94.9% | 92.3% | 94.0% |"), std::string::npos);
}

TEST(StudyReportEmptyTest, EmptyResultsRenderWithoutFamilies) {
  const StudyResults empty;
  const std::string md = report_markdown(empty);
  EXPECT_NE(md.find("- Pipelines: 0 (0 ok, 0 failed, 0 taken from a previous run)"), std::string::npos);
  // Results without step counts (0: unknown) say nothing about steps.
  EXPECT_NE(md.find("; 1 job\n"), std::string::npos);
  EXPECT_EQ(md.find(" steps ("), std::string::npos);
  EXPECT_NE(md.find("## Study configuration"), std::string::npos);
  const std::string html = report_html(empty);
  EXPECT_NE(html.find("data-charts-expected=\"0\""), std::string::npos);
  const nlohmann::json data = page_data(html);
  ASSERT_TRUE(data.is_object());
  EXPECT_TRUE(data["families"].empty());
}

}  // namespace
}  // namespace quantlab::study
