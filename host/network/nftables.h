// A libnftables context (the library behind nft(8)) that runs commands in
// nft syntax and returns their output, with errors as one line. The rules
// themselves are made by nft_rules.h. Reference: libnftables(3),
// libnftables-json(5).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

struct nft_ctx;

namespace twinbox::network {

class Nftables {
public:
    // Checks that the kernel has nf_tables by creating twinbox's table.
    static Result<Nftables> open();
    // A context alone, for tables of the caller's own (the cloud's security
    // groups in a VPC's router namespace): nothing is created.
    static Result<Nftables> open_context();
    ~Nftables();
    Nftables(Nftables&& other) noexcept;
    Nftables& operator=(Nftables&&) = delete;

    // Runs `commands` (one batch: all or nothing); returns what nft printed.
    Result<std::string> run(std::string_view commands, std::string_view what);
    // `list table ip twinbox` as JSON with rule handles; "" when the table is gone.
    Result<std::string> list_table_json();
    // Deletes every rule carrying `comment`; then the table if it has no rule left
    // and `drop_empty_table`.
    Result<void> delete_rules(std::string_view comment, bool drop_empty_table);

private:
    explicit Nftables(nft_ctx* context) : m_context(context) {}
    nft_ctx* m_context;
};

}  // namespace twinbox::network
