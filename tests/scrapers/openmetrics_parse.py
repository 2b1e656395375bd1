"""Parses URL's OpenMetrics exposition with prometheus_client's strict parser, in its own
process (importing datadog_checks patches that parser). Exits non-zero, with the reason, when
the parser rejects it.

    python openmetrics_parse.py URL
    python openmetrics_parse.py -        # the exposition on stdin
    python openmetrics_parse.py --batch  # a JSON list of expositions on stdin; prints a JSON
                                         # list with null or the parser's error for each
"""

import json
import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
    if sys.argv[1] == "-":
        list(text_string_to_metric_families(sys.stdin.read()))
        return
    if sys.argv[1] == "--batch":
        verdicts = []
        for body in json.load(sys.stdin):
            try:
                list(text_string_to_metric_families(body))
                verdicts.append(None)
            except Exception as e:  # the parser raises ValueError, and others on odd input
                verdicts.append(f"{type(e).__name__}: {e}")
        json.dump(verdicts, sys.stdout)
        return
    request = urllib.request.Request(sys.argv[1], headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        body = response.read().decode("utf-8")
    if not content_type.startswith("application/openmetrics-text"):
        sys.exit(f"answered {content_type!r}, not OpenMetrics")
    families = list(text_string_to_metric_families(body))
    samples = sum(len(f.samples) for f in families)
    print(f"{len(families)} families, {samples} samples")


if __name__ == "__main__":
    main()
