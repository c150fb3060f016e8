"""Make a throwaway tenderd with public data for the portal's browser test.

The real $BUILD/bin/tenderd runs on free 127.0.0.1 ports (RPC and --http)
with a fresh PKI in a temporary folder, and the real tenderctl makes, as
tools/demo.sh does: one tender taken through a document, an answered
question, an amendment, two sealed bids, the opening by two of three
committee members and a weighted award; one active tender; one cancelled.

    python3 tests/browser/seed.py [--build build]    keep it running (for work
                                                       on web/), print the URL
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Seed:
    def __init__(self, build):
        build = os.path.abspath(build)
        self.ctl_bin = os.path.join(build, "bin", "tenderctl")
        self.srv_bin = os.path.join(build, "bin", "tenderd")
        for b in (self.ctl_bin, self.srv_bin):
            if not os.access(b, os.X_OK):
                raise RuntimeError(f"{b} is missing: run make first")
        self.dir = tempfile.mkdtemp(prefix="tnd_portal_")
        self.proc = None
        self.witness = None
        self.env = dict(os.environ)
        for k in ("TENDER_CERT", "TENDER_KEY", "TENDER_LOG_KEY"):
            self.env.pop(k, None)

    def ctl(self, who, *args, ok=(0,)):
        cmd = [self.ctl_bin]
        if who:
            cmd += ["--cert", f"pki/{who}.crt", "--key", f"pki/{who}.key"]
        cmd += list(args)
        r = subprocess.run(cmd, cwd=self.dir, env=self.env, capture_output=True, text=True)
        if r.returncode not in ok:
            raise RuntimeError(f"tenderctl {' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        return r.stdout.strip()

    def start(self):
        self.ctl(None, "pki", "init", "pki")
        for name, role, org in (("kim", "officer", "Ministry of Works"),
                                ("park", "auditor", "National Audit Office"),
                                ("asphalt", "supplier", "Seoul Asphalt Co."),
                                ("roads", "supplier", "Busan Roadworks Ltd"),
                                ("board", "reviewer", "Public Procurement Review Board")):
            self.ctl(None, "pki", "issue", "pki", name, "--role", role, "--org", org)
        self.log_key = subprocess.run([self.srv_bin, "--db", "db", "--print-log-key"], cwd=self.dir,
                                      capture_output=True, text=True, check=True).stdout.strip()
        # The National Audit Office runs a witness; tenderd sends it each checkpoint.
        self.wit_bin = os.path.join(os.path.dirname(self.srv_bin), "tenderwitness")
        subprocess.run([self.wit_bin, "init", "--state", "witness", "--name", "audit.example/witness"],
                       cwd=self.dir, capture_output=True, check=True)
        self.witness_key = subprocess.run([self.wit_bin, "print-key", "--state", "witness"], cwd=self.dir,
                                          capture_output=True, text=True, check=True).stdout.strip()
        self.wit_port = free_port()
        self.witness = subprocess.Popen(
            [self.wit_bin, "serve", "--state", "witness", "--listen", f"127.0.0.1:{self.wit_port}",
             "--log", self.log_key], cwd=self.dir, stderr=open(os.path.join(self.dir, "witness.log"), "w"),
            stdout=subprocess.DEVNULL)
        with open(os.path.join(self.dir, "witnesses.policy"), "w") as f:
            f.write(f"witness audit {self.witness_key} http://127.0.0.1:{self.wit_port}\nquorum audit\n")
        for _ in range(3):
            self.port, self.http_port = free_port(), free_port()
            log = open(os.path.join(self.dir, "tenderd.log"), "w")
            self.proc = subprocess.Popen(
                [self.srv_bin, "--listen", f"127.0.0.1:{self.port}", "--cert", "pki/server.crt",
                 "--key", "pki/server.key", "--ca", "pki/ca.crt", "--db", "db",
                 "--min-tender-period", "0", "--min-amend-period", "0",
                 "--http", f"127.0.0.1:{self.http_port}", "--log-level", "warn",
                 "--witness-policy", "witnesses.policy", "--witness-interval", "100ms"],
                cwd=self.dir, stderr=log, stdout=subprocess.DEVNULL)
            self.env.update(TENDER_SERVER=f"127.0.0.1:{self.port}", TENDER_CA="pki/ca.crt")
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                r = subprocess.run([self.ctl_bin, "--timeout", "1", "health"], cwd=self.dir,
                                   env=self.env, capture_output=True)
                if r.returncode == 0:
                    self.url = f"http://127.0.0.1:{self.http_port}"
                    return
                time.sleep(0.1)
            self.stop_server()
        raise RuntimeError("tenderd did not start")

    def stories(self, bid_window=6):
        """The tenders; returns {"awarded": id, "active": id, "cancelled": id, "lots": id}."""
        committee = os.path.join(self.dir, "committee.txt")
        with open(committee, "w") as f:
            for m in ("kim", "park", "asphalt"):
                pub = self.ctl(None, "keys", "gen", m, "--dir", "keys").splitlines()[0]
                f.write(f"{m} {pub}\n")
        with open(os.path.join(self.dir, "specification.txt"), "w") as f:
            f.write("Resurfacing of 4.2 km of Teheran-ro: milling, 50 mm asphalt, markings.\n" * 40)
        now = time.time()
        deadline = rfc3339(now + bid_window)
        ids = {}
        ids["awarded"] = self.ctl(
            "officer", "tender", "create", "--title", "Road resurfacing, Gangnam (4.2 km)",
            "--description", "Milling and resurfacing of Teheran-ro between Gangnam and Samseong.",
            "--budget", "1500000000", "--currency", "KRW", "--cpv", "45233140-2", "--method",
            "open", "--category", "works", "--deadline", deadline, "--opening", deadline,
            "--committee", "committee.txt", "--threshold", "2", "--criterion", "price:70",
            "--criterion", "quality:30", "--doc", "specification.txt").splitlines()[0]
        t = ids["awarded"]
        self.ctl("officer", "tender", "publish", t)
        q = self.ctl("supplier", "question", "ask", t, "--text",
                     "May the markings use thermoplastic paint?").split()[0]
        self.ctl("officer", "question", "answer", t, q, "--text",
                 "Yes, thermoplastic paint to KS M 6080 is accepted.")
        self.ctl("officer", "tender", "amend", t, "--description",
                 "Milling and resurfacing of Teheran-ro between Gangnam and Samseong, "
                 "night work only.", "--note", "Night work only (22:00-06:00).")
        bids = {}
        for who, price in (("asphalt", "1420000000"), ("roads", "1390000000")):
            bids[who] = self.ctl(who, "bid", "submit", t, "--price", price, "--currency", "KRW",
                                 "--bids-dir", f"bids/{who}").splitlines()[0]
        self.bids = bids
        self.receipt = os.path.join(self.dir, "bids", "roads", t, bids["roads"] + ".bid")

        # In two lots, bid for lot by lot and awarded lot by lot, in the same bid window.
        ids["lots"] = self.ctl(
            "officer", "tender", "create", "--title", "Street lighting, Haeundae (2 lots)",
            "--currency", "KRW", "--cpv", "34993000-4", "--category", "goods",
            "--deadline", deadline, "--opening", deadline, "--committee", "committee.txt",
            "--threshold", "2", "--lot", "LOT-1: LED lanterns; 700000000",
            "--lot", "LOT-2: Poles; 500000000",
            "--item", "1: LED street lantern; 900 H87; lot=LOT-1",
            "--item", "2: Steel pole, 8 m; 450 H87; lot=LOT-2").splitlines()[0]
        lt = ids["lots"]
        self.ctl("officer", "tender", "publish", lt)
        lbids = {
            "asphalt": self.ctl("asphalt", "bid", "submit", lt, "--lot-price", "LOT-1=680000000",
                                "--lot-price", "LOT-2=490000000", "--currency", "KRW",
                                "--bids-dir", "bids/asphalt").splitlines()[0],
            "roads": self.ctl("roads", "bid", "submit", lt, "--lot-price", "LOT-1=690000000",
                              "--lot-price", "LOT-2=480000000", "--currency", "KRW",
                              "--bids-dir", "bids/roads").splitlines()[0],
        }
        self.lot_bids = lbids

        # In two lots (docs/LOTS.md), the budget their sum; the second lot cancelled.
        ids["active"] = self.ctl(
            "officer", "tender", "create", "--title", "School meals, Busan district 3 (2027)",
            "--currency", "KRW", "--cpv", "55524000-9", "--category",
            "services", "--deadline", rfc3339(now + 30 * 86400), "--opening",
            rfc3339(now + 30 * 86400), "--committee", "committee.txt",
            "--lot", "LOT-1: Primary schools; 500000000",
            "--lot", "LOT-2: Middle schools; 320000000; criteria=price:60,quality:40",
            "--item", "1: School lunch, primary; 250000 C62; lot=LOT-1; "
                      "place=Busan district 3; from=2027-03-02; to=2027-12-20",
            "--item", "2: School lunch, middle; 160000 C62; lot=LOT-2").splitlines()[0]
        self.ctl("officer", "tender", "publish", ids["active"])
        self.ctl("officer", "tender", "lot-cancel", ids["active"], "LOT-2", "--reason",
                 "The middle schools joined the city's central kitchen.", "--reason-code",
                 "no-longer-needed")
        ids["cancelled"] = self.ctl(
            "officer", "tender", "create", "--title", "Office furniture, Sejong annex",
            "--budget", "95000000", "--currency", "KRW", "--cpv", "39130000-2", "--category",
            "goods", "--deadline", rfc3339(now + 20 * 86400), "--opening",
            rfc3339(now + 20 * 86400), "--committee", "committee.txt").splitlines()[0]
        self.ctl("officer", "tender", "publish", ids["cancelled"])
        self.ctl("officer", "tender", "cancel", ids["cancelled"], "--reason",
                 "The annex will be furnished under the framework agreement.", "--reason-code",
                 "no-longer-needed")

        while time.time() < now + bid_window + 0.5:
            time.sleep(0.2)
        for _ in range(100):
            if '"status":"CLOSED"' in self.ctl(None, "--json", "tender", "show", t).replace(" ", ""):
                break
            time.sleep(0.2)
        self.ctl("kim", "open", t, "--key", "keys/kim.key")
        self.ctl("park", "open", t, "--key", "keys/park.key")
        self.ctl("officer", "award", t, "--winner", bids["roads"], "--criterion", "weighted",
                 "--rationale", "Highest weighted score",
                 "--score", f"{bids['roads']}:price=95", "--score", f"{bids['roads']}:quality=80",
                 "--score", f"{bids['asphalt']}:price=90", "--score",
                 f"{bids['asphalt']}:quality=75")
        # Seoul Asphalt complains about the award; the review body hears and rejects it.
        award_id = self.ctl(None, "--json", "award", "show", t).split('"id":"', 1)[1].split('"', 1)[0]
        c = self.ctl("asphalt", "complaint", "file", t, "--about", "award", "--award", award_id,
                     "--title", "Quality scored without a site visit",
                     "--text", "The quality points ignore the site visit we offered.")
        self.ctl("board", "complaint", "accept", c, "--reasoning", "Filed by a bidder in time.")
        self.ctl("board", "complaint", "decide", c, "--outcome", "reject", "--reasoning",
                 "The tender's criteria do not provide for site visits.")
        self.complaint = c
        for _ in range(100):
            if '"status":"CLOSED"' in self.ctl(None, "--json", "tender", "show", lt).replace(" ", ""):
                break
            time.sleep(0.2)
        self.ctl("kim", "open", lt, "--key", "keys/kim.key")
        self.ctl("park", "open", lt, "--key", "keys/park.key")
        self.ctl("officer", "award", lt, "--lot", "LOT-1", "--winner", lbids["asphalt"],
                 "--criterion", "lowest-price", "--rationale", "Lowest valid price for the lanterns")
        self.ctl("officer", "award", lt, "--lot", "LOT-2", "--winner", lbids["roads"],
                 "--criterion", "lowest-price", "--rationale", "Lowest valid price for the poles")
        self.ids = ids
        return ids

    def stop_server(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def witnessed(self, timeout=10):
        """Wait until the witness has cosigned the log as it stands."""
        import urllib.request
        want = self.ctl(None, "audit", "checkpoint", "--log-key", self.log_key).split("size:")[1].split()[0]
        end = time.time() + timeout
        while time.time() < end:
            try:
                note = urllib.request.urlopen(f"{self.url}/log/witnessed/checkpoint").read().decode()
                if note.split("\n")[1] == want:
                    return
            except Exception:
                pass
            time.sleep(0.1)
        raise RuntimeError("the witness did not cosign the log")

    def close(self):
        self.stop_server()
        if self.witness and self.witness.poll() is None:
            self.witness.terminate()
            self.witness.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    build = sys.argv[sys.argv.index("--build") + 1] if "--build" in sys.argv else "build"
    s = Seed(build)
    try:
        s.start()
        ids = s.stories()
        print(f"portal: {s.url}/   log key: {s.log_key}")
        print(f"tenders: {ids}   receipt: {s.receipt}")
        print(f"folder: {s.dir}   (Ctrl-C stops)", flush=True)
        signal.sigwait([signal.SIGINT, signal.SIGTERM])
    finally:
        s.close()
