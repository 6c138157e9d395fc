// Writing the graph IR as a TensorFlow Lite flatbuffer that real TFLite
// runtimes load: buffer 0 is the empty sentinel, constant data is 16-byte
// aligned, operator codes are deduplicated and fill both the byte-sized
// deprecated code (saturated at 127) and the 32-bit code, and ops are stored
// in topological order (the order runtimes execute them in).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab {

struct TfliteWriteOptions {
  // Refuse graphs that fail validate(). Only tests that need a deliberately
  // malformed file (to exercise the reader's checks) turn this off; the
  // writer still refuses what it cannot encode at all.
  bool validate = true;
};

// The file's bytes. Errors name the tensor or op that cannot be written.
Result<std::vector<uint8_t>> write_tflite(const Graph& g, const TfliteWriteOptions& options = {});

// Writes the file atomically (see write_file_atomic).
Status write_tflite_file(const Graph& g, const std::string& path, const TfliteWriteOptions& options = {});

}  // namespace quantlab
