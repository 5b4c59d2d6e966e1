//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_ASYNC_BACKTRACE_HPP
#define BOOST_AFFINE_ASYNC_BACKTRACE_HPP

#include <boost/affine/environment.hpp>
#include <boost/affine/detail/await_site.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <ostream>
#include <source_location>
#include <sstream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include <cxxabi.h>

namespace boost::affine {

/// What a frame of an async backtrace is.
enum class async_frame_kind {
    task,        ///< a task (or strict_task), suspended at a `co_await`, or running (frame #0)
    and_operand, ///< an operand of `&&`: the frames above it run in that branch
    or_operand,  ///< an operand of `||`
    spawn        ///< the `co_spawn` that started the chain (the outermost frame)
};

class async_stack;
inline async_stack async_backtrace(detail::site_ptr here = BOOST_AFFINE_DETAIL_HERE) noexcept;

namespace detail {
inline async_stack backtrace_from(environment* e, site_ptr here) noexcept;
class exception_origins;
} // namespace detail

/** One frame of an async backtrace: a task and the `co_await` it is suspended at, an operand
    of an awaitable operator, or the `co_spawn` that started the chain.
*/
class async_frame {
public:
    async_frame() noexcept = default;

    async_frame_kind kind() const noexcept { return kind_; }

    /** Where the frame is: for a task, the `co_await` it is suspended at (for frame #0, where
        `async_backtrace` was called); for the spawn frame, the `co_spawn` call. Line 0 and
        empty names where not known (an operand frame; a build with
        `BOOST_AFFINE_NO_AWAIT_SITES`).
    */
    std::source_location where() const noexcept { return detail::location_of(site_); }

    /// For an operand frame, which operand: 0 (left) or 1 (right).
    unsigned operand() const noexcept { return operand_; }

    /** The function the frame is in, as the compiler names it in `where().function_name()`,
        without its return type: `parse(int)`, `session::run()`. (g++ names a coroutine's body
        after its frame type in some places, `void f(f(int)::_Z1fi.Frame*)`: that is `f(int)`
        here too.) Empty if not known.
    */
    std::string_view function() const noexcept {
        return without_return_type(where().function_name());
    }

private:
    friend class async_stack;
    friend class detail::exception_origins;
    friend async_stack detail::backtrace_from(environment*, detail::site_ptr) noexcept;

    // g++ names the body of a coroutine by its frame: `void f(f(int)::_Z1fi.Frame*)`, or for a
    // lambda `void<lambda()>::operator()(<lambda()>::_ZNK...Frame*)`. What is meant is the
    // function's own signature, `f(int)`, before the frame's mangled name (or, when that is
    // no signature, as for the lambda, the name before the parameter list: its
    // `<lambda()>::operator()`).
    static std::string_view clean_function(std::string_view f) noexcept {
        std::size_t const z = f.rfind("::_Z");
        if (z == std::string_view::npos || f.size() < 8 || f.substr(f.size() - 8) != ".Frame*)")
            return f;
        // The start of the signature: after the '(' that no bracket before `z` closes.
        int depth = 0;
        std::size_t open = std::string_view::npos;
        for (std::size_t i = z; i-- > 0;) {
            char const c = f[i];
            if (c == ')' || c == '>' || c == ']')
                ++depth;
            else if ((c == '(' || c == '<' || c == '[') && depth-- == 0) {
                open = i;
                break;
            }
        }
        if (open == std::string_view::npos || f[open] != '(')
            return f;
        std::string_view const signature = f.substr(open + 1, z - open - 1);
        if (!signature.empty() && signature.back() == ')')
            return signature;
        std::string_view name = f.substr(0, open);
        if (name.substr(0, 4) == "void")
            name.remove_prefix(4);
        while (!name.empty() && name.front() == ' ')
            name.remove_prefix(1);
        return name;
    }

    // The function without its return type: `leaf(int)` for `task<int> leaf(int)` (and for
    // g++'s `void leaf(leaf(int)::_Z4leafi.Frame*)`), to tell whether two sites are in one
    // function whatever form the compiler gave each.
    static std::string_view without_return_type(std::string_view f) noexcept {
        f = clean_function(f);
        std::size_t const close = f.rfind(')');
        if (close == std::string_view::npos)
            return f;
        int depth = 0;
        std::size_t open = std::string_view::npos;
        for (std::size_t i = close + 1; i-- > 0;) {
            char const c = f[i];
            if (c == ')' || c == '>')
                ++depth;
            else if ((c == '(' || c == '<') && --depth == 0 && c == '(') {
                open = i;
                break;
            }
        }
        if (open == std::string_view::npos)
            return f;
        depth = 0;
        for (std::size_t i = open; i-- > 0;) {
            char const c = f[i];
            if (c == ')' || c == '>')
                ++depth;
            else if (c == '(' || c == '<')
                --depth;
            else if (c == ' ' && depth == 0)
                return f.substr(i + 1);
        }
        return f;
    }

