// Errors as values: berth::Result<T> is std::expected<T, Error>.
//
// Why not exceptions (shared/STYLE.md section 4): the child after clone() must never unwind,
// many errno values are outcomes to branch on (EPERM when rootless, EEXIST, ENOENT), and
// every fallible step stays visible where it is called.
//
// An Error carries the errno (0 when no syscall failed), the operation ("mount"), the object
// ("/proc") and a chain of context added on the way out. It prints outermost context first:
//   starting web: preparing rootfs: mount "/proc": Operation not permitted
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace berth {

class Error {
 public:
  Error() = default;
  Error(int err, std::string op, std::string object = {})
      : errno_(err), op_(std::move(op)), object_(std::move(object)) {}

  int errno_value() const { return errno_; }
  const std::string& op() const { return op_; }
  const std::string& object() const { return object_; }

  // Adds an outer layer of context ("preparing rootfs"); returns *this for chaining.
  Error& context(std::string what) {
    context_.push_back(std::move(what));
    return *this;
  }

  std::string message() const;
  const std::vector<std::string>& contexts() const { return context_; }

  // A flat byte form, for sending an error from a container's child process to its parent
  // over a socket (the child must not unwind, so it reports and exits instead).
  std::string serialize() const;
  static Error deserialize(const std::string& bytes);

 private:
  int errno_ = 0;
  std::string op_;
  std::string object_;
  std::vector<std::string> context_;  // innermost first
};

template <typename T = void>
using Result = std::expected<T, Error>;

// The error of a syscall that just failed: captures errno, so call it on the very next line.
inline std::unexpected<Error> sys_error(std::string op, std::string object = {}) {
  return std::unexpected(Error(errno, std::move(op), std::move(object)));
}

// An error that did not come from a syscall (bad input, a violated rule).
inline std::unexpected<Error> fail(std::string what, std::string object = {}) {
  return std::unexpected(Error(0, std::move(what), std::move(object)));
}

// Same, with an explicit errno (for codes returned rather than set, like libseccomp's -errno).
inline std::unexpected<Error> fail_errno(int err, std::string op, std::string object = {}) {
  return std::unexpected(Error(err, std::move(op), std::move(object)));
}

// Re-wraps an error with context: `return std::unexpected(wrap(r.error(), "mounting /proc"));`
inline Error wrap(Error e, std::string what) {
  e.context(std::move(what));
  return e;
}

}  // namespace berth

// TRY(expr): evaluate a Result; on error return it (optionally with context) from the caller.
#define BERTH_CONCAT_(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_(a, b)
// A single statement (do/while), so `if (x) TRY(f());` does what it says.
#define TRY_IMPL_(tmp, expr)                                       \
  do {                                                             \
    auto tmp = (expr);                                             \
    if (!tmp) return std::unexpected(std::move(tmp).error());      \
  } while (0)
#define TRY(expr) TRY_IMPL_(BERTH_CONCAT(try_tmp_, __LINE__), expr)

// TRY_CTX(expr, "context"): same, adding a context string on the way out.
#define TRY_CTX_IMPL_(tmp, expr, ctx)                              \
  do {                                                             \
    auto tmp = (expr);                                             \
    if (!tmp) return std::unexpected(::berth::wrap(std::move(tmp).error(), ctx)); \
  } while (0)
#define TRY_CTX(expr, ctx) TRY_CTX_IMPL_(BERTH_CONCAT(try_tmp_, __LINE__), expr, ctx)

// ASSIGN_OR_RETURN(lhs, expr): `ASSIGN_OR_RETURN(auto fd, open_file(p));`
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                     \
  auto tmp = (expr);                                               \
  if (!tmp) return std::unexpected(std::move(tmp).error());        \
  lhs = std::move(*tmp)
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(BERTH_CONCAT(assign_tmp_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_CTX_IMPL_(tmp, lhs, expr, ctx)            \
  auto tmp = (expr);                                               \
  if (!tmp) return std::unexpected(::berth::wrap(std::move(tmp).error(), ctx)); \
  lhs = std::move(*tmp)
#define ASSIGN_OR_RETURN_CTX(lhs, expr, ctx) \
  ASSIGN_OR_RETURN_CTX_IMPL_(BERTH_CONCAT(assign_tmp_, __LINE__), lhs, expr, ctx)
