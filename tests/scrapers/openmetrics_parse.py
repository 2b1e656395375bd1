"""Parses URL's OpenMetrics exposition with prometheus_client's strict parser, in its own
process (importing datadog_checks patches that parser). Exits non-zero, with the reason, when
the parser rejects it.

    python openmetrics_parse.py URL
"""

import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
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
