#!/usr/bin/python3
"""Validate a `tenderctl export ocds` release package against OCDS 1.1.5.

usage: ocds_validate.py PACKAGE [--ocds DIR] [--no-bids] [--opening TIME]
                        [--tags T1,T2,...] [--bids AMOUNT:CURRENCY,...]
                        [--disqualified N]
                        [--awards STATUS,...] [--award-criteria CODE]
                        [--lots ID:STATUS,...] [--lot-bids LOT:AMOUNT:CURRENCY,...]
                        [--lot-awards LOT:STATUS,...]

- the package against release-package-schema-1.1.5.json (its release
  $ref resolved to the local release schema, never fetched);
- every release against the release schema with the bids, lots and location
  extensions merged in, in that order (RFC 7386 JSON Merge Patch; the lots
  extension's Bid part patches the bids extension's Bid), with
  Draft4Validator;
- --no-bids: no release carries "bids";
- --opening TIME: no release dated before TIME carries "bids", and the
  first release that does is dated at or after TIME;
- --tags: the releases' tags, in order (a release with several tags as
  T1+T2);
- --bids: the first release with bids lists exactly these bid values
  (any order), each bid "valid", and the statistics count them;
- --disqualified N: with --bids, the first release with bids also lists N
  bids with status "disqualified", without value or tenderers, and the
  statistics count them (disqualifiedBids, and in bids);
- --awards: the last release's awards have these statuses, in order;
- --award-criteria: every release's tender.awardCriteria is CODE, from the
  awardCriteria codelist;
- always: no awards before the first release tagged "award"; award ids and
  bid ids unique in a release; an award's relatedBid is a bid of the release
  and its suppliers are parties with role "supplier" (unless it is
  cancelled); an unsuccessful award names no supplier;
- always, lots (a release whose tender has lots): lot ids unique, the lots'
  values add up to tender.value, every item has a relatedLot naming one of
  the lots, every bid and award relatedLots and bid statistic relatedLot
  names one, a bid detail relates to one lot; the package declares the lots
  extension when a release has lots, the location extension when an item has
  a deliveryLocation;
- --lots: the last release's tender.lots, as ID:STATUS, in order;
- --lot-bids: the first release with bids lists exactly these valid bid
  values, each as its lot and value (any order), and the per-lot statistics
  count them;
- --lot-awards: the last release's awards, as LOT:STATUS, in order.

DIR defaults to tests/data/ocds in the repository (tests/data/README.md
says where each file comes from). Exit 0 when all holds, 1 with the reasons on stderr.
Run it with Debian's /usr/bin/python3 (python3-jsonschema).
"""
import argparse
import copy
import datetime
import json
import os
import sys

import jsonschema

RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
EXT_URL = "https://raw.githubusercontent.com/open-contracting-extensions/%s/v1.1.5/extension.json"
LOTS_EXT = EXT_URL % "ocds_lots_extension"
LOCATION_EXT = EXT_URL % "ocds_location_extension"


