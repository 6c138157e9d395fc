#include "quantlab/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

namespace quantlab {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return invalid_argument(path + ": is a directory, not a file");
  // Opened non-blocking: opening a FIFO that has no writer would otherwise
  // wait forever. Blocking reads are restored at once, so a pipe with a
  // writer (shell process substitution) still delivers all its data, while
  // one without a writer reads as empty.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return not_found(path + ": no such file");
    return io_error(path + ": cannot open: " + std::strerror(err));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  FILE* f = flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 ? ::fdopen(fd, "rb") : nullptr;
  if (!f) {
    const std::string why = errno_text();
    ::close(fd);
    return io_error(path + ": cannot open: " + why);
  }
  std::vector<uint8_t> data;
  struct stat st {};
  const bool have_stat = fstat(fileno(f), &st) == 0;
  if (have_stat && st.st_size > 0) {
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      std::fclose(f);
      return resource_exhausted(path + ": " + std::to_string(st.st_size) + " bytes exceeds the limit of " +
                                std::to_string(max_bytes));
    }
    data.reserve(static_cast<size_t>(st.st_size));
  }
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) {
    data.insert(data.end(), chunk, chunk + n);
    if (data.size() > max_bytes) {
      std::fclose(f);
      return resource_exhausted(path + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return io_error(path + ": read failed");
  if (data.empty() && have_stat && !S_ISREG(st.st_mode))
    return io_error(path + ": not a regular file, and nothing could be read from it (a pipe without a writer?)");
  return data;
}

Result<std::string> read_text_file(const std::string& path, uint64_t max_bytes) {
  QL_ASSIGN_OR_RETURN(auto bytes, read_file(path, max_bytes));
  return std::string(bytes.begin(), bytes.end());
}

Status write_file_atomic(const std::string& path, const void* data, size_t size) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) return io_error(path + ": cannot create directory " + target.parent_path().string() + ": " + ec.message());
  }
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path + ": cannot create temporary file: " + errno_text());
  const auto* p = static_cast<const uint8_t*>(data);
  size_t left = size;
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return io_error(path + ": write failed: " + why);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return io_error(path + ": flush failed: " + why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return io_error(path + ": rename failed: " + why);
  }
  return Status::Ok();
}

}  // namespace quantlab
