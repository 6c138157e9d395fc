#include "quantlab/tflite/reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <vector>

#include "quantlab/core/file_io.h"
#include "quantlab/tflite/builtin_names.h"
#include "quantlab/tflite/schema_generated.h"

namespace quantlab {
namespace {

// What every part of the reader needs to know about the file.
struct FileView {
  const uint8_t* data;
  size_t size;
  const tfl::Model* model;
};

struct OperatorCodeInfo {
  int32_t code = 0;
  std::string custom_code;
  int32_t version = 1;
};

std::string string_or_empty(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

std::string tensor_label(int32_t index, const std::string& name) {
  std::string s = "tensor " + std::to_string(index);
  if (!name.empty()) s += " '" + name + "'";
  return s;
}

// The verifier checks a vector's length field for 4-byte alignment but not
// its elements, so the 8-byte elements of a malformed file (int64 zero
// points) may sit at an address that is 4 mod 8. Copying the bytes reads
// them at any alignment; flatbuffers scalars are little-endian, as on every
// host quantlab builds for.
template <typename T>
std::vector<T> copy_vector(const flatbuffers::Vector<T>* v) {
  static_assert(std::is_arithmetic_v<T>, "copy_vector copies scalars");
  static_assert(FLATBUFFERS_LITTLEENDIAN, "flatbuffers scalars are copied as they are stored");
  if (v == nullptr || v->size() == 0) return {};
  std::vector<T> out(v->size());
  std::memcpy(out.data(), v->Data(), out.size() * sizeof(T));
  return out;
}

// The bytes of file buffer `index`: inline data, or a range after the
// flatbuffer for models that keep their weights outside it. `size` is 0 for
// the empty sentinel and for buffers without bytes.
struct BufferBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

Result<BufferBytes> buffer_bytes(const FileView& file, uint32_t index, const std::string& user) {
  const auto* buffers = file.model->buffers();
  const uint32_t count = buffers ? buffers->size() : 0;
  if (index >= count)
    return invalid_argument(user + " refers to buffer " + std::to_string(index) + ", but the file has " +
                            std::to_string(count) + " buffers");
  const tfl::Buffer* buffer = buffers->Get(index);
  BufferBytes bytes;
  if (buffer == nullptr) return bytes;
  // Offsets 0 and 1 are how the format says "no external data".
  if (buffer->offset() > 1) {
    const uint64_t offset = buffer->offset(), size = buffer->size();
    if (offset > file.size || size > file.size - offset)
      return invalid_argument("buffer " + std::to_string(index) + " (used by " + user + ") spans bytes " +
                              std::to_string(offset) + ".." + std::to_string(offset + size) + " of a " +
                              std::to_string(file.size) + "-byte file");
    bytes.data = file.data + offset;
    bytes.size = static_cast<size_t>(size);
  } else if (buffer->data() != nullptr) {
    bytes.data = buffer->data()->data();
    bytes.size = buffer->data()->size();
  }
  return bytes;
}

Result<DType> dtype_from_file(tfl::TensorType type, const std::string& tensor) {
  switch (type) {
    case tfl::TensorType::FLOAT32: return DType::kFloat32;
    case tfl::TensorType::FLOAT16: return DType::kFloat16;
    case tfl::TensorType::FLOAT64: return DType::kFloat64;
    case tfl::TensorType::INT8: return DType::kInt8;
    case tfl::TensorType::UINT8: return DType::kUInt8;
    case tfl::TensorType::INT16: return DType::kInt16;
    case tfl::TensorType::UINT16: return DType::kUInt16;
    case tfl::TensorType::INT32: return DType::kInt32;
    case tfl::TensorType::UINT32: return DType::kUInt32;
    case tfl::TensorType::INT64: return DType::kInt64;
    case tfl::TensorType::UINT64: return DType::kUInt64;
    case tfl::TensorType::BOOL: return DType::kBool;
    case tfl::TensorType::STRING: return DType::kString;
    default: break;
  }
  const int code = static_cast<int>(type);
  const char* name = tfl::EnumNameTensorType(type);
  if (name == nullptr || *name == '\0')
    return invalid_argument(tensor + " has tensor type code " + std::to_string(code) + ", which is not a TFLite type");
  return unsupported(tensor + " has type " + name + " (" + std::to_string(code) + "), which quantlab does not support");
}

Status read_quantization(const tfl::QuantizationParameters* q, const std::string& label, Tensor& t) {
  if (q == nullptr) return Status::Ok();
  if (q->details_type() != tfl::QuantizationDetails::NONE)
    return unsupported(label + " uses " + tfl::EnumNameQuantizationDetails(q->details_type()) +
                       " quantization, which quantlab does not support");
  t.quant.scale = copy_vector(q->scale());
  t.quant.zero_point = copy_vector(q->zero_point());
  t.quant.min = copy_vector(q->min());
  t.quant.max = copy_vector(q->max());
  t.quant.axis = q->quantized_dimension();
  for (size_t i = 0; i < t.quant.scale.size(); ++i) {
    const float s = t.quant.scale[i];
    if (!std::isfinite(s) || s <= 0.0f)
      return invalid_argument(label + ": scale[" + std::to_string(i) + "] = " + std::to_string(s) +
                              "; scales must be finite and positive");
  }
  const int32_t rank = static_cast<int32_t>(t.shape.size());
  if (t.quant.scale.size() > 1 && rank == 1 && (t.quant.axis < 0 || t.quant.axis >= rank) &&
      static_cast<int64_t>(t.quant.scale.size()) == t.shape[0])
    t.quant.axis = 0;
  return Status::Ok();
}

// Maps file buffers to Graph::buffers, so tensors that share a file buffer
// share the graph's copy.
class BufferMapper {
 public:
  explicit BufferMapper(const FileView& file) : file_(file) {
    const auto* buffers = file.model->buffers();
    graph_index_.assign(buffers ? buffers->size() : 0, -1);
  }

  Status map_tensor(int32_t tensor_index, uint32_t file_buffer, Graph& g) {
    Tensor& t = g.tensors[tensor_index];
    const std::string label = tensor_label(tensor_index, t.name);
    QL_ASSIGN_OR_RETURN(BufferBytes bytes, buffer_bytes(file_, file_buffer, label));
    if (file_buffer == 0 || bytes.size == 0) return Status::Ok();
    if (t.dtype != DType::kString) {
      auto count = checked_num_elements(t.shape);
      if (!count.ok()) return count.status().with_context(label);
      const uint64_t want = static_cast<uint64_t>(*count) * dtype_size(t.dtype);
      if (bytes.size != want)
        return invalid_argument(label + " of shape " + shape_to_string(t.shape) + " and type " + dtype_name(t.dtype) +
                                " needs " + std::to_string(want) + " bytes but buffer " + std::to_string(file_buffer) +
                                " holds " + std::to_string(bytes.size));
    }
    if (graph_index_[file_buffer] < 0)
      graph_index_[file_buffer] = g.add_buffer(std::vector<uint8_t>(bytes.data, bytes.data + bytes.size));
    t.buffer = graph_index_[file_buffer];
    return Status::Ok();
  }

 private:
  const FileView& file_;
  std::vector<int32_t> graph_index_;
};

Status read_tensor(const tfl::Tensor* ft, int32_t index, BufferMapper& mapper, Graph& g) {
  if (ft == nullptr) return invalid_argument("tensor " + std::to_string(index) + " is missing");
  Tensor t;
  t.name = string_or_empty(ft->name());
  const std::string label = tensor_label(index, t.name);
  QL_ASSIGN_OR_RETURN(t.dtype, dtype_from_file(ft->type(), label));
  if (ft->sparsity() != nullptr) return unsupported(label + " is stored sparse, which quantlab does not support");
  t.shape = copy_vector(ft->shape());
  t.shape_signature = copy_vector(ft->shape_signature());
  t.is_variable = ft->is_variable();
  QL_RETURN_IF_ERROR(read_quantization(ft->quantization(), label, t));
  g.tensors.push_back(std::move(t));
  return mapper.map_tensor(index, ft->buffer(), g);
}

// ---- Operator options ------------------------------------------------------

Result<Activation> activation_from_file(tfl::ActivationFunctionType a, const std::string& op) {
  const int v = static_cast<int>(a);
  if (v < 0 || v > static_cast<int>(Activation::kSignBit))
    return invalid_argument(op + ": fused activation " + std::to_string(v) + " is not a TFLite activation");
  return static_cast<Activation>(v);
}

Result<Padding> padding_from_file(tfl::Padding p, const std::string& op) {
  switch (p) {
    case tfl::Padding::SAME: return Padding::kSame;
    case tfl::Padding::VALID: return Padding::kValid;
  }
  return invalid_argument(op + ": padding " + std::to_string(static_cast<int>(p)) + " is neither SAME nor VALID");
}

// The options table of the expected type, or nullptr when the operator has
// none (the IR defaults then apply). Another table type is an error.
template <typename Table>
Result<const Table*> expect_options(const tfl::Operator& fo, tfl::BuiltinOptions expected, const std::string& op) {
  const tfl::BuiltinOptions tag = fo.builtin_options_type();
  if (tag == tfl::BuiltinOptions::NONE || fo.builtin_options() == nullptr) return static_cast<const Table*>(nullptr);
  if (tag != expected)
    return invalid_argument(op + " carries " + builtin_options_name(static_cast<uint8_t>(tag)) + " (tag " +
                            std::to_string(static_cast<int>(tag)) + "); expected " +
                            builtin_options_name(static_cast<uint8_t>(expected)));
  return static_cast<const Table*>(fo.builtin_options());
}

Result<OpOptions> read_pool_options(const tfl::Operator& fo, const std::string& op) {
  QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::Pool2DOptions>(fo, tfl::BuiltinOptions::Pool2DOptions, op));
  Pool2DOptions o;
  if (f == nullptr) return OpOptions(o);
  QL_ASSIGN_OR_RETURN(o.padding, padding_from_file(f->padding(), op));
  QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
  o.stride_w = f->stride_w();
  o.stride_h = f->stride_h();
  o.filter_w = f->filter_width();
  o.filter_h = f->filter_height();
  return OpOptions(o);
}

Result<OpOptions> read_typed_options(OpKind kind, const tfl::Operator& fo, const std::string& op) {
  using BO = tfl::BuiltinOptions;
  switch (kind) {
    case OpKind::kAdd: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::AddOptions>(fo, BO::AddOptions, op));
      AddOptions o;
      if (f) {
        QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
        o.pot_scale_int16 = f->pot_scale_int16();
      }
      return OpOptions(o);
    }
    case OpKind::kMul: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::MulOptions>(fo, BO::MulOptions, op));
      MulOptions o;
      if (f) {
        QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
      }
      return OpOptions(o);
    }
    case OpKind::kConcatenation: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::ConcatenationOptions>(fo, BO::ConcatenationOptions, op));
      ConcatenationOptions o;
      if (f) {
        QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
        o.axis = f->axis();
      }
      return OpOptions(o);
    }
    case OpKind::kConv2D: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::Conv2DOptions>(fo, BO::Conv2DOptions, op));
      Conv2DOptions o;
      if (f) {
        QL_ASSIGN_OR_RETURN(o.padding, padding_from_file(f->padding(), op));
        QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
        o.stride_w = f->stride_w();
        o.stride_h = f->stride_h();
        o.dilation_w = f->dilation_w_factor();
        o.dilation_h = f->dilation_h_factor();
      }
      return OpOptions(o);
    }
    case OpKind::kDepthwiseConv2D: {
      QL_ASSIGN_OR_RETURN(const auto* f,
                          expect_options<tfl::DepthwiseConv2DOptions>(fo, BO::DepthwiseConv2DOptions, op));
      DepthwiseConv2DOptions o;
      if (f) {
        QL_ASSIGN_OR_RETURN(o.padding, padding_from_file(f->padding(), op));
        QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
        o.stride_w = f->stride_w();
        o.stride_h = f->stride_h();
        o.depth_multiplier = f->depth_multiplier();
        o.dilation_w = f->dilation_w_factor();
        o.dilation_h = f->dilation_h_factor();
      }
      return OpOptions(o);
    }
    case OpKind::kAveragePool2D:
    case OpKind::kMaxPool2D:
      return read_pool_options(fo, op);
    case OpKind::kFullyConnected: {
      QL_ASSIGN_OR_RETURN(const auto* f,
                          expect_options<tfl::FullyConnectedOptions>(fo, BO::FullyConnectedOptions, op));
      FullyConnectedOptions o;
      if (f) {
        if (f->weights_format() != tfl::FullyConnectedOptionsWeightsFormat::DEFAULT)
          return unsupported(op + " stores its weights in format " +
                             std::to_string(static_cast<int>(f->weights_format())) +
                             " (shuffled); quantlab reads only the default layout");
        QL_ASSIGN_OR_RETURN(o.activation, activation_from_file(f->fused_activation_function(), op));
        o.keep_num_dims = f->keep_num_dims();
        o.asymmetric_quantize_inputs = f->asymmetric_quantize_inputs();
      }
      return OpOptions(o);
    }
    case OpKind::kReshape: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::ReshapeOptions>(fo, BO::ReshapeOptions, op));
      ReshapeOptions o;
      if (f && f->new_shape()) {
        o.has_new_shape = true;
        o.new_shape = copy_vector(f->new_shape());
      }
      return OpOptions(o);
    }
    case OpKind::kSoftmax: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::SoftmaxOptions>(fo, BO::SoftmaxOptions, op));
      SoftmaxOptions o;
      if (f) o.beta = f->beta();
      return OpOptions(o);
    }
    case OpKind::kMean: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::ReducerOptions>(fo, BO::ReducerOptions, op));
      ReducerOptions o;
      if (f) o.keep_dims = f->keep_dims();
      return OpOptions(o);
    }
    case OpKind::kSqueeze: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::SqueezeOptions>(fo, BO::SqueezeOptions, op));
      SqueezeOptions o;
      if (f) o.squeeze_dims = copy_vector(f->squeeze_dims());
      return OpOptions(o);
    }
    case OpKind::kBatchMatMul: {
      QL_ASSIGN_OR_RETURN(const auto* f, expect_options<tfl::BatchMatMulOptions>(fo, BO::BatchMatMulOptions, op));
      BatchMatMulOptions o;
      if (f) {
        o.adj_x = f->adj_x();
        o.adj_y = f->adj_y();
        o.asymmetric_quantize_inputs = f->asymmetric_quantize_inputs();
      }
      return OpOptions(o);
    }
    // These kinds have no options in the IR; their file tables (empty, or
    // absent for the activation ops) carry nothing to read.
    case OpKind::kDequantize:
    case OpKind::kLogistic:
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kPad:
    case OpKind::kTranspose:
    case OpKind::kQuantize:
      return OpOptions(NoOptions{});
    case OpKind::kOpaque:
      break;
  }
  return internal_error(op + ": no options reader for this kind");
}

