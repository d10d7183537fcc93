// Lazily loaded shared libraries: a program links the stubs of a library
// (twinbox_lazy_library() in common/lazy/CMakeLists.txt) instead of the
// library, and the library is dlopen()ed on the first call of any of its
// functions. `twinbox run` then maps only what a container start calls,
// not libarchive with libxml2 and ICU, libnftables, libnl, capstone,
// cpp-httplib, libcrypto or liburing (issue 17; docs/benchmarks.md,
// "Start-up": each library costs the dynamic loader time at every exec).
//
// How: lazy_stubs.py gives every function the library exports a stub that
// jumps through a slot; an empty slot leads to lazy_first_call.S, which
// saves the argument registers and calls twinbox_lazy_resolve below. A
// library that cannot be loaded when first called is fatal: twinbox says
// which and exits 125 (it is installed with twinbox, so this is a broken
// installation, not an input error).
//
// Seccomp: a thread under a filter that forbids openat and mmap must not
// take a first call. Call twinbox_lazy_bind_loaded() before installing such
// a filter: it resolves every function of each library already loaded.
#ifndef TWINBOX_COMMON_LAZY_LAZY_H
#define TWINBOX_COMMON_LAZY_LAZY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Laid out by lazy_stubs.py (the .data descriptor); keep the two in step.
struct twinbox_lazy_library {
    const char* soname;
    const char* names;        // the function names, each NUL-terminated, back to back
    const uint32_t* offsets;  // where each name starts in `names`
    void** slots;             // the resolved functions, zero until first called
    size_t count;
    void* handle;  // from dlopen, null until the first call
};

// Resolves function `index` of `library`, loading the library if needed.
// Exits 125 with a message if the library or the function is missing.
void* twinbox_lazy_resolve(struct twinbox_lazy_library* library, size_t index);

// Resolves all functions of every lazily linked library that is loaded
// already; returns how many libraries that was.
size_t twinbox_lazy_bind_loaded(void);

// Whether the library with this soname is loaded (for tests and -v output).
int twinbox_lazy_is_loaded(const char* soname);

#ifdef __cplusplus
}
#endif

#endif
