#include "quantlab/tflite/writer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "quantlab/core/file_io.h"
#include "quantlab/tflite/schema_generated.h"

namespace quantlab {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

tfl::TensorType tensor_type(DType t) {
  switch (t) {
    case DType::kFloat32: return tfl::TensorType::FLOAT32;
    case DType::kFloat16: return tfl::TensorType::FLOAT16;
    case DType::kFloat64: return tfl::TensorType::FLOAT64;
    case DType::kInt8: return tfl::TensorType::INT8;
    case DType::kUInt8: return tfl::TensorType::UINT8;
    case DType::kInt16: return tfl::TensorType::INT16;
    case DType::kUInt16: return tfl::TensorType::UINT16;
    case DType::kInt32: return tfl::TensorType::INT32;
    case DType::kUInt32: return tfl::TensorType::UINT32;
    case DType::kInt64: return tfl::TensorType::INT64;
    case DType::kUInt64: return tfl::TensorType::UINT64;
    case DType::kBool: return tfl::TensorType::BOOL;
    case DType::kString: return tfl::TensorType::STRING;
  }
  return tfl::TensorType::FLOAT32;
}

tfl::ActivationFunctionType activation(Activation a) { return static_cast<tfl::ActivationFunctionType>(a); }
tfl::Padding padding(Padding p) { return p == Padding::kSame ? tfl::Padding::SAME : tfl::Padding::VALID; }

struct WrittenOptions {
  tfl::BuiltinOptions type = tfl::BuiltinOptions::NONE;
  Offset<void> table;
};

template <typename T>
WrittenOptions written(tfl::BuiltinOptions type, Offset<T> table) {
  return {type, table.Union()};
}

// An options table for an op outside the op set, rebuilt from its scalar
// fields. Defaults are forced so that every recorded field is stored, even
// one whose bytes happen to equal the schema default.
Result<Offset<void>> write_scalar_fields(FlatBufferBuilder& fbb, const OpaqueOptions& o, const std::string& op) {
  std::vector<const OpaqueOptions::Field*> fields;
  for (const auto& f : o.fields) fields.push_back(&f);
  // Largest first, as builders lay tables out, so no field needs padding.
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto* a, const auto* b) { return a->bytes.size() > b->bytes.size(); });
  fbb.ForceDefaults(true);
  const auto start = fbb.StartTable();
  for (const auto* f : fields) {
    const auto slot = static_cast<flatbuffers::voffset_t>(4 + 2 * f->slot);
    switch (f->bytes.size()) {
      case 1: fbb.AddElement<uint8_t>(slot, f->bytes[0]); break;
      case 2: {
        uint16_t v;
        std::memcpy(&v, f->bytes.data(), 2);
        fbb.AddElement<uint16_t>(slot, flatbuffers::EndianScalar(v));
        break;
      }
      case 4: {
        uint32_t v;
        std::memcpy(&v, f->bytes.data(), 4);
        fbb.AddElement<uint32_t>(slot, flatbuffers::EndianScalar(v));
        break;
      }
      case 8: {
        uint64_t v;
        std::memcpy(&v, f->bytes.data(), 8);
        fbb.AddElement<uint64_t>(slot, flatbuffers::EndianScalar(v));
        break;
      }
      default:
        fbb.ForceDefaults(false);
        return invalid_argument(op + ": options field " + std::to_string(f->slot) + " has " +
                                std::to_string(f->bytes.size()) + " bytes; a scalar has 1, 2, 4 or 8");
    }
  }
  const auto end = fbb.EndTable(start);
  fbb.ForceDefaults(false);
  return Offset<void>(end);
}

