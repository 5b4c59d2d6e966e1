//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_RESULT_HPP
#define BOOST_AFFINE_DETAIL_RESULT_HPP

#include <boost/affine/async_backtrace.hpp>
#include <boost/affine/detail/config.hpp>

#include <boost/assert.hpp>
#include <boost/config.hpp>

#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace boost::affine::detail {

// What a coroutine produced: a value, an exception, or nothing yet. One union
// and one byte; the spare byte also carries a promise's flags (see `flags`).
template <class T>
class result_storage {
    using stored = std::conditional_t<std::is_reference_v<T>,
                                      std::add_pointer_t<std::remove_reference_t<T>>, T>;

public:
    result_storage() noexcept {}
    result_storage(result_storage const&) = delete;
    result_storage& operator=(result_storage const&) = delete;
    ~result_storage() { reset(); }

    template <class U>
    BOOST_FORCEINLINE void set_value(U&& u) {
        BOOST_ASSERT(state_ == empty);
        if constexpr (std::is_reference_v<T>)
            ::new (static_cast<void*>(std::addressof(value_))) stored(std::addressof(u));
        else
            ::new (static_cast<void*>(std::addressof(value_))) stored(std::forward<U>(u));
        state_ = has_value;
    }

    void set_exception(std::exception_ptr e) noexcept {
        reset();
        ::new (static_cast<void*>(std::addressof(ex_))) std::exception_ptr(std::move(e));
        state_ = has_ex;
    }

    bool has_exception() const noexcept { return state_ == has_ex; }

    std::exception_ptr exception() const noexcept {
        return state_ == has_ex ? ex_ : std::exception_ptr();
    }

    // Rethrows a stored exception, or moves the value out.
    BOOST_FORCEINLINE T get() {
        if (state_ == has_ex)
            std::rethrow_exception(ex_);
        BOOST_ASSERT_MSG(state_ == has_value,
                         "boost::affine: coroutine completed without a result");
        if constexpr (std::is_reference_v<T>)
            return static_cast<T>(*value_);
        else
            return std::move(value_);
    }

#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
    unsigned char& flags() noexcept { return flags_; }
#endif

private:
    BOOST_FORCEINLINE void reset() noexcept {
        if (state_ == has_value)
            value_.~stored();
        else if (state_ == has_ex)
            ex_.~exception_ptr();
        state_ = empty;
    }

    enum : unsigned char { empty, has_value, has_ex };
    union {
        stored value_;
        std::exception_ptr ex_;
    };
    unsigned char state_ = empty;
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
    unsigned char flags_ = 0; // the promise's (task.hpp)
#endif
};

template <>
class result_storage<void> {
public:
    void set_exception(std::exception_ptr e) noexcept { ex_ = std::move(e); }
    bool has_exception() const noexcept { return ex_ != nullptr; }
    std::exception_ptr exception() const noexcept { return ex_; }
    void get() {
        if (ex_)
            std::rethrow_exception(ex_);
    }
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
    unsigned char& flags() noexcept { return flags_; }
#endif

private:
    std::exception_ptr ex_;
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
    unsigned char flags_ = 0; // the promise's (task.hpp); where frames are never elided, no byte
#endif
};

// return_value / return_void and unhandled_exception for a promise.
template <class T>
struct promise_result {
    result_storage<T> result_;

    template <class U = T>
        requires std::is_convertible_v<U&&, T>
    void return_value(U&& u) {
        result_.set_value(std::forward<U>(u));
    }
    void unhandled_exception() noexcept {
        std::exception_ptr e = std::current_exception();
        note_exception(e); // where it came from (exception_backtrace)
        result_.set_exception(std::move(e));
    }
};

template <>
struct promise_result<void> {
    result_storage<void> result_;

    void return_void() noexcept {}
    void unhandled_exception() noexcept {
        std::exception_ptr e = std::current_exception();
        note_exception(e);
        result_.set_exception(std::move(e));
    }
};

} // namespace boost::affine::detail

#endif
