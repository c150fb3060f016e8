#!/usr/bin/env python3
"""The failover test of the replicated mode (docs/SCALING.md, step 4).

A PostgreSQL primary with a synchronous standby (tests/ha/pgpair) and three
tenderd nodes on it (--store postgresql://...). During a bid-deadline surge
(tools/bench surge, given all three nodes): the writer tenderd is SIGKILLed
several times (and started again), the PostgreSQL primary is SIGKILLed once
and the standby promoted, and a writer is paused with SIGSTOP until another
has taken over, then woken. Afterwards:

- the surge verified every receipt, found every acknowledged bid in the log
  and no bid event nobody got a receipt for (so none is stored twice), and
  every receipt's checkpoint is a prefix of the final one (no fork);
- every node serves the same signed checkpoint (the same log: every
  receipted bid is present and provable on every node);
- in PostgreSQL the writers' terms never go back along the batches: the
  woken writer committed nothing after another took over;
- the time without a writer after each kill is measured and reported.

Run by `make test-ha` (it builds first). Exits 0 on success, 1 on a failed
check, 2 when it cannot run (e.g. PostgreSQL is not installed).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "bin")
# HA_TENDERD: the tenderd to run, e.g. build/asan/bin/tenderd (a sanitizer build).
TENDERD = os.environ.get("HA_TENDERD") or os.path.join(BIN, "tenderd")
PGPAIR = os.path.join(ROOT, "tests", "ha", "pgpair")
LEASE_TTL = "2s"
SUPPLIERS = int(os.environ.get("HA_SUPPLIERS", "2000"))
SPREAD_S = int(os.environ.get("HA_SPREAD", "60"))

failures = []


def check(cond, what):
    print(("ok      " if cond else "FAILED  ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql_bin():
    for p in ("/usr/lib/postgresql/15/bin/psql", shutil.which("psql") or ""):
        if p and os.access(p, os.X_OK):
            return p
    return None


class Cluster:
    def __init__(self, tmp):
        self.tmp = tmp
        self.pgdir = os.path.join(tmp, "pg")
        self.pki = os.path.join(tmp, "pki")
        self.uri = None
        self.nodes = []
        self.psql = psql_bin()

    # ---- PostgreSQL ----
    def pg(self, *args):
        return subprocess.run([PGPAIR, *args, self.pgdir], capture_output=True, text=True,
                              timeout=180)

    def sql(self, query):
        r = subprocess.run([self.psql, "-qtAX", "-v", "ON_ERROR_STOP=1", self.uri, "-c", query],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return r.stdout.strip()

    def lease(self):
        """(term, holder, live) or None when PostgreSQL does not answer."""
        try:
            out = self.sql("SELECT term, holder, expires > now() FROM writer_lease")
        except Exception:
            return None
        term, holder, live = out.split("|")
        return int(term), holder, live == "t"

    # ---- tenderd nodes ----
    def start_node(self, n):
        node = self.nodes[n]
        log = open(node["log"], "ab")
        node["proc"] = subprocess.Popen(
            [TENDERD, "--cert", f"{self.pki}/server.crt",
             "--key", f"{self.pki}/server.key", "--ca", f"{self.pki}/ca.crt",
             "--db", node["db"], "--listen", node["addr"], "--advertise", node["addr"],
             "--http", f"127.0.0.1:{node['http']}", "--store", self.uri,
             "--lease-ttl", LEASE_TTL, "--min-tender-period", "10s",
             "--max-connections-per-identity", "1000"],
            stdout=log, stderr=log)

    def node_of(self, addr):
        for i, node in enumerate(self.nodes):
            if node["addr"] == addr:
                return i
        return None

    def checkpoint(self, n):
        url = f"http://127.0.0.1:{self.nodes[n]['http']}/log/checkpoint"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode()
        except Exception:
            return None


def wait_for(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return None


def setup(c):
    r = c.pg("start")
    if r.returncode != 0:
        print("cannot start PostgreSQL:\n" + r.stdout + r.stderr, file=sys.stderr)
        sys.exit(2)
    c.uri = c.pg("uri").stdout.strip()
    print("postgresql:", c.uri, flush=True)
    subprocess.run([os.path.join(BIN, "tenderctl"), "pki", "init", c.pki], check=True,
                   capture_output=True)
    for i in range(3):
        d = os.path.join(c.tmp, f"n{i + 1}")
        os.makedirs(os.path.join(d, "db"))
        c.nodes.append({"db": os.path.join(d, "db"), "log": os.path.join(d, "log"),
                        "addr": f"127.0.0.1:{free_port()}", "http": free_port(), "proc": None})
    # One log, one key: made once, copied into every node's folder.
    key = subprocess.run([os.path.join(BIN, "tenderd"), "--print-log-key", "--db",
                          c.nodes[0]["db"]], check=True, capture_output=True, text=True)
    c.log_key = key.stdout.strip()
    for node in c.nodes[1:]:
        shutil.copy(os.path.join(c.nodes[0]["db"], "log.key"), node["db"])
    for i in range(3):
        c.start_node(i)
    lease = wait_for(lambda: (lambda l: l if l and l[2] and c.node_of(l[1]) is not None
                              else None)(c.lease()), 30)
    if not lease:
        print("no node became the writer", file=sys.stderr)
        sys.exit(1)
    print(f"writer: node {c.node_of(lease[1]) + 1} (term {lease[0]})", flush=True)


def new_writer_after(c, term, timeout=60):
    return wait_for(lambda: (lambda l: l if l and l[0] > term and l[2] else None)(c.lease()),
                    timeout)


def chaos(c, report, surge_done):
    """Kill the writer three times, the primary once, pause a writer once."""
    time.sleep(3)
    for k in range(3):
        lease = c.lease()
        n = c.node_of(lease[1])
        t0 = time.monotonic()
        c.nodes[n]["proc"].kill()
        c.nodes[n]["proc"].wait()
        nl = new_writer_after(c, lease[0])
        gap = time.monotonic() - t0 if nl else None
        report["writer_kills"].append(gap)
        print(f"killed the writer node {n + 1}: "
              + (f"node {c.node_of(nl[1]) + 1} writes after {gap:.2f} s" if nl
                 else "no new writer"), flush=True)
        time.sleep(1)
        c.start_node(n)
        time.sleep(3)

    # The PostgreSQL primary: SIGKILL, then the standby is promoted.
    before = int(c.sql("SELECT coalesce(max(seq), 0) FROM batches"))
    t0 = time.monotonic()
    r = c.pg("kill-primary")
    check(r.returncode == 0, "pgpair kill-primary")
    r = c.pg("promote")
    check(r.returncode == 0, "pgpair promote: " + r.stdout.strip()[-200:] + r.stderr.strip()[-200:])

    def writes_again():
        try:
            return int(c.sql("SELECT coalesce(max(seq), 0) FROM batches")) > before
        except Exception:
            return False
    ok = wait_for(writes_again, 90, 0.1)
    report["primary_kill"] = time.monotonic() - t0 if ok else None
    print("killed the PostgreSQL primary: "
          + (f"batches commit again after {report['primary_kill']:.2f} s" if ok
             else "no batch committed since"), flush=True)
    time.sleep(2)

    # A paused writer that wakes after another took over commits nothing.
    lease = wait_for(lambda: (lambda l: l if l and l[2] else None)(c.lease()), 30)
    n = c.node_of(lease[1])
    c.nodes[n]["proc"].send_signal(signal.SIGSTOP)
    nl = new_writer_after(c, lease[0])
    report["paused_term"] = lease[0]
    print(f"paused the writer node {n + 1} (term {lease[0]}): "
          + (f"node {c.node_of(nl[1]) + 1} took over (term {nl[0]})" if nl else "no new writer"),
          flush=True)
    time.sleep(1)
    c.nodes[n]["proc"].send_signal(signal.SIGCONT)
    time.sleep(3)
    surge_done.wait()


def diagnose(c):
    """What each node serves and logged, for a failed convergence check."""
    try:
        print("batches in PostgreSQL: max seq", c.sql("SELECT max(seq) FROM batches"), flush=True)
    except Exception as e:
        print("batches in PostgreSQL: unreadable:", e, flush=True)
    for i, node in enumerate(c.nodes):
        cp = c.checkpoint(i)
        p = node.get("proc")
        state = "running" if p and p.poll() is None else f"exited {p.poll() if p else None}"
        print(f"node {i + 1} ({state}): checkpoint size "
              + (cp.splitlines()[1] if cp else "none"), flush=True)
        with open(node["log"], errors="replace") as f:
            for line in f.readlines()[-12:]:
                print(f"  node {i + 1} log: {line.rstrip()}", flush=True)


def main():
    if not os.access(PGPAIR, os.X_OK) or not psql_bin():
        print("PostgreSQL 15 and tests/ha/pgpair are needed (make deps)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="tnd-ha.")
    os.chmod(tmp, 0o711)  # the PostgreSQL pair runs as postgres: it must reach tmp/pg
    c = Cluster(tmp)
    ok = False
    try:
        setup(c)
        servers = [a for n in c.nodes for a in ("--server", n["addr"])]
        report = {"writer_kills": [], "primary_kill": None}
        surge_done = threading.Event()
        timed = threading.Event()
        proc = subprocess.Popen(
            [os.path.join(BIN, "surge"), *servers, "--pki", c.pki, "--suppliers",
             str(SUPPLIERS), "--spread", str(SPREAD_S), "--deadline-in", "900", "--timeout",
             "120", "--log-key", c.log_key, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err_lines = []

        def read_err():
            for line in proc.stderr:
                err_lines.append(line)
                sys.stderr.write(line)
                if " bids to " in line:  # the timed phase begins
                    timed.set()
        reader = threading.Thread(target=read_err, daemon=True)
        reader.start()

        def chaos_when_timed():
            if timed.wait(timeout=900):
                chaos(c, report, surge_done)
        t = threading.Thread(target=chaos_when_timed, daemon=True)
        t.start()
        out = proc.stdout.read()
        proc.wait(timeout=1800)
        surge_done.set()
        reader.join(timeout=10)
        t.join(timeout=180)
        surge = subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(err_lines))
        check(surge.returncode == 0, f"the surge succeeded (exit {surge.returncode})")
        res = json.loads(surge.stdout.strip().splitlines()[-1]) if surge.stdout.strip() else {}
        k = res.get("check", {})
        print("surge:", json.dumps({x: res.get(x) for x in ("acknowledged", "bids_per_s", "errors",
                                                           "latency_ms")}),
              flush=True)
        errors = res.get("errors") or {}
        check(not errors and res.get("acknowledged") == SUPPLIERS,
              f"every supplier got a receipt across the failovers (errors {errors})")
        check(k.get("receipts_bad") == 0 and k.get("receipts_ok", 0) > 0,
              f"every receipt verifies ({k.get('receipts_ok')} ok, {k.get('receipts_bad')} bad)")
        check(k.get("missing") == 0, f"every acknowledged bid is in the log (missing {k.get('missing')})")
        check(k.get("unacknowledged") == 0,
              f"no bid stored twice or without its receipt (unacknowledged {k.get('unacknowledged')})")
        check(k.get("checkpoints") == k.get("consistent"),
              "every receipt's checkpoint is a prefix of the final one")
        check(len(report["writer_kills"]) == 3 and all(report["writer_kills"]),
              "a new writer after each of the three kills")
        check(report.get("primary_kill") is not None, "writes resume after the primary's loss")

        # Every node converges on the same signed checkpoint.
        def same():
            cps = [c.checkpoint(i) for i in range(3)]
            return cps if cps[0] and all(cp == cps[0] for cp in cps) else None
        cps = wait_for(same, 60, 0.2)
        check(cps is not None, "every node serves the same checkpoint")
        if cps is None:
            diagnose(c)
        if cps:
            print("final checkpoint size", cps[0].splitlines()[1], flush=True)
        backs = c.sql("SELECT count(*) FROM (SELECT term < lag(term) OVER (ORDER BY seq) AS b "
                      "FROM batches) x WHERE b")
        check(backs == "0", "the writers' terms never go back along the batches")
        late = c.sql(f"SELECT count(*) FROM batches WHERE term = {report.get('paused_term', -1)}"
                     f" AND seq > (SELECT min(seq) FROM batches WHERE term > "
                     f"{report.get('paused_term', -1)})")
        check(late == "0", "the paused writer committed nothing after the takeover")
        gaps = [g for g in report["writer_kills"] if g]
        if gaps:
            print(f"time without a writer after a SIGKILL (lease ttl {LEASE_TTL}): "
                  + ", ".join(f"{g:.2f} s" for g in gaps), flush=True)
        ok = not failures
        # One line for make bench (tools/bench/run_store.sh) to pick up.
        print("result " + json.dumps({
            "suppliers": SUPPLIERS, "spread_s": SPREAD_S, "lease_ttl": LEASE_TTL,
            "writer_kills_s": report["writer_kills"], "primary_kill_s": report["primary_kill"],
            "acknowledged": res.get("acknowledged"), "errors": res.get("errors"),
            "latency_ms": res.get("latency_ms"), "passed": ok}), flush=True)
    finally:
        for node in c.nodes:
            p = node.get("proc")
            if p and p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        c.pg("stop")
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept for a look:", tmp, file=sys.stderr)
    print("PASSED" if ok else "FAILED: " + "; ".join(failures), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
