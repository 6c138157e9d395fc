#include "support/tiny_tflite.h"

#include <flatbuffers/flatbuffers.h>

namespace quantlab::test_support {
namespace {

// vtable slot of field id `id`: the vtable starts with its own size and the
// table size (two uint16), then one uint16 per field.
constexpr flatbuffers::voffset_t slot(int id) { return static_cast<flatbuffers::voffset_t>(4 + 2 * id); }

}  // namespace

std::vector<uint8_t> build_tiny_relu_model(const TinyReluSpec& spec) {
  flatbuffers::FlatBufferBuilder fbb;
  using flatbuffers::Offset;
  using flatbuffers::uoffset_t;

  // Buffer {} x3
  std::vector<Offset<void>> buffers;
  for (int i = 0; i < 3; ++i) buffers.push_back(Offset<void>(fbb.EndTable(fbb.StartTable())));
  auto buffer_vector = fbb.CreateVector(buffers);

  // Tensor { shape:0, type:1, buffer:2, name:3 }
  auto make_tensor = [&](const char* name, int8_t type, uint32_t buffer) {
    const std::vector<int32_t> shape{1, 4};
    auto shape_vec = fbb.CreateVector(shape);
    auto name_str = fbb.CreateString(name);
    const uoffset_t start = fbb.StartTable();
    fbb.AddOffset(slot(0), shape_vec);
    fbb.AddElement<int8_t>(slot(1), type, -1);
    fbb.AddElement<uint32_t>(slot(2), buffer, 0xffffffffu);
    fbb.AddOffset(slot(3), name_str);
    return Offset<void>(fbb.EndTable(start));
  };

  std::vector<Offset<void>> subgraphs;
  for (int s = 0; s < spec.num_subgraphs; ++s) {
    std::vector<Offset<void>> tensors{make_tensor("in", spec.input_type, spec.input_buffer),
                                      make_tensor("out", 0, 0)};
    auto tensor_vector = fbb.CreateVector(tensors);
    // Operator { opcode_index:0, inputs:1, outputs:2 }
    const std::vector<int32_t> op_in{0}, op_out{spec.output_tensor};
    auto in_vec = fbb.CreateVector(op_in);
    auto out_vec = fbb.CreateVector(op_out);
    const uoffset_t op_start = fbb.StartTable();
    fbb.AddElement<uint32_t>(slot(0), spec.opcode_index, 0xffffffffu);
    fbb.AddOffset(slot(1), in_vec);
    fbb.AddOffset(slot(2), out_vec);
    std::vector<Offset<void>> ops{Offset<void>(fbb.EndTable(op_start))};
    auto op_vector = fbb.CreateVector(ops);
    // SubGraph { tensors:0, inputs:1, outputs:2, operators:3 }
    const std::vector<int32_t> graph_in{0}, graph_out{1};
    auto graph_in_vec = fbb.CreateVector(graph_in);
    auto graph_out_vec = fbb.CreateVector(graph_out);
    const uoffset_t sg_start = fbb.StartTable();
    fbb.AddOffset(slot(0), tensor_vector);
    fbb.AddOffset(slot(1), graph_in_vec);
    fbb.AddOffset(slot(2), graph_out_vec);
    fbb.AddOffset(slot(3), op_vector);
    subgraphs.push_back(Offset<void>(fbb.EndTable(sg_start)));
  }
  auto subgraph_vector = fbb.CreateVector(subgraphs);

  // OperatorCode { deprecated_builtin_code:0, custom_code:1, version:2, builtin_code:3 }; RELU = 19.
  const uoffset_t code_start = fbb.StartTable();
  fbb.AddElement<int32_t>(slot(3), 19, -1);
  fbb.AddElement<int32_t>(slot(2), 1, -1);
  fbb.AddElement<int8_t>(slot(0), 19, -1);
  std::vector<Offset<void>> codes{Offset<void>(fbb.EndTable(code_start))};
  auto code_vector = fbb.CreateVector(codes);

  // Model { version:0, operator_codes:1, subgraphs:2, description:3, buffers:4 }
  auto description = fbb.CreateString("tiny relu");
  const uoffset_t model_start = fbb.StartTable();
  fbb.AddElement<uint32_t>(slot(0), spec.schema_version, 0xffffffffu);
  fbb.AddOffset(slot(1), code_vector);
  fbb.AddOffset(slot(2), subgraph_vector);
  fbb.AddOffset(slot(3), description);
  fbb.AddOffset(slot(4), buffer_vector);
  const Offset<void> model(fbb.EndTable(model_start));
  fbb.Finish(model, "TFL3");
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

}  // namespace quantlab::test_support