Result<WrittenOptions> write_options(FlatBufferBuilder& fbb, const Op& op, const std::string& label) {
  using BO = tfl::BuiltinOptions;
  switch (op.kind) {
    case OpKind::kAdd: {
      const auto& o = op.opts<AddOptions>();
      return written(BO::AddOptions, tfl::CreateAddOptions(fbb, activation(o.activation), o.pot_scale_int16));
    }
    case OpKind::kMul: {
      const auto& o = op.opts<MulOptions>();
      return written(BO::MulOptions, tfl::CreateMulOptions(fbb, activation(o.activation)));
    }
    case OpKind::kConcatenation: {
      const auto& o = op.opts<ConcatenationOptions>();
      return written(BO::ConcatenationOptions,
                     tfl::CreateConcatenationOptions(fbb, o.axis, activation(o.activation)));
    }
    case OpKind::kConv2D: {
      const auto& o = op.opts<Conv2DOptions>();
      return written(BO::Conv2DOptions,
                     tfl::CreateConv2DOptions(fbb, padding(o.padding), o.stride_w, o.stride_h,
                                              activation(o.activation), o.dilation_w, o.dilation_h));
    }
    case OpKind::kDepthwiseConv2D: {
      const auto& o = op.opts<DepthwiseConv2DOptions>();
      return written(BO::DepthwiseConv2DOptions,
                     tfl::CreateDepthwiseConv2DOptions(fbb, padding(o.padding), o.stride_w, o.stride_h,
                                                       o.depth_multiplier, activation(o.activation), o.dilation_w,
                                                       o.dilation_h));
    }
    case OpKind::kAveragePool2D:
    case OpKind::kMaxPool2D: {
      const auto& o = op.opts<Pool2DOptions>();
      return written(BO::Pool2DOptions, tfl::CreatePool2DOptions(fbb, padding(o.padding), o.stride_w, o.stride_h,
                                                                 o.filter_w, o.filter_h, activation(o.activation)));
    }
    case OpKind::kFullyConnected: {
      const auto& o = op.opts<FullyConnectedOptions>();
      return written(BO::FullyConnectedOptions,
                     tfl::CreateFullyConnectedOptions(fbb, activation(o.activation),
                                                      tfl::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                                      o.keep_num_dims, o.asymmetric_quantize_inputs));
    }
    case OpKind::kReshape: {
      const auto& o = op.opts<ReshapeOptions>();
      if (!o.has_new_shape) return WrittenOptions{};
      return written(BO::ReshapeOptions, tfl::CreateReshapeOptions(fbb, fbb.CreateVector(o.new_shape)));
    }
    case OpKind::kSoftmax:
      return written(BO::SoftmaxOptions, tfl::CreateSoftmaxOptions(fbb, op.opts<SoftmaxOptions>().beta));
    case OpKind::kMean:
      return written(BO::ReducerOptions, tfl::CreateReducerOptions(fbb, op.opts<ReducerOptions>().keep_dims));
    case OpKind::kSqueeze:
      return written(BO::SqueezeOptions,
                     tfl::CreateSqueezeOptions(fbb, fbb.CreateVector(op.opts<SqueezeOptions>().squeeze_dims)));
    case OpKind::kBatchMatMul: {
      const auto& o = op.opts<BatchMatMulOptions>();
      return written(BO::BatchMatMulOptions,
                     tfl::CreateBatchMatMulOptions(fbb, o.adj_x, o.adj_y, o.asymmetric_quantize_inputs));
    }
    // Converters write an empty table for these four and none for the
    // activation ops. Runtimes accept either; doing the same keeps a written
    // file shaped like a converted one, which is what every runtime is tested on.
    case OpKind::kPad: return written(BO::PadOptions, tfl::CreatePadOptions(fbb));
    case OpKind::kTranspose: return written(BO::TransposeOptions, tfl::CreateTransposeOptions(fbb));
    case OpKind::kQuantize: return written(BO::QuantizeOptions, tfl::CreateQuantizeOptions(fbb));
    case OpKind::kDequantize: return written(BO::DequantizeOptions, tfl::CreateDequantizeOptions(fbb));
    case OpKind::kLogistic:
    case OpKind::kRelu:
    case OpKind::kRelu6:
      return WrittenOptions{};
    case OpKind::kOpaque: {
      const auto& o = op.opts<OpaqueOptions>();
      if (o.options_type == 0) return WrittenOptions{};
      QL_ASSIGN_OR_RETURN(Offset<void> table, write_scalar_fields(fbb, o, label));
      return WrittenOptions{static_cast<BO>(o.options_type), table};
    }
  }
  return internal_error(label + ": no options writer for this kind");
}

// Deduplicated operator codes: one entry per (builtin code, custom code, version).
class OperatorCodeTable {
 public:
  uint32_t index_of(int32_t code, const std::string& custom, int32_t version) {
    auto key = std::make_tuple(code, custom, version);
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    const auto i = static_cast<uint32_t>(entries_.size());
    entries_.push_back(key);
    index_.emplace(key, i);
    return i;
  }

