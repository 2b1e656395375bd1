"""Runs the Datadog agent's own OpenMetrics V2 check once with INSTANCE (its configuration, as
JSON), with the stub aggregator (the way Datadog's integrations test their checks), and prints
what it submitted as JSON.

    python datadog_check.py '{"openmetrics_endpoint": "http://...", "namespace": "potato", ...}'

Without `use_latest_spec` the check sends `Accept: text/plain`, as the agent does by default;
with `use_latest_spec: true` it asks for OpenMetrics only.
"""

import json
import os
import sys

# The stub rejects tag names like `env` or `service` unless told not to check them.
os.environ.setdefault("DDEV_SKIP_GENERIC_TAGS_CHECK", "1")

from datadog_checks.base import AgentCheck, OpenMetricsBaseCheckV2  # noqa: E402
from datadog_checks.base.stubs import aggregator  # noqa: E402


def main():
    instance = json.loads(sys.argv[1])
    aggregator.reset()
    check = OpenMetricsBaseCheckV2("openmetrics", {}, [instance])
    error = check.run()
    metrics = []
    for name, stubs in aggregator._metrics.items():
        for m in stubs:
            metrics.append(
                {
                    "name": name,
                    "type": aggregator.METRIC_ENUM_MAP_REV[m.type],
                    "value": m.value,
                    "tags": sorted(t for t in m.tags if not t.startswith("endpoint:")),
                }
            )
    health = [
        {"name": name, "status": c.status}
        for name, checks in aggregator._service_checks.items()
        for c in checks
    ]
    print(json.dumps({"error": error, "metrics": metrics, "service_checks": health, "ok": AgentCheck.OK}))


if __name__ == "__main__":
    main()
