// sanitizers.hpp -- which sanitizer this translation unit is built with: GORT_ASAN and
// GORT_TSAN are 1 or 0.  g++ says so with __SANITIZE_ADDRESS__/__SANITIZE_THREAD__,
// clang with __has_feature; everything that adapts to a sanitizer (the fiber
// annotations in gobuf.hpp, sysmon's thread baseline, tests' scaled sizes and skips)
// asks here.  Include this header wherever the macros are used: `#if GORT_ASAN` in a
// file that does not see them reads 0 and silently compiles the unsanitized branch
// (two tests once lost their sanitizer skips that way).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define GORT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GORT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORT_TSAN 1
#endif
#endif
#ifndef GORT_ASAN
#define GORT_ASAN 0
#endif
#ifndef GORT_TSAN
#define GORT_TSAN 0
#endif
