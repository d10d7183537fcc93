#include "cloud/imds/imds_server.h"

#include <fmt/core.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <thread>
#include <vector>

#include "cloud/imds/imds_service.h"
#include "cloud/key_pairs.h"
#include "common/log.h"

namespace twinbox::cloud {

namespace {

constexpr size_t kWorkers = 4;
constexpr size_t kQueued = 16;
constexpr size_t kMaxBody = 1024;

// cpp-httplib's own ThreadPool queues without limit; this one makes the
// accept loop wait when kQueued connections are already waiting.
class BoundedPool : public httplib::TaskQueue {
public:
    BoundedPool() {
        for (size_t i = 0; i < kWorkers; ++i) m_threads.emplace_back([this] { work(); });
    }
    void enqueue(std::function<void()> job) override {
        std::unique_lock lock(m_mutex);
        m_space.wait(lock, [this] { return m_jobs.size() < kQueued || m_shutdown; });
        m_jobs.push_back(std::move(job));
        m_ready.notify_one();
    }
    void shutdown() override {
        {
            std::lock_guard lock(m_mutex);
            m_shutdown = true;
        }
        m_ready.notify_all();
        m_space.notify_all();
        for (auto& thread : m_threads) thread.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_ready.wait(lock, [this] { return !m_jobs.empty() || m_shutdown; });
                // Queued connections are still served (and so closed) at shutdown.
                if (m_jobs.empty())
                    return;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            m_space.notify_one();
            job();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_ready, m_space;
    std::deque<std::function<void()>> m_jobs;
    std::vector<std::thread> m_threads;
    bool m_shutdown = false;
};

std::optional<std::string> header(const httplib::Request& request, const char* name) {
    if (!request.has_header(name))
        return std::nullopt;
    return request.get_header_value(name);
}

// One request: the store is read again each time, so that instances launched
// or terminated a moment ago are seen at once.
void serve_one(ImdsService& service, const httplib::Request& http, httplib::Response& reply) {
    ImdsRequest request{http.method,
                        http.path,
                        http.remote_addr,
                        header(http, "X-aws-ec2-metadata-token"),
                        header(http, "X-aws-ec2-metadata-token-ttl-seconds"),
                        http.has_header("X-Forwarded-For")};
    auto store = StateStore::open();
    auto instances =
        store ? read_instances(*store) : Result<std::vector<InstanceRecord>>(store.error());
    if (!instances) {
        log::error("twinbox imds: {}", instances.error().to_string());
        reply.status = 500;
        reply.set_content("Internal Server Error\n", "text/plain");
        return;
    }
    auto public_key = [&](const std::string& name) -> std::optional<std::string> {
        auto keys = describe_key_pairs(*store, {name});
        if (!keys || keys->empty())
            return std::nullopt;
        return keys->front().public_key;
    };
    ImdsResponse response = service.handle(request, *instances, public_key);
    reply.status = response.status;
    for (auto& [name, value] : response.headers) reply.set_header(name.c_str(), value);
    reply.set_content(response.body, "text/plain");
}

void tell(int fd, const std::string& text) {
    if (fd < 0)
        return;
    // Best effort: the starter may be gone; the log has the same line.
    [[maybe_unused]] ssize_t written = ::write(fd, text.data(), text.size());
    ::close(fd);
}

}  // namespace

Result<void> serve_imds(const ImdsServeOptions& options) {
    if (options.address.empty() || options.address == "0.0.0.0")
        return Error::message("the metadata service listens on one address, never on all")
            .with_hint("use --listen 169.254.169.254:80");
    // SIGTERM and SIGINT are taken by one thread with sigwait(); blocked
    // before any other thread exists, so every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    ImdsService service;
    httplib::Server server;
    server.new_task_queue = [] { return new BoundedPool(); };
    server.set_read_timeout(2, 0);  // clients send at once; idle connections go quickly
    server.set_write_timeout(5, 0);
    server.set_keep_alive_max_count(5);
    server.set_keep_alive_timeout(2);
    server.set_payload_max_length(kMaxBody);
    auto handler = [&service](const httplib::Request& request, httplib::Response& reply) {
        serve_one(service, request, reply);
    };
    // cpp-httplib 0.11 answers 400 to a PUT that has neither a body nor a
    // Content-Length, which is what AWS's own example `curl -X PUT .../api/token`
    // sends (yhirose/cpp-httplib#1738, fixed in 0.14.3). A handler that takes
    // a ContentReader runs before any body is read; it reads one only when
    // the request announces one (and within set_payload_max_length).
    auto body_handler = [&service](const httplib::Request& request, httplib::Response& reply,
                                   const httplib::ContentReader& read_body) {
        size_t received = 0;
        if (request.has_header("Content-Length") &&
            std::strtoull(request.get_header_value("Content-Length").c_str(), nullptr, 10) >
                kMaxBody)
            received = kMaxBody + 1;  // refused unread; the connection is closed
        else if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding"))
            read_body([&received](const char*, size_t size) {
                received += size;
                return received <= kMaxBody;  // a guest streaming a body forever is cut off
            });
        if (received > kMaxBody) {
            reply.status = 413;
            reply.set_header("Connection", "close");
            reply.set_content("Payload Too Large\n", "text/plain");
            return;
        }
        serve_one(service, request, reply);
    };
    server.Get(".*", handler);
    server.Options(".*", handler);
    server.Put(".*", body_handler);
    server.Post(".*", body_handler);
    server.Delete(".*", body_handler);
    server.Patch(".*", body_handler);

    if (!server.bind_to_port(options.address, options.port)) {
        auto error =
            Error::message(fmt::format("cannot listen on {}:{}", options.address, options.port))
                .with_hint("is the address on an interface and the port free?");
        tell(options.ready_fd, error.to_string() + "\n");
        return error;
    }
    log::info("twinbox imds: serving http://{}:{}/latest/meta-data/", options.address,
              options.port);
    tell(options.ready_fd, fmt::format("ready {}\n", ::getpid()));

    std::thread stopper([&server, &stop_signals] {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        server.stop();
    });
    bool served = server.listen_after_bind();
    // Wakes the stopper when listening ended by itself.
    ::kill(::getpid(), SIGTERM);
    stopper.join();
    if (!served)
        return Error::message("the metadata service stopped accepting connections");
    log::info("twinbox imds: stopped");
    return ok();
}

}  // namespace twinbox::cloud
