#include "kafka/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

namespace tarn::kafka {
namespace {

Status Corrupt(Compression compression, std::string_view why) {
  return Status::Corruption(std::string(CompressionName(compression)) +
                            " data is invalid: " + std::string(why));
}

Status TooLarge(Compression compression, size_t max_output) {
  return Status::ResourceExhausted(std::string(CompressionName(compression)) +
                                   " data decompresses to more than " + std::to_string(max_output) +
                                   " bytes");
}

// The decompressed bytes of a stream whose size is not known up front. It grows by doubling up
// to max_output + 1 bytes: producing that one extra byte is how an over-long output is caught
// without decompressing further.
class GrowingOutput {
 public:
  GrowingOutput(size_t size_hint, size_t max_output)
      : limit_(max_output == SIZE_MAX ? SIZE_MAX : max_output + 1) {
    bytes_.resize(std::min(std::max<size_t>(size_hint, 64), limit_));
  }

  uint8_t* next() { return bytes_.data() + used_; }
  size_t available() const { return bytes_.size() - used_; }
  void Commit(size_t n) { used_ += n; }
  bool exceeds(size_t max_output) const { return used_ > max_output; }

  // Makes room when the buffer is full; false when it already holds max_output + 1 bytes.
  bool EnsureRoom() {
    if (available() > 0) return true;
    if (bytes_.size() >= limit_) return false;
    bytes_.resize(std::min(limit_, std::max<size_t>(bytes_.size() * 2, 4096)));
    return true;
  }

  Bytes Finish() && {
    bytes_.resize(used_);
    return std::move(bytes_);
  }

 private:
  size_t limit_;
  size_t used_ = 0;
  Bytes bytes_;
};

// ---- gzip -------------------------------------------------------------------------------

constexpr size_t kDeflateMaxRatio = 1032;  // no deflate stream expands further than this

Result<Bytes> GzipDecompress(ByteView in, size_t max_output) {
  constexpr Compression kCodec = Compression::kGzip;
  if (in.size() > UINT_MAX) return Error(Corrupt(kCodec, "input larger than 4 GiB"));
  // A single member's trailer ends with its size mod 2^32 (ISIZE): a good first guess, capped
  // by what the input could possibly expand to, so a lying trailer cannot make us allocate.
  size_t hint = in.size() * 4;
  if (in.size() >= 18) {
    const uint8_t* t = in.data() + in.size() - 4;
    hint = uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
  }
  GrowingOutput out(std::min(hint, in.size() * kDeflateMaxRatio), max_output);

  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Error(Status::Internal("zlib inflateInit2 failed"));
  }
  std::unique_ptr<z_stream, decltype(&inflateEnd)> end_guard(&zs, &inflateEnd);
  zs.next_in = const_cast<Bytef*>(in.data());  // zlib's API predates const
  zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (!out.EnsureRoom()) return Error(TooLarge(kCodec, max_output));
    uInt room = static_cast<uInt>(std::min<size_t>(out.available(), UINT_MAX));
    zs.next_out = out.next();
    zs.avail_out = room;
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.Commit(room - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows (RFC 1952 §2.2)
    } else if (rc == Z_BUF_ERROR) {
      // No progress: the output was full (grow and go on) or the input ran out.
      if (zs.avail_in == 0) return Error(Corrupt(kCodec, "truncated stream"));
    } else if (rc == Z_MEM_ERROR) {
      return Error(Status::ResourceExhausted("zlib ran out of memory"));
    } else if (rc != Z_OK) {
      return Error(Corrupt(kCodec, zs.msg != nullptr ? zs.msg : "inflate failed"));
    }
  }
  if (out.exceeds(max_output)) return Error(TooLarge(kCodec, max_output));
  return std::move(out).Finish();
}

Result<Bytes> GzipCompress(ByteView in) {
  if (in.size() > UINT_MAX) return Error(Status::InvalidArgument("gzip input larger than 4 GiB"));
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Error(Status::Internal("zlib deflateInit2 failed"));
  }
  std::unique_ptr<z_stream, decltype(&deflateEnd)> end_guard(&zs, &deflateEnd);
  Bytes out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return Error(Status::Internal("zlib deflate failed"));
  out.resize(zs.total_out);
  return out;
}

