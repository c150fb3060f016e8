#!/usr/bin/python3
"""The web portal in a real browser: Debian's headless Chromium driven by
python3-selenium, against the real tenderd with tenders made by the real
tenderctl (seed.py), all on 127.0.0.1.

Checks, in one browser session: the tender list shows the tenders and
filters them; a tender page shows its versions, documents, questions, the
opening and the award; Verify succeeds against the real server, also when
reached from the keyboard; a saved bid receipt dropped on the page is found
in today's log; the log page verifies; the language switch changes the
interface (Korean, Spanish); Verify names the witness that cosigned; a page
served through a proxy that alters one byte of the checkpoint, of one event
or of the witness's cosignature reports failure; a pinned key other than the
server's gives the loud warning and Verify fails.

Screenshots of the main pages go to $BUILD/screenshots/ (`make screenshots`
copies them to docs/img/). Prints cmocka-style counts for tests/run.sh.

    BUILD=build tests/browser/test_portal.py
"""
import functools
import http.client
import http.server
import os
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed import Seed  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
SHOTS = os.path.join(BUILD, "screenshots")
# A valid verifier key that is not the server's (docs/LOG.md section 5).
OTHER_KEY = "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"

passed, failed = [], []


def check(name, fn):
    t0 = time.time()
    try:
        fn()
        passed.append(name)
        print(f"[       OK ] {name} ({time.time() - t0:.1f} s)", flush=True)
    except Exception:
        failed.append(name)
        print(f"[  FAILED  ] {name}\n{traceback.format_exc()}", flush=True)


# ---- a proxy that alters what tenderd serves (the test hook) -----------------

def tamper_proxy(upstream_port, alter):
    """Serve 127.0.0.1:<free port>, forwarding GETs to tenderd; alter(path,
    body) may change a body. Returns (server, port)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
            c.request("GET", self.path)
            r = c.getresponse()
            body = alter(self.path, r.read())
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding", "etag",
                                     "cache-control"):
                    self.send_header(k, v)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            c.close()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


def alter_checkpoint(path, body):
    """One byte of the checkpoint's root line."""
    if path != "/log/checkpoint":
        return body
    lines = body.split(b"\n")
    lines[2] = (b"B" if lines[2][:1] != b"B" else b"C") + lines[2][1:]
    return b"\n".join(lines)


def alter_event(path, body):
    """One byte of one event: the amendment's note."""
    if path.startswith("/api/v1/tenders/") and path.split("?")[0].endswith("/events"):
        assert b'"note":"Night' in body
        return body.replace(b'"note":"Night', b'"note":"Nighs', 1)
    return body


def alter_cosignature(path, body):
    """One byte of the witness's cosignature on the witnessed checkpoint."""
    if path != "/log/witnessed/checkpoint":
        return body
    lines = body.split(b"\n")
    i = next(k for k, line in enumerate(lines) if b"audit.example/witness" in line)
    lines[i] = lines[i][:-8] + (b"A" if lines[i][-8:-7] != b"A" else b"B") + lines[i][-7:]
    return b"\n".join(lines)


def drop_event(path, body):
    """One event left out of the tender's events: the question asked."""
    if path.startswith("/api/v1/tenders/") and path.split("?")[0].endswith("/events"):
        import json
        v = json.loads(body)
        v["events"] = [e for e in v["events"] if e["kind"] != "QUESTION_ASKED"]
        return json.dumps(v).encode()
    return body


# ---- the verifier's code against docs/LOG.md's vectors ----------------------------

