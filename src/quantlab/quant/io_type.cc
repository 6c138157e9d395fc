#include "quantlab/quant/io_type.h"

#include <utility>
#include <vector>

#include "quantlab/quant/graph_edit.h"

namespace quantlab {
namespace {

// uint8 holds the int8 values shifted up by 128: same scale, zero point + 128.
QuantParams shifted_to_uint8(const QuantParams& int8_params) {
  return QuantParams::per_tensor(int8_params.scale[0], int8_params.zero_point[0] + 128);
}

class IoTypePass {
 public:
  IoTypePass(const Graph& g, IoType type) : g_(g), type_(type), index_(g_), namer_(g_), drop_(g_.ops.size(), false) {}

  Result<Graph> run() {
    for (size_t i = 0; i < g_.inputs.size(); ++i) QL_RETURN_IF_ERROR(convert_input(i));
    for (size_t i = 0; i < g_.outputs.size(); ++i) QL_RETURN_IF_ERROR(convert_output(i));
    std::vector<Op> kept;
    for (size_t oi = 0; oi < g_.ops.size(); ++oi)
      if (!drop_[oi]) kept.push_back(std::move(g_.ops[oi]));
    g_.ops = std::move(kept);
    for (Op& op : added_) g_.ops.push_back(std::move(op));
    QL_RETURN_IF_ERROR(sort_ops_topologically(g_));
    remove_unused_tensors(g_);
    Status valid = validate(g_);
    if (!valid.ok())
      return internal_error(std::string("setting ") + io_type_name(type_) +
                            " I/O built an invalid graph: " + valid.message());
    return std::move(g_);
  }

 private:
  Status convert_input(size_t i) {
    const int32_t t = g_.inputs[i];
    int32_t quantize = -1;
    for (int32_t c : index_.consumers[t])
      if (g_.ops[c].kind == OpKind::kQuantize && g_.tensors[g_.ops[c].outputs[0]].dtype == DType::kInt8) quantize = c;
    if (quantize < 0)
      return invalid_argument("model input " + describe_tensor(g_, t) +
                              " is not quantized by a QUANTIZE op (only float ops read it), so it has no int8 "
                              "parameters for an " +
                              io_type_name(type_) + " input");
    const int32_t q = g_.ops[quantize].outputs[0];
    const std::string name = g_.tensors[t].name;
    // Float (denied) ops that read the input now read a DEQUANTIZE of the int8 values.
    int32_t float_copy = -1;
    for (int32_t c : index_.consumers[t]) {
      if (c == quantize) continue;
      if (float_copy < 0) float_copy = add_op(OpKind::kDequantize, q, name + "_float", DType::kFloat32, {});
      for (int32_t& in : g_.ops[c].inputs)
        if (in == t) in = float_copy;
    }
    if (type_ == IoType::kInt8) {
      drop_[quantize] = true;
      g_.tensors[t].name = namer_.fresh(name + "_float");
      g_.tensors[q].name = name;
      replace_io(g_.inputs[i], q, true);
    } else {
      g_.tensors[t].dtype = DType::kUInt8;
      g_.tensors[t].quant = shifted_to_uint8(g_.tensors[q].quant);
    }
    return Status::Ok();
  }

  Status convert_output(size_t i) {
    const int32_t t = g_.outputs[i];
    const int32_t p = index_.producer[t];
    if (p < 0 || g_.ops[p].kind != OpKind::kDequantize || g_.tensors[g_.ops[p].inputs[0]].dtype != DType::kInt8)
      return invalid_argument("model output " + describe_tensor(g_, t) +
                              " is not a DEQUANTIZE of an int8 tensor (a float op computes it), so it has no int8 "
                              "parameters for an " +
                              io_type_name(type_) + " output");
    const int32_t q = g_.ops[p].inputs[0];
    const std::string name = g_.tensors[t].name;
    // The float value stays only for ops inside the graph that still read it.
    if (index_.consumers[t].empty()) drop_[p] = true;
    g_.tensors[t].name = namer_.fresh(name + "_float");
    if (type_ == IoType::kInt8) {
      g_.tensors[q].name = name;
      replace_io(g_.outputs[i], q, false);
    } else {
      const int32_t u = add_op(OpKind::kQuantize, q, name, DType::kUInt8, shifted_to_uint8(g_.tensors[q].quant));
      g_.tensors[u].name = name;  // free again: the float tensor was renamed above
      replace_io(g_.outputs[i], u, false);
    }
    return Status::Ok();
  }

  // A new op `kind` reading `input` into a new tensor shaped like it.
  int32_t add_op(OpKind kind, int32_t input, const std::string& name, DType dtype, QuantParams quant) {
    Tensor out;
    out.name = namer_.fresh(name);
    out.dtype = dtype;
    out.shape = g_.tensors[input].shape;
    out.shape_signature = g_.tensors[input].shape_signature;
    out.quant = std::move(quant);
    const int32_t t = g_.add_tensor(std::move(out));
    Op op;
    op.kind = kind;
    op.inputs = {input};
    op.outputs = {t};
    op.options = default_options(kind);
    added_.push_back(std::move(op));
    return t;
  }

  // Points a model input/output slot, and the signatures naming it, at `to`.
  void replace_io(int32_t& slot, int32_t to, bool is_input) {
    const int32_t from = slot;
    slot = to;
    for (SignatureDef& s : g_.signatures)
      for (auto& entry : is_input ? s.inputs : s.outputs)
        if (entry.second == from) entry.second = to;
  }

  Graph g_;
  IoType type_;
  GraphIndex index_;
  TensorNamer namer_;
  std::vector<bool> drop_;
  std::vector<Op> added_;
};

}  // namespace

const char* io_type_name(IoType type) {
  switch (type) {
    case IoType::kFloat32:
      return "float32";
    case IoType::kInt8:
      return "int8";
    case IoType::kUInt8:
      return "uint8";
  }
  return "float32";
}

Result<Graph> set_io_type(const Graph& fiq_graph, IoType type) {
  if (type == IoType::kFloat32) return fiq_graph;
  return IoTypePass(fiq_graph, type).run();
}

}  // namespace quantlab