  Offset<flatbuffers::Vector<Offset<tfl::OperatorCode>>> write(FlatBufferBuilder& fbb) const {
    std::vector<Offset<tfl::OperatorCode>> codes;
    for (const auto& [code, custom, version] : entries_) {
      // The byte-sized field saturates at 127, which readers treat as "look
      // at the 32-bit field"; both are filled so old and new readers agree.
      const auto small = static_cast<int8_t>(std::min<int32_t>(code, 127));
      codes.push_back(tfl::CreateOperatorCode(fbb, small, custom.empty() ? 0 : fbb.CreateString(custom), version,
                                              static_cast<tfl::BuiltinOperator>(code)));
    }
    return fbb.CreateVector(codes);
  }

 private:
  using Key = std::tuple<int32_t, std::string, int32_t>;
  std::vector<Key> entries_;
  std::map<Key, uint32_t> index_;
};

int32_t builtin_code_of(const Op& op) {
  if (op.kind == OpKind::kOpaque) return op.opts<OpaqueOptions>().builtin_code;
  return op_kind_info(op.kind).builtin_code;
}

Offset<tfl::QuantizationParameters> write_quantization(FlatBufferBuilder& fbb, const QuantParams& q) {
  if (q.scale.empty() && q.zero_point.empty() && q.min.empty() && q.max.empty()) return 0;
  auto vec_or_null = [&](const auto& v) { return v.empty() ? 0 : fbb.CreateVector(v); };
  auto min = vec_or_null(q.min);
  auto max = vec_or_null(q.max);
  auto scale = vec_or_null(q.scale);
  auto zero_point = vec_or_null(q.zero_point);
  return tfl::CreateQuantizationParameters(fbb, min, max, scale, zero_point, tfl::QuantizationDetails::NONE, 0,
                                           q.axis);
}

}  // namespace

