#include "support/tflite_testdata.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace quantlab::test_support {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string testdata_path(const std::string& relative) { return std::string(QL_TESTDATA_DIR) + "/" + relative; }

std::vector<std::string> model_stems() {
  std::vector<std::string> stems;
  for (const auto& entry : std::filesystem::directory_iterator(testdata_path("tflite")))
    if (entry.path().extension() == ".tflite") stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  return stems;
}

std::vector<OpsCase> ops_cases() {
  std::vector<OpsCase> cases;
  std::ifstream in(testdata_path("ops/cases.tsv"));
  std::string line;
  std::getline(in, line);  // header: name, mode, ops, description, params
  while (std::getline(in, line)) {
    const auto cols = split(line, '\t');
    if (cols.size() < 3) continue;
    cases.push_back({cols[0], cols[1], split(cols[2], ',')});
  }
  return cases;
}

std::map<std::string, std::map<std::string, int>> readme_op_counts() {
  // Table rows: | file | kind | inputs | outputs | ops | origin |
  std::map<std::string, std::map<std::string, int>> result;
  std::ifstream in(testdata_path("README.md"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0) continue;
    const auto cols = split(line, '|');
    if (cols.size() < 6) continue;
    const std::string file = trim(cols[1]);
    const std::string suffix = ".tflite";
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string ops = trim(cols[5]);
    ops = trim(ops.substr(0, ops.find('(')));  // drop remarks such as "(int8 weights)"
    std::map<std::string, int> counts;
    for (const std::string& item : split(ops, ',')) {
      const std::string entry = trim(item);
      const size_t x = entry.rfind('x');
      counts[entry.substr(0, x)] = std::stoi(entry.substr(x + 1));
    }
    result[file.substr(0, file.size() - suffix.size())] = counts;
  }
  return result;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return nullptr;
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": " << e.what();
    return nullptr;
  }
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace quantlab::test_support
