// grpc_loadgen: loadgen's closed loop against a gRPC server (docs/BENCHMARKS.md).
//
// The same model and report as tools/bench/loadgen.c, with gRPC C++ in place
// of libtender: N channels (each its own TCP + TLS connection: a local
// subchannel pool and a distinct channel argument keep gRPC from sharing
// one), M calls in flight on each, a new call as soon as one ends, all on one
// completion queue driven by one thread (loadgen runs one libuv loop). After
// the warm-up, calls that end in the measured window are counted into the
// same histogram (hist.c) and the server's CPU is read from /proc (proc.c).
// --json prints the fields loadgen --json prints, so run.sh formats both.
#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "health.grpc.pb.h"
#include "log.grpc.pb.h"

extern "C" {
#include "hist.h"
#include "proc.h"
}

namespace {

namespace hv1 = tender::health::v1;
namespace lv1 = tender::log::v1;

constexpr long kMaxConnections = 10000; // loadgen's limits
constexpr long kMaxConcurrency = 10000;
constexpr int kNStatus = 17; // OK .. UNAUTHENTICATED; one more slot for codes outside
constexpr double kConnectTimeoutS = 10.0;

const char *const kStatusNames[kNStatus + 1] = {
    "OK",        "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",     "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",             "ABORTED",           "OUT_OF_RANGE",     "UNIMPLEMENTED",
    "INTERNAL",  "UNAVAILABLE",        "DATA_LOSS",         "UNAUTHENTICATED",  "OTHER"};

using Clock = std::chrono::steady_clock;

struct Options {
    std::string server, ca, cert, key;
    long connections = 0, concurrency = 0, server_pid = 0;
    double duration_s = 0, warmup_s = 1.0;
    bool stream = false, json = false;
};

void usage(FILE *f)
{
    std::fprintf(f, "usage: grpc_loadgen --server HOST:PORT --ca FILE [--cert FILE --key FILE]\n"
                    "                    --connections N --concurrency M --duration SECONDS\n"
                    "                    [--warmup SECONDS] --method unary|stream [--server-pid PID]\n"
                    "                    [--json]\n"
                    "\n"
                    "Closed-loop load on a gRPC server (build/bin/grpc_peer): N channels, one\n"
                    "connection each, M calls in flight on each; a new call starts when one ends.\n"
                    "\n"
                    "  --method unary        tender.health.v1.Health/Check\n"
                    "  --method stream       tender.log.v1.Log/GetLeaves, every leaf\n"
                    "  --warmup SECONDS      run this long before measuring (default 1)\n"
                    "  --server-pid PID      report the server's CPU seconds per 1,000 calls\n"
                    "  --json                one JSON object (loadgen's fields) instead of the table\n");
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

bool parse_seconds(const char *s, double lo, double *out)
{
    char *end;
    double v = std::strtod(s, &end);
    if (end == s || *end || !(v >= lo) || v > 86400.0)
        return false;
    *out = v;
    return true;
}

// Parse argv into o: 0, or the exit status after printing why.
int parse_args(int argc, char **argv, Options *o)
{
    std::string method;
    bool have_n = false, have_m = false, have_d = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help") {
            usage(stdout);
            std::exit(0);
        }
        if (a == "--json") {
            o->json = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "grpc_loadgen: %s needs a value (or is unknown)\n", a.c_str());
            return 2;
        }
        const char *v = argv[++i];
        bool ok = true;
        if (a == "--server")
            o->server = v;
        else if (a == "--ca")
            o->ca = v;
        else if (a == "--cert")
            o->cert = v;
        else if (a == "--key")
            o->key = v;
        else if (a == "--connections")
            ok = have_n = parse_long(v, 1, kMaxConnections, &o->connections);
        else if (a == "--concurrency")
            ok = have_m = parse_long(v, 1, kMaxConcurrency, &o->concurrency);
        else if (a == "--duration")
            ok = have_d = parse_seconds(v, 0.001, &o->duration_s);
        else if (a == "--warmup")
            ok = parse_seconds(v, 0.0, &o->warmup_s);
        else if (a == "--method")
            method = v;
        else if (a == "--server-pid")
            ok = parse_long(v, 1, 0x7fffffffL, &o->server_pid);
        else {
            std::fprintf(stderr, "grpc_loadgen: unknown option %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
        if (!ok) {
            std::fprintf(stderr, "grpc_loadgen: bad value for %s: %s\n", a.c_str(), v);
            return 2;
        }
    }
    if (o->server.empty() || o->ca.empty() || !have_n || !have_m || !have_d || method.empty()) {
        std::fprintf(stderr, "grpc_loadgen: --server, --ca, --connections, --concurrency, "
                             "--duration and --method are required\n");
        usage(stderr);
        return 2;
    }
    if (o->cert.empty() != o->key.empty()) {
        std::fprintf(stderr, "grpc_loadgen: --cert and --key go together\n");
        return 2;
    }
    if (method == "unary")
        o->stream = false;
    else if (method == "stream")
        o->stream = true;
    else {
        std::fprintf(stderr, "grpc_loadgen: --method is unary or stream, not %s\n",
                     method.c_str());
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

enum class Phase { kWarmup, kMeasure, kDone };

// A steady-clock instant as a gRPC deadline (gRPC takes only system_clock
// time points, which can jump; its monotonic clock cannot).
gpr_timespec deadline_of(Clock::time_point t)
{
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(t - Clock::now()).count();
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_nanos(left > 0 ? left : 0, GPR_TIMESPAN));
}

// One call slot: M per channel, each always running a call. Its address is
// the completion-queue tag of every step of its call. The readers are
// declared after ctx so that they are destroyed first.
struct Slot {
    int channel;
    enum class Step { kIdle, kUnary, kStarting, kReading, kFinishing } step = Step::kIdle;
    std::unique_ptr<grpc::ClientContext> ctx;
    Clock::time_point started;
    grpc::Status status;
    hv1::HealthCheckResponse health_resp;
    std::unique_ptr<grpc::ClientAsyncResponseReader<hv1::HealthCheckResponse>> unary;
    lv1::Leaf leaf;
    std::unique_ptr<grpc::ClientAsyncReader<lv1::Leaf>> reader;
};

struct Load {
    Options o;
    grpc::CompletionQueue cq;
    std::vector<std::unique_ptr<hv1::Health::Stub>> health;
    std::vector<std::unique_ptr<lv1::Log::Stub>> log;
    std::vector<Slot> slots;
    long running = 0;
    Phase ph = Phase::kWarmup;
    Clock::time_point t_measure, window_end, t_end;
    // the measured window
    bench_hist hist;
    uint64_t ok = 0, messages = 0, message_bytes = 0, errors[kNStatus + 1] = {};
    double srv_cpu0 = 0, srv_cpu1 = 0, self_cpu0 = 0, self_cpu1 = 0;
    bool srv_cpu_ok = false, self_cpu_ok = false;
    std::string last_error;
};

void start_call(Load *g, Slot *s)
{
    // The readers live in their call's memory: drop them before the context.
    s->unary.reset();
    s->reader.reset();
    s->ctx = std::make_unique<grpc::ClientContext>();
    s->status = grpc::Status();
    s->started = Clock::now();
    g->running++;
    if (g->o.stream) {
        lv1::LeavesRequest req; // start 0, end 0: every leaf
        s->reader = g->log[s->channel]->PrepareAsyncGetLeaves(s->ctx.get(), req, &g->cq);
        s->step = Slot::Step::kStarting;
        s->reader->StartCall(s);
    } else {
        hv1::HealthCheckRequest req; // service ""
        s->unary = g->health[s->channel]->PrepareAsyncCheck(s->ctx.get(), req, &g->cq);
        s->step = Slot::Step::kUnary;
        s->unary->StartCall();
        s->unary->Finish(&s->health_resp, &s->status, s);
    }
}

// A call ended: count it when it ended in the window, then start the next.
void end_call(Load *g, Slot *s)
{
    s->step = Slot::Step::kIdle;
    g->running--;
    int code = s->status.error_code();
    if (g->ph == Phase::kMeasure) {
        if (code == 0) {
            g->ok++;
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - s->started);
            bench_hist_record(&g->hist, static_cast<uint64_t>(ns.count()));
        } else {
            g->errors[code >= 0 && code < kNStatus ? code : kNStatus]++;
        }
    }
    if (code != 0 && g->ph != Phase::kDone)
        g->last_error = std::string(kStatusNames[code >= 0 && code < kNStatus ? code : kNStatus]) +
                        ": " + s->status.error_message();
    if (g->ph != Phase::kDone)
        start_call(g, s);
}

// One completion of slot s's call.
void on_event(Load *g, Slot *s, bool ok)
{
    switch (s->step) {
    case Slot::Step::kUnary:
        end_call(g, s);
        return;
    case Slot::Step::kStarting:
    case Slot::Step::kReading:
        if (s->step == Slot::Step::kReading && ok && g->ph == Phase::kMeasure) {
            g->messages++;
            g->message_bytes += s->leaf.data().size();
        }
        if (ok) {
            s->step = Slot::Step::kReading;
            s->reader->Read(&s->leaf, s);
        } else { // the stream ended (or never started): its status
            s->step = Slot::Step::kFinishing;
            s->reader->Finish(&s->status, s);
        }
        return;
    case Slot::Step::kFinishing:
        end_call(g, s);
        return;
    case Slot::Step::kIdle:
        return;
    }
}

void read_cpu(Load *g, double *srv, double *self)
{
    if (g->o.server_pid && bench_proc_cpu_seconds(static_cast<pid_t>(g->o.server_pid), srv) != 0)
        g->srv_cpu_ok = false;
    if (bench_proc_cpu_seconds(getpid(), self) != 0)
        g->self_cpu_ok = false;
}

void begin_measure(Load *g)
{
    g->ph = Phase::kMeasure;
    g->srv_cpu_ok = g->o.server_pid != 0;
    g->self_cpu_ok = true;
    read_cpu(g, &g->srv_cpu0, &g->self_cpu0);
    g->t_measure = Clock::now();
    g->window_end = g->t_measure + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(g->o.duration_s));
}

