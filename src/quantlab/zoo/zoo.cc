#include "quantlab/zoo/zoo.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "quantlab/zoo/model_builder.h"

namespace quantlab::zoo {
namespace {

// A dense layer above this many weights (256 MB of float32) is refused:
// it would come from an input far larger than the families were designed
// for, and one step of Adam would need three times as much memory again.
constexpr int64_t kMaxDenseWeights = int64_t{1} << 26;
// Inputs above this many values per sample are refused for the same reason.
constexpr int64_t kMaxInputElements = int64_t{1} << 24;

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Fits one family's layers to the request: scales widths, shortens kernels
// and drops pooling on axes too small for them, and records each such
// adaptation.
class FamilyBuilder {
 public:
  explicit FamilyBuilder(const ModelRequest& request) : builder_(request.seed), scale_(request.width_scale) {}

  ModelBuilder& builder() { return builder_; }
  std::vector<std::string>& notes() { return notes_; }

  int width(int base) const { return std::max(1, static_cast<int>(std::lround(base * scale_))); }

  // A SAME convolution with a square kernel of `kernel`, shortened to 1
  // along an axis of length 1: there every tap but one would only ever see
  // padding zeros, so the shorter kernel computes the same function with
  // fewer weights.
  int32_t conv(int32_t x, int base_filters, int kernel, Activation activation) {
    const std::string name = next_name("conv2d", conv_count_);
    const Shape in = builder_.shape(x);
    Conv2DLayer layer;
    layer.filters = width(base_filters);
    layer.kernel_h = in[1] == 1 ? 1 : kernel;
    layer.kernel_w = in[2] == 1 ? 1 : kernel;
    layer.activation = activation;
    if (layer.kernel_h != kernel || layer.kernel_w != kernel)
      notes_.push_back(name + ": kernel " + std::to_string(kernel) + "x" + std::to_string(kernel) + " shortened to " +
                       std::to_string(layer.kernel_h) + "x" + std::to_string(layer.kernel_w) +
                       " for its input " + std::to_string(in[1]) + "x" + std::to_string(in[2]));
    return builder_.conv2d(x, layer);
  }

  // A SAME max pool with stride = window. Pooling along an axis of length 1
  // would change nothing, so that factor becomes 1; when neither axis can be
  // pooled, the layer is left out.
  int32_t pool(int32_t x, int filter_h, int filter_w) {
    const Shape in = builder_.shape(x);
    const int fh = in[1] > 1 ? filter_h : 1;
    const int fw = in[2] > 1 ? filter_w : 1;
    ++pool_requests_;
    const std::string where = "pooling stage " + std::to_string(pool_requests_);
    if (fh == 1 && fw == 1) {
      if (filter_h > 1 || filter_w > 1)
        notes_.push_back(where + " left out: its input is already " + std::to_string(in[1]) + "x" +
                         std::to_string(in[2]));
      return x;
    }
    if (fh != filter_h || fw != filter_w)
      notes_.push_back(where + ": pool " + std::to_string(filter_h) + "x" + std::to_string(filter_w) + " reduced to " +
                       std::to_string(fh) + "x" + std::to_string(fw) + " (input " + std::to_string(in[1]) + "x" +
                       std::to_string(in[2]) + ")");
    return builder_.max_pool(x, fh, fw, Padding::kSame);
  }

  // The dense head: hidden layers with ReLU, then the output layer and the
  // head op. Refuses a dense layer beyond the weight limit.
  Result<int32_t> dense_head(int32_t x, const std::vector<int>& hidden_base, const ModelRequest& request) {
    std::vector<int> widths;
    for (int h : hidden_base) widths.push_back(width(h));
    widths.push_back(request.num_outputs);
    int64_t features = builder_.shape(x).back();
    for (int units : widths) {
      if (features * units > kMaxDenseWeights)
        return invalid_argument(request.arch + ": input " + shape_to_string(request.input_shape) + " leaves " +
                                std::to_string(features) + " features before a dense layer of " +
                                std::to_string(units) + " units, which would need " +
                                std::to_string(features * units) + " weights (limit " +
                                std::to_string(kMaxDenseWeights) +
                                "); use a smaller input, a smaller --scale, or an architecture with global "
                                "average pooling (bspc-lean)");
      features = units;
    }
    for (size_t i = 0; i + 1 < widths.size(); ++i) x = builder_.dense(x, widths[i], Activation::kRelu);
    x = builder_.dense(x, widths.back(), Activation::kNone);
    return request.head == Head::kSoftmax ? builder_.softmax(x) : builder_.logistic(x);
  }

