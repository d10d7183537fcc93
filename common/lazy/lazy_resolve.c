// The C side of lazily loaded libraries (lazy.h).
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/lazy/lazy.h"

// The descriptors of the libraries linked into this program: each stub file
// puts its own into this section, and the linker defines the bounds. Weak,
// so a program without lazy libraries links too.
extern struct twinbox_lazy_library* const __start_twinbox_lazy_libraries[] __attribute__((weak));
extern struct twinbox_lazy_library* const __stop_twinbox_lazy_libraries[] __attribute__((weak));

enum { kTwinboxError = 125 };  // common/exit_codes.h

static void die(const char* what, const char* name, const char* why) {
    // No allocation, no stdio locks: this may run in any thread.
    char line[512];
    int length = snprintf(line, sizeof line, "twinbox: error: cannot load %s %s: %s\n", what, name,
                          why ? why : "unknown error");
    if (length > 0)
        (void)!write(STDERR_FILENO, line,
                     (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
    _exit(kTwinboxError);
}

static void* load(struct twinbox_lazy_library* library) {
    void* handle = __atomic_load_n(&library->handle, __ATOMIC_ACQUIRE);
    if (handle)
        return handle;
    // Two threads may get here at once: dlopen counts references and returns
    // the same handle to both, so the second store is harmless.
    handle = dlopen(library->soname, RTLD_LAZY | RTLD_LOCAL);
    if (!handle)
        die("the shared library", library->soname, dlerror());
    __atomic_store_n(&library->handle, handle, __ATOMIC_RELEASE);
    return handle;
}

// The function, or null if dlsym finds none (an export of a non-default
// symbol version only, say).
static void* bind(struct twinbox_lazy_library* library, void* handle, size_t index) {
    void* function = __atomic_load_n(&library->slots[index], __ATOMIC_ACQUIRE);
    if (function)
        return function;
    function = dlsym(handle, library->names + library->offsets[index]);
    if (function)
        __atomic_store_n(&library->slots[index], function, __ATOMIC_RELEASE);
    return function;
}

void* twinbox_lazy_resolve(struct twinbox_lazy_library* library, size_t index) {
    void* function = bind(library, load(library), index);
    if (!function)
        die(library->soname, library->names + library->offsets[index], dlerror());
    return function;
}

size_t twinbox_lazy_bind_loaded(void) {
    size_t bound = 0;
    if (!__start_twinbox_lazy_libraries)
        return 0;
    for (struct twinbox_lazy_library* const* entry = __start_twinbox_lazy_libraries;
         entry < __stop_twinbox_lazy_libraries; ++entry) {
        struct twinbox_lazy_library* library = *entry;
        void* handle = __atomic_load_n(&library->handle, __ATOMIC_ACQUIRE);
        if (!handle)
            continue;
        for (size_t index = 0; index < library->count; ++index) (void)bind(library, handle, index);
        ++bound;
    }
    return bound;
}

int twinbox_lazy_is_loaded(const char* soname) {
    void* handle = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle)
        return 0;
    dlclose(handle);
    return 1;
}
