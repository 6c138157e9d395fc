// Builds minimal .tflite flatbuffers field by field, without the project's
// reader or writer, so reader tests can plant exactly one defect (a bad index,
// an unknown type code) in an otherwise valid file. Field ids follow the
// TFLite schema's declaration order.
#pragma once

#include <cstdint>
#include <vector>

namespace quantlab::test_support {

// A model with one RELU op reading a FLOAT32 [1, 4] input (tensor 0) and
// writing a [1, 4] output (tensor 1); three buffers, all empty.
struct TinyReluSpec {
  int8_t input_type = 0;         // TensorType code of the input tensor
  uint32_t input_buffer = 0;     // buffer index of the input tensor
  uint32_t opcode_index = 0;     // the op's index into operator_codes (one code)
  int32_t output_tensor = 1;     // the op's output tensor index
  int num_subgraphs = 1;         // copies of the subgraph
  uint32_t schema_version = 3;
};

std::vector<uint8_t> build_tiny_relu_model(const TinyReluSpec& spec);

}  // namespace quantlab::test_support