// The scalar fields of an options table quantlab has no schema for. A field's
// size is not stored in the file, so it is inferred: a field runs until the
// next field or the end of the table, and a builder aligns every scalar to its
// own size, so the size is the largest of 8/4/2/1 bytes that fits in that gap
// and divides the field's position in the file. Padding after a small field
// can make it look larger (a bool read as 4 bytes); the extra bytes are the
// builder's zero padding, and writing them back keeps the first byte, which
// is all a little-endian reader of the real field looks at.
//
// A few options tables outside the op set hold vectors or strings, whose
// stored offsets would be meaningless once copied; they are refused.
Result<std::vector<OpaqueOptions::Field>> read_scalar_fields(const FileView& file, const tfl::Operator& fo,
                                                             const std::string& op) {
  std::vector<OpaqueOptions::Field> fields;
  const auto* table = static_cast<const flatbuffers::Table*>(fo.builtin_options());
  if (table == nullptr) return fields;
  // ConcatEmbeddingsOptions (3), VarHandleOptions (111), BucketizeOptions (115).
  constexpr uint8_t kTagsWithNonScalarFields[] = {3, 111, 115};
  const uint8_t tag = static_cast<uint8_t>(fo.builtin_options_type());
  for (uint8_t t : kTagsWithNonScalarFields)
    if (tag == t)
      return unsupported(op + ": its options table " + builtin_options_name(tag) +
                         " holds vectors or strings, which quantlab cannot carry for ops outside its op set");
  // Tags past the declared union members are not checked by the generated
  // verifier, so the table's header is verified here before it is read.
  flatbuffers::Verifier verifier(file.data, file.size);
  if (!table->VerifyTableStart(verifier))
    return invalid_argument(op + ": its options table is malformed");
  const uint8_t* vtable = table->GetVTable();
  const uint16_t vtable_size = flatbuffers::ReadScalar<uint16_t>(vtable);
  const uint16_t table_size = flatbuffers::ReadScalar<uint16_t>(vtable + 2);
  const uint8_t* table_start = reinterpret_cast<const uint8_t*>(table);
  // VerifyTableStart checks the vtable but not the table's own extent, which
  // the generated verifiers check field by field; the fields are read here
  // without those, so the whole table must lie inside the file.
  const size_t table_offset = static_cast<size_t>(table_start - file.data);
  if (table_size < 4 || table_size > file.size - table_offset)
    return invalid_argument(op + ": its options table claims " + std::to_string(table_size) + " bytes at byte " +
                            std::to_string(table_offset) + " of a " + std::to_string(file.size) + "-byte file");
  struct Slot {
    uint16_t slot, offset;
  };
  std::vector<Slot> present;
  for (uint16_t slot = 0; 4u + 2u * slot + 2u <= vtable_size; ++slot) {
    const uint16_t offset = flatbuffers::ReadScalar<uint16_t>(vtable + 4 + 2 * slot);
    if (offset == 0) continue;
    // Offsets below 4 would overlap the table's own vtable reference.
    if (offset < 4 || offset >= table_size)
      return invalid_argument(op + ": options field " + std::to_string(slot) + " at byte " + std::to_string(offset) +
                              " lies outside its " + std::to_string(table_size) + "-byte table");
    present.push_back({slot, offset});
  }
  std::vector<uint16_t> boundaries;
  for (const Slot& s : present) boundaries.push_back(s.offset);
  boundaries.push_back(table_size);
  std::sort(boundaries.begin(), boundaries.end());
  for (const Slot& s : present) {
    const uint16_t next = *std::upper_bound(boundaries.begin(), boundaries.end(), s.offset);
    const size_t gap = next - s.offset;
    const size_t position = static_cast<size_t>(table_start + s.offset - file.data);
    size_t size = 8;
    while (size > 1 && (size > gap || position % size != 0)) size /= 2;
    OpaqueOptions::Field field;
    field.slot = s.slot;
    field.bytes.assign(table_start + s.offset, table_start + s.offset + size);
    fields.push_back(std::move(field));
  }
  std::sort(fields.begin(), fields.end(),
            [](const OpaqueOptions::Field& a, const OpaqueOptions::Field& b) { return a.slot < b.slot; });
  return fields;
}