 private:
  static std::string next_name(const std::string& type, int& count) {
    const int n = count++;
    return n == 0 ? type : type + "_" + std::to_string(n);
  }

  ModelBuilder builder_;
  double scale_;
  std::vector<std::string> notes_;
  int conv_count_ = 0;
  int pool_requests_ = 0;
};

using FamilyFn = std::function<Result<int32_t>(FamilyBuilder&, int32_t, const ModelRequest&)>;

// SmartWatch: conv 2x2 + max pool (2, 1) blocks over time, flatten, one
// hidden dense layer, head. Lean is the study's exact listing.
FamilyFn smartwatch(std::vector<int> filters, int hidden) {
  return [filters, hidden](FamilyBuilder& f, int32_t x, const ModelRequest& r) -> Result<int32_t> {
    for (int n : filters) {
      x = f.conv(x, n, 2, Activation::kRelu);
      x = f.pool(x, 2, 1);
    }
    x = f.builder().flatten(x);
    return f.dense_head(x, {hidden}, r);
  };
}

// BSPC: a sequential stack of 3x3 conv blocks with 2x2 max pooling, then
// either global average pooling (the last conv is not pooled, as in the
// study's lean listing) or a pool and flatten (fat), then three dense layers.
FamilyFn bspc_sequential(std::vector<int> filters, bool global_average, std::vector<int> hidden) {
  return [filters, global_average, hidden](FamilyBuilder& f, int32_t x, const ModelRequest& r) -> Result<int32_t> {
    for (size_t i = 0; i < filters.size(); ++i) {
      x = f.conv(x, filters[i], 3, Activation::kRelu);
      if (!(global_average && i + 1 == filters.size())) x = f.pool(x, 2, 2);
    }
    x = global_average ? f.builder().global_average_pool(x) : f.builder().flatten(x);
    return f.dense_head(x, hidden, r);
  };
}

// BSPC-GAP: stem conv + pool; two residual blocks, each three convs, a pool,
// then a conv whose output is added back onto the pooled tensor (ReLU fused
// into the ADD) and a pool; a last conv + pool; flatten; three dense layers.
// This follows the study's op list (CONV, POOL, CONV x3, POOL, CONV, ADD,
// POOL, ..., RESHAPE, FC x3, LOGISTIC).
FamilyFn bspc_residual(int stem, std::vector<int> blocks, int last, std::vector<int> hidden) {
  return [stem, blocks, last, hidden](FamilyBuilder& f, int32_t x, const ModelRequest& r) -> Result<int32_t> {
    x = f.conv(x, stem, 3, Activation::kRelu);
    x = f.pool(x, 2, 2);
    for (int n : blocks) {
      x = f.conv(x, n, 3, Activation::kRelu);
      x = f.conv(x, n, 3, Activation::kRelu);
      x = f.conv(x, n, 3, Activation::kRelu);
      const int32_t pooled = f.pool(x, 2, 2);
      const int32_t residual = f.conv(pooled, n, 3, Activation::kNone);
      x = f.builder().add(pooled, residual, Activation::kRelu);
      x = f.pool(x, 2, 2);
    }
    x = f.conv(x, last, 3, Activation::kRelu);
    x = f.pool(x, 2, 2);
    x = f.builder().flatten(x);
    return f.dense_head(x, hidden, r);
  };
}

struct Family {
  ArchInfo info;
  FamilyFn build;
};

// The study's seed shapes: SmartWatch windows are 100 steps x 6 sensor
// axes; BSPC inputs are ECG strips of 500 samples (5 s at 100 Hz) x 12 leads,
// with 5 labels.
const std::vector<Family>& families() {
  static const std::vector<Family> kFamilies = {
      {{"smartwatch-lean", "4 x (conv 2x2 + max pool 2x1), flatten, dense 8, dense out (the study's listing)",
        {100, 6, 1}, 6, Head::kSoftmax},
       smartwatch({4, 6, 3, 4}, 8)},
      {{"smartwatch-fat", "6 x (conv 2x2 + max pool 2x1), 16..128 filters, flatten, dense 64, dense out",
        {100, 6, 1}, 6, Head::kSoftmax},
       smartwatch({16, 32, 32, 64, 64, 128}, 64)},
      {{"bspc-lean", "6 x conv 3x3 (5 max pools 2x2), global average pooling (MEAN), dense 64, 32, out",
        {500, 12, 1}, 5, Head::kSigmoid},
       bspc_sequential({16, 32, 48, 64, 96, 112}, true, {64, 32})},
      {{"bspc-fat", "6 x (conv 3x3 + max pool 2x2), 32..384 filters, flatten, dense 1024, 256, out",
        {500, 12, 1}, 5, Head::kSigmoid},
       bspc_sequential({32, 64, 128, 256, 256, 384}, false, {1024, 256})},
      {{"bspc-gap-lean", "stem conv + pool, 2 residual blocks (32, 80), conv 48 + pool, flatten, dense 128, 32, out",
        {500, 12, 1}, 5, Head::kSigmoid},
       bspc_residual(16, {32, 80}, 48, {128, 32})},
      {{"bspc-gap-fat", "stem conv + pool, 2 residual blocks (128, 320), conv 256 + pool, flatten, dense 384, 128, out",
        {500, 12, 1}, 5, Head::kSigmoid},
       bspc_residual(32, {128, 320}, 256, {384, 128})},
  };
  return kFamilies;
}

const Family* find_family(const std::string& name) {
  for (const Family& f : families())
    if (f.info.name == name) return &f;
  return nullptr;
}

}  // namespace

const char* head_name(Head head) { return head == Head::kSoftmax ? "softmax" : "sigmoid"; }

const std::vector<ArchInfo>& architectures() {
  static const std::vector<ArchInfo> kInfos = [] {
    std::vector<ArchInfo> infos;
    for (const Family& f : families()) infos.push_back(f.info);
    return infos;
  }();
  return kInfos;
}

const ArchInfo* find_architecture(const std::string& name) {
  const Family* f = find_family(name);
  return f ? &f->info : nullptr;
}

std::string architecture_names() {
  std::string names;
  for (const Family& f : families()) names += (names.empty() ? "" : ", ") + f.info.name;
  return names;
}

Result<ModelRequest> default_request(const std::string& arch) {
  const ArchInfo* info = find_architecture(arch);
  if (!info) return not_found("unknown architecture '" + arch + "'; known: " + architecture_names());
  ModelRequest r;
  r.arch = arch;
  r.input_shape = info->default_input;
  r.num_outputs = info->default_outputs;
  r.head = info->default_head;
  return r;
}

Result<ZooModel> build_model(const ModelRequest& request) {
  const Family* family = find_family(request.arch);
  if (!family) return not_found("unknown architecture '" + request.arch + "'; known: " + architecture_names());
  const std::string& arch = request.arch;
  if (request.input_shape.empty() || request.input_shape.size() > 3)
    return invalid_argument(arch + ": input shape " + shape_to_string(request.input_shape) +
                            " must have 1 to 3 dimensions ([H, W, C]; shorter shapes get trailing 1s)");
  for (int32_t d : request.input_shape)
    if (d < 1) return invalid_argument(arch + ": input shape " + shape_to_string(request.input_shape) +
                                       " has a dimension below 1");
  Shape sample = request.input_shape;
  while (sample.size() < 3) sample.push_back(1);
  auto elements = checked_num_elements(sample, kMaxInputElements);
  if (!elements.ok())
    return invalid_argument(arch + ": input shape " + shape_to_string(sample) + " has more than " +
                            std::to_string(kMaxInputElements) + " values per sample");
  if (request.num_outputs < 1)
    return invalid_argument(arch + ": number of outputs " + std::to_string(request.num_outputs) + " must be >= 1");
  if (request.head == Head::kSoftmax && request.num_outputs < 2)
    return invalid_argument(arch + ": a softmax over " + std::to_string(request.num_outputs) +
                            " output always gives 1; use a sigmoid head for a binary task");
  if (!(request.width_scale > 0.0 && request.width_scale <= 16.0))
    return invalid_argument(arch + ": width scale " + format_number(request.width_scale) + " must be in (0, 16]");

  FamilyBuilder f(request);
  const int32_t input = f.builder().input(sample);
  QL_ASSIGN_OR_RETURN(const int32_t output, family->build(f, input, request));
  const std::string description = "quantlab zoo " + arch + ": input " + shape_to_string(sample) + ", " +
                                  std::to_string(request.num_outputs) + " outputs (" + head_name(request.head) +
                                  "), width scale " + format_number(request.width_scale) + ", seed " +
                                  std::to_string(request.seed);
  ZooModel model;
  model.adaptations = std::move(f.notes());
  model.graph = f.builder().finish(output, description);
  QL_RETURN_IF_ERROR(validate(model.graph).with_context(arch));
  return model;
}

}  // namespace quantlab::zoo
