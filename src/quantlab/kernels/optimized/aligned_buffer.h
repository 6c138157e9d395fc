// A fixed-size, zero-initialized array aligned to a cache line, for packed
// weights that vector loads read many times.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

namespace quantlab {

template <typename T>
class AlignedBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) : count_(count) {
    if (count == 0) return;
    data_.reset(static_cast<T*>(::operator new[](count * sizeof(T), std::align_val_t(kAlignment))));
    std::memset(static_cast<void*>(data_.get()), 0, count * sizeof(T));
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  struct Delete {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(kAlignment)); }
  };
  std::unique_ptr<T, Delete> data_;
  std::size_t count_ = 0;
};

}  // namespace quantlab
