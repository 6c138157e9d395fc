#include "quantlab/data/npz.h"

#include <sys/stat.h>
#include <zip.h>

#include <memory>
#include <set>

#include "quantlab/core/file_io.h"

namespace quantlab {
namespace {

constexpr char kNpySuffix[] = ".npy";
constexpr size_t kNpySuffixSize = sizeof(kNpySuffix) - 1;
// DOS date for 1980-01-01 (day 1, month 1, year offset 0), time 00:00:00.
constexpr zip_uint16_t kFixedDosDate = (1 << 5) | 1;
constexpr zip_uint16_t kFixedDosTime = 0;

struct ZipCloser {
  void operator()(zip_t* za) const { zip_discard(za); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ZipSourceFreer {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

std::string key_from_member_name(const std::string& name) {
  if (name.size() > kNpySuffixSize && name.compare(name.size() - kNpySuffixSize, kNpySuffixSize, kNpySuffix) == 0)
    return name.substr(0, name.size() - kNpySuffixSize);
  return name;
}

}  // namespace

Result<std::vector<NpzMember>> read_npz_members(const std::string& path, uint64_t max_member_bytes) {
  // libzip reports a directory or a pipe only as "Operation not supported";
  // an archive is read by seeking, so anything but a regular file is refused
  // here with a message that says what the path is.
  struct stat file_status {};
  if (::stat(path.c_str(), &file_status) == 0 && !S_ISREG(file_status.st_mode))
    return invalid_argument(path + (S_ISDIR(file_status.st_mode)
                                        ? ": is a directory, not a file"
                                        : ": not a regular file (an .npz archive must be seekable)"));
  int open_error = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &open_error));
  if (!archive) {
    if (open_error == ZIP_ER_NOENT) return not_found(path + ": no such file");
    if (open_error == ZIP_ER_NOZIP || open_error == ZIP_ER_INCONS)
      return invalid_argument(path + ": not a valid .npz (zip) archive: " + zip_error_text(open_error));
    return io_error(path + ": cannot open archive: " + zip_error_text(open_error));
  }
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  std::vector<NpzMember> members;
  std::set<std::string> seen;
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), index, 0, &st) != 0)
      return invalid_argument(path + ": cannot read entry " + std::to_string(i) + ": " + zip_strerror(archive.get()));
    const std::string name = (st.valid & ZIP_STAT_NAME) ? st.name : "entry " + std::to_string(i);
    const std::string where = path + ": member '" + name + "'";
    if (!name.empty() && name.back() == '/') continue;  // a directory entry carries no array
    if (!(st.valid & ZIP_STAT_SIZE)) return invalid_argument(where + ": size unknown");
    if (st.size > max_member_bytes)
      return resource_exhausted(where + ": " + std::to_string(st.size) + " bytes exceeds the limit of " +
                                std::to_string(max_member_bytes));
    std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive.get(), index, 0));
    if (!file) return unsupported(where + ": cannot open: " + zip_strerror(archive.get()));
    NpzMember member;
    member.key = key_from_member_name(name);
    if (!seen.insert(member.key).second) return invalid_argument(where + ": duplicate key '" + member.key + "'");
    member.npy_bytes.resize(static_cast<size_t>(st.size));
    zip_uint64_t done = 0;
    while (done < st.size) {
      const zip_int64_t n = zip_fread(file.get(), member.npy_bytes.data() + done, st.size - done);
      if (n < 0) return invalid_argument(where + ": cannot read: " + zip_file_strerror(file.get()));
      if (n == 0) break;
      done += static_cast<zip_uint64_t>(n);
    }
    if (done != st.size)
      return invalid_argument(where + ": truncated, " + std::to_string(done) + " of " + std::to_string(st.size) +
                              " bytes");
    // The CRC is verified once the whole member has been read; a further
    // read reports a mismatch as an error.
    char probe;
    if (zip_fread(file.get(), &probe, 1) < 0)
      return invalid_argument(where + ": " + zip_file_strerror(file.get()));
    members.push_back(std::move(member));
  }
  return members;
}