// ---- snappy -----------------------------------------------------------------------------

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;  // magic, int32 version, int32 compatible version
constexpr size_t kSnappyMaxRatio = 22;

bool IsXerial(ByteView in) {
  return in.size() >= sizeof(kXerialMagic) &&
         std::memcmp(in.data(), kXerialMagic, sizeof(kXerialMagic)) == 0;
}

// Raw snappy blocks announce their decompressed length, so a stream is sized, checked against
// max_output and allocated once before anything is decompressed.
Result<Bytes> SnappyDecompress(ByteView in, size_t max_output) {
  constexpr Compression kCodec = Compression::kSnappy;
  std::vector<ByteView> chunks;
  if (!IsXerial(in)) {
    chunks.push_back(in);
  } else {
    if (in.size() < kXerialHeaderSize) return Error(Corrupt(kCodec, "truncated xerial header"));
    for (size_t pos = kXerialHeaderSize; pos < in.size();) {
      if (in.size() - pos < 4) return Error(Corrupt(kCodec, "truncated xerial chunk length"));
      int32_t length = LoadBigEndian<int32_t>(in.data() + pos);
      pos += 4;
      if (length < 0 || static_cast<size_t>(length) > in.size() - pos) {
        return Error(Corrupt(kCodec, "xerial chunk of " + std::to_string(length) +
                                         " bytes overruns the " + std::to_string(in.size() - pos) +
                                         " left"));
      }
      chunks.push_back(in.subspan(pos, static_cast<size_t>(length)));
      pos += static_cast<size_t>(length);
    }
  }
  size_t total = 0;
  std::vector<size_t> sizes;
  sizes.reserve(chunks.size());
  for (ByteView chunk : chunks) {
    size_t n = 0;
    if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(chunk.data()), chunk.size(),
                                       &n)) {
      return Error(Corrupt(kCodec, "bad block length"));
    }
    // The announced length is untrusted and sizes an allocation: no snappy element yields
    // more than 64 bytes from 3 (a two-byte-offset copy), so a longer claim is a lie.
    if (n / kSnappyMaxRatio > chunk.size()) {
      return Error(Corrupt(kCodec, "a block of " + std::to_string(chunk.size()) + " bytes claims " +
                                       std::to_string(n)));
    }
    if (n > max_output - total) return Error(TooLarge(kCodec, max_output));
    total += n;
    sizes.push_back(n);
  }
  Bytes out(total);
  size_t written = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (!snappy::RawUncompress(reinterpret_cast<const char*>(chunks[i].data()), chunks[i].size(),
                               reinterpret_cast<char*>(out.data() + written))) {
      return Error(Corrupt(kCodec, "bad block"));
    }
    written += sizes[i];
  }
  return out;
}

Result<Bytes> SnappyCompress(ByteView in) {
  Bytes out(snappy::MaxCompressedLength(in.size()));
  size_t length = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                      reinterpret_cast<char*>(out.data()), &length);
  out.resize(length);
  return out;
}

// ---- lz4 --------------------------------------------------------------------------------

struct Lz4DctxFree {
  void operator()(LZ4F_dctx* dctx) const { LZ4F_freeDecompressionContext(dctx); }
};

// One decompression context per thread, kept between calls: creating one allocates its block
// buffers again. Null when lz4 could not create one.
std::unique_ptr<LZ4F_dctx, Lz4DctxFree>& ThreadLz4Dctx() {
  thread_local std::unique_ptr<LZ4F_dctx, Lz4DctxFree> dctx;
  if (dctx == nullptr) {
    LZ4F_dctx* raw = nullptr;
    if (!LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) dctx.reset(raw);
  }
  return dctx;
}

