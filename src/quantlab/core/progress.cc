#include "quantlab/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace quantlab {

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (drawn_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::update(int64_t done, const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = std::min(done, total_);
  if (!status.empty()) status_ = status;
  draw(false);
}

void ProgressBar::add(int64_t amount) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = std::min(done_ + amount, total_);
  draw(false);
}

void ProgressBar::finish(const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = total_;
  if (!status.empty()) status_ = status;
  draw(true);
  if (drawn_) std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::draw(bool force) {
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
  constexpr int kWidth = 28;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld %.1fs elapsed, ~%.1fs left %s\033[K", label_.c_str(), bar.c_str(),
               fraction * 100.0, static_cast<long long>(done_), static_cast<long long>(total_), elapsed, eta,
               status_.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace quantlab
