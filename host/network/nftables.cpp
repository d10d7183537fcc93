// libnftables wrapper (see nftables.h).
#include "host/network/nftables.h"

#include <fmt/format.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <utility>

#include "common/subprocess.h"
#include "host/network/nft_rules.h"

namespace twinbox::network {

namespace {

// nft's error text is several lines (the command, a caret); keep the first.
std::string first_line(const char* text) {
    std::string line = text ? text : "";
    if (auto newline = line.find('\n'); newline != std::string::npos)
        line.resize(newline);
    if (line.starts_with("Error: "))
        line.erase(0, 7);
    return line;
}

// Whether the kernel speaks nfnetlink here. libnftables must not be asked
// otherwise: when it cannot open its netlink socket it calls exit(3) itself,
// which would end twinbox with no message and nothing cleaned up.
bool nfnetlink_available() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0)
        return false;
    ::close(fd);
    return true;
}

// Loads the nftables modules twinbox's rules use, as iptables and Docker do
// with modprobe: the kernel's own on-demand loading needs a usermode helper
// that is not always there (containers, chroots, the nested test host).
void load_nftables_modules() {
    const char* modprobe =
        ::access("/sbin/modprobe", X_OK) == 0 ? "/sbin/modprobe" : "/usr/sbin/modprobe";
    for (const char* module :
         {"nf_tables", "nft_chain_nat", "nft_nat", "nft_masq", "nft_ct", "nft_fib_ipv4"})
        [[maybe_unused]] auto ignored =
            run_captured({modprobe, "-q", module}, std::chrono::seconds(10));
}

}  // namespace

Result<Nftables> Nftables::open_context() {
    if (!nfnetlink_available()) {
        load_nftables_modules();
        if (!nfnetlink_available())
            return Error::message(
                       "nftables is not usable here: the kernel has no nfnetlink (NETLINK_NETFILTER)")
                .with_hint(
                    "NAT and published ports need a kernel with nf_tables (CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_MASQ)");
    }
    nft_ctx* context = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!context)
        return Error::message("cannot create a libnftables context (out of memory?)");
    Nftables nftables(context);
    nft_ctx_buffer_output(context);
    nft_ctx_buffer_error(context);
    return nftables;
}

Result<Nftables> Nftables::open() {
    Nftables nftables = TRY(open_context());
    auto made = nftables.run(nft::base_ruleset(), "creating table ip twinbox");
    if (!made) {
        // Perhaps only the NAT chain's module is missing: load them and try once more.
        load_nftables_modules();
        made = nftables.run(nft::base_ruleset(), "creating table ip twinbox");
    }
    if (!made)
        return Error::message(
                   fmt::format("nftables is not usable here ({})", made.error().to_string()))
            .with_hint(
                "NAT and published ports need a kernel with nf_tables (CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_MASQ) and CAP_NET_ADMIN");
    return nftables;
}

Nftables::~Nftables() {
    if (m_context)
        nft_ctx_free(m_context);
}

Nftables::Nftables(Nftables&& other) noexcept
    : m_context(std::exchange(other.m_context, nullptr)) {}

Result<std::string> Nftables::run(std::string_view commands, std::string_view what) {
    std::string text(commands);
    if (nft_run_cmd_from_buffer(m_context, text.c_str()) != 0)
        return Error::message(
            fmt::format("nftables: {}: {}", what, first_line(nft_ctx_get_error_buffer(m_context))));
    return std::string(nft_ctx_get_output_buffer(m_context));
}

Result<std::string> Nftables::list_table_json() {
    unsigned flags = nft_ctx_output_get_flags(m_context);
    nft_ctx_output_set_flags(m_context, flags | NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    auto listing = run(fmt::format("list table ip {}", nft::kTable), "listing table ip twinbox");
    nft_ctx_output_set_flags(m_context, flags);
    return listing;
}

Result<void> Nftables::delete_rules(std::string_view comment, bool drop_empty_table) {
    auto listing = list_table_json();
    if (!listing)
        return ok();  // no table, no rules
    std::string commands = TRY(nft::delete_commands(*listing, comment));
    if (!commands.empty())
        TRY(run(commands, fmt::format("deleting the rules of {}", comment)));
    if (drop_empty_table) {
        auto after = TRY(list_table_json());
        if (TRY(nft::table_is_empty(after)))
            TRY(run(fmt::format("delete table ip {}", nft::kTable), "deleting table ip twinbox"));
    }
    return ok();
}

}  // namespace twinbox::network