Result<Bytes> Lz4DecompressWith(LZ4F_dctx* dctx, ByteView in, size_t max_output) {
  constexpr Compression kCodec = Compression::kLz4;
  // The frame header may carry the content size; read it first to size the output.
  const uint8_t* src = in.data();
  size_t src_left = in.size();
  LZ4F_frameInfo_t info{};
  size_t header_size = src_left;
  size_t rc = LZ4F_getFrameInfo(dctx, &info, src, &header_size);
  if (LZ4F_isError(rc)) return Error(Corrupt(kCodec, LZ4F_getErrorName(rc)));
  src += header_size;
  src_left -= header_size;
  size_t hint = info.contentSize != 0 ? static_cast<size_t>(info.contentSize) : in.size() * 4;
  GrowingOutput out(std::min<size_t>(hint, in.size() * 256), max_output);

  for (;;) {
    if (!out.EnsureRoom()) return Error(TooLarge(kCodec, max_output));
    size_t dst_size = out.available();
    size_t src_size = src_left;
    rc = LZ4F_decompress(dctx, out.next(), &dst_size, src, &src_size, nullptr);
    if (LZ4F_isError(rc)) return Error(Corrupt(kCodec, LZ4F_getErrorName(rc)));
    src += src_size;
    src_left -= src_size;
    out.Commit(dst_size);
    if (src_left == 0) {
      if (rc == 0) break;  // every frame ended
      if (dst_size == 0) return Error(Corrupt(kCodec, "truncated frame"));
    }
    // rc == 0 with input left: another frame follows.
  }
  if (out.exceeds(max_output)) return Error(TooLarge(kCodec, max_output));
  return std::move(out).Finish();
}

Result<Bytes> Lz4Decompress(ByteView in, size_t max_output) {
  std::unique_ptr<LZ4F_dctx, Lz4DctxFree>& dctx = ThreadLz4Dctx();
  if (dctx == nullptr) return Error(Status::Internal("cannot create an lz4 context"));
  Result<Bytes> out = Lz4DecompressWith(dctx.get(), in, max_output);
  // After a failure mid-frame, LZ4F_resetDecompressionContext is not enough: lz4 1.9.4 keeps
  // the stale frame's remaining content size and fails the next frame's size check.
  if (!out.has_value()) dctx.reset();
  return out;
}

Result<Bytes> Lz4Compress(ByteView in) {
  LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  Bytes out(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t rc = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(rc)) {
    return Error(Status::Internal(std::string("lz4 compression failed: ") + LZ4F_getErrorName(rc)));
  }
  out.resize(rc);
  return out;
}

// ---- zstd -------------------------------------------------------------------------------

struct ZstdFree {
  void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
  void operator()(ZSTD_CCtx* cctx) const { ZSTD_freeCCtx(cctx); }
};

constexpr unsigned long long kZstdMaxRatio = 128 * 1024 / 4;

// One context of each kind per thread: a zstd context is large to create.
ZSTD_DCtx* ThreadZstdDctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdFree> dctx(ZSTD_createDCtx());
  return dctx.get();
}
ZSTD_CCtx* ThreadZstdCctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdFree> cctx(ZSTD_createCCtx());
  return cctx.get();
}

// Streaming decompression keeps a window of the frame's declared size. Allow about max_output,
// but never less than 8 MiB (what levels up to 19 declare) nor more than zstd's own default
// limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB, which only the static-linking API names).
int ZstdWindowLogMax(size_t max_output) {
  constexpr int kMinWindowLog = 23;
  constexpr int kMaxWindowLog = 27;
  return std::clamp(static_cast<int>(std::bit_width(max_output)), kMinWindowLog, kMaxWindowLog);
}

