// Error handling for the whole library: functions that can fail on bad input
// return Status or Result<T>; nothing in the library aborts or exits.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace quantlab {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (file, option, shape)
  kUnsupported,      // well-formed, but outside what quantlab implements
  kNotFound,         // a file, tensor or name does not exist
  kIoError,          // the operating system refused a read or write
  kInternal,         // a broken invariant inside quantlab
  kResourceExhausted // a size or memory limit was hit
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prepends context ("reading model.tflite: ") so errors name where they came from.
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
inline Status unsupported(std::string m) { return Status(StatusCode::kUnsupported, std::move(m)); }
inline Status not_found(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status io_error(std::string m) { return Status(StatusCode::kIoError, std::move(m)); }
inline Status internal_error(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }
inline Status resource_exhausted(std::string m) { return Status(StatusCode::kResourceExhausted, std::move(m)); }

// A value or the error that prevented computing it.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an OK status carries no value");
    if (status_.ok()) status_ = internal_error("Result constructed from OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace quantlab

#define QL_CONCAT_INNER(a, b) a##b
#define QL_CONCAT(a, b) QL_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` failed.
#define QL_RETURN_IF_ERROR(expr)                         \
  do {                                                   \
    ::quantlab::Status ql_status_ = (expr);              \
    if (!ql_status_.ok()) return ql_status_;             \
  } while (0)

// `QL_ASSIGN_OR_RETURN(auto x, f());` binds the value or returns the error.
#define QL_ASSIGN_OR_RETURN(lhs, expr) \
  QL_ASSIGN_OR_RETURN_IMPL(QL_CONCAT(ql_result_, __COUNTER__), lhs, expr)
#define QL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
