#include "quantlab/tflite/file_facts.h"

#include "quantlab/tflite/schema_generated.h"

namespace quantlab {

Result<TfliteFileFacts> read_tflite_file_facts(const uint8_t* data, size_t size, const std::string& source) {
  if (data == nullptr || size < 8 || size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return invalid_argument(source + ": " + std::to_string(size) + " bytes is not a readable TFLite file size");
  flatbuffers::Verifier verifier(data, size);
  if (!tfl::VerifyModelBuffer(verifier))
    return invalid_argument(source + ": not a valid TFLite flatbuffer");
  const tfl::Model* model = tfl::GetModel(data);
  TfliteFileFacts facts;
  facts.schema_version = model->version();
  if (model->operator_codes()) {
    for (const tfl::OperatorCode* c : *model->operator_codes()) {
      TfliteFileFacts::OperatorCode code;
      code.deprecated_builtin_code = c->deprecated_builtin_code();
      code.builtin_code = static_cast<int32_t>(c->builtin_code());
      code.custom_code = c->custom_code() ? c->custom_code()->str() : std::string();
      code.version = c->version();
      facts.operator_codes.push_back(std::move(code));
    }
  }
  if (model->buffers()) {
    for (const tfl::Buffer* b : *model->buffers()) {
      TfliteFileFacts::Buffer buffer;
      if (b->offset() > 1) {
        buffer.offset = b->offset();
        buffer.size = b->size();
      } else if (b->data() && b->data()->size() > 0) {
        buffer.offset = static_cast<uint64_t>(b->data()->data() - data);
        buffer.size = b->data()->size();
      }
      facts.buffers.push_back(buffer);
    }
  }
  facts.num_subgraphs = model->subgraphs() ? model->subgraphs()->size() : 0;
  if (facts.num_subgraphs > 0 && model->subgraphs()->Get(0)->operators()) {
    for (const tfl::Operator* o : *model->subgraphs()->Get(0)->operators()) {
      TfliteFileFacts::Operator op;
      op.opcode_index = o->opcode_index();
      op.options_type = static_cast<uint8_t>(o->builtin_options_type());
      op.has_options_table = o->builtin_options() != nullptr;
      facts.operators.push_back(op);
    }
  }
  return facts;
}

}  // namespace quantlab
