#include "log/log_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace tarn::log {
namespace {

Status ErrnoStatus(const char* call, const std::filesystem::path& path, int err) {
  std::string what = call;
  what += ' ';
  what += path.string();
  if (err == ENOENT) return Status::NotFound(what + ": no such file or directory");
  return Status::FromErrno(what, err);
}

}  // namespace

Result<std::shared_ptr<LogFile>> LogFile::Open(const std::filesystem::path& path, bool create,
                                               bool truncate) {
  int flags = O_RDWR | O_CLOEXEC;
  if (create) flags |= O_CREAT;
  if (truncate) flags |= O_TRUNC;
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Error(ErrnoStatus("open", path, errno));
  return std::shared_ptr<LogFile>(new LogFile(path, fd, /*is_directory=*/false));
}

Result<std::shared_ptr<LogFile>> LogFile::OpenDirectory(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus("open directory", path, errno));
  return std::shared_ptr<LogFile>(new LogFile(path, fd, /*is_directory=*/true));
}

LogFile::~LogFile() { ::close(fd_); }

Status LogFile::WriteAt(ByteView data, int64_t position) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                         static_cast<off_t>(position + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pwrite", path_, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<size_t> LogFile::ReadAt(MutableByteView out, int64_t position) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                        static_cast<off_t>(position + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(ErrnoStatus("pread", path_, errno));
    }
    if (n == 0) break;  // end of file
    done += static_cast<size_t>(n);
  }
  return done;
}

Status LogFile::ReadExactlyAt(MutableByteView out, int64_t position) const {
  TARN_ASSIGN_OR_RETURN(size_t n, ReadAt(out, position));
  if (n != out.size()) {
    return Status::Corruption(path_.string() + ": wanted " + std::to_string(out.size()) +
                              " bytes at position " + std::to_string(position) +
                              ", file ends after " + std::to_string(n));
  }
  return Status::Ok();
}

Status LogFile::Truncate(int64_t size) {
  int rc;
  do {
    rc = ::ftruncate(fd_, static_cast<off_t>(size));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoStatus("ftruncate", path_, errno);
  return Status::Ok();
}

Status LogFile::Sync() {
  int rc;
  do {
    rc = is_directory_ ? ::fsync(fd_) : ::fdatasync(fd_);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoStatus(is_directory_ ? "fsync" : "fdatasync", path_, errno);
  return Status::Ok();
}

Result<int64_t> LogFile::Size() const {
  struct stat st;
  if (::fstat(fd_, &st) < 0) return Error(ErrnoStatus("fstat", path_, errno));
  return static_cast<int64_t>(st.st_size);
}

Result<int64_t> LogFile::ModifiedTimeMs() const {
  struct stat st;
  if (::fstat(fd_, &st) < 0) return Error(ErrnoStatus("fstat", path_, errno));
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

Result<MappedFile> MappedFile::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrnoStatus("open", path, errno));
  struct stat st;
  if (::fstat(fd, &st) < 0) {
    Status s = ErrnoStatus("fstat", path, errno);
    ::close(fd);
    return Error(std::move(s));
  }
  if (st.st_size == 0) {
    ::close(fd);
    return MappedFile();
  }
  void* data = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (data == MAP_FAILED) return Error(ErrnoStatus("mmap", path, err));
  return MappedFile(static_cast<const uint8_t*>(data), static_cast<size_t>(st.st_size));
}

MappedFile::~MappedFile() { Unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::Unmap() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace tarn::log