Status read_operator(const FileView& file, const tfl::Operator* fo, int32_t index,
                     const std::vector<OperatorCodeInfo>& codes, Graph& g) {
  const std::string at = "op " + std::to_string(index);
  if (fo == nullptr) return invalid_argument(at + " is missing");
  if (fo->opcode_index() >= codes.size())
    return invalid_argument(at + " uses operator code " + std::to_string(fo->opcode_index()) + ", but the file has " +
                            std::to_string(codes.size()) + " operator codes");
  const OperatorCodeInfo& code = codes[fo->opcode_index()];
  const bool is_custom = code.code == static_cast<int32_t>(tfl::BuiltinOperator::CUSTOM);
  const std::string display = is_custom ? code.custom_code : builtin_operator_name(code.code);
  const std::string op = at + " (" + display + ")";

  Op result;
  result.inputs = copy_vector(fo->inputs());
  result.outputs = copy_vector(fo->outputs());
  result.version = code.version;
  if (fo->builtin_options_2_type() != tfl::BuiltinOptions2::NONE)
    return unsupported(op + " carries options of the second options union (tag " +
                       std::to_string(static_cast<int>(fo->builtin_options_2_type())) +
                       "), which quantlab does not read");
  if (fo->intermediates() != nullptr && fo->intermediates()->size() > 0)
    return unsupported(op + " has " + std::to_string(fo->intermediates()->size()) +
                       " intermediate tensors, which quantlab does not keep");
  if (fo->large_custom_options_size() > 0)
    return unsupported(op + " keeps its custom options outside the flatbuffer, which quantlab does not read");

  std::optional<OpKind> kind = is_custom ? std::nullopt : op_kind_from_builtin_code(code.code);
  if (kind) {
    result.kind = *kind;
    QL_ASSIGN_OR_RETURN(result.options, read_typed_options(*kind, *fo, op));
  } else {
    OpaqueOptions o;
    o.name = display;
    o.builtin_code = code.code;
    o.custom_code = code.custom_code;
    o.options_type = static_cast<uint8_t>(fo->builtin_options_type());
    QL_ASSIGN_OR_RETURN(o.fields, read_scalar_fields(file, *fo, op));
    o.custom_options = copy_vector(fo->custom_options());
    result.kind = OpKind::kOpaque;
    result.options = std::move(o);
  }
  g.ops.push_back(std::move(result));
  return Status::Ok();
}

