#include "quantlab/ir/analysis.h"

#include <cstdio>
#include <set>

namespace quantlab {
namespace {

const Shape* shape_of(const Graph& g, int32_t t) {
  if (t < 0 || t >= static_cast<int32_t>(g.tensors.size())) return nullptr;
  return &g.tensors[t].shape;
}

// Element count of a shape, 0 when any dimension is unknown (negative).
int64_t element_count(const Shape& s) {
  int64_t n = 1;
  for (int32_t d : s) {
    if (d < 0) return 0;
    n *= d;
  }
  return n;
}

std::string float_text(float v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}

std::string ints_text(const std::vector<int32_t>& v) { return shape_to_string(v); }

std::string bool_text(bool b) { return b ? "true" : "false"; }

std::string hex_bytes(const std::vector<uint8_t>& bytes) {
  std::string s = "0x";
  char buf[3];
  // Little-endian bytes, printed most significant first so they read as a number.
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    std::snprintf(buf, sizeof(buf), "%02x", *it);
    s += buf;
  }
  return s;
}

}  // namespace

int64_t op_macs(const Graph& g, const Op& op) {
  if (op.outputs.empty()) return 0;
  const Shape* out = shape_of(g, op.outputs[0]);
  if (out == nullptr) return 0;
  const int64_t out_elements = element_count(*out);
  switch (op.kind) {
    case OpKind::kConv2D: {
      const Shape* filter = shape_of(g, op.input(1));
      if (filter == nullptr || filter->size() != 4) return 0;
      return out_elements * element_count({(*filter)[1], (*filter)[2], (*filter)[3]});
    }
    case OpKind::kDepthwiseConv2D: {
      const Shape* filter = shape_of(g, op.input(1));
      if (filter == nullptr || filter->size() != 4) return 0;
      return out_elements * element_count({(*filter)[1], (*filter)[2]});
    }
    case OpKind::kFullyConnected: {
      const Shape* weights = shape_of(g, op.input(1));
      if (weights == nullptr || weights->size() != 2 || (*weights)[1] < 0) return 0;
      return out_elements * (*weights)[1];
    }
    case OpKind::kBatchMatMul: {
      const Shape* x = shape_of(g, op.input(0));
      if (x == nullptr || x->size() < 2) return 0;
      const bool adj_x = op.opts<BatchMatMulOptions>().adj_x;
      const int32_t depth = adj_x ? (*x)[x->size() - 2] : x->back();
      return depth < 0 ? 0 : out_elements * depth;
    }
    default:
      return 0;
  }
}