// Build the channels and wait until each is connected; false after printing why.
bool connect(Load *g)
{
    grpc::SslCredentialsOptions ssl;
    if (!read_file(g->o.ca, &ssl.pem_root_certs) ||
        (!g->o.cert.empty() && (!read_file(g->o.cert, &ssl.pem_cert_chain) ||
                                !read_file(g->o.key, &ssl.pem_private_key)))) {
        std::fprintf(stderr, "grpc_loadgen: cannot read --ca, --cert or --key\n");
        return false;
    }
    auto creds = grpc::SslCredentials(ssl);
    for (long i = 0; i < g->o.connections; i++) {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt("tender.bench.channel", static_cast<int>(i)); // a distinct subchannel key
        args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0); // failures show, as with max_attempts = 1
        auto ch = grpc::CreateCustomChannel(g->o.server, creds, args);
        auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(kConnectTimeoutS));
        if (!ch->WaitForConnected(deadline_of(deadline))) {
            std::fprintf(stderr, "grpc_loadgen: channel %ld could not connect to %s\n", i,
                         g->o.server.c_str());
            return false;
        }
        g->health.push_back(hv1::Health::NewStub(ch));
        g->log.push_back(lv1::Log::NewStub(ch));
    }
    return true;
}

// Run the warm-up and the window, then cancel what still runs and drain.
void run(Load *g)
{
    size_t n = static_cast<size_t>(g->o.connections) * static_cast<size_t>(g->o.concurrency);
    g->slots.resize(n);
    for (size_t i = 0; i < n; i++)
        g->slots[i].channel = static_cast<int>(i / static_cast<size_t>(g->o.concurrency));
    auto warm_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(g->o.warmup_s));
    if (g->o.warmup_s > 0)
        g->ph = Phase::kWarmup;
    else
        begin_measure(g);
    for (auto &s : g->slots)
        start_call(g, &s);
    while (g->ph != Phase::kDone) {
        void *tag;
        bool ok;
        auto st = g->cq.AsyncNext(&tag, &ok,
                                 deadline_of(g->ph == Phase::kWarmup ? warm_end : g->window_end));
        if (st == grpc::CompletionQueue::GOT_EVENT)
            on_event(g, static_cast<Slot *>(tag), ok);
        auto now = Clock::now();
        if (g->ph == Phase::kWarmup && now >= warm_end) {
            begin_measure(g);
        } else if (g->ph == Phase::kMeasure && now >= g->window_end) {
            g->t_end = now;
            g->ph = Phase::kDone;
            read_cpu(g, &g->srv_cpu1, &g->self_cpu1);
        }
    }
    // Calls still running end with CANCELLED (not counted).
    for (auto &s : g->slots)
        if (s.step != Slot::Step::kIdle)
            s.ctx->TryCancel();
    while (g->running > 0) {
        void *tag;
        bool ok;
        if (!g->cq.Next(&tag, &ok))
            break;
        on_event(g, static_cast<Slot *>(tag), ok);
    }
    g->cq.Shutdown();
    void *tag;
    bool ok;
    while (g->cq.Next(&tag, &ok)) {
    }
}