Result<std::vector<OperatorCodeInfo>> read_operator_codes(const tfl::Model& model) {
  std::vector<OperatorCodeInfo> codes;
  if (model.operator_codes() == nullptr) return codes;
  for (uint32_t i = 0; i < model.operator_codes()->size(); ++i) {
    const tfl::OperatorCode* fc = model.operator_codes()->Get(i);
    if (fc == nullptr) return invalid_argument("operator code " + std::to_string(i) + " is missing");
    OperatorCodeInfo info;
    // Older files fill only the byte-sized field; newer ones both, with the
    // byte field saturated at 127 for larger codes, so the larger is right.
    info.code = std::max<int32_t>(fc->deprecated_builtin_code(), static_cast<int32_t>(fc->builtin_code()));
    info.custom_code = string_or_empty(fc->custom_code());
    info.version = fc->version();
    if (info.code < 0)
      return invalid_argument("operator code " + std::to_string(i) + " has negative builtin code " +
                              std::to_string(info.code));
    codes.push_back(std::move(info));
  }
  return codes;
}

Status read_metadata_and_signatures(const FileView& file, Graph& g) {
  const tfl::Model& model = *file.model;
  if (model.metadata()) {
    for (uint32_t i = 0; i < model.metadata()->size(); ++i) {
      const tfl::Metadata* fm = model.metadata()->Get(i);
      Metadata m;
      m.name = string_or_empty(fm->name());
      QL_ASSIGN_OR_RETURN(BufferBytes bytes,
                          buffer_bytes(file, fm->buffer(), "metadata " + std::to_string(i) + " '" + m.name + "'"));
      if (bytes.size) m.data.assign(bytes.data, bytes.data + bytes.size);
      g.metadata.push_back(std::move(m));
    }
  }
  if (model.signature_defs()) {
    const int32_t num_tensors = static_cast<int32_t>(g.tensors.size());
    for (uint32_t i = 0; i < model.signature_defs()->size(); ++i) {
      const tfl::SignatureDef* fs = model.signature_defs()->Get(i);
      SignatureDef s;
      s.key = string_or_empty(fs->signature_key());
      const std::string at = "signature " + std::to_string(i) + " '" + s.key + "'";
      if (fs->subgraph_index() != 0)
        return invalid_argument(at + " refers to subgraph " + std::to_string(fs->subgraph_index()) +
                                ", but the model has one subgraph");
      auto read_maps = [&](const flatbuffers::Vector<flatbuffers::Offset<tfl::TensorMap>>* maps, const char* what,
                           std::vector<std::pair<std::string, int32_t>>& out) -> Status {
        if (maps == nullptr) return Status::Ok();
        for (uint32_t k = 0; k < maps->size(); ++k) {
          const tfl::TensorMap* m = maps->Get(k);
          if (m->tensor_index() >= static_cast<uint32_t>(num_tensors))
            return invalid_argument(at + " " + what + " '" + string_or_empty(m->name()) + "' is tensor " +
                                    std::to_string(m->tensor_index()) + ", outside 0.." +
                                    std::to_string(num_tensors - 1));
          out.emplace_back(string_or_empty(m->name()), static_cast<int32_t>(m->tensor_index()));
        }
        return Status::Ok();
      };
      QL_RETURN_IF_ERROR(read_maps(fs->inputs(), "input", s.inputs));
      QL_RETURN_IF_ERROR(read_maps(fs->outputs(), "output", s.outputs));
      g.signatures.push_back(std::move(s));
    }
  }
  return Status::Ok();
}