    static bool same_function(detail::site_ptr a, detail::site_ptr b) noexcept {
        return without_return_type(detail::location_of(a).function_name()) ==
               without_return_type(detail::location_of(b).function_name());
    }

    async_frame_kind kind_ = async_frame_kind::task;
    unsigned operand_ = 0;
    detail::site_ptr site_ = nullptr;
};

/** The logical call stack of a chain, innermost first: what `async_backtrace()` returns.

    Holds up to `capacity` frames without allocating: the `capacity - 1` innermost frames and the
    outermost one (the `co_spawn`); `omitted()` says how many were left out between them.
*/
class async_stack {
public:
    static constexpr std::size_t capacity = 32;

    using const_iterator = async_frame const*;

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    async_frame const& operator[](std::size_t i) const noexcept { return frames_[i]; }
    const_iterator begin() const noexcept { return frames_.data(); }
    const_iterator end() const noexcept { return frames_.data() + size_; }

    /// Frames left out between the innermost `capacity - 1` and the outermost.
    std::size_t omitted() const noexcept { return omitted_; }

private:
    friend async_stack detail::backtrace_from(environment*, detail::site_ptr) noexcept;

    void push(async_frame_kind kind, detail::site_ptr site, unsigned operand = 0) noexcept {
        async_frame f;
        f.kind_ = kind;
        f.site_ = site;
        f.operand_ = operand;
        if (size_ < capacity - 1) {
            frames_[size_++] = f;
            return;
        }
        if (has_last_)
            ++omitted_;
        last_ = f;
        has_last_ = true;
    }
    void finish() noexcept {
        if (has_last_)
            frames_[size_++] = last_;
    }

    std::array<async_frame, capacity> frames_{};
    std::size_t size_ = 0;
    std::size_t omitted_ = 0;
    async_frame last_{};
    bool has_last_ = false;
};

/** Writes one frame in the familiar form: `leaf(int) at file.cpp:42`, `operand 0 of &&`,
    `co_spawn at file.cpp:70 in main()`.
*/
inline std::ostream& operator<<(std::ostream& os, async_frame const& f) {
    std::source_location const w = f.where();
    auto at = [&] {
        if (w.line() != 0)
            os << " at " << w.file_name() << ':' << w.line();
    };
    switch (f.kind()) {
    case async_frame_kind::task:
        os << (f.function().empty() ? std::string_view("??") : f.function());
        at();
        break;
    case async_frame_kind::and_operand:
        os << "operand " << f.operand() << " of &&";
        break;
    case async_frame_kind::or_operand:
        os << "operand " << f.operand() << " of ||";
        break;
    case async_frame_kind::spawn:
        os << "co_spawn";
        at();
        if (!f.function().empty())
            os << " in " << f.function();
        break;
    }
    return os;
}

/// Writes the stack, a frame a line: `#0 leaf(int) at file.cpp:42`.
inline std::ostream& operator<<(std::ostream& os, async_stack const& s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 == s.size() && s.omitted() != 0)
            os << "   ... " << s.omitted() << " frames omitted\n";
        os << '#' << (i + 1 == s.size() ? i + s.omitted() : i) << ' ' << s[i] << '\n';
    }
    return os;
}

/// The stack as `operator<<` writes it.
inline std::string to_string(async_stack const& s) {
    std::ostringstream os;
    os << s;
    return std::move(os).str();
}

/** The logical call stack of the chain running on the calling thread, innermost first: each
    task's function and the `co_await` it is suspended at, through the operands of `&&` and `||`
    (a frame says which operand of which operator), up to the `co_spawn` that started the chain
    and where it was called. Frame #0 is where this function is called.

    Call it in a task, or in anything a task runs on the calling thread; elsewhere (no chain
    runs on this thread) the stack is empty. Allocates nothing: the frames refer to the
    compiler's static source locations.

    Await sites are recorded unless `BOOST_AFFINE_NO_AWAIT_SITES` is defined; without them the
    stack has its frames, and no locations but #0's and the spawn's.

    @param here Where it is called: leave the default.
*/
inline async_stack async_backtrace(detail::site_ptr here) noexcept {
    return detail::backtrace_from(environment::current(), here);
}

