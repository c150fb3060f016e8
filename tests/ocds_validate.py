#!/usr/bin/python3
"""Validate a `tenderctl export ocds` release package against OCDS 1.1.5.

usage: ocds_validate.py PACKAGE [--ocds DIR] [--no-bids] [--opening TIME]
                        [--tags T1,T2,...] [--bids AMOUNT:CURRENCY,...]

- the package against release-package-schema-1.1.5.json (its release
  $ref resolved to the local release schema, never fetched);
- every release against the release schema with the bids extension merged
  in (RFC 7386 JSON Merge Patch), with Draft4Validator;
- --no-bids: no release carries "bids";
- --opening TIME: no release dated before TIME carries "bids", and the
  first release that does is dated at or after TIME;
- --tags: the releases' tags, in order;
- --bids: the first release with bids lists exactly these bid values
  (any order), each bid "valid", and the statistics count them.

DIR defaults to ../shared/data/ocds from the repository root (the folder
above tests/). Exit 0 when all holds, 1 with the reasons on stderr.
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


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--ocds", default=os.path.join(repo, "..", "shared", "data", "ocds"))
    ap.add_argument("--no-bids", action="store_true")
    ap.add_argument("--opening")
    ap.add_argument("--tags")
    ap.add_argument("--bids")
    a = ap.parse_args()

    def load(name):
        with open(os.path.join(a.ocds, name), encoding="utf-8") as f:
            return json.load(f)

    with open(a.package, encoding="utf-8") as f:
        package = json.load(f)
    package_schema = load("release-package-schema-1.1.5.json")
    release_schema = load("release-schema-1.1.5.json")
    bids_patch = load("bids-extension-release-schema-v1.1.5.json")
    errors = []

    resolver = jsonschema.RefResolver.from_schema(
        package_schema, store={RELEASE_URL: release_schema})
    v = jsonschema.Draft4Validator(package_schema, resolver=resolver,
                                   format_checker=jsonschema.draft4_format_checker)
    for e in v.iter_errors(package):
        errors.append("package: %s at %s" % (e.message, list(e.absolute_path)))

    extended = merge_patch(release_schema, bids_patch)
    if "Bids" not in extended.get("definitions", {}) or "bids" not in extended["properties"]:
        errors.append("the merged release schema has no bids")
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
        got = [",".join(r.get("tag", [])) for r in releases]
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
            if any(d.get("status") != "valid" for d in details):
                errors.append("a bid is not valid: %s" % details)
            stats = {s["measure"]: s["value"] for s in bids.get("statistics", [])}
            if stats.get("bids") != len(want) or stats.get("validBids") != len(want):
                errors.append("statistics %s, expected %d bids" % (stats, len(want)))

    for e in errors:
        print("ocds_validate: " + e, file=sys.stderr)
    if not errors:
        print("ocds_validate: %d releases valid" % len(releases))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
