#!/usr/bin/python3
"""Parse a Prometheus text exposition (format 0.0.4) with the reference
parser of the Prometheus Python client, and print what it understood.

usage: metrics_parse.py FILE

For each metric family, one line "# TYPE NAME TYPE" (the parser's family
name: a counter's loses its _total), then one line per sample:
    NAME{LABEL="VALUE",...} NUMBER
with the labels sorted by name and NUMBER printed by Python's repr (2.0,
0.000123, inf). Exit 0 when the text parses, 1 with the reason on stderr.
Run it with Debian's /usr/bin/python3 (python3-prometheus-client).
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        print(f"metrics_parse: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    for fam in families:
        print(f"# TYPE {fam.name} {fam.type}")
        for s in fam.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            print(f"{s.name}{{{labels}}} {s.value!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
