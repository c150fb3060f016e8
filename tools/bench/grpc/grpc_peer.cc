// grpc_peer: the gRPC C++ server that tenderd is compared with (docs/BENCHMARKS.md).
//
// It answers the two calls the load generators measure, with the same
// messages as tenderd (health.proto, log.proto):
//   tender.health.v1.Health/Check   service "" -> SERVING, anything else NOT_FOUND
//   tender.log.v1.Log/GetLeaves     a stream of --leaves leaves of --leaf-bytes
//                                   bytes each, [start, end) as in tenderd
// over TLS with the certificate and key tenderd uses, on the async
// (CompletionQueue) API: --cq-threads completion queues, one thread each
// (default 1, as tenderd does its RPC work on one loop thread). It runs until
// SIGTERM or SIGINT.
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "health.grpc.pb.h"
#include "log.grpc.pb.h"

namespace {

namespace hv1 = tender::health::v1;
namespace lv1 = tender::log::v1;

constexpr long kMaxLeaves = 10000000;
constexpr long kMaxLeafBytes = 65536; // Leaf.data's max_len in schema/log.schema
constexpr long kMaxThreads = 64;
// Requests posted ahead on each queue per method, so that a burst of calls
// does not wait for the thread to post the next one.
constexpr int kPostedAhead = 16;

struct Options {
    std::string listen, cert, key, ca;
    long leaves = 0, leaf_bytes = 0, threads = 1;
};

void usage(FILE *f)
{
    std::fprintf(f, "usage: grpc_peer --listen HOST:PORT --cert FILE --key FILE --ca FILE\n"
                    "                 [--leaves N] [--leaf-bytes B] [--cq-threads T]\n"
                    "\n"
                    "The gRPC C++ peer of the tenderd benchmarks: Health/Check and Log/GetLeaves\n"
                    "over TLS on the async API, until SIGTERM or SIGINT.\n"
                    "\n"
                    "  --cert, --key     the server certificate and its key (PEM)\n"
                    "  --ca              the CA that client certificates, when sent, must chain to\n"
                    "  --leaves N        leaves GetLeaves streams (default 0)\n"
                    "  --leaf-bytes B    bytes of data in each leaf (default 0, at most 65536)\n"
                    "  --cq-threads T    completion queues, one thread each (default 1)\n");
}

bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

// Parse argv into o: 0, or the exit status after printing why.
int parse_args(int argc, char **argv, Options *o)
{
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help") {
            usage(stdout);
            std::exit(0);
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "grpc_peer: %s needs a value (or is unknown)\n", a.c_str());
            return 2;
        }
        const char *v = argv[++i];
        bool ok = true;
        if (a == "--listen")
            o->listen = v;
        else if (a == "--cert")
            o->cert = v;
        else if (a == "--key")
            o->key = v;
        else if (a == "--ca")
            o->ca = v;
        else if (a == "--leaves")
            ok = parse_long(v, 0, kMaxLeaves, &o->leaves);
        else if (a == "--leaf-bytes")
            ok = parse_long(v, 0, kMaxLeafBytes, &o->leaf_bytes);
        else if (a == "--cq-threads")
            ok = parse_long(v, 1, kMaxThreads, &o->threads);
        else {
            std::fprintf(stderr, "grpc_peer: unknown option %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
        if (!ok) {
            std::fprintf(stderr, "grpc_peer: bad value for %s: %s\n", a.c_str(), v);
            return 2;
        }
    }
    if (o->listen.empty() || o->cert.empty() || o->key.empty() || o->ca.empty()) {
        std::fprintf(stderr, "grpc_peer: --listen, --cert, --key and --ca are required\n");
        usage(stderr);
        return 2;
    }
    return 0;
}

bool read_file(const std::string &path, std::string *out)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return false;
    std::ostringstream s;
    s << f.rdbuf();
    *out = s.str();
    return !f.bad();
}

// What every call object can do when its tag comes out of a completion queue.
class Tag {
  public:
    virtual ~Tag() = default;
    virtual void proceed(bool ok) = 0;
};

struct Queue {
    hv1::Health::AsyncService *health;
    lv1::Log::AsyncService *log;
    grpc::ServerCompletionQueue *cq;
    const std::vector<lv1::Leaf> *leaves;
};

