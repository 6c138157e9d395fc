// Access to the shared test data (real TFLite models, their goldens and the
// per-op conformance cases) for tests of the file edge and the CLI.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace quantlab::test_support {

// Absolute path under the shared test data directory ("tflite/x.tflite").
std::string testdata_path(const std::string& relative);

// Model file stems in testdata/tflite ("person_detect"), sorted.
std::vector<std::string> model_stems();

// One row of ops/cases.tsv.
struct OpsCase {
  std::string name;              // file stem in ops/tflite
  std::string mode;              // float32, int8, hybrid, quant
  std::vector<std::string> ops;  // op names in execution order
};
std::vector<OpsCase> ops_cases();
// Shows a case by name in test failure messages.
inline void PrintTo(const OpsCase& c, std::ostream* os) { *os << c.name; }

// Op counts per model as the testdata README's table states them
// ("CONV_2Dx14, ..." -> {"CONV_2D": 14}), keyed by file stem.
std::map<std::string, std::map<std::string, int>> readme_op_counts();

// Parses a JSON file; fails the calling test (and returns null) if it cannot.
nlohmann::json read_json(const std::string& path);

// Whole file as bytes; empty (and a test failure) if it cannot be read.
std::vector<uint8_t> read_bytes(const std::string& path);

}  // namespace quantlab::test_support