namespace detail {

// The stack from the environment `e` outwards. `here`: where the backtrace is taken, on the
// thread running `e`'s chain (frame #0); null for a chain suspended (frame #0 is then the
// innermost task, at its co_await).
inline async_stack backtrace_from(environment* e, site_ptr here) noexcept {
    async_stack s;
    bool first = here != nullptr;
    bool skip_operator = false;
    while (e) {
        for (detail::task_link const* l = detail::environment_home::innermost(*e); l;
             l = l->outer_) {
            if (skip_operator) {
                // The operator's own task, whose operand the frame below named.
                skip_operator = false;
                continue;
            }
            if (first) {
                // #0: where this function is called. In the innermost task's own body, that
                // is where the task is; in a function it calls or an awaitable it awaits, the
                // task follows, at the co_await it began last.
                s.push(async_frame_kind::task, here);
                first = false;
                if (!l->site() || async_frame::same_function(here, l->site()))
                    continue;
            }
            s.push(async_frame_kind::task, l->site());
        }
        if (first) {
            // Called before the chain's (or the branch's) first task started, in the function
            // that co_spawn calls to make it: #0 is still where it was called. (A suspended
            // chain that has not started shows its spawn only.)
            s.push(async_frame_kind::task, here);
            first = false;
        }
        detail::trace_outer o = detail::environment_home::outer(*e);
        if (!o.parent) {
            s.push(async_frame_kind::spawn, detail::environment_home::spawn_site(*e));
            break;
        }
        s.push(o.cancel_on_success ? async_frame_kind::or_operand : async_frame_kind::and_operand,
               nullptr, o.operand);
        skip_operator = true;
        e = o.parent;
    }
    s.finish();
    return s;
}

// Where exceptions came from: for each of the last `size` exceptions that left a coroutine of a
// chain, the chain's async backtrace when it did: the innermost task it was thrown in, at its
// latest co_await, and what encloses it. Noted by promise_result::unhandled_exception.
//
// An entry is found by the exception object's address and type, and keeps the exception alive
// (a copy of its exception_ptr), so that no other exception takes its address while it is
// listed: an exception is noted once, where it was thrown, and a matching entry is the same
// exception on its way out (leaving the tasks awaiting that one, the operators, the root).
//
// Under ThreadSanitizer the table owns nothing: an exception kept alive by it is freed on
// whatever thread evicts it, after reads on other threads that only the reference count of
// std::exception_ptr orders, which is in the uninstrumented standard library, and
// ThreadSanitizer reports a race. Then an exception on its way out is told by its stack there,
// a proper suffix of the one noted (the same chain, fewer frames); the operators, which rethrow
// an operand's exception in their own body, say so first (rethrow_noted); and an exception at
// the address and of the type of one noted and gone, if it never left a task, finds that one's
// origin (documented: exception_backtrace).
// What every copy of an exception_ptr of one exception holds: the exception object's address
// (libstdc++ and libc++ alike hold only that pointer).
inline void const* exception_object(std::exception_ptr const& e) noexcept {
    static_assert(sizeof(std::exception_ptr) == sizeof(void const*),
                  "boost::affine: this standard library's std::exception_ptr is not one pointer");
    void const* p;
    std::memcpy(&p, static_cast<void const*>(&e), sizeof p);
    return p;
}

class exception_origins {
public:
    static constexpr std::size_t size = 32;
#if defined(__SANITIZE_THREAD__)
    static constexpr bool owning = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    static constexpr bool owning = false;
#else
    static constexpr bool owning = true;
#endif
#else
    static constexpr bool owning = true;
#endif

    static exception_origins& instance() noexcept {
        static exception_origins table;
        return table;
    }

    // In a handler (unhandled_exception): `e` is the exception being handled.
    BOOST_NOINLINE void note(std::exception_ptr const& e) noexcept {
        void const* const object = object_of(e);
        thread_state& state = this_thread_state();
        if (std::exchange(state.rethrowing_noted, nullptr) == object)
            return; // an operator passing an operand's exception on
        environment* const env = environment::current();
        if (!env || !e)
            return;
        std::type_info const* const type = abi::__cxa_current_exception_type();
        async_stack const stack = backtrace_from(env, nullptr);
        std::exception_ptr evicted;
        {
            lock_guard g(lock_);
            entry* slot = nullptr;
            for (entry& x : entries_)
                if (x.object_ == object && x.type_ == type) {
                    if (owning || proper_suffix(stack, x.stack_))
                        return; // on its way out: noted where it came from
                    slot = &x;  // another exception where an earlier one was
                }
            if (!slot)
                slot = &entries_[next_++ % size];
            if constexpr (owning) {
                evicted = std::move(slot->owner_);
                slot->owner_ = e;
            }
            slot->object_ = object;
            slot->type_ = type;
            slot->stack_ = stack;
        }
        // (an exception evicted, if this was its last reference, is destroyed here, unlocked)
    }