// One Health/Check: posted, answered, deleted.
class CheckCall final : public Tag {
  public:
    explicit CheckCall(const Queue &q) : q_(q), responder_(&ctx_)
    {
        q_.health->RequestCheck(&ctx_, &req_, &responder_, q_.cq, q_.cq, this);
    }
    void proceed(bool ok) override
    {
        if (answered_ || !ok) { // finished, or the server is shutting down
            delete this;
            return;
        }
        new CheckCall(q_); // the next call on this queue
        answered_ = true;
        if (!req_.service().empty()) {
            responder_.FinishWithError(
                grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"), this);
            return;
        }
        hv1::HealthCheckResponse resp;
        resp.set_status(hv1::SERVING);
        responder_.Finish(resp, grpc::Status::OK, this);
    }

  private:
    Queue q_;
    grpc::ServerContext ctx_;
    hv1::HealthCheckRequest req_;
    grpc::ServerAsyncResponseWriter<hv1::HealthCheckResponse> responder_;
    bool answered_ = false;
};

// One Log/GetLeaves: posted, then one leaf written per completion (gRPC allows
// one write in flight per call, which is its flow control), then finished.
class LeavesCall final : public Tag {
  public:
    explicit LeavesCall(const Queue &q) : q_(q), writer_(&ctx_)
    {
        q_.log->RequestGetLeaves(&ctx_, &req_, &writer_, q_.cq, q_.cq, this);
    }
    void proceed(bool ok) override
    {
        switch (state_) {
        case State::kPosted:
            if (!ok) { // shutting down
                delete this;
                return;
            }
            new LeavesCall(q_);
            start();
            return;
        case State::kWriting:
            if (!ok) { // the client went away
                finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
                return;
            }
            write_next();
            return;
        case State::kFinishing:
            delete this;
            return;
        }
    }

  private:
    enum class State { kPosted, kWriting, kFinishing };

    // [start, end) of the peer's leaves, with tenderd's rules for 0 and bounds.
    void start()
    {
        uint64_t size = q_.leaves->size();
        next_ = req_.start();
        end_ = req_.end() == 0 ? size : req_.end();
        if (end_ > size || next_ > end_) {
            finish(grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "range beyond the log"));
            return;
        }
        state_ = State::kWriting;
        write_next();
    }
    void write_next()
    {
        if (next_ == end_) {
            finish(grpc::Status::OK);
            return;
        }
        writer_.Write((*q_.leaves)[next_++], this);
    }
    void finish(const grpc::Status &st)
    {
        state_ = State::kFinishing;
        writer_.Finish(st, this);
    }

    Queue q_;
    grpc::ServerContext ctx_;
    lv1::LeavesRequest req_;
    grpc::ServerAsyncWriter<lv1::Leaf> writer_;
    State state_ = State::kPosted;
    uint64_t next_ = 0, end_ = 0;
};

// A queue's thread: post the first calls, then serve until the queue is shut down.
void serve(Queue q)
{
    for (int i = 0; i < kPostedAhead; i++) {
        new CheckCall(q);
        new LeavesCall(q);
    }
    void *tag;
    bool ok;
    while (q.cq->Next(&tag, &ok))
        static_cast<Tag *>(tag)->proceed(ok);
}

} // namespace

int main(int argc, char **argv)
{
    Options o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    if (!read_file(o.ca, &ssl.pem_root_certs) || !read_file(o.cert, &pair.cert_chain) ||
        !read_file(o.key, &pair.private_key)) {
        std::fprintf(stderr, "grpc_peer: cannot read --ca, --cert or --key\n");
        return 1;
    }
    ssl.pem_key_cert_pairs.push_back(pair);

    // Every leaf built once, as tenderd's are stored once: a call only sends them.
    std::vector<lv1::Leaf> leaves(static_cast<size_t>(o.leaves));
    for (size_t i = 0; i < leaves.size(); i++) {
        leaves[i].set_index(i);
        leaves[i].set_data(std::string(static_cast<size_t>(o.leaf_bytes), static_cast<char>('a' + i % 26)));
    }

    // SIGTERM and SIGINT are taken by sigwait below, in this thread only.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    hv1::Health::AsyncService health;
    lv1::Log::AsyncService log;
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort(o.listen, grpc::SslServerCredentials(ssl), &port);
    b.RegisterService(&health);
    b.RegisterService(&log);
    std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
    for (long i = 0; i < o.threads; i++)
        cqs.push_back(b.AddCompletionQueue());
    std::unique_ptr<grpc::Server> server = b.BuildAndStart();
    if (!server || port == 0) {
        std::fprintf(stderr, "grpc_peer: cannot listen on %s\n", o.listen.c_str());
        return 1;
    }
    std::vector<std::thread> threads;
    for (auto &cq : cqs)
        threads.emplace_back(serve, Queue{&health, &log, cq.get(), &leaves});
    std::fprintf(stderr, "grpc_peer: serving on %s (%ld completion queue thread%s, %zu leaves of %ld bytes)\n",
                 o.listen.c_str(), o.threads, o.threads == 1 ? "" : "s", leaves.size(), o.leaf_bytes);

    int sig;
    sigwait(&stop, &sig);
    server->Shutdown();
    for (auto &cq : cqs)
        cq->Shutdown();
    for (auto &t : threads)
        t.join();
    return 0;
}