Result<Bytes> ZstdDecompress(ByteView in, size_t max_output) {
  constexpr Compression kCodec = Compression::kZstd;
  ZSTD_DCtx* dctx = ThreadZstdDctx();
  if (dctx == nullptr) return Error(Status::Internal("cannot create a zstd context"));

  unsigned long long content_size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (content_size == ZSTD_CONTENTSIZE_ERROR) return Error(Corrupt(kCodec, "not a zstd frame"));
  if (content_size != ZSTD_CONTENTSIZE_UNKNOWN) {
    // librdkafka and most writers record the size: decompress in one call, no window buffer.
    // The size is untrusted and sizes an allocation: no block of at least 4 bytes (an RLE
    // block) yields more than 128 KiB, so a longer claim is a lie.
    if (content_size / kZstdMaxRatio > in.size()) {
      return Error(Corrupt(kCodec, "a frame of " + std::to_string(in.size()) + " bytes claims " +
                                       std::to_string(content_size)));
    }
    if (content_size > max_output) return Error(TooLarge(kCodec, max_output));
    Bytes out(static_cast<size_t>(content_size));
    size_t rc = ZSTD_decompressDCtx(dctx, out.data(), out.size(), in.data(), in.size());
    if (!ZSTD_isError(rc)) {
      out.resize(rc);
      return out;
    }
    // More frames follow the first: fall through to streaming.
    if (ZSTD_getErrorCode(rc) != ZSTD_error_dstSize_tooSmall) {
      return Error(Corrupt(kCodec, ZSTD_getErrorName(rc)));
    }
  }

  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
  ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, ZstdWindowLogMax(max_output));
  GrowingOutput out(in.size() * 4, max_output);
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  for (;;) {
    if (!out.EnsureRoom()) return Error(TooLarge(kCodec, max_output));
    ZSTD_outBuffer output{out.next(), out.available(), 0};
    size_t rc = ZSTD_decompressStream(dctx, &output, &input);
    if (ZSTD_isError(rc)) {
      if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
        return Error(Status::ResourceExhausted("zstd frame needs a window larger than 2^" +
                                               std::to_string(ZstdWindowLogMax(max_output)) +
                                               " bytes"));
      }
      return Error(Corrupt(kCodec, ZSTD_getErrorName(rc)));
    }
    out.Commit(output.pos);
    if (input.pos == input.size) {
      if (rc == 0) break;  // the last frame ended and is flushed
      if (output.pos < output.size) return Error(Corrupt(kCodec, "truncated frame"));
    }
  }
  if (out.exceeds(max_output)) return Error(TooLarge(kCodec, max_output));
  return std::move(out).Finish();
}

Result<Bytes> ZstdCompress(ByteView in) {
  ZSTD_CCtx* cctx = ThreadZstdCctx();
  if (cctx == nullptr) return Error(Status::Internal("cannot create a zstd context"));
  Bytes out(ZSTD_compressBound(in.size()));
  size_t rc =
      ZSTD_compressCCtx(cctx, out.data(), out.size(), in.data(), in.size(), ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(rc)) {
    return Error(
        Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(rc)));
  }
  out.resize(rc);
  return out;
}

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<Compression> CompressionFromCodec(int codec) {
  if (codec < 0 || codec > static_cast<int>(Compression::kZstd)) return std::nullopt;
  return static_cast<Compression>(codec);
}

Result<Bytes> Decompress(Compression compression, ByteView input, size_t max_output) {
  switch (compression) {
    case Compression::kNone:
      if (input.size() > max_output) return Error(TooLarge(compression, max_output));
      return Bytes(input.begin(), input.end());
    case Compression::kGzip:
      return GzipDecompress(input, max_output);
    case Compression::kSnappy:
      return SnappyDecompress(input, max_output);
    case Compression::kLz4:
      return Lz4Decompress(input, max_output);
    case Compression::kZstd:
      return ZstdDecompress(input, max_output);
  }
  return Error(Status::Unsupported("unknown compression codec " +
                                   std::to_string(static_cast<int>(compression))));
}

Result<Bytes> Compress(Compression compression, ByteView input) {
  switch (compression) {
    case Compression::kNone:
      return Bytes(input.begin(), input.end());
    case Compression::kGzip:
      return GzipCompress(input);
    case Compression::kSnappy:
      return SnappyCompress(input);
    case Compression::kLz4:
      return Lz4Compress(input);
    case Compression::kZstd:
      return ZstdCompress(input);
  }
  return Error(Status::Unsupported("unknown compression codec " +
                                   std::to_string(static_cast<int>(compression))));
}

}  // namespace tarn::kafka
