// The interpreter's invoke must not touch the heap: every buffer, packed
// weight and status slot is allocated at prepare. This binary replaces the
// global operator new to count allocations made while the count is armed
// (by any thread, since pool workers run the samples).
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "support/tflite_testdata.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_allocations{0};

void* counted_allocation(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms (std::stable_sort's temporary buffer) must come from the
// same heap as the deletes above; AddressSanitizer otherwise serves them from
// its own and reports the free as a mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace quantlab {
namespace {

struct AllocationCase {
  std::string model;
  KernelSet kernels;
};

class InterpreterAllocation : public ::testing::TestWithParam<AllocationCase> {};

TEST_P(InterpreterAllocation, InvokeDoesNotAllocate) {
  const AllocationCase& c = GetParam();
  auto graph = read_tflite_file(test_support::testdata_path("tflite/" + c.model));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  InterpreterOptions options;
  options.threads = 2;
  options.kernels.kernels = c.kernels;
  auto created = Interpreter::create(*graph, options);
  ASSERT_TRUE(created.ok()) << created.status().message();
  Interpreter& interp = **created;

  constexpr int64_t kSamples = 16;
  std::vector<std::vector<uint8_t>> in(interp.num_inputs()), out(interp.num_outputs());
  std::vector<const void*> in_ptrs;
  std::vector<void*> out_ptrs;
  for (size_t i = 0; i < in.size(); ++i) {
    const TensorInfo& info = interp.input_info(i);
    in[i].assign(static_cast<size_t>(info.bytes() * kSamples), 0);
    // Small varied values: valid for every dtype, and not all zero.
    for (size_t b = 0; b < in[i].size(); ++b) in[i][b] = static_cast<uint8_t>((b * 7) % 61);
    in_ptrs.push_back(in[i].data());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const TensorInfo& info = interp.output_info(i);
    out[i].resize(static_cast<size_t>(info.bytes() * kSamples));
    out_ptrs.push_back(out[i].data());
  }
  ASSERT_TRUE(interp.invoke(kSamples, in_ptrs, out_ptrs).ok());  // warm-up: threads started

  g_allocations = 0;
  g_counting = true;
  const Status s = interp.invoke(kSamples, in_ptrs, out_ptrs);
  g_counting = false;
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(g_allocations.load(), 0) << c.model;

  // The count does see allocations: with an observer, invoke hands it
  // freshly built vectors of views.
  struct Silent : Observer {
    void on_op_output(int64_t, int32_t, const std::vector<TensorView>&) override {}
  } observer;
  g_allocations = 0;
  g_counting = true;
  const Status observed = interp.invoke(kSamples, in_ptrs, out_ptrs, &observer);
  g_counting = false;
  ASSERT_TRUE(observed.ok()) << observed.message();
  EXPECT_GT(g_allocations.load(), 0);
}

std::string case_name(const ::testing::TestParamInfo<AllocationCase>& info) {
  std::string name = info.param.model.substr(0, info.param.model.find('.'));
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name + (info.param.kernels == KernelSet::kReference ? "_reference" : "_optimized");
}

// int8 (person_detect), float (magic_wand) and hybrid (magic_wand DRQ)
// models, with both kernel families.
INSTANTIATE_TEST_SUITE_P(Models, InterpreterAllocation,
                         ::testing::Values(AllocationCase{"person_detect.tflite", KernelSet::kOptimized},
                                           AllocationCase{"person_detect.tflite", KernelSet::kReference},
                                           AllocationCase{"magic_wand.tflite", KernelSet::kOptimized},
                                           AllocationCase{"magic_wand.tflite", KernelSet::kReference},
                                           AllocationCase{"magic_wand_drq_synthetic.tflite", KernelSet::kOptimized}),
                         case_name);

}  // namespace
}  // namespace quantlab
