#include "log/index_buffer.h"

#include <string>

#include "base/check.h"

namespace tarn::log {

Result<IndexBuffer> IndexBuffer::Map(const std::filesystem::path& path, size_t entry_size) {
  IndexBuffer buffer;
  TARN_ASSIGN_OR_RETURN(buffer.mapping_, MappedFile::Open(path));
  buffer.mapped_ = true;
  if (buffer.bytes().size() % entry_size != 0) {
    return Error(Status::Corruption(
        path.string() + ": size " + std::to_string(buffer.bytes().size()) +
        " is not a whole number of " + std::to_string(entry_size) + "-byte entries"));
  }
  return buffer;
}

void IndexBuffer::Append(ByteView entry) {
  TARN_DCHECK(!mapped_);
  owned_.insert(owned_.end(), entry.begin(), entry.end());
}

Status IndexBuffer::Persist(const std::filesystem::path& path) {
  if (mapped_) {  // never rewrite a file while it is mapped
    owned_.assign(mapping_.bytes().begin(), mapping_.bytes().end());
    mapping_ = MappedFile();
    mapped_ = false;
  }
  TARN_ASSIGN_OR_RETURN(auto file, LogFile::Open(path, /*create=*/true, /*truncate=*/true));
  TARN_TRY(file->WriteAt(owned_, 0));
  TARN_TRY(file->Sync());
  TARN_ASSIGN_OR_RETURN(mapping_, MappedFile::Open(path));
  mapped_ = true;
  owned_ = Bytes();
  return Status::Ok();
}

void IndexBuffer::Clear() {
  owned_.clear();
  mapping_ = MappedFile();
  mapped_ = false;
}

}  // namespace tarn::log