Result<std::vector<uint8_t>> write_tflite(const Graph& g, const TfliteWriteOptions& options) {
  if (options.validate) QL_RETURN_IF_ERROR(validate(g).with_context("writing TFLite"));

  size_t constant_bytes = 0;
  for (const auto& b : g.buffers) constant_bytes += b.size() + 16;
  for (const auto& m : g.metadata) constant_bytes += m.data.size() + 16;
  // A flatbuffer addresses itself with 32-bit offsets, so the whole file must
  // stay under 2 GB; the builder would abort past that, so refuse up front.
  // The margin covers the tables, which take far less than 1 KB per tensor.
  const uint64_t estimate = uint64_t{constant_bytes} + 1024 * (uint64_t{g.tensors.size()} + g.ops.size() + 1);
  if (estimate >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return resource_exhausted("writing TFLite: the model needs about " + std::to_string(estimate) +
                              " bytes, over the 2 GB limit of a TFLite flatbuffer");
  FlatBufferBuilder fbb(1024 + constant_bytes + 256 * g.tensors.size());

  // Buffers: the empty sentinel, then each graph buffer some tensor uses, in
  // order of first use, then one per metadata entry.
  std::vector<Offset<tfl::Buffer>> buffers{tfl::CreateBuffer(fbb)};
  std::vector<int32_t> file_buffer(g.buffers.size(), 0);
  for (size_t ti = 0; ti < g.tensors.size(); ++ti) {
    const int32_t b = g.tensors[ti].buffer;
    if (b < 0) continue;
    if (b >= static_cast<int32_t>(g.buffers.size()))
      return invalid_argument("writing TFLite: " + describe_tensor(g, static_cast<int32_t>(ti)) +
                              " refers to buffer " + std::to_string(b) + " of " + std::to_string(g.buffers.size()));
    if (file_buffer[b] != 0 || g.buffers[b].empty()) continue;
    // Runtimes map weights in place; 16 bytes suits every SIMD load they use.
    fbb.ForceVectorAlignment(g.buffers[b].size(), 1, 16);
    auto data = fbb.CreateVector(g.buffers[b]);
    file_buffer[b] = static_cast<int32_t>(buffers.size());
    buffers.push_back(tfl::CreateBuffer(fbb, data));
  }
  std::vector<Offset<tfl::Metadata>> metadata;
  for (const Metadata& m : g.metadata) {
    fbb.ForceVectorAlignment(m.data.size(), 1, 16);
    auto data = fbb.CreateVector(m.data);
    const auto index = static_cast<uint32_t>(buffers.size());
    buffers.push_back(tfl::CreateBuffer(fbb, data));
    metadata.push_back(tfl::CreateMetadata(fbb, fbb.CreateString(m.name), index));
  }

  std::vector<Offset<tfl::Tensor>> tensors;
  for (const Tensor& t : g.tensors) {
    auto shape = fbb.CreateVector(t.shape);
    auto name = fbb.CreateString(t.name);
    auto quant = write_quantization(fbb, t.quant);
    auto signature = t.shape_signature.empty() ? 0 : fbb.CreateVector(t.shape_signature);
    const uint32_t buffer = t.buffer >= 0 ? static_cast<uint32_t>(file_buffer[t.buffer]) : 0;
    tensors.push_back(tfl::CreateTensor(fbb, shape, tensor_type(t.dtype), buffer, name, quant, t.is_variable, 0,
                                        signature));
  }

  // Runtimes execute ops in stored order, so store them in dependency order.
  std::vector<int32_t> order;
  auto topo = topological_order(g);
  if (topo.ok()) {
    order = std::move(topo).value();
  } else {
    for (size_t i = 0; i < g.ops.size(); ++i) order.push_back(static_cast<int32_t>(i));
  }
  OperatorCodeTable codes;
  std::vector<Offset<tfl::Operator>> operators;
  for (int32_t oi : order) {
    const Op& op = g.ops[oi];
    const std::string label = "writing TFLite: " + describe_op(g, oi);
    const std::string custom = op.kind == OpKind::kOpaque ? op.opts<OpaqueOptions>().custom_code : std::string();
    const uint32_t opcode = codes.index_of(builtin_code_of(op), custom, op.version);
    QL_ASSIGN_OR_RETURN(WrittenOptions opts, write_options(fbb, op, label));
    auto inputs = fbb.CreateVector(op.inputs);
    auto outputs = fbb.CreateVector(op.outputs);
    Offset<flatbuffers::Vector<uint8_t>> custom_options = 0;
    if (op.kind == OpKind::kOpaque && !op.opts<OpaqueOptions>().custom_options.empty())
      custom_options = fbb.CreateVector(op.opts<OpaqueOptions>().custom_options);
    operators.push_back(tfl::CreateOperator(fbb, opcode, inputs, outputs, opts.type, opts.table, custom_options));
  }

  auto subgraph = tfl::CreateSubGraph(fbb, fbb.CreateVector(tensors), fbb.CreateVector(g.inputs),
                                      fbb.CreateVector(g.outputs), fbb.CreateVector(operators),
                                      fbb.CreateString(g.name));
  std::vector<Offset<tfl::SignatureDef>> signatures;
  for (const SignatureDef& s : g.signatures) {
    auto maps = [&](const std::vector<std::pair<std::string, int32_t>>& list) {
      std::vector<Offset<tfl::TensorMap>> out;
      for (const auto& [name, index] : list)
        out.push_back(tfl::CreateTensorMap(fbb, fbb.CreateString(name), static_cast<uint32_t>(index)));
      return fbb.CreateVector(out);
    };
    auto inputs = maps(s.inputs);
    auto outputs = maps(s.outputs);
    signatures.push_back(tfl::CreateSignatureDef(fbb, inputs, outputs, fbb.CreateString(s.key), 0));
  }

  auto operator_codes = codes.write(fbb);
  auto subgraphs = fbb.CreateVector(&subgraph, 1);
  auto description = fbb.CreateString(g.description);
  auto buffer_vector = fbb.CreateVector(buffers);
  auto metadata_vector = metadata.empty() ? 0 : fbb.CreateVector(metadata);
  auto signature_vector = signatures.empty() ? 0 : fbb.CreateVector(signatures);
  auto model = tfl::CreateModel(fbb, g.schema_version, operator_codes, subgraphs, description, buffer_vector, 0,
                                metadata_vector, signature_vector);
  tfl::FinishModelBuffer(fbb, model);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

Status write_tflite_file(const Graph& g, const std::string& path, const TfliteWriteOptions& options) {
  QL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, write_tflite(g, options));
  return write_file_atomic(path, bytes);
}

}  // namespace quantlab
