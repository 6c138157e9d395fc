// The bodies of the fuzz targets, shared by the libFuzzer executables
// (fuzz_*.cc) and by the regression test that replays every input kept in
// tests/regression/ (tests/robustness_regression_test.cc), so a crash found
// once is re-checked by the ordinary test suite forever.
//
// Each function feeds untrusted bytes to one reader and returns OK when the
// library behaved: it returned a value or an error Status. Crashes, hangs and
// sanitizer reports are caught by the tools around it; a broken promise that
// is not a crash (a round trip that changes the data, a reader returning an
// invalid dataset) comes back as an internal error naming the property.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/data/npy.h"
#include "quantlab/data/npz.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"

namespace quantlab::fuzz {

// ---- TFLite ------------------------------------------------------------------

// Activation memory a fuzzed model may plan; larger plans must be refused by
// Interpreter::create before anything is allocated.
constexpr int64_t kFuzzMaxArenaBytes = int64_t{64} << 20;
// Per-op work is bounded by (output elements) x (elements of its largest
// input): no kernel reads more than every input element for each output
// element. Past this budget a model is read and prepared but not run, so
// the fuzzer spends its time on the file edge, not on long convolutions.
constexpr int64_t kFuzzMaxInvokeWork = int64_t{1} << 24;

inline int64_t estimated_invoke_work(const Interpreter& interp) {
  int64_t total = 0;
  for (const Op& op : interp.graph().ops) {
    int64_t largest_input = 1;
    for (int32_t t : op.inputs)
      if (t >= 0) largest_input = std::max(largest_input, interp.tensor_info(t).num_elements());
    int64_t outputs = 0;
    for (int32_t t : op.outputs) outputs += interp.tensor_info(t).num_elements();
    // Shapes are validated (each count below 2^40): compare by division so
    // the product is only formed when it is within the budget.
    if (outputs > 0 && largest_input > kFuzzMaxInvokeWork / outputs) return kFuzzMaxInvokeWork + 1;
    total += outputs * largest_input;
    if (total > kFuzzMaxInvokeWork) return total;
  }
  return total;
}

// read_tflite -> Interpreter::create (one thread, 64 MiB arena limit) -> for
// small models, one invoke on zero-filled inputs and one on inputs filled
// with the file's own bytes, so NaN, infinities and extreme integers reach
// the kernels too. The file's length picks the kernel family and rounding,
// so both families are fuzzed without running every input twice.
inline Status fuzz_tflite_bytes(const uint8_t* data, size_t size) {
  auto graph = read_tflite(data, size, "fuzz input");
  if (!graph.ok()) return Status::Ok();
  InterpreterOptions options;
  options.threads = 1;
  options.max_arena_bytes = kFuzzMaxArenaBytes;
  options.kernels.kernels = size % 2 ? KernelSet::kReference : KernelSet::kOptimized;
  options.kernels.rounding = (size / 2) % 2 ? Rounding::kSingle : Rounding::kDouble;
  auto created = Interpreter::create(*graph, options);
  if (!created.ok()) return Status::Ok();
  Interpreter& interp = **created;
  if (interp.arena_bytes() > kFuzzMaxArenaBytes)
    return internal_error("the interpreter accepted an arena of " + std::to_string(interp.arena_bytes()) +
                          " bytes above its limit");
  if (estimated_invoke_work(interp) > kFuzzMaxInvokeWork) return Status::Ok();

  std::vector<std::vector<uint8_t>> inputs(interp.num_inputs()), outputs(interp.num_outputs());
  std::vector<const void*> input_ptrs;
  std::vector<void*> output_ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].assign(static_cast<size_t>(std::max<int64_t>(interp.input_info(i).bytes(), 1)), 0);
    input_ptrs.push_back(inputs[i].data());
  }
  for (size_t j = 0; j < outputs.size(); ++j) {
    outputs[j].assign(static_cast<size_t>(std::max<int64_t>(interp.output_info(j).bytes(), 1)), 0);
    output_ptrs.push_back(outputs[j].data());
  }
  (void)interp.invoke(1, input_ptrs, output_ptrs);
  if (size > 0)
    for (auto& input : inputs)
      for (size_t k = 0; k < input.size(); ++k) input[k] = data[k % size];
  (void)interp.invoke(1, input_ptrs, output_ptrs);
  return Status::Ok();
}

