"""Orders probe (Python): orders by status, over every page of list-orders (the host follows
the pages: list_all_orders).

The Rust and JavaScript examples compute the same family; a test checks the three agree.
"""

import wit_world
from componentize_py_types import Err
from wit_world.imports import metrics, potatoes


# More pages than this is an error, not a silently short count.
MAX_PAGES = 20


class WitWorld(wit_world.WitWorld):
    def collect(self):
        counts = {}
        try:
            orders = potatoes.list_all_orders(None, MAX_PAGES)
        except Err as e:
            raise Err(f"list-all-orders: {e.value}")
        for order in orders:
            status = order.status.name.lower()
            counts[status] = counts.get(status, 0) + 1
        samples = [
            metrics.Sample([metrics.Label("status", status)], metrics.SampleValue_Number(float(n)))
            for status, n in sorted(counts.items())
        ]
        return [metrics.MetricFamily("potato_orders", "Orders by status.", None, metrics.MetricType.GAUGE, samples)]
