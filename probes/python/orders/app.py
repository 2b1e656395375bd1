"""Orders probe (Python): orders by status, over every page of list-orders.

The Rust and JavaScript examples compute the same family; a test checks the three agree.
"""

import wit_world
from componentize_py_types import Err
from wit_world.imports import metrics, potatoes


def all_orders():
    """Every order, following next-page-token to the last page."""
    token = None
    while True:
        try:
            page = potatoes.list_orders(None, 1000, token)
        except Err as e:
            raise Err(f"list-orders: {e.value}")
        yield from page.items
        token = page.next_page_token
        if token is None:
            return


class WitWorld(wit_world.WitWorld):
    def collect(self):
        counts = {}
        for order in all_orders():
            status = order.status.name.lower()
            counts[status] = counts.get(status, 0) + 1
        samples = [
            metrics.Sample([metrics.Label("status", status)], metrics.SampleValue_Number(float(n)))
            for status, n in sorted(counts.items())
        ]
        return [metrics.MetricFamily("potato_orders", "Orders by status.", None, metrics.MetricType.GAUGE, samples)]