ModelSummary summarize(const Graph& g) {
  ModelSummary s;
  s.parameter_count = g.parameter_count();
  for (const Op& op : g.ops) {
    s.total_macs += op_macs(g, op);
    ++s.op_histogram[op_name(op)];
  }
  std::set<int32_t> counted;
  for (const Tensor& t : g.tensors) {
    if (t.buffer < 0 || t.buffer >= static_cast<int32_t>(g.buffers.size())) continue;
    if (!counted.insert(t.buffer).second) continue;
    const auto bytes = static_cast<int64_t>(g.buffers[t.buffer].size());
    s.constant_bytes += bytes;
    s.constant_bytes_by_dtype[t.dtype] += bytes;
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> op_option_fields(const Graph& g, const Op& op) {
  std::vector<std::pair<std::string, std::string>> f;
  auto stride = [](int w, int h) { return std::to_string(w) + "x" + std::to_string(h); };
  // Filter sizes of convolutions live in the filter tensor [_, kh, kw, _].
  auto filter_from_tensor = [&]() {
    const Shape* filter = shape_of(g, op.input(1));
    if (filter && filter->size() == 4) f.emplace_back("filter", stride((*filter)[2], (*filter)[1]));
  };
  switch (op.kind) {
    case OpKind::kAdd: {
      const auto& o = op.opts<AddOptions>();
      f.emplace_back("activation", activation_name(o.activation));
      if (!o.pot_scale_int16) f.emplace_back("pot_scale_int16", "false");
      break;
    }
    case OpKind::kMul:
      f.emplace_back("activation", activation_name(op.opts<MulOptions>().activation));
      break;
    case OpKind::kConcatenation: {
      const auto& o = op.opts<ConcatenationOptions>();
      f.emplace_back("axis", std::to_string(o.axis));
      f.emplace_back("activation", activation_name(o.activation));
      break;
    }
    case OpKind::kConv2D: {
      const auto& o = op.opts<Conv2DOptions>();
      f.emplace_back("padding", padding_name(o.padding));
      f.emplace_back("stride", stride(o.stride_w, o.stride_h));
      f.emplace_back("dilation", stride(o.dilation_w, o.dilation_h));
      f.emplace_back("activation", activation_name(o.activation));
      filter_from_tensor();
      break;
    }
    case OpKind::kDepthwiseConv2D: {
      const auto& o = op.opts<DepthwiseConv2DOptions>();
      f.emplace_back("padding", padding_name(o.padding));
      f.emplace_back("stride", stride(o.stride_w, o.stride_h));
      f.emplace_back("dilation", stride(o.dilation_w, o.dilation_h));
      f.emplace_back("depth_multiplier", std::to_string(o.depth_multiplier));
      f.emplace_back("activation", activation_name(o.activation));
      filter_from_tensor();
      break;
    }
    case OpKind::kAveragePool2D:
    case OpKind::kMaxPool2D: {
      const auto& o = op.opts<Pool2DOptions>();
      f.emplace_back("padding", padding_name(o.padding));
      f.emplace_back("stride", stride(o.stride_w, o.stride_h));
      f.emplace_back("filter", stride(o.filter_w, o.filter_h));
      f.emplace_back("activation", activation_name(o.activation));
      break;
    }
    case OpKind::kFullyConnected: {
      const auto& o = op.opts<FullyConnectedOptions>();
      f.emplace_back("activation", activation_name(o.activation));
      f.emplace_back("keep_num_dims", bool_text(o.keep_num_dims));
      if (o.asymmetric_quantize_inputs) f.emplace_back("asymmetric_quantize_inputs", "true");
      break;
    }
    case OpKind::kReshape: {
      const auto& o = op.opts<ReshapeOptions>();
      if (o.has_new_shape) f.emplace_back("new_shape", ints_text(o.new_shape));
      break;
    }
    case OpKind::kSoftmax:
      f.emplace_back("beta", float_text(op.opts<SoftmaxOptions>().beta));
      break;
    case OpKind::kMean:
      f.emplace_back("keep_dims", bool_text(op.opts<ReducerOptions>().keep_dims));
      break;
    case OpKind::kSqueeze:
      f.emplace_back("squeeze_dims", ints_text(op.opts<SqueezeOptions>().squeeze_dims));
      break;
    case OpKind::kBatchMatMul: {
      const auto& o = op.opts<BatchMatMulOptions>();
      f.emplace_back("adj_x", bool_text(o.adj_x));
      f.emplace_back("adj_y", bool_text(o.adj_y));
      if (o.asymmetric_quantize_inputs) f.emplace_back("asymmetric_quantize_inputs", "true");
      break;
    }
    case OpKind::kOpaque: {
      const auto& o = op.opts<OpaqueOptions>();
      if (!o.custom_code.empty()) f.emplace_back("custom_code", o.custom_code);
      if (o.options_type != 0) f.emplace_back("options_type", std::to_string(o.options_type));
      for (const auto& field : o.fields) f.emplace_back("field" + std::to_string(field.slot), hex_bytes(field.bytes));
      if (!o.custom_options.empty())
        f.emplace_back("custom_options", std::to_string(o.custom_options.size()) + " bytes");
      break;
    }
    default:
      break;
  }
  return f;
}

std::string options_summary(const Graph& g, const Op& op) {
  std::string s;
  for (const auto& [name, value] : op_option_fields(g, op)) {
    if (!s.empty()) s += ' ';
    s += name + "=" + value;
  }
  return s;
}

}  // namespace quantlab