void json_string(const std::string &s)
{
    std::putchar('"');
    for (unsigned char ch : s) {
        if (ch == '"' || ch == '\\')
            std::printf("\\%c", ch);
        else if (ch < 0x20)
            std::printf("\\u%04x", ch);
        else
            std::putchar(ch);
    }
    std::putchar('"');
}

const char *rpc_name(const Load *g)
{
    return g->o.stream ? "tender.log.v1.Log/GetLeaves" : "tender.health.v1.Health/Check";
}

void report_json(const Load *g, double secs)
{
    const bench_hist *h = &g->hist;
    std::printf("{\"method\":\"%s\",\"rpc\":", g->o.stream ? "stream" : "unary");
    json_string(rpc_name(g));
    std::printf(",\"server\":");
    json_string(g->o.server);
    std::printf(",\"impl\":\"grpc-c++ %s\"", grpc::Version().c_str());
    std::printf(",\"connections\":%ld,\"concurrency\":%ld,\"warmup_s\":%.3f,\"duration_s\":%.3f",
                g->o.connections, g->o.concurrency, g->o.warmup_s, secs);
    std::printf(",\"calls\":%llu,\"calls_per_s\":%.1f", static_cast<unsigned long long>(g->ok),
                static_cast<double>(g->ok) / secs);
    if (g->o.stream)
        std::printf(",\"messages\":%llu,\"messages_per_s\":%.1f,\"message_bytes\":%llu",
                    static_cast<unsigned long long>(g->messages),
                    static_cast<double>(g->messages) / secs,
                    static_cast<unsigned long long>(g->message_bytes));
    std::printf(",\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p99_9\":%.1f,"
                "\"max\":%.1f,\"mean\":%.1f}",
                static_cast<double>(bench_hist_percentile(h, 50)) / 1e3,
                static_cast<double>(bench_hist_percentile(h, 90)) / 1e3,
                static_cast<double>(bench_hist_percentile(h, 99)) / 1e3,
                static_cast<double>(bench_hist_percentile(h, 99.9)) / 1e3,
                static_cast<double>(h->max) / 1e3, bench_hist_mean(h) / 1e3);
    std::printf(",\"errors\":{");
    bool first = true;
    for (int i = 0; i <= kNStatus; i++)
        if (g->errors[i]) {
            std::printf("%s\"%s\":%llu", first ? "" : ",", kStatusNames[i],
                        static_cast<unsigned long long>(g->errors[i]));
            first = false;
        }
    std::printf("},\"start_failures\":0");
    if (g->srv_cpu_ok) {
        double cpu = g->srv_cpu1 - g->srv_cpu0;
        std::printf(",\"server_cpu_s\":%.2f", cpu);
        if (g->ok)
            std::printf(",\"server_cpu_s_per_1000_calls\":%.4f",
                        cpu * 1000.0 / static_cast<double>(g->ok));
    }
    if (g->self_cpu_ok)
        std::printf(",\"loadgen_cpu_s\":%.2f", g->self_cpu1 - g->self_cpu0);
    std::printf("}\n");
}

