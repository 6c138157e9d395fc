// The model zoo: lean and fat versions of the three model families of the
// study (SmartWatch, BSPC, BSPC-GAP), built as float IR graphs with
// initialized weights for any input shape and number of outputs.
//
// Every choice the study leaves open (widths, kernel sizes, pooling, how a
// family adapts to a small input) is documented in docs/models.md; the
// adaptations actually made for a request are returned with the graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab::zoo {

// The model's last op: SOFTMAX over the outputs (multiclass) or LOGISTIC on
// each output (multilabel, or binary with one output).
enum class Head : uint8_t { kSoftmax, kSigmoid };
const char* head_name(Head head);

struct ArchInfo {
  std::string name;      // "smartwatch-lean", as `--arch` takes it
  std::string summary;   // one line: the family's structure
  Shape default_input;   // one sample, [H, W, C], as the study used it
  int default_outputs;
  Head default_head;
};

// The six architectures, in the order docs/models.md lists them.
const std::vector<ArchInfo>& architectures();
// The architecture called `name`, or nullptr.
const ArchInfo* find_architecture(const std::string& name);
// "smartwatch-lean, smartwatch-fat, ..." for messages.
std::string architecture_names();

struct ModelRequest {
  std::string arch;
  // One sample's shape. Rank 1 to 3; shorter shapes get trailing 1s
  // ([T, C] -> [T, C, 1]). Every dimension >= 1.
  Shape input_shape;
  int num_outputs = 1;   // >= 1; >= 2 with a softmax head
  Head head = Head::kSoftmax;
  // Multiplies every filter count and hidden dense width (rounded, at
  // least 1); in (0, 16]. 1 reproduces the documented sizes.
  double width_scale = 1.0;
  uint64_t seed = 1;     // weight initialization
};

// The request that builds `arch` exactly as the study shaped it.
Result<ModelRequest> default_request(const std::string& arch);

struct ZooModel {
  Graph graph;
  // Human-readable notes on each way the family was fitted to the input
  // shape (a pooling axis skipped, a kernel shortened); empty when the
  // family's structure applies unchanged.
  std::vector<std::string> adaptations;
};

// Builds the float graph. Errors (never aborts): unknown architecture,
// invalid shape / outputs / scale, a softmax head with one output, or an
// input the family cannot host (the message says why, e.g. a flatten so
// large that the first dense layer would exceed the weight limit).
Result<ZooModel> build_model(const ModelRequest& request);

}  // namespace quantlab::zoo
