// report.html opened in a real browser: headless Chromium loads the page
// written from the hand-made results (src/quantlab/study/report_fixture.h),
// runs its scripts with no network, and dumps the DOM it ended with. The
// page records its own state on <body>: how many charts the charting
// library drew and how many errors were raised or logged while drawing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "quantlab/debug/chart_library.h"
#include "quantlab/study/report.h"
#include "quantlab/study/report_fixture.h"

namespace quantlab::study {
namespace {

namespace fs = std::filesystem;

constexpr const char* kChromium = "/usr/bin/chromium";

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The value of `attribute` on the dumped <body> tag, or "(absent)".
std::string body_attribute(const std::string& dom, const std::string& attribute) {
  const size_t body = dom.find("<body");
  if (body == std::string::npos) return "(no body)";
  const std::string tag = dom.substr(body, dom.find('>', body) - body);
  const std::regex pattern(attribute + "=\"([^\"]*)\"");
  std::smatch match;
  if (!std::regex_search(tag, match, pattern)) return "(absent)";
  return match[1];
}

class StudyReportBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quantlab_report_browser_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "profile");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Writes the page and returns the DOM Chromium ended with; empty (and a
  // test failure) when the browser is missing or gave nothing.
  std::string render_in_browser(const std::string& html, const std::string& fragment = "") {
    if (!fs::exists(kChromium)) {
      ADD_FAILURE() << kChromium << " is missing: install Debian's chromium package (apt-get install chromium; "
                    << "run.sh installs it) to run the report's browser test";
      return "";
    }
    const fs::path page = dir_ / "report.html";
    std::ofstream(page, std::ios::binary) << html;
    const fs::path dom_file = dir_ / "dom.html";
    const fs::path log_file = dir_ / "chromium.log";
    // The virtual time budget lets the page's scripts finish before the DOM
    // is dumped; `timeout` bounds a browser that hangs.
    const std::string command = "timeout 60 " + std::string(kChromium) +
                                " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                                " --disable-extensions --disable-background-networking --virtual-time-budget=10000"
                                " --user-data-dir='" + (dir_ / "profile").string() + "' --dump-dom 'file://" +
                                page.string() + fragment + "' > '" + dom_file.string() + "' 2> '" + log_file.string() + "'";
    const int status = std::system(command.c_str());
    std::ifstream in(dom_file, std::ios::binary);
    const std::string dom((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (dom.empty()) {
      std::ifstream log(log_file);
      const std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      ADD_FAILURE() << "chromium printed no DOM (exit status " << status << "):\n" << log_text.substr(0, 4000);
    }
    return dom;
  }

  fs::path dir_;
};

TEST_F(StudyReportBrowserTest, FixtureReportDrawsEveryChartWithoutErrors) {
  const std::string dom = render_in_browser(report_html(fixture::make_results()));
  ASSERT_FALSE(dom.empty());
  EXPECT_EQ(body_attribute(dom, "data-state"), "done");
  // Errors first: their messages explain any missing chart.
  EXPECT_EQ(body_attribute(dom, "data-errors"), "0") << dom.substr(dom.find("page-errors"), 2000);
  if (chart_library().available()) {
    // SmartWatch: PTQ and QAT accuracy plus three debugger statistics; BSPC: PTQ and QAT only.
    EXPECT_EQ(body_attribute(dom, "data-charts"), "7");
    EXPECT_EQ(count_of(dom, "data-drawn=\"1\""), 7u);
    // Chart.js sizes each canvas it draws on to its box.
    EXPECT_EQ(count_of(dom, "<canvas "), 7u);
    EXPECT_GE(count_of(dom, "box-sizing: border-box"), 7u);
    EXPECT_NE(dom.find("<p class=\"warning\" id=\"charts-missing\" hidden=\"\">"), std::string::npos);
    // The debugger selectors start at PTQ, FIQ – Int8: three versions have a run.
    EXPECT_NE(dom.find("3 model version(s) shown."), std::string::npos);
  } else {
    EXPECT_EQ(body_attribute(dom, "data-charts"), "0");
    EXPECT_NE(dom.find("this build of quantlab has no charting library"), std::string::npos);
  }
  // The tables are in the DOM, the hostile tensor name as text only.
  EXPECT_NE(dom.find("id=\"family-0-ptq-table\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"family-1-qat-table\""), std::string::npos);
  EXPECT_NE(dom.find("91.7%<span class=\"mark down\">↓</span>"), std::string::npos);
  EXPECT_NE(dom.find("model/dense&lt;/script&gt;&lt;script&gt;alert"), std::string::npos);
  // Only the page's own script elements exist: the data block's "<\/script>" did not end it.
  EXPECT_EQ(count_of(dom, "</script>"), chart_library().available() ? 4u : 3u);
}

TEST_F(StudyReportBrowserTest, EverySelectorChoiceRedrawsWithoutErrors) {
  if (!chart_library().available()) GTEST_SKIP() << "no charting library in this build: nothing to redraw";
  const std::string dom = render_in_browser(report_html(fixture::make_results()), "#exercise-selectors");
  ASSERT_FALSE(dom.empty());
  EXPECT_EQ(body_attribute(dom, "data-state"), "done");
  // SmartWatch's selectors: strategy (PTQ), scheme (DRQ, FIQ – Int8), view (propagated).
  EXPECT_EQ(body_attribute(dom, "data-exercised"), "4");
  EXPECT_EQ(body_attribute(dom, "data-errors"), "0") << dom.substr(dom.find("page-errors"), 2000);
  EXPECT_EQ(body_attribute(dom, "data-charts"), "7");
}

TEST_F(StudyReportBrowserTest, EmptyResultsPageRunsCleanly) {
  const std::string dom = render_in_browser(report_html(StudyResults{}));
  ASSERT_FALSE(dom.empty());
  EXPECT_EQ(body_attribute(dom, "data-state"), "done");
  EXPECT_EQ(body_attribute(dom, "data-errors"), "0");
  EXPECT_EQ(body_attribute(dom, "data-charts"), "0");
}

}  // namespace
}  // namespace quantlab::study