Result<Graph> read_verified(const FileView& file) {
  const tfl::Model& model = *file.model;
  Graph g;
  g.schema_version = model.version();
  if (g.schema_version != 3)
    return unsupported("schema version " + std::to_string(g.schema_version) + "; quantlab reads version 3");
  g.description = string_or_empty(model.description());
  const uint32_t num_subgraphs = model.subgraphs() ? model.subgraphs()->size() : 0;
  if (num_subgraphs == 0) return invalid_argument("the model has no subgraph");
  if (num_subgraphs > 1)
    return unsupported("the model has " + std::to_string(num_subgraphs) +
                       " subgraphs; quantlab supports single-subgraph models only");
  const tfl::SubGraph* sg = model.subgraphs()->Get(0);
  g.name = string_or_empty(sg->name());

  BufferMapper mapper(file);
  if (sg->tensors()) {
    for (uint32_t i = 0; i < sg->tensors()->size(); ++i)
      QL_RETURN_IF_ERROR(read_tensor(sg->tensors()->Get(i), static_cast<int32_t>(i), mapper, g));
  }
  g.inputs = copy_vector(sg->inputs());
  g.outputs = copy_vector(sg->outputs());

  QL_ASSIGN_OR_RETURN(std::vector<OperatorCodeInfo> codes, read_operator_codes(model));
  if (sg->operators()) {
    for (uint32_t i = 0; i < sg->operators()->size(); ++i)
      QL_RETURN_IF_ERROR(read_operator(file, sg->operators()->Get(i), static_cast<int32_t>(i), codes, g));
  }
  QL_RETURN_IF_ERROR(read_metadata_and_signatures(file, g));
  QL_RETURN_IF_ERROR(validate(g));
  return g;
}

}  // namespace