    async_stack find(std::exception_ptr const& e) const noexcept {
        if (!e)
            return {};
        void const* const object = object_of(e);
        std::type_info const* type = nullptr;
        try {
            std::rethrow_exception(e);
        } catch (...) {
            type = abi::__cxa_current_exception_type();
        }
        lock_guard g(lock_);
        for (entry const& x : entries_)
            if (x.object_ == object && x.type_ == type)
                return x.stack_;
        return {};
    }

private:
    exception_origins() noexcept = default;

    static void const* object_of(std::exception_ptr const& e) noexcept {
        return exception_object(e);
    }

    static bool same_frame(async_frame const& a, async_frame const& b) noexcept {
        return a.kind_ == b.kind_ && a.operand_ == b.operand_ && a.site_ == b.site_;
    }

    // `shorter` is `longer` without its innermost frames (at least one).
    static bool proper_suffix(async_stack const& shorter, async_stack const& longer) noexcept {
        if (shorter.size() >= longer.size() || shorter.omitted() > longer.omitted())
            return false;
        std::size_t const skip = longer.size() - shorter.size();
        for (std::size_t i = 0; i < shorter.size(); ++i)
            if (!same_frame(shorter[i], longer[skip + i]))
                return false;
        return true;
    }

    struct entry {
        std::exception_ptr owner_; // when owning
        void const* object_ = nullptr;
        std::type_info const* type_ = nullptr;
        async_stack stack_;
    };

    struct lock_guard {
        std::atomic_flag& f_;
        explicit lock_guard(std::atomic_flag& f) noexcept
            : f_(f) {
            while (f_.test_and_set(std::memory_order_acquire)) {
            }
        }
        ~lock_guard() { f_.clear(std::memory_order_release); }
    };

    mutable std::atomic_flag lock_;
    std::array<entry, size> entries_{};
    std::size_t next_ = 0;
};

// An exception leaves a coroutine of the library (its promise's unhandled_exception).
inline void note_exception(std::exception_ptr const& e) noexcept {
    exception_origins::instance().note(e);
}

// Rethrows an exception already noted, from a coroutine of the library that passes it on (an
// operator rethrowing an operand's): its own unhandled_exception, next, leaves the note as it is.
[[noreturn]] inline void rethrow_noted(std::exception_ptr const& e) {
    this_thread_state().rethrowing_noted = exception_object(e);
    std::rethrow_exception(e);
}

} // namespace detail

/** Where an exception came from: the async backtrace of its chain when it left the innermost
    task it was thrown in, innermost first, that task at its latest `co_await` (the line of the
    `co_await` before the throw, or none if the task had not awaited yet), up to the `co_spawn`.
    For the exception a `co_spawn` completion handler receives, or one caught in a task that
    awaited the task it came from.

    Empty for an exception that never left a task of a chain, and for one that left it more than
    32 exceptions ago: the library keeps the origins of the last 32, and those exceptions alive
    with them. Costs nothing until an exception leaves a task; then a lock and a copy of the
    stack.

    Under ThreadSanitizer the library does not keep the exceptions (it would free them on other
    threads, after reads that only the standard library's uninstrumented reference count
    orders, and ThreadSanitizer would report races): an exception that never left a task, at
    the address and of the type of one that did and is gone, then finds that one's origin; and
    a task that catches an exception from a task it awaited and, before its next `co_await`,
    throws a new one of the same type at the same address, gives it the first one's origin.
*/
inline async_stack exception_backtrace(std::exception_ptr const& e) noexcept {
    return detail::exception_origins::instance().find(e);
}

/** A completion handler for `co_spawn` that terminates the program if the chain ended with an
    exception, after writing to `stderr` what it was and where it came from
    (`exception_backtrace`): for chains that must not fail, where `asio::detached` would drop
    the exception silently.

    @code
    co_spawn(ioc, session(std::move(socket)), boost::affine::terminate_on_exception);
    @endcode
*/
struct terminate_on_exception_t {
    template <class... Values>
    void operator()(std::exception_ptr e, Values&&...) const noexcept {
        if (!e)
            return;
        std::string what = "an exception not derived from std::exception";
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& x) {
            what = x.what();
        } catch (...) {
        }
        std::string const where = to_string(exception_backtrace(e));
        std::fprintf(stderr, "boost::affine: a chain ended with an exception: %s\n%s", what.c_str(),
                     where.empty() ? "(where unknown)\n" : where.c_str());
        std::fflush(stderr);
        std::terminate();
    }
};

/// See `terminate_on_exception_t`.
inline constexpr terminate_on_exception_t terminate_on_exception{};

} // namespace boost::affine

#endif
