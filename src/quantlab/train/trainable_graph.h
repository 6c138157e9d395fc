// Graph facts and small rewrites that training needs, kept free of libtorch
// so the CLI and other modules can include them.
#pragma once

#include <cstdint>
#include <string>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab::train {

// Adds a zero float bias to every CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED that has none (absent or index -1), so the bias can be
// trained and every runtime accepts the written model. Returns how many
// were added. Precondition: validate(*graph) passes.
int add_missing_biases(Graph* graph);

// Number of values the bridge trains: the elements of every float32
// constant tensor that an op reads as data (shape constants such as a
// reshape target are int32 and not counted).
int64_t trainable_parameter_count(const Graph& graph);

// What the loss of a model with one output reads.
enum class HeadKind : uint8_t {
  kSoftmax,   // output = SOFTMAX(beta * logits): cross-entropy on beta * logits
  kSigmoid,   // output = LOGISTIC(logits): binary cross-entropy on logits
  kNone,      // no head op: the output itself is treated as logits
};
const char* head_kind_name(HeadKind kind);

struct OutputHead {
  HeadKind kind = HeadKind::kNone;
  int32_t output_tensor = -1;  // the model output
  int32_t logits_tensor = -1;  // the head op's input (= output_tensor for kNone)
  float softmax_beta = 1.0f;
  int32_t num_outputs = 0;     // last dimension of the output
};

// Finds the head of a single-output float model. Errors: not exactly one
// output, an output that is not float32, or one of rank 0.
Result<OutputHead> find_output_head(const Graph& graph);

}  // namespace quantlab::train