def log_vectors():
    """From tests/data/vectors: the C2SP signed-note example, the checkpoint
    vector, the roots and every inclusion proof of the 8-leaf tree."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "vectors")
    text = open(os.path.join(here, "merkle.txt"), encoding="utf-8").read().split("\n")
    v = {"leaves": [], "roots": {}, "proofs": []}
    section = None
    for line in text:
        if line.startswith("["):
            section = line
            continue
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split()
        if section.startswith("[leaves]"):
            v["leaves"].append(f[2])
        elif section.startswith("[roots]"):
            v["roots"][int(f[0])] = f[1]
        elif section.startswith("[all inclusion proofs"):
            proof = [] if f[3] == "(empty)" else f[3:]
            v["proofs"].append([int(f[0]), int(f[1]), proof])
    ed = open(os.path.join(here, "ed25519.txt"), encoding="utf-8").read()
    v["c2sp_key"] = ed.split("[SIGNED NOTE example]")[1].split("vkey: ")[1].split("\n")[0]
    v["c2sp_note"] = "This is an example message.\n\n" + \
        ed.split("[SIGNED NOTE example]")[1].split("signature line: ")[1].split("\n")[0] + "\n"
    cp = ed.split("[CHECKPOINT derived vector]")[1]
    v["cp_key"] = cp.split("vkey: ")[1].split("\n")[0]
    v["cp_note"] = cp.split("----\n")[1]
    # The cosignature vector of tests/test_witness.c (made with Python's cryptography):
    # RFC 8032 test key 2 as witness.example/w1 at 1700000000, on the checkpoint vector.
    v["w_key"] = "witness.example/w1+04d2d833+BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
    v["w_note"] = v["cp_note"] + ("\u2014 witness.example/w1 BNLYMwAAAABlU/EA1Nlc3itcglxzaR5zgWhYzCZj13rKndAnpX6grS/"
                                  "2j05f1T6RCvg/TAIxONEDxGqAL+8mA87bCDIJHn2BGi07Aw==\n")
    return v


def big_tree(n):
    """A tree of n leaves as tiles (level 0 and 1), its root, and the proofs of a few leaves,
    computed here independently (RFC 6962 MTH and PATH)."""
    import hashlib
    H = lambda *p: hashlib.sha256(b"".join(p)).digest()  # noqa: E731
    leaves = [H(b"\0", i.to_bytes(3, "big")) for i in range(n)]

    @functools.lru_cache(maxsize=None)
    def mth(a, b):
        if b - a == 1:
            return leaves[a]
        k = 1
        while k * 2 < b - a:
            k *= 2
        return H(b"\1", mth(a, a + k), mth(a + k, b))

    def path(m, a, b):
        if b - a == 1:
            return []
        k = 1
        while k * 2 < b - a:
            k *= 2
        if m < a + k:
            return path(m, a, a + k) + [mth(a + k, b)]
        return path(m, a + k, b) + [mth(a, a + k)]

    # Level L of the tiles holds the roots of the complete subtrees of 256^L leaves.
    tiles = {}
    level = leaves
    for L in range(3):
        if L:
            w = 256 ** L
            level = [mth(w * i, w * i + w) for i in range(n // w)]
        for N in range((len(level) + 255) // 256):
            width = min(256, len(level) - 256 * N)
            name = f"x{N // 1000:03d}/{N % 1000:03d}" if N >= 1000 else f"{N:03d}"
            tiles[f"tile/{L}/{name}" + ("" if width == 256 else f".p/{width}")] = \
                b"".join(level[256 * N:256 * N + width]).hex()
    picks = [0, 255, 256, 300, 65535, 65536, n - 1]
    return {"n": n, "tiles": tiles, "root": mth(0, n).hex(),
            "proofs": [[m, [h.hex() for h in path(m, 0, n)], leaves[m].hex()] for m in picks]}


VECTOR_JS = """
const [v, big, done] = arguments;
(async () => {
  const note = await import('/js/note.js'), mk = await import('/js/merkle.js'), b = await import('/js/bytes.js');
  const hex = b.fromHex, bad = [];
  const fails = async (what, f) => { try { await f(); bad.push(what + ' was accepted'); } catch (e) {} };
  const vk = await note.parseVerifierKey(v.c2sp_key);
  if (await note.verifyNote(v.c2sp_note, vk) !== 'This is an example message.\\n') bad.push('c2sp text');
  await fails('a changed note', () => note.verifyNote(v.c2sp_note.replace('example', 'exampld'), vk));
  await fails('a hyphen for the em dash', () => note.verifyNote(v.c2sp_note.replace('\u2014', '-'), vk));
  await fails('a wrong key id', () => note.parseVerifierKey(v.c2sp_key.replace('+530d903a+', '+530d903b+')));
  await fails('non-canonical base64', () => note.parseVerifierKey(v.c2sp_key.replace(/k$/, 'l')));
  const cvk = await note.parseVerifierKey(v.cp_key);
  const cp = await note.verifyCheckpoint(v.cp_note, cvk);
  if (cp.size !== 8 || b.toHex(cp.root) !== v.roots[8]) bad.push('checkpoint vector');
  await fails('a checkpoint of another size', () => note.verifyCheckpoint(v.cp_note.replace('\\n8\\n', '\\n7\\n'), cvk));
  await fails('a checkpoint signed by another key', () => note.verifyCheckpoint(v.cp_note, vk));
  const wk = await note.parseVerifierKey(v.w_key, 4);
  const co = await note.cosigners(v.w_note, [wk]);
  if (co.ok.length !== 1 || co.ok[0].name !== 'witness.example/w1' || co.ok[0].time !== 1700000000) bad.push('cosignature vector');
  const co2 = await note.cosigners(v.w_note.replace('\\n8\\n', '\\n9\\n'), [wk]);
  if (co2.ok.length || co2.bad[0] !== 'witness.example/w1') bad.push('a cosignature on another checkpoint was accepted');
  await fails('a witness key as a log key', () => note.parseVerifierKey(v.w_key));
  for (const [m, n, proof] of v.proofs) {
    const p = proof.map(hex), leaf = hex(v.leaves[m]), root = hex(v.roots[n]);
    try { await mk.verifyInclusion(m, n, leaf, p, root); } catch (e) { bad.push(`proof ${m}/${n}: ${e.message}`); }
    await fails(`proof ${m}/${n} for another leaf`, () => mk.verifyInclusion(m, n, hex(v.leaves[(m + 1) % 8]), p, root));
    if (n > 1) await fails(`proof ${m}/${n} one hash short`, () => mk.verifyInclusion(m, n, leaf, p.slice(0, -1), root));
  }
  // A tree of several tiles: roots and proofs from tiles at levels 0 and 1.
  const tiles = new mk.Tiles(big.n, async (path) => { if (!(path in big.tiles)) throw new Error('no ' + path); return hex(big.tiles[path]); });
  if (b.toHex(await tiles.mth(0, big.n)) !== big.root) bad.push('the root from tiles');
  for (const [m, proof, leaf] of big.proofs) {
    const p = await tiles.inclusionProof(m);
    if (p.map(b.toHex).join() !== proof.join()) bad.push(`the proof of ${m} from tiles`);
    try { await mk.verifyInclusion(m, big.n, hex(leaf), p, hex(big.root)); } catch (e) { bad.push(`proof ${m} of ${big.n}: ${e.message}`); }
  }
  return bad;
})().then(done, (e) => done(['error: ' + e.message]));
"""


# ---- the browser ---------------------------------------------------------------

def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,1000", "--lang=en-US", "--no-first-run",
              "--disable-background-networking", "--disable-extensions"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def main():
    os.makedirs(SHOTS, exist_ok=True)
    seed = Seed(BUILD)
    d = None
    proxies = []
    try:
        t0 = time.time()
        seed.start()
        ids = seed.stories()
        seed.witnessed()
        print(f"seeded {ids} in {time.time() - t0:.1f} s at {seed.url}", flush=True)
        cp_proxy, cp_port = tamper_proxy(seed.http_port, alter_checkpoint)
        ev_proxy, ev_port = tamper_proxy(seed.http_port, alter_event)
        drop_proxy, drop_port = tamper_proxy(seed.http_port, drop_event)
        cos_proxy, cos_port = tamper_proxy(seed.http_port, alter_cosignature)
        proxies = [cp_proxy, ev_proxy, drop_proxy, cos_proxy]
        d = browser()
        run_checks(d, seed, ids, cp_port, ev_port, drop_port, cos_port)
    except Exception:
        failed.append("setup")
        print(f"[  FAILED  ] setup\n{traceback.format_exc()}", flush=True)
    finally:
        if d:
            try:
                for entry in d.get_log("browser"):
                    if entry.get("level") == "SEVERE":
                        print("browser console:", entry.get("message"))
            except Exception:
                pass
            d.quit()
        for p in proxies:
            p.shutdown()
        seed.close()
    print(f"[==========] {len(passed) + len(failed)} test(s) run.")
    print(f"[  PASSED  ] {len(passed)} test(s).")
    if failed:
        print(f"[  FAILED  ] {len(failed)} test(s), listed below:")
        for f in failed:
            print(f"[  FAILED  ] {f}")
    return 1 if failed else 0


def run_checks(d, seed, ids, cp_port, ev_port, drop_port, cos_port):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    def wait(cond, timeout=20):
        # A page re-rendering replaces its elements: look again.
        return WebDriverWait(d, timeout, poll_frequency=0.05, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(lambda _: cond())

    def open_page(base, route):
        target = f"{base}/#{route}"
        if d.current_url.startswith("http"):
            d.execute_script("delete document.body.dataset.ready")
        if d.current_url == target:
            d.refresh()
        else:
            d.get(target)
        wait(lambda: d.execute_script("return document.body.dataset.ready") == route.split("?")[0])

    def text(sel):
        return d.find_element(By.CSS_SELECTOR, sel).text

    def shot(name, height=None):
        if height:
            d.set_window_size(1280, height)
        d.save_screenshot(os.path.join(SHOTS, name))
        d.set_window_size(1280, 1000)

    def full_height():
        return min(d.execute_script("return document.documentElement.scrollHeight") + 20, 6000)

    def verify(expect):
        d.find_element(By.ID, "verify").click()
        wait(lambda: d.find_element(By.ID, "verify-result").get_attribute("data-result"))
        got = d.find_element(By.ID, "verify-result").get_attribute("data-result")
        assert got == expect, f"Verify said {got}, expected {expect}:\n{text('#verify-checks')}"
        return text("#verify-checks")

    url = seed.url
    awarded, active, cancelled = ids["awarded"], ids["active"], ids["cancelled"]

    def list_shows_tenders():
        open_page(url, "/")
        wait(lambda: len(d.find_elements(By.CSS_SELECTOR, "#tender-table tbody tr")) == 4)
        body = text("#tender-table")
        for title in ("Road resurfacing, Gangnam", "School meals, Busan", "Office furniture, Sejong"):
            assert title in body, body
        assert "₩1,500,000,000" in body and "45233140-2" in body and "Ministry of Works" in body, body
        assert not d.find_element(By.CSS_SELECTOR, "button.more").is_displayed()  # one page
        shot("list.png")

    def list_filters():
        open_page(url, "/?status=ACTIVE")
        wait(lambda: len(d.find_elements(By.CSS_SELECTOR, "#tender-table tbody tr")) == 1)
        assert "School meals" in text("#tender-table")
        open_page(url, "/?cpv=4523")
        wait(lambda: len(d.find_elements(By.CSS_SELECTOR, "#tender-table tbody tr")) == 1)
        assert "Road resurfacing" in text("#tender-table")

    def rows():
        return len(d.find_elements(By.CSS_SELECTOR, "#tender-table tbody tr"))

    def list_by_value():
        # Through the form: 100,000,000 to 1,000,000,000 won holds School meals (820M) only.
        open_page(url, "/")
        wait(lambda: rows() == 4)
        d.find_element(By.ID, "f-value_min").send_keys("100000000")
        d.find_element(By.ID, "f-value_max").send_keys("1000000000")
        d.find_element(By.ID, "f-currency").send_keys("krw")
        d.execute_script("delete document.body.dataset.ready")
        d.find_element(By.ID, "f-value_max").send_keys(Keys.ENTER)
        wait(lambda: d.execute_script("return document.body.dataset.ready") == "/" and rows() == 1)
        assert "School meals" in text("#tender-table"), text("#tender-table")
        assert d.find_element(By.ID, "f-value_min").get_attribute("value") == "100000000"
        assert "value_min=100000000" in d.current_url, d.current_url
        shot("list-value.png")
        # Bounds are inclusive: from the road's 1,500,000,000 won up.
        open_page(url, "/?value_min=1500000000&currency=KRW")
        wait(lambda: rows() == 1)
        assert "Road resurfacing" in text("#tender-table")
        # Another currency: nothing, said so.
        open_page(url, "/?value_min=1&currency=EUR")
        wait(lambda: d.find_elements(By.CSS_SELECTOR, "#results .empty"))
        assert text("#results .empty") == "No tender matches."
        # Won have no minor unit: the server's message is shown.
        open_page(url, "/?value_min=1.5&currency=KRW")
        wait(lambda: d.find_elements(By.CSS_SELECTOR, "p.error"))
        assert "more decimals than KRW allows (0)" in text("p.error"), text("p.error")

    def tender_page():
        open_page(url, f"/tender/{awarded}")
        opening = text("#opening")
        assert "2 bids, 2 valid" in opening, opening
        assert "₩1,390,000,000" in opening and "₩1,420,000,000" in opening, opening
        award = text("#award")
        assert seed.bids["roads"] in award and "Highest weighted score" in award, award
        assert "90.5" in award and "85.5" in award, award  # price 70 %, quality 30 %
        assert "price 95" in award and "quality 80" in award, award
        assert "Changed: Description" in text("#versions"), text("#versions")
        assert "specification.txt" in text("#documents")
        assert "thermoplastic" in text("#questions")
        complaints = text("#complaints")
        for want in (seed.complaint, "Quality scored without a site visit", "The award", "Rejected",
                     "Accepted for review", "Public Procurement Review Board",
                     "do not provide for site visits"):
            assert want in complaints, complaints
        assert "Seoul Asphalt" not in complaints, complaints  # who complained is never public
        timeline = text("#timeline")
        for kind in ("Published", "Amended", "Sealed bid received", "Bids opened", "Award recorded",
                     "Complaint filed", "Complaint rejected"):
            assert kind in timeline, timeline

    def tender_lots():
        # A tender in lots: each lot with its state (one cancelled, with its reason) and the items.
        open_page(url, f"/tender/{active}")
        lots = text("#lots")
        for want in ("LOT-1", "Primary schools", "₩500,000,000", "Lowest price", "Active",
                     "LOT-2", "Middle schools", "Weighted: price 60%, quality 40%", "Cancelled",
                     "central kitchen"):
            assert want in lots, lots
        facts = text("#facts")
        assert "Per lot" in facts and "Services" in facts, facts
        assert "METHOD_UNSPECIFIED" not in facts and "Procedure" not in facts, facts  # no method given
        items = text("#items")
        assert "School lunch, primary" in items and "250000 C62" in items and "Busan district 3" in items, items
        # The delivery period in days, as given (UTC), whatever the reader's time zone.
        assert "Mar 2, 2027 – Dec 20, 2027" in items and "AM" not in items, items
        assert "Lot cancelled" in text("#timeline"), text("#timeline")
        checks = verify("success")
        assert "1 published version(s)" in checks, checks
        shot("tender-lots.png", full_height())

    def verify_succeeds():
        checks = verify("success")
        for want in ("signed by the pinned key", "Witnessed: the checkpoint of size",
                     "is cosigned by audit.example/witness (20", "byte for byte", "No event of this tender is left out",
                     "2 published version(s)",
                     "opening record (2 bids)", "Award", "document(s) downloaded"):
            assert want in checks, checks
        shot("tender.png", full_height())

    def lots_awarded():
        lots_id = ids["lots"]
        open_page(url, f"/tender/{lots_id}")
        opening = text("#opening")
        for want in ("LOT-1", "680,000,000", "LOT-2", "480,000,000"):
            assert want in opening, opening
        award = text("#award")
        for want in ("LOT-1 LED lanterns", "LOT-2 Poles", seed.lot_bids["asphalt"], seed.lot_bids["roads"],
                     "Lowest valid price for the lanterns", "Lowest valid price for the poles"):
            assert want in award, award
        checks = verify("success")
        assert "Award" in checks, checks

    def verify_from_keyboard():
        open_page(url, f"/tender/{awarded}")
        body = d.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        for _ in range(40):
            if d.switch_to.active_element.get_attribute("id") == "verify":
                break
            d.switch_to.active_element.send_keys(Keys.TAB)
        assert d.switch_to.active_element.get_attribute("id") == "verify", "Tab never reached Verify"
        d.switch_to.active_element.send_keys(Keys.ENTER)
        wait(lambda: d.find_element(By.ID, "verify-result").get_attribute("data-result") == "success")

    def receipt_found():
        d.find_element(By.ID, "receipt-file").send_keys(seed.receipt)
        wait(lambda: d.find_element(By.ID, "receipt-result").get_attribute("data-result"))
        assert d.find_element(By.ID, "receipt-result").get_attribute("data-result") == "success", \
            text("#receipt-checks")
        assert "is included in today's log" in text("#receipt-checks")

    def cancelled_page():
        open_page(url, f"/tender/{cancelled}")
        assert "The purchase is no longer needed. The annex will be furnished under the framework agreement." in text("#cancellation"), \
            text("#cancellation")
        verify("success")

    def log_page():
        open_page(url, "/log")
        wait(lambda: d.find_element(By.ID, "log-result").get_attribute("data-result"))
        assert d.find_element(By.ID, "log-result").get_attribute("data-result") == "success", \
            text("#log-checks")
        open_page(url, "/log")  # the second visit checks against the first checkpoint seen
        wait(lambda: d.find_element(By.ID, "log-result").get_attribute("data-result") == "success")
        assert "1 checkpoint(s)" in text("#log-result"), text("#log-result")
        shot("log.png", full_height())

    def language_switch():
        open_page(url, f"/tender/{awarded}")
        d.execute_script("delete document.body.dataset.ready")
        Select(d.find_element(By.ID, "lang")).select_by_value("ko")
        wait(lambda: d.execute_script("return document.body.dataset.ready"))
        assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ko"
        assert text("#nav-tenders") == "입찰 공고" and text("#verify") == "이 공고 검증"
        assert "개찰 기록" in text("#opening") and "낙찰" in text("#award")
        verify("success")
        assert "통과" in text("#verify-checks")
        shot("tender-ko.png", full_height())
        d.execute_script("delete document.body.dataset.ready")
        Select(d.find_element(By.ID, "lang")).select_by_value("es")
        wait(lambda: d.execute_script("return document.body.dataset.ready"))
        assert text("#verify") == "Verificar esta licitación", text("#verify")
        # Dates and amounts in the reader's locale (the browser's is en-US; Spanish numbers).
        assert "1.390.000.000" in text("#opening"), text("#opening")
        d.set_window_size(390, 844)  # a phone
        open_page(url, "/")
        wait(lambda: len(d.find_elements(By.CSS_SELECTOR, "#tender-table tbody tr")) == 4)
        assert "Licitaciones" in text("h1")
        d.set_window_size(390, min(d.execute_script("return document.documentElement.scrollHeight") + 90, 2400))
        d.save_screenshot(os.path.join(SHOTS, "list-es-phone.png"))
        d.set_window_size(1280, 1000)
        Select(d.find_element(By.ID, "lang")).select_by_value("en")

    def tampered_checkpoint():
        open_page(f"http://127.0.0.1:{cp_port}", f"/tender/{awarded}")
        checks = verify("failure")
        assert "The latest checkpoint is not valid" in checks and "signature does not verify" in checks, checks
        shot("tampered-checkpoint.png")

    def tampered_event():
        open_page(f"http://127.0.0.1:{ev_port}", f"/tender/{awarded}")
        assert "Nighs work only" in text("#timeline")
        checks = verify("failure")
        assert "as shown differs from leaf" in checks, checks

    def left_out_event():
        open_page(f"http://127.0.0.1:{drop_port}", f"/tender/{awarded}")
        assert "Question asked" not in text("#timeline")
        checks = verify("failure")
        assert "is an event of this tender that the page does not show" in checks, checks

    def tampered_cosignature():
        open_page(f"http://127.0.0.1:{cos_port}", f"/tender/{awarded}")
        checks = verify("failure")
        assert "The witnessed checkpoint is not valid: the cosignatures of audit.example/witness do not verify" in checks, checks

    def changed_key_warns():
        open_page(url, "/key")
        d.find_element(By.ID, "key-input").send_keys(OTHER_KEY)
        d.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
        wait(lambda: OTHER_KEY in text("#pinned-key"))
        banner = d.find_element(By.ID, "key-banner")
        assert banner.is_displayed() and "different log key" in banner.text, banner.text
        assert "alarm" in banner.get_attribute("class")
        open_page(url, f"/tender/{awarded}")
        checks = verify("failure")
        assert "not signed by example.com/tender-log+0746ffab" in checks, checks
        open_page(url, "/key")
        d.find_element(By.ID, "key-forget").click()

    def vectors():
        open_page(url, "/key")
        d.set_script_timeout(30)
        bad = d.execute_async_script(VECTOR_JS, log_vectors(), big_tree(70000))
        assert bad == [], bad

    check("the verifier passes docs/LOG.md's vectors and a tree of many tiles", vectors)
    check("the tender list shows the tenders made with tenderctl", list_shows_tenders)
    check("the list filters by status and CPV", list_filters)
    check("the list filters by estimated value in a currency", list_by_value)
    check("a tender page shows versions, documents, questions, opening, award", tender_page)
    check("Verify succeeds against the real server", verify_succeeds)
    check("a tender in two lots shows each lot's prices and award, and verifies", lots_awarded)
    check("Verify is reachable and runs from the keyboard", verify_from_keyboard)
    check("a saved bid receipt is found in today's log", receipt_found)
    check("a cancelled tender shows its reason and verifies", cancelled_page)
    check("a tender in lots shows each lot's state and the items, and verifies", tender_lots)
    check("the log page verifies the checkpoint and its history", log_page)
    check("the language switch: Korean, Spanish, phone width", language_switch)
    check("a tampered checkpoint makes Verify fail", tampered_checkpoint)
    check("a tampered event makes Verify fail", tampered_event)
    check("an event left out of the page makes Verify fail", left_out_event)
    check("a witness's cosignature altered by one byte makes Verify fail", tampered_cosignature)
    check("a pinned key other than the server's warns loudly; Verify fails", changed_key_warns)


if __name__ == "__main__":
    sys.exit(main())