void report_table(const Load *g, double secs)
{
    const bench_hist *h = &g->hist;
    auto us = [h](double p) { return static_cast<double>(bench_hist_percentile(h, p)) / 1e3; };
    std::printf("%-12s %s (%s), gRPC C++ %s\n", "method", g->o.stream ? "stream" : "unary",
                rpc_name(g), grpc::Version().c_str());
    std::printf("%-12s %s, %ld connections x %ld calls in flight\n", "load", g->o.server.c_str(),
                g->o.connections, g->o.concurrency);
    std::printf("%-12s %.2f s measured after %.2f s warm-up\n", "window", secs, g->o.warmup_s);
    std::printf("%-12s %llu OK, %.1f calls/s\n", "calls", static_cast<unsigned long long>(g->ok),
                static_cast<double>(g->ok) / secs);
    if (g->o.stream)
        std::printf("%-12s %llu, %.1f messages/s (%.1f per call)\n", "messages",
                    static_cast<unsigned long long>(g->messages),
                    static_cast<double>(g->messages) / secs,
                    g->ok ? static_cast<double>(g->messages) / static_cast<double>(g->ok) : 0.0);
    std::printf("%-12s p50 %.0f us  p90 %.0f us  p99 %.0f us  p99.9 %.0f us  max %.0f us\n",
                "latency", us(50), us(90), us(99), us(99.9), static_cast<double>(h->max) / 1e3);
    std::printf("%-12s", "errors");
    bool none = true;
    for (int i = 0; i <= kNStatus; i++)
        if (g->errors[i]) {
            std::printf(" %s %llu", kStatusNames[i], static_cast<unsigned long long>(g->errors[i]));
            none = false;
        }
    std::printf("%s\n", none ? " none" : "");
    if (g->srv_cpu_ok) {
        double cpu = g->srv_cpu1 - g->srv_cpu0;
        std::printf("%-12s %.2f s over the window", "server CPU", cpu);
        if (g->ok)
            std::printf(", %.4f s per 1,000 calls", cpu * 1000.0 / static_cast<double>(g->ok));
        std::printf("\n");
    }
    if (g->self_cpu_ok)
        std::printf("%-12s %.2f s over the window\n", "loadgen CPU", g->self_cpu1 - g->self_cpu0);
}

} // namespace

int main(int argc, char **argv)
{
    // On the heap: the histogram is a few hundred KiB, and the queue and
    // channels must go before gRPC's own state does at exit.
    auto g = std::make_unique<Load>();
    int rc = parse_args(argc, argv, &g->o);
    if (rc != 0)
        return rc;
    bench_hist_init(&g->hist);
    if (!connect(g.get()))
        return 1;
    run(g.get());
    double secs = std::chrono::duration<double>(g->t_end - g->t_measure).count();
    if (g->o.json)
        report_json(g.get(), secs);
    else
        report_table(g.get(), secs);
    if (g->ok == 0) {
        std::fprintf(stderr, "grpc_loadgen: no call succeeded in the window%s%s\n",
                     g->last_error.empty() ? "" : "; last error: ", g->last_error.c_str());
        return 1;
    }
    return 0;
}
