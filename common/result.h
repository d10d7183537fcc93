// Result<T> and Error: how every fallible function in twinbox reports failure.
//
// twinbox code never throws. A function that can fail returns Result<T>, a
// small subset of C++23 std::expected<T, Error>, so that moving to the
// standard type later is a one-line alias. An Error carries the errno value
// (0 when there is none), the call that failed ("ioctl(KVM_CREATE_VM)") and
// human context ("/dev/kvm"), and may carry a hint that tells the user what to
// do next. to_string() renders all of it as one line for stderr.
//
// An Error also says how the command should end: its exit status (125,
// "twinbox failed", unless the failure belongs to the workload: 126 cannot
// execute, 127 not found; see common/exit_codes.h) and a kind that lets a
// caller tell a damaged file from other failures without matching text.
// Libraries only build Errors; cli/report.h prints them, once.
//
// TRY(expr) unwraps a Result or returns its error from the enclosing function,
// like Rust's `?` or SerenityOS's TRY(). It uses a GNU statement expression,
// which GCC and Clang both support.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/exit_codes.h"

namespace twinbox {

class Error {
public:
    // What went wrong, where a caller acts on it (not for wording).
    enum class Kind {
        Other,
        Damaged,  // a file twinbox wrote is unreadable: named, never removed silently
    };

    // An error from a failed system call; `call` names it, `context` says what it was acting on.
    static Error from_errno(std::string_view call, std::string_view context, int err = errno) {
        return Error(err, std::string(call), std::string(context));
    }
    // An error that is not a system call failure (bad input, unsupported guest...).
    static Error message(std::string_view text) { return Error(0, {}, std::string(text)); }

    int code() const { return m_errno; }
    const std::string& call() const { return m_call; }
    const std::string& context() const { return m_context; }
    const std::string& hint() const { return m_hint; }
    // The status the command should exit with (125 unless the error says otherwise).
    int exit_status() const { return m_exit_status; }
    Kind kind() const { return m_kind; }

    // Adds an outer layer of context: "loading kernel" + "read(x): EIO".
    Error&& with_context(std::string_view outer) && {
        m_context = std::string(outer) + (m_context.empty() ? "" : ": " + m_context);
        return std::move(*this);
    }
    // A sentence telling the user what to do ("are you root or in the kvm group?").
    Error&& with_hint(std::string_view hint) && {
        m_hint = std::string(hint);
        return std::move(*this);
    }

    Error&& with_exit_status(int status) && {
        m_exit_status = status;
        return std::move(*this);
    }
    Error&& with_kind(Kind kind) && {
        m_kind = kind;
        return std::move(*this);
    }

    std::string to_string() const {
        std::string text = m_context;
        if (!m_call.empty())
            text += (text.empty() ? "" : ": ") + m_call;
        if (m_errno != 0)
            text += std::string(text.empty() ? "" : ": ") + std::strerror(m_errno);
        if (!m_hint.empty())
            text += " - " + m_hint;
        return text;
    }

private:
    Error(int err, std::string call, std::string context)
        : m_errno(err), m_call(std::move(call)), m_context(std::move(context)) {}

    int m_errno;
    std::string m_call;
    std::string m_context;
    std::string m_hint;
    int m_exit_status = exit_code::kTwinboxError;
    Kind m_kind = Kind::Other;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_storage(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_storage(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return m_storage.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(m_storage); }
    const T& value() const& { return std::get<0>(m_storage); }
    T&& value() && { return std::get<0>(std::move(m_storage)); }
    T& operator*() & { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(m_storage); }
    Error&& error() && { return std::get<1>(std::move(m_storage)); }

    // On error, prefixes the error's context with `outer` (a file name, say).
    Result with_context(std::string_view outer) && {
        if (has_value())
            return std::move(*this);
        return std::move(std::get<1>(m_storage)).with_context(outer);
    }

    // Unwrapping helper for TRY(): moves the value out.
    T release_value() { return std::get<0>(std::move(m_storage)); }
    Error release_error() { return std::get<1>(std::move(m_storage)); }

private:
    std::variant<T, Error> m_storage;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}

    bool has_value() const { return !m_failed; }
    explicit operator bool() const { return has_value(); }
    const Error& error() const& { return m_error; }
    Error&& error() && { return std::move(m_error); }
    Result with_context(std::string_view outer) && {
        if (has_value())
            return {};
        return std::move(m_error).with_context(outer);
    }
    void release_value() {}
    Error release_error() { return std::move(m_error); }

private:
    Error m_error = Error::message("");
    bool m_failed = false;
};

// Returns an empty success, for readability: `return ok();`.
inline Result<void> ok() {
    return {};
}

}  // namespace twinbox

// Evaluates a Result-returning expression; on error, returns the error from
// the enclosing function, otherwise yields the value.
#define TRY(expression)                            \
    ({                                             \
        auto try_result_ = (expression);           \
        if (!try_result_.has_value()) [[unlikely]] \
            return try_result_.release_error();    \
        try_result_.release_value();               \
    })
