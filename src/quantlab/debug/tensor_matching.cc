#include "quantlab/debug/tensor_matching.h"

#include <algorithm>

namespace quantlab {
namespace {

bool same_kind(const Op& a, const Op& b) {
  if (a.kind != b.kind) return false;
  return a.kind != OpKind::kOpaque || op_name(a) == op_name(b);
}

class GraphMatcher {
 public:
  GraphMatcher(const Graph& f, const Graph& q) : f_(f), q_(q), fi_(f), qi_(q), claimed_(q.ops.size(), false) {}

  Result<GraphMatch> run() {
    if (f_.inputs.size() != q_.inputs.size())
      return invalid_argument("the float model has " + std::to_string(f_.inputs.size()) +
                              " input(s) but the quantized model has " + std::to_string(q_.inputs.size()));
    m_.quant_twin.assign(f_.tensors.size(), -1);
    m_.float_twin.assign(q_.tensors.size(), -1);
    for (size_t i = 0; i < f_.inputs.size(); ++i) {
      const int32_t ft = f_.inputs[i], qt = q_.inputs[i];
      if (num_elements(f_.tensors[ft].shape) != num_elements(q_.tensors[qt].shape))
        return invalid_argument("model input " + std::to_string(i) + ": the float model's " + describe_tensor(f_, ft) +
                                " has shape " + shape_to_string(f_.tensors[ft].shape) + " but the quantized model's " +
                                describe_tensor(q_, qt) + " has shape " + shape_to_string(q_.tensors[qt].shape));
      bind(ft, qt);
      m_.inputs.push_back({ft, representation_read(qt)});
    }
    for (size_t i = 0; i < std::min(f_.outputs.size(), q_.outputs.size()); ++i)
      m_.outputs.push_back({f_.outputs[i], q_.outputs[i]});

    QL_ASSIGN_OR_RETURN(std::vector<int32_t> order, topological_order(f_));
    for (int32_t fo : order) {
      const Op& op = f_.ops[fo];
      if (is_transparent_op(op)) continue;
      MatchMethod method = MatchMethod::kStructure;
      int32_t qo = match_by_structure(op);
      if (qo < 0) {
        qo = match_by_name(op);
        method = MatchMethod::kName;
      }
      if (qo < 0) {
        m_.unmatched_float_ops.push_back(fo);
        continue;
      }
      claimed_[qo] = true;
      MatchedOp matched{fo, qo, {}, method};
      const Op& qop = q_.ops[qo];
      for (size_t k = 0; k < std::min(op.outputs.size(), qop.outputs.size()); ++k) {
        const int32_t ft = op.outputs[k], qt = qop.outputs[k];
        if (ft < 0 || qt < 0) continue;
        if (num_elements(f_.tensors[ft].shape) != num_elements(q_.tensors[qt].shape)) continue;
        bind(ft, qt);
        matched.outputs.push_back({ft, qt});
      }
      m_.ops.push_back(std::move(matched));
    }
    return std::move(m_);
  }

 private:
  // Records that float tensor `ft` and quantized tensor `qt` hold the same
  // real value, for every representation of each.
  void bind(int32_t ft, int32_t qt) {
    ft = canonical_tensor(f_, fi_, ft);
    qt = canonical_tensor(q_, qi_, qt);
    for (int32_t r : value_representations(f_, fi_, ft)) m_.quant_twin[r] = qt;
    for (int32_t r : value_representations(q_, qi_, qt))
      if (m_.float_twin[r] < 0) m_.float_twin[r] = ft;
  }

  // The representation of model input `qt` that non-transparent ops read,
  // preferring a quantized one when both forms are read (selective models).
  int32_t representation_read(int32_t qt) const {
    int32_t first_read = -1;
    for (int32_t r : value_representations(q_, qi_, qt)) {
      const bool read = std::any_of(qi_.consumers[r].begin(), qi_.consumers[r].end(),
                                    [&](int32_t c) { return !is_transparent_op(q_.ops[c]); });
      if (!read) continue;
      if (is_integer(q_.tensors[r].dtype)) return r;
      if (first_read < 0) first_read = r;
    }
    return first_read >= 0 ? first_read : qt;
  }

  bool is_constant_value(const Graph& g, const GraphIndex& index, int32_t t) const {
    return t >= 0 && g.is_constant(canonical_tensor(g, index, t));
  }

