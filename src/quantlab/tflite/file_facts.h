// Layout facts of a .tflite file that the graph IR deliberately does not keep:
// the operator-code table, where each buffer's bytes sit, and which options
// table each operator stores. `inspect` shows them and tests use them to check
// the writer's output format without reading flatbuffers themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"

namespace quantlab {

struct TfliteFileFacts {
  struct OperatorCode {
    int32_t deprecated_builtin_code = 0;  // the byte-sized field, as stored
    int32_t builtin_code = 0;             // the 32-bit field, as stored
    std::string custom_code;
    int32_t version = 1;
  };
  struct Buffer {
    uint64_t offset = 0;  // byte offset of the data in the file; 0 when empty
    uint64_t size = 0;    // data bytes
  };
  struct Operator {
    uint32_t opcode_index = 0;
    uint8_t options_type = 0;      // BuiltinOptions tag, 0 = none
    bool has_options_table = false;
  };
  uint32_t schema_version = 0;
  std::vector<OperatorCode> operator_codes;
  std::vector<Buffer> buffers;
  std::vector<Operator> operators;  // first subgraph, in stored order
  size_t num_subgraphs = 0;
};

// Verifies the flatbuffer and collects the facts; errors start with `source`.
Result<TfliteFileFacts> read_tflite_file_facts(const uint8_t* data, size_t size, const std::string& source);

}  // namespace quantlab
