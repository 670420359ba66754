#include "base/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tarn {
UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> ReadFileToString(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Error(Status::NotFound(path.string() + " does not exist"));
    return Error(Status::FromErrno("open " + path.string(), errno));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(Status::FromErrno("read " + path.string(), errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status SyncDirectory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno("open directory " + dir.string(), errno);
  if (::fsync(fd.get()) != 0) return Status::FromErrno("fsync directory " + dir.string(), errno);
  return Status::Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Status::FromErrno("create " + tmp.string(), errno);
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("write " + tmp.string(), errno);
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return Status::FromErrno("fsync " + tmp.string(), errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::FromErrno("rename " + tmp.string() + " to " + path.string(), errno);
  }
  return SyncDirectory(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

}  // namespace tarn
