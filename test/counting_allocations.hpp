//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_TEST_COUNTING_ALLOCATIONS_HPP
#define BOOST_AFFINE_TEST_COUNTING_ALLOCATIONS_HPP

// Replaces the global allocation functions of a program with ones that count
// every call: malloc, calloc, realloc, aligned_alloc, memalign and
// posix_memalign (Asio's recycling allocator calls aligned_alloc directly),
// and the operator new family, which goes through malloc and aligned_alloc
// here. glibc only (the __libc_ entry points).
//
// Include it in exactly one translation unit of a program, which defines
//
//     void boost_affine_count_allocation(std::size_t n, bool sized) noexcept;
//
// called once per allocation before the memory is taken (`n` the bytes asked
// for; `sized` true for malloc and aligned_alloc, through which every
// operator new goes). It must not allocate, or must guard against its own
// allocations.

#include <cerrno>
#include <cstddef>
#include <malloc.h>
#include <new>

void boost_affine_count_allocation(std::size_t n, bool sized) noexcept;

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
    boost_affine_count_allocation(n, true);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) {
    boost_affine_count_allocation(n * m, false);
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) {
    boost_affine_count_allocation(n, false);
    return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
    boost_affine_count_allocation(n, true);
    return __libc_memalign(a, n);
}
void* memalign(std::size_t a, std::size_t n) {
    boost_affine_count_allocation(n, false);
    return __libc_memalign(a, n);
}
int posix_memalign(void** p, std::size_t a, std::size_t n) {
    boost_affine_count_allocation(n, false);
    *p = __libc_memalign(a, n);
    return *p ? 0 : ENOMEM;
}
void free(void* p) {
    __libc_free(p);
}
}

namespace boost_affine_counting {
inline void* counted_new(std::size_t n, std::size_t align) {
    void* p = align > alignof(std::max_align_t)
                  ? aligned_alloc(align, (n + align - 1) / align * align)
                  : malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}
inline void* counted_new_nothrow(std::size_t n) noexcept {
    return malloc(n ? n : 1);
}
} // namespace boost_affine_counting

void* operator new(std::size_t n) {
    return boost_affine_counting::counted_new(n, 0);
}
void* operator new[](std::size_t n) {
    return boost_affine_counting::counted_new(n, 0);
}
void* operator new(std::size_t n, std::align_val_t a) {
    return boost_affine_counting::counted_new(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return boost_affine_counting::counted_new(n, std::size_t(a));
}
void* operator new(std::size_t n, std::nothrow_t const&) noexcept {
    return boost_affine_counting::counted_new_nothrow(n);
}
void* operator new[](std::size_t n, std::nothrow_t const&) noexcept {
    return boost_affine_counting::counted_new_nothrow(n);
}
void operator delete(void* p) noexcept {
    free(p);
}
void operator delete[](void* p) noexcept {
    free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    free(p);
}

#endif