Result<Graph> read_tflite(const uint8_t* data, size_t size, const std::string& source) {
  // The verifier checks that every scalar is aligned to its size, relative to
  // the start of memory, so data at an odd address is read from a copy.
  if (data != nullptr && reinterpret_cast<uintptr_t>(data) % 16 != 0) {
    std::vector<uint8_t> aligned(data, data + size);
    return read_tflite(aligned.data(), aligned.size(), source);
  }
  // 8 bytes: the root offset and the file identifier.
  if (data == nullptr || size < 8)
    return invalid_argument(source + ": " + std::to_string(size) +
                            " bytes is too short to be a TFLite model (truncated file?)");
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return unsupported(source + ": " + std::to_string(size) + " bytes exceeds the 2 GB flatbuffer limit");
  flatbuffers::Verifier verifier(data, size);
  if (!verifier.VerifyBuffer<tfl::Model>(nullptr))
    return invalid_argument(source + ": not a valid TFLite flatbuffer (" + std::to_string(size) +
                            " bytes; truncated or corrupt)");
  if (!tfl::ModelBufferHasIdentifier(data)) {
    std::string found;
    for (int i = 4; i < 8; ++i) {
      const char c = static_cast<char>(data[i]);
      if (c >= 32 && c < 127) {
        found += c;
      } else {
        char escaped[8];
        std::snprintf(escaped, sizeof(escaped), "\\x%02x", data[i]);
        found += escaped;
      }
    }
    return invalid_argument(source + ": file identifier is '" + found + "', expected '" +
                            tfl::ModelIdentifier() + "' (not a TFLite model)");
  }
  FileView file{data, size, tfl::GetModel(data)};
  Result<Graph> graph = read_verified(file);
  if (!graph.ok()) return graph.status().with_context(source);
  return graph;
}

Result<Graph> read_tflite_file(const std::string& path) {
  QL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file(path));
  return read_tflite(bytes.data(), bytes.size(), path);
}

}  // namespace quantlab
