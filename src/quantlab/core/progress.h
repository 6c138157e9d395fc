// A one-line progress display for long work, drawn on stderr only when it is
// a terminal (logs and pipes stay clean). Thread-safe; redraws at most ten
// times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace quantlab {

class ProgressBar {
 public:
  // `label` is shown before the bar; `total` is the amount of work (> 0).
  ProgressBar(std::string label, int64_t total, bool enabled = stderr_is_terminal());
  ~ProgressBar();  // finishes the line if anything was drawn

  // Sets the amount done and an optional status text ("loss 0.231").
  void update(int64_t done, const std::string& status = "");
  void add(int64_t amount);
  void finish(const std::string& status = "");

  static bool stderr_is_terminal();

 private:
  void draw(bool force);

  std::string label_, status_;
  int64_t total_, done_ = 0;
  bool enabled_, drawn_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex mutex_;
};

}  // namespace quantlab
