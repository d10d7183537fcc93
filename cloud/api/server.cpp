#include "cloud/api/server.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <thread>

#include "cloud/api/service.h"
#include "common/log.h"

namespace twinbox::cloud::api {

namespace {

constexpr size_t kWorkers = 8;

HttpRequest to_request(const httplib::Request& http) {
    HttpRequest request;
    request.method = http.method;
    request.path = http.path;
    size_t question = http.target.find('?');
    if (question != std::string::npos) {
        auto pairs = parse_form(std::string_view(http.target).substr(question + 1));
        if (pairs)
            request.query = std::move(*pairs);
        else
            request.query.emplace_back("\x01malformed", "");  // refused by from_pairs below
    }
    for (const auto& [name, value] : http.headers) request.headers.emplace_back(name, value);
    request.body = http.body;
    return request;
}

}  // namespace

bool is_loopback(std::string_view address) {
    std::string text(address);
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

Result<ServeOptions> parse_listen(std::string_view listen) {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return Error::message(fmt::format("--listen {}: expected ADDRESS:PORT", listen));
    ServeOptions options;
    std::string_view address = listen.substr(0, colon);
    if (address.starts_with('[') && address.ends_with(']'))
        address = address.substr(1, address.size() - 2);
    options.address = address;
    std::string_view port = listen.substr(colon + 1);
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), options.port);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() ||
        options.port < 0 || options.port > 65535)
        return Error::message(fmt::format("--listen {}: bad port", listen));
    in_addr v4{};
    in6_addr v6{};
    if (inet_pton(AF_INET, options.address.c_str(), &v4) != 1 &&
        inet_pton(AF_INET6, options.address.c_str(), &v6) != 1)
        return Error::message(fmt::format("--listen {}: not an IP address", listen));
    return options;
}

Result<void> serve(const ServeOptions& options) {
    if (!is_loopback(options.address))
        log::warn(
            "twinbox cloud serve: listening on {}, which is not loopback: anyone who can reach it "
            "and holds a key can run instances on this machine",
            options.address);
    // SIGTERM and SIGINT go to one thread (sigwait); blocked before any
    // other thread exists, so every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    ApiService service(options.store_dir);
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    server.set_read_timeout(30, 0);
    server.set_write_timeout(30, 0);
    server.set_payload_max_length(kMaxBody);
    auto handler = [&service](const httplib::Request& http, httplib::Response& reply) {
        ApiResponse response = service.handle(to_request(http), std::chrono::system_clock::now());
        reply.status = response.status;
        reply.set_header("x-amzn-RequestId", response.request_id);
        reply.set_content(response.body, "text/xml;charset=UTF-8");
        log::info("twinbox cloud serve: {} {} -> {}", http.method, http.remote_addr,
                  response.status);
    };
    server.Get(".*", handler);
    server.Post(".*", handler);

    int port = options.port;
    bool bound = port == 0 ? (port = server.bind_to_any_port(options.address)) > 0
                           : server.bind_to_port(options.address, port);
    if (!bound)
        return Error::message(fmt::format("cannot listen on {}:{}", options.address, options.port))
            .with_hint("is the port free? (--listen ADDRESS:PORT; port 0 picks a free one)");
    bool v6 = options.address.find(':') != std::string::npos;
    std::printf("twinbox cloud serve: listening on http://%s%s%s:%d\n", v6 ? "[" : "",
                options.address.c_str(), v6 ? "]" : "", port);
    std::fflush(stdout);

    std::thread stopper([&server, &stop_signals] {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        server.stop();
    });
    bool served = server.listen_after_bind();
    ::kill(::getpid(), SIGTERM);  // wakes the stopper when listening ended by itself
    stopper.join();
    if (!served)
        return Error::message("the API server stopped accepting connections");
    log::info("twinbox cloud serve: stopped");
    return ok();
}

}  // namespace twinbox::cloud::api
