// A layer blob read once, hashed twice, decompressed on a producer thread (see layer_stream.h).
#include "oci/layer_stream.h"

#include <archive.h>
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/sha256.h"
#include "oci/digest.h"

namespace berth::oci {

namespace {

constexpr size_t kReadBufferSize = 1 << 20;  // big reads: few syscalls per layer
constexpr size_t kQueueBlockSize = 1 << 20;  // the producer hands over ~1 MiB at a time
constexpr size_t kQueueDepth = 8;

// The synchronous half: file -> blob hash -> libarchive filters -> diff hash.
class Decompressor {
 public:
  ~Decompressor() {
    if (a_) archive_read_free(a_);
  }

  Result<> open(const std::string& path) {
    path_ = path;
    ASSIGN_OR_RETURN(fd_, open_fd(path, O_RDONLY));
    buf_.resize(kReadBufferSize);
    a_ = archive_read_new();
    if (!a_) return fail("archive_read_new");
    // Only in-process decompressors: filter_all would also run external programs (lrzip,
    // lzop...) on crafted input.
    archive_read_support_filter_gzip(a_);
    archive_read_support_filter_zstd(a_);
    archive_read_support_filter_xz(a_);
    archive_read_support_filter_bzip2(a_);
    archive_read_support_format_raw(a_);
    if (archive_read_open(a_, this, nullptr, &Decompressor::read_cb, nullptr) != ARCHIVE_OK) {
      return archive_failure("open");
    }
    struct archive_entry* entry;
    int r = archive_read_next_header(a_, &entry);
    if (r == ARCHIVE_EOF) eof_ = true;
    else if (r != ARCHIVE_OK) return archive_failure("decompress");
    return {};
  }

  // The next decompressed block (hashed into the diff id); empty at the end of the stream.
  Result<std::string_view> next() {
    if (eof_) return std::string_view();
    const void* data;
    size_t size;
    la_int64_t offset;
    int r = archive_read_data_block(a_, &data, &size, &offset);
    if (r == ARCHIVE_EOF) {
      eof_ = true;
      return std::string_view();
    }
    if (r < ARCHIVE_WARN) return archive_failure("decompress");
    diff_.update(data, size);
    return std::string_view(static_cast<const char*>(data), size);
  }

  // After the decompressor's end: bytes after the compressed stream still count for the blob.
  Result<> drain_file() {
    while (true) {
      ssize_t n = ::read(fd_.get(), buf_.data(), buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("read", path_);
      if (n == 0) return {};
      blob_.update(buf_.data(), static_cast<size_t>(n));
      blob_size_ += n;
    }
  }

  Sha256 blob_, diff_;
  int64_t blob_size_ = 0;

 private:
  static la_ssize_t read_cb(struct archive*, void* self_ptr, const void** out) {
    auto* self = static_cast<Decompressor*>(self_ptr);
    ssize_t n;
    do n = ::read(self->fd_.get(), self->buf_.data(), self->buf_.size());
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      self->read_errno_ = errno;
      return -1;
    }
    self->blob_.update(self->buf_.data(), static_cast<size_t>(n));
    self->blob_size_ += n;
    *out = self->buf_.data();
    return n;
  }

  std::unexpected<Error> archive_failure(const char* what) {
    if (read_errno_) return fail_errno(read_errno_, "read", path_);
    const char* msg = archive_error_string(a_);
    return fail(std::string(what) + ": " + (msg ? msg : "unknown libarchive error"), path_);
  }

  std::string path_;
  Fd fd_;
  struct archive* a_ = nullptr;
  std::vector<char> buf_;
  int read_errno_ = 0;
  bool eof_ = false;
};

// The threaded half: a producer fills a bounded queue of ~1 MiB blocks; next() pops them.
class ThreadedStream final : public LayerStream {
 public:
  explicit ThreadedStream(std::unique_ptr<Decompressor> d) : d_(std::move(d)) {
    producer_ = std::thread([this] { produce(); });
  }
  ~ThreadedStream() override { stop(); }

  Result<std::string_view> next() override {
    std::unique_lock lock(mu_);
    if (!current_.empty()) free_.push_back(std::move(current_));
    current_.clear();
    cv_.wait(lock, [this] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      cv_.notify_all();
      return std::string_view(current_);
    }
    if (error_) return std::unexpected(*error_);
    return std::string_view();
  }

  Result<> finish() override {
    while (true) {
      ASSIGN_OR_RETURN(std::string_view block, next());
      if (block.empty()) break;
    }
    stop();
    blob_digest_ = std::string(kSha256Prefix) + d_->blob_.hex_digest();
    diff_id_ = std::string(kSha256Prefix) + d_->diff_.hex_digest();
    return {};
  }

  std::string blob_digest() const override { return blob_digest_; }
  std::string diff_id() const override { return diff_id_; }
  int64_t blob_size() const override { return d_->blob_size_; }

 private:
  void produce() {
    std::string block;
    while (true) {
      auto r = d_->next();
      if (r && !r->empty()) {
        block.append(*r);
        if (block.size() < kQueueBlockSize) continue;
      }
      Result<> drained = r && r->empty() ? d_->drain_file() : Result<>();
      std::unique_lock lock(mu_);
      if (!block.empty()) {
        cv_.wait(lock, [this] { return queue_.size() < kQueueDepth || stop_; });
        if (stop_) break;
        queue_.push_back(std::move(block));
        block.clear();
        if (!free_.empty()) {
          block = std::move(free_.back());
          free_.pop_back();
          block.clear();
        }
      }
      if (!r || !drained || r->empty()) {
        if (!r) error_ = r.error();
        else if (!drained) error_ = drained.error();
        break;
      }
      cv_.notify_all();
    }
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    if (producer_.joinable()) producer_.join();
  }

  std::unique_ptr<Decompressor> d_;
  std::thread producer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::vector<std::string> free_;
  std::string current_;
  std::optional<Error> error_;
  bool done_ = false, stop_ = false;
  std::string blob_digest_, diff_id_;
};

}  // namespace

Result<std::unique_ptr<LayerStream>> LayerStream::open(const std::string& path) {
  auto d = std::make_unique<Decompressor>();
  TRY(d->open(path));
  return std::unique_ptr<LayerStream>(new ThreadedStream(std::move(d)));
}

}  // namespace berth::oci
