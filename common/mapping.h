// Mapping: an owned mmap() region, unmapped when destroyed.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace twinbox {

class Mapping {
public:
    Mapping() = default;
    ~Mapping() { reset(); }
    Mapping(Mapping&& other) noexcept
        : m_address(std::exchange(other.m_address, nullptr)),
          m_size(std::exchange(other.m_size, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            reset();
            m_address = std::exchange(other.m_address, nullptr);
            m_size = std::exchange(other.m_size, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;

    // Private anonymous memory, zero-filled, as guest RAM uses. `what` names it in errors.
    static Result<Mapping> anonymous(size_t size, std::string_view what,
                                     int extra_flags = MAP_NORESERVE) {
        void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
        if (address == MAP_FAILED)
            return Error::from_errno("mmap", what);
        return Mapping(address, size);
    }
    // A shared mapping of a file descriptor (the vCPU's kvm_run page, for example).
    static Result<Mapping> of_fd(int fd, size_t size, std::string_view what,
                                 int prot = PROT_READ | PROT_WRITE) {
        void* address = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
        if (address == MAP_FAILED)
            return Error::from_errno("mmap", what);
        return Mapping(address, size);
    }

    uint8_t* data() const { return static_cast<uint8_t*>(m_address); }
    size_t size() const { return m_size; }
    std::span<uint8_t> bytes() const { return {data(), m_size}; }
    template <typename T>
    T* as() const {
        return static_cast<T*>(m_address);
    }

    void reset() {
        if (m_address != nullptr)
            ::munmap(m_address, m_size);
        m_address = nullptr;
        m_size = 0;
    }

private:
    Mapping(void* address, size_t size) : m_address(address), m_size(size) {}
    void* m_address = nullptr;
    size_t m_size = 0;
};

}  // namespace twinbox