Result<std::vector<uint8_t>> build_npz(const std::vector<NpzMember>& members, NpzCompression compression) {
  if (members.empty()) return invalid_argument("an .npz archive needs at least one member");
  std::set<std::string> keys;
  for (const auto& m : members) {
    if (m.key.empty()) return invalid_argument("an .npz member key must not be empty");
    if (!keys.insert(m.key).second) return invalid_argument("duplicate .npz member key '" + m.key + "'");
  }
  zip_error_t error;
  zip_error_init(&error);
  std::unique_ptr<zip_source_t, ZipSourceFreer> buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) {
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return internal_error("cannot create an in-memory archive: " + why);
  }
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error));
  if (!archive) {
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return internal_error("cannot create an in-memory archive: " + why);
  }
  zip_error_fini(&error);
  // The archive takes a reference to the buffer; keep ours so the written
  // bytes outlive zip_close.
  zip_source_keep(buffer.get());

  const zip_int32_t method = compression == NpzCompression::kDeflated ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
  for (const auto& m : members) {
    const std::string name = m.key + kNpySuffix;
    zip_source_t* data = zip_source_buffer(archive.get(), m.npy_bytes.data(), m.npy_bytes.size(), 0);
    if (!data) return internal_error(name + ": " + zip_strerror(archive.get()));
    const zip_int64_t index = zip_file_add(archive.get(), name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(data);
      return internal_error(name + ": cannot add to archive: " + zip_strerror(archive.get()));
    }
    const auto uindex = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive.get(), uindex, method, 0) != 0 ||
        zip_file_set_dostime(archive.get(), uindex, kFixedDosTime, kFixedDosDate, 0) != 0)
      return internal_error(name + ": " + zip_strerror(archive.get()));
  }
  if (zip_close(archive.get()) != 0) return internal_error(std::string("cannot finish archive: ") +
                                                           zip_strerror(archive.get()));
  archive.release();  // zip_close freed it

  zip_source_t* src = buffer.get();
  if (zip_source_open(src) != 0) return internal_error("cannot read back the archive");
  std::vector<uint8_t> bytes;
  if (zip_source_seek(src, 0, SEEK_END) == 0) {
    const zip_int64_t size = zip_source_tell(src);
    if (size > 0 && zip_source_seek(src, 0, SEEK_SET) == 0) {
      bytes.resize(static_cast<size_t>(size));
      if (zip_source_read(src, bytes.data(), bytes.size()) != size) bytes.clear();
    }
  }
  zip_source_close(src);
  if (bytes.empty()) return internal_error("cannot read back the archive");
  return bytes;
}

Status write_npz_members(const std::string& path, const std::vector<NpzMember>& members,
                         NpzCompression compression) {
  auto bytes = build_npz(members, compression);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

Result<std::map<std::string, Array>> read_npz(const std::string& path) {
  QL_ASSIGN_OR_RETURN(auto members, read_npz_members(path));
  std::map<std::string, Array> arrays;
  for (const auto& m : members) {
    QL_ASSIGN_OR_RETURN(Array a, parse_npy(m.npy_bytes.data(), m.npy_bytes.size(), path + ": member '" + m.key + "'"));
    arrays.emplace(m.key, std::move(a));
  }
  return arrays;
}

Status write_npz(const std::string& path, const std::map<std::string, Array>& arrays, NpzCompression compression) {
  std::vector<NpzMember> members;
  for (const auto& [key, array] : arrays) {
    NpzMember m;
    m.key = key;
    m.npy_bytes = serialize_npy(array);
    if (m.npy_bytes.empty())
      return invalid_argument(path + ": array '" + key + "' (" + dtype_name(array.dtype) + ", shape " +
                              shape_to_string(array.shape) + ") cannot be serialized");
    members.push_back(std::move(m));
  }
  return write_npz_members(path, members, compression);
}

}  // namespace quantlab