// ---- .npy --------------------------------------------------------------------

// parse_npy and parse_npy_strings; whatever parses must survive a round trip
// through the matching serializer unchanged.
inline Status fuzz_npy_bytes(const uint8_t* data, size_t size) {
  auto array = parse_npy(data, size, "fuzz input");
  if (array.ok()) {
    if (!array->consistent()) return internal_error("parse_npy returned an inconsistent array");
    double sum = 0;  // reading elements back exercises every dtype's widening
    for (int64_t i = 0; i < std::min<int64_t>(array->num_elements(), 64); ++i) sum += array->value_as_double(i);
    (void)sum;
    const std::vector<uint8_t> bytes = serialize_npy(*array);
    auto again = parse_npy(bytes.data(), bytes.size(), "round trip");
    if (!again.ok()) return internal_error("a serialized array does not parse: " + again.status().message());
    if (again->dtype != array->dtype || again->shape != array->shape || again->bytes != array->bytes)
      return internal_error("an array changed in a serialize/parse round trip");
  }
  auto strings = parse_npy_strings(data, size, "fuzz input");
  if (strings.ok()) {
    // Byte strings need not be UTF-8; only those that are can be written back.
    auto bytes = serialize_npy_strings(*strings);
    if (bytes.ok()) {
      auto again = parse_npy_strings(bytes->data(), bytes->size(), "round trip");
      if (!again.ok()) return internal_error("serialized strings do not parse: " + again.status().message());
      if (*again != *strings) return internal_error("strings changed in a serialize/parse round trip");
    }
  }
  return Status::Ok();
}

// ---- Readers that take a path ------------------------------------------------

// A scratch file for readers that take a path: one per process (libFuzzer's
// -jobs/-fork workers are separate processes), in /dev/shm when it exists so
// each write costs no disk I/O, removed when the object is destroyed.
class ScratchFile {
 public:
  explicit ScratchFile(const char* extension) {
    const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(dir) + "/quantlab-fuzz-" + std::to_string(::getpid()) + "." + extension;
  }
  ~ScratchFile() { ::unlink(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& path() const { return path_; }

  // Replaces the file's contents; false if the file cannot be written.
  bool write(const uint8_t* data, size_t size) const {
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) return false;
    const bool written = size == 0 || std::fwrite(data, 1, size, f) == size;
    return std::fclose(f) == 0 && written;
  }

 private:
  std::string path_;
};

// The bytes as an .npz file: read_npz (every member parsed) and
// read_dataset_npz, whose result must be a valid dataset.
inline Status fuzz_npz_bytes(const uint8_t* data, size_t size) {
  static const ScratchFile file("npz");
  if (!file.write(data, size)) return io_error(file.path() + ": cannot write the scratch file");
  (void)read_npz(file.path());
  auto dataset = read_dataset_npz(file.path());
  if (dataset.ok()) {
    Status valid = validate_dataset(*dataset);
    if (!valid.ok()) return internal_error("read_dataset_npz returned an invalid dataset: " + valid.message());
  }
  return Status::Ok();
}

// The first byte picks the CSV options (bits 0-1: delimiter , ; tab space;
// bits 2-3: labels are the last column / the last 1-4 columns (bits 4-5) /
// the column "label" / the columns "a" and "b"); the rest is the file.
inline Status fuzz_csv_bytes(const uint8_t* data, size_t size) {
  if (size == 0) return Status::Ok();
  static const ScratchFile file("csv");
  const uint8_t selector = data[0];
  if (!file.write(data + 1, size - 1)) return io_error(file.path() + ": cannot write the scratch file");
  CsvOptions options;
  constexpr char kDelimiters[] = {',', ';', '\t', ' '};
  options.delimiter = kDelimiters[selector & 3];
  switch ((selector >> 2) & 3) {
    case 0: break;
    case 1: options.label_column_count = 1 + ((selector >> 4) & 3); break;
    case 2: options.label_columns = {"label"}; break;
    case 3: options.label_columns = {"a", "b"}; break;
  }
  auto dataset = read_dataset_csv(file.path(), options);
  if (dataset.ok()) {
    Status valid = validate_dataset(*dataset);
    if (!valid.ok()) return internal_error("read_dataset_csv returned an invalid dataset: " + valid.message());
  }
  return Status::Ok();
}

}  // namespace quantlab::fuzz