  // The unclaimed quantized op of the same kind whose inputs carry the twins
  // of `op`'s activation inputs, slot by slot; -1 if none.
  int32_t match_by_structure(const Op& op) const {
    std::vector<int32_t> twins(op.inputs.size(), -1);
    int32_t first_twin = -1;
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const int32_t t = op.inputs[i];
      if (t < 0 || is_constant_value(f_, fi_, t)) continue;
      twins[i] = m_.quant_twin[canonical_tensor(f_, fi_, t)];
      if (twins[i] < 0) return -1;  // an input whose producer found no counterpart
      if (first_twin < 0) first_twin = twins[i];
    }
    if (first_twin < 0) return -1;
    int32_t chosen = -1;
    for (int32_t c : value_readers(q_, qi_, first_twin)) {
      if (claimed_[c] || !same_kind(op, q_.ops[c]) || !inputs_correspond(op, twins, q_.ops[c])) continue;
      if (chosen < 0) chosen = c;
      if (same_output_name(op, q_.ops[c])) return c;
    }
    return chosen;
  }

  bool inputs_correspond(const Op& op, const std::vector<int32_t>& twins, const Op& qop) const {
    for (size_t i = 0; i < std::max(op.inputs.size(), qop.inputs.size()); ++i) {
      const int32_t ft = op.input(i), qt = qop.input(i);
      if (i < twins.size() && twins[i] >= 0) {
        if (qt < 0 || canonical_tensor(q_, qi_, qt) != twins[i]) return false;
      } else if (qt >= 0 && !is_constant_value(q_, qi_, qt)) {
        return false;  // the quantized op reads an activation where the float op has none
      } else if (ft >= 0 && qt < 0) {
        return false;  // a constant operand went missing
      }
    }
    return true;
  }

  bool same_output_name(const Op& op, const Op& qop) const {
    if (op.outputs.empty() || qop.outputs.empty()) return false;
    const std::string& name = f_.tensors[op.outputs[0]].name;
    return !name.empty() && name == q_.tensors[qop.outputs[0]].name;
  }

  // The unclaimed core op of the same kind that computes the quantized
  // tensor named like `op`'s first output (looking back through the
  // DEQUANTIZE or QUANTIZE that may have taken the name at a model output).
  int32_t match_by_name(const Op& op) const {
    if (op.outputs.empty() || op.outputs[0] < 0) return -1;
    const std::string& name = f_.tensors[op.outputs[0]].name;
    if (name.empty()) return -1;
    for (size_t t = 0; t < q_.tensors.size(); ++t) {
      if (q_.tensors[t].name != name) continue;
      const int32_t p = qi_.producer[canonical_tensor(q_, qi_, static_cast<int32_t>(t))];
      if (p >= 0 && !claimed_[p] && same_kind(op, q_.ops[p])) return p;
    }
    return -1;
  }

  const Graph& f_;
  const Graph& q_;
  GraphIndex fi_, qi_;
  std::vector<bool> claimed_;
  GraphMatch m_;
};

}  // namespace

bool is_transparent_op(const Op& op) {
  return (op.kind == OpKind::kQuantize || op.kind == OpKind::kDequantize) && op.inputs.size() == 1 &&
         op.outputs.size() == 1 && op.inputs[0] >= 0;
}

const char* match_method_name(MatchMethod method) {
  switch (method) {
    case MatchMethod::kStructure: return "structure";
    case MatchMethod::kName: return "name";
  }
  return "?";
}

int32_t canonical_tensor(const Graph& g, const GraphIndex& index, int32_t t) {
  // A valid graph is acyclic; the step bound keeps a malformed one from looping.
  for (size_t steps = 0; t >= 0 && steps < g.tensors.size(); ++steps) {
    const int32_t p = index.producer[t];
    if (p < 0 || !is_transparent_op(g.ops[p])) break;
    t = g.ops[p].inputs[0];
  }
  return t;
}

std::vector<int32_t> value_representations(const Graph& g, const GraphIndex& index, int32_t t) {
  std::vector<int32_t> reps = {t};
  for (size_t i = 0; i < reps.size() && reps.size() <= g.tensors.size(); ++i)
    for (int32_t c : index.consumers[reps[i]])
      if (is_transparent_op(g.ops[c]) && std::find(reps.begin(), reps.end(), g.ops[c].outputs[0]) == reps.end())
        reps.push_back(g.ops[c].outputs[0]);
  return reps;
}

std::vector<int32_t> value_readers(const Graph& g, const GraphIndex& index, int32_t t) {
  std::vector<int32_t> readers;
  for (int32_t r : value_representations(g, index, t))
    for (int32_t c : index.consumers[r])
      if (!is_transparent_op(g.ops[c])) readers.push_back(c);
  std::sort(readers.begin(), readers.end());
  readers.erase(std::unique(readers.begin(), readers.end()), readers.end());
  return readers;
}

Result<GraphMatch> match_graphs(const Graph& float_graph, const Graph& quant_graph) {
  return GraphMatcher(float_graph, quant_graph).run();
}

}  // namespace quantlab