def merge_patch(target, patch):
    """RFC 7386: apply patch to target, returning the result."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_awards(releases, a):
    """The award rules of the module docstring; a list of errors."""
    errors = []
    tagged = [i for i, r in enumerate(releases) if "award" in r.get("tag", [])]
    for i, r in enumerate(releases):
        awards = r.get("awards", [])
        if awards and (not tagged or i < tagged[0]):
            errors.append("release %s has awards before the first award release" % r["id"])
        ids = [w.get("id") for w in awards]
        if len(set(ids)) != len(ids):
            errors.append("release %s: award ids %s are not unique" % (r["id"], ids))
        bid_list = [b.get("id") for b in r.get("bids", {}).get("details", [])]
        bid_ids = set(bid_list)
        if len(bid_ids) != len(bid_list):
            errors.append("release %s: bid ids %s are not unique" % (r["id"], bid_list))
        suppliers = {p.get("id") for p in r.get("parties", []) if "supplier" in p.get("roles", [])}
        for w in awards:
            if "relatedBid" in w and w["relatedBid"] not in bid_ids:
                errors.append("release %s: award %s relates to bid %s, not in bids" %
                              (r["id"], w["id"], w["relatedBid"]))
            if w.get("status") == "unsuccessful" and w.get("suppliers"):
                errors.append("release %s: unsuccessful award %s names suppliers" %
                              (r["id"], w["id"]))
            if w.get("status") in ("pending", "active"):
                for s in w.get("suppliers", []):
                    if s.get("id") not in suppliers:
                        errors.append("release %s: supplier %s of award %s is not a supplier "
                                      "party" % (r["id"], s.get("id"), w["id"]))
    if a.awards is not None:
        got = [w.get("status") for w in (releases[-1].get("awards", []) if releases else [])]
        if got != [x for x in a.awards.split(",") if x]:
            errors.append("last release's award statuses %s, expected %s" % (got, a.awards))
    if a.award_criteria:
        with open(os.path.join(a.ocds, "codelists-1.1.5", "awardCriteria.csv"),
                  encoding="utf-8") as f:
            codes = {line.split(",")[0] for line in f.read().splitlines()[1:]}
        if a.award_criteria not in codes:
            errors.append("%s is not in the awardCriteria codelist" % a.award_criteria)
        for r in releases:
            got = r.get("tender", {}).get("awardCriteria")
            if got != a.award_criteria:
                errors.append("release %s: awardCriteria %s, expected %s" %
                              (r["id"], got, a.award_criteria))
    return errors


def amount(v):
    return "%s:%s" % (json.dumps(v["amount"]), v["currency"])


def check_lots(package, releases, a):
    """The lot rules of the module docstring; a list of errors."""
    errors = []
    exts = package.get("extensions", [])
    if any(r.get("tender", {}).get("lots") for r in releases) and LOTS_EXT not in exts:
        errors.append("releases have lots but the package does not declare %s" % LOTS_EXT)
    if any("deliveryLocation" in i for r in releases for i in r.get("tender", {}).get("items", [])) \
            and LOCATION_EXT not in exts:
        errors.append("items have a deliveryLocation but the package does not declare %s" %
                      LOCATION_EXT)
    for r in releases:
        t = r.get("tender", {})
        lots = t.get("lots")
        if not lots:
            continue
        rid = r["id"]
        ids = [x.get("id") for x in lots]
        if len(set(ids)) != len(ids):
            errors.append("release %s: lot ids %s are not unique" % (rid, ids))
        values = [x["value"] for x in lots if "value" in x]
        if "value" in t and len(values) == len(lots):
            cur = {v["currency"] for v in values} | {t["value"]["currency"]}
            total = sum(v["amount"] for v in values)
            if len(cur) != 1 or abs(total - t["value"]["amount"]) > 1e-9:
                errors.append("release %s: the lots' values %s do not add up to %s" %
                              (rid, [amount(v) for v in values], amount(t["value"])))
        for i in t.get("items", []):
            if i.get("relatedLot") not in ids:
                errors.append("release %s: item %s relates to lot %s, not a lot of the tender" %
                              (rid, i.get("id"), i.get("relatedLot")))
        bids = r.get("bids", {})
        for b in bids.get("details", []):
            rl = b.get("relatedLots", [])
            if len(rl) > 1 or any(x not in ids for x in rl):
                errors.append("release %s: bid %s relates to lots %s" % (rid, b.get("id"), rl))
        for s in bids.get("statistics", []):
            if "relatedLot" in s and s["relatedLot"] not in ids:
                errors.append("release %s: statistic %s relates to lot %s" %
                              (rid, s.get("id"), s["relatedLot"]))
        for w in r.get("awards", []):
            rl = w.get("relatedLots")
            if not rl or any(x not in ids for x in rl):
                errors.append("release %s: award %s relates to lots %s" % (rid, w.get("id"), rl))
    last = releases[-1] if releases else {}
    if a.lots is not None:
        got = ["%s:%s" % (x.get("id"), x.get("status")) for x in last.get("tender", {}).get("lots", [])]
        if got != [x for x in a.lots.split(",") if x]:
            errors.append("last release's lots %s, expected %s" % (got, a.lots))
    if a.lot_bids is not None:
        with_bids = [r for r in releases if "bids" in r]
        want = sorted(x for x in a.lot_bids.split(",") if x)
        if not with_bids:
            errors.append("no release carries bids")
        else:
            bids = with_bids[0]["bids"]
            valid = [d for d in bids.get("details", []) if d.get("status") == "valid"]
            got = sorted("%s:%s" % (",".join(d.get("relatedLots", [])), amount(d["value"]))
                         for d in valid if "value" in d)
            if got != want or len(got) != len(valid):
                errors.append("valid lot bids %s, expected %s" % (got, want))
            for lot in {x.split(":")[0] for x in want}:
                stats = {s["measure"]: s["value"] for s in bids.get("statistics", [])
                         if s.get("relatedLot") == lot}
                n_valid = len([x for x in want if x.split(":")[0] == lot])
                n_all = len([d for d in bids.get("details", []) if d.get("relatedLots") == [lot]])
                if stats.get("validBids") != n_valid or stats.get("bids") != n_all or \
                        stats.get("disqualifiedBids") != n_all - n_valid:
                    errors.append("lot %s statistics %s, expected %d bids, %d valid" %
                                  (lot, stats, n_all, n_valid))
    if a.lot_awards is not None:
        got = ["%s:%s" % (",".join(w.get("relatedLots", [])), w.get("status"))
               for w in last.get("awards", [])]
        if got != [x for x in a.lot_awards.split(",") if x]:
            errors.append("last release's awards %s, expected %s" % (got, a.lot_awards))
    return errors


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--ocds", default=os.path.join(repo, "tests", "data", "ocds"))
    ap.add_argument("--no-bids", action="store_true")
    ap.add_argument("--opening")
    ap.add_argument("--tags")
    ap.add_argument("--bids")
    ap.add_argument("--disqualified", type=int, default=0)
    ap.add_argument("--awards")
    ap.add_argument("--award-criteria")
    ap.add_argument("--lots")
    ap.add_argument("--lot-bids")
    ap.add_argument("--lot-awards")
    a = ap.parse_args()

    def load(name):
        with open(os.path.join(a.ocds, name), encoding="utf-8") as f:
            return json.load(f)

    with open(a.package, encoding="utf-8") as f:
        package = json.load(f)
    package_schema = load("release-package-schema-1.1.5.json")
    release_schema = load("release-schema-1.1.5.json")
    patches = [load("%s-extension-release-schema-v1.1.5.json" % name)
               for name in ("bids", "lots", "location")]
    errors = []

    resolver = jsonschema.RefResolver.from_schema(
        package_schema, store={RELEASE_URL: release_schema})
    v = jsonschema.Draft4Validator(package_schema, resolver=resolver,
                                   format_checker=jsonschema.draft4_format_checker)
    for e in v.iter_errors(package):
        errors.append("package: %s at %s" % (e.message, list(e.absolute_path)))

    extended = release_schema
    for patch in patches:
        extended = merge_patch(extended, patch)
    defs = extended.get("definitions", {})
    if "Bids" not in defs or "bids" not in extended["properties"]:
        errors.append("the merged release schema has no bids")
    if "lots" not in defs["Tender"]["properties"] or "relatedLots" not in \
            defs["Bid"]["properties"] or "deliveryLocation" not in defs["Item"]["properties"]:
        errors.append("the merged release schema has no lots or no delivery location")
    jsonschema.Draft4Validator.check_schema(extended)
    rv = jsonschema.Draft4Validator(extended, format_checker=jsonschema.draft4_format_checker)
    releases = package.get("releases", [])
    for i, r in enumerate(releases):
        for e in rv.iter_errors(r):
            errors.append("release %d (%s): %s at %s" % (i, r.get("id"), e.message,
                                                         list(e.absolute_path)))
    ids = [(r.get("ocid"), r.get("id")) for r in releases]
    if len(set(ids)) != len(ids):
        errors.append("release ids are not unique: %s" % ids)

    with_bids = [i for i, r in enumerate(releases) if "bids" in r]
    if a.no_bids and with_bids:
        errors.append("releases %s carry bids" % with_bids)
    if a.opening:
        opening = parse_time(a.opening)
        for i, r in enumerate(releases):
            if "bids" in r and parse_time(r["date"]) < opening:
                errors.append("release %d (%s) carries bids before the opening" % (i, r["id"]))
        if not with_bids:
            errors.append("no release carries bids")
        else:
            first = with_bids[0]
            if any("bids" in r for r in releases[:first]):
                errors.append("a release before the opened one carries bids")
            if "tenderer" not in json.dumps([p.get("roles") for p in
                                             releases[first].get("parties", [])]):
                errors.append("the opened release has no tenderer party")
            for r in releases[:first]:
                for p in r.get("parties", []):
                    if "tenderer" in p.get("roles", []):
                        errors.append("release %s names a tenderer before the opening" % r["id"])
    if a.tags:
        got = ["+".join(r.get("tag", [])) for r in releases]
        if got != a.tags.split(","):
            errors.append("tags %s, expected %s" % (got, a.tags.split(",")))
    if a.bids:
        want = sorted(a.bids.split(","))
        if not with_bids:
            errors.append("no release carries bids")
        else:
            bids = releases[with_bids[0]]["bids"]
            details = bids.get("details", [])
            got = sorted("%s:%s" % (json.dumps(d["value"]["amount"]), d["value"]["currency"])
                         for d in details if "value" in d)
            if got != want:
                errors.append("bid values %s, expected %s" % (got, want))
            valid = [d for d in details if d.get("status") == "valid"]
            dq = [d for d in details if d.get("status") == "disqualified"]
            if len(valid) != len(want) or len(dq) != a.disqualified or \
                    len(valid) + len(dq) != len(details):
                errors.append("expected %d valid and %d disqualified bids: %s" %
                              (len(want), a.disqualified, details))
            if any("value" in d or "tenderers" in d for d in dq):
                errors.append("a disqualified bid has a value or tenderers: %s" % dq)
            stats = {s["measure"]: s["value"] for s in bids.get("statistics", [])}
            if stats.get("bids") != len(want) + a.disqualified or \
                    stats.get("validBids") != len(want) or \
                    stats.get("disqualifiedBids", 0) != a.disqualified:
                errors.append("statistics %s, expected %d valid and %d disqualified bids" %
                              (stats, len(want), a.disqualified))

    errors += check_awards(releases, a)
    errors += check_lots(package, releases, a)

    for e in errors:
        print("ocds_validate: " + e, file=sys.stderr)
    if not errors:
        print("ocds_validate: %d releases valid" % len(releases))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
