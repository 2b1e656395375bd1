"""The shop test probe in Python: the same calls and gauges as tests/probes/shop (Rust), built
with componentize-py against the WIT `probe-host wit --openapi` generates for
tests/openapi/shop.yaml (tests/probes/shop/wit)."""

import wit_world
from componentize_py_types import Err
from wit_world.imports import metrics, shop, types


def gauge(name, labels, value):
    sample = metrics.Sample([metrics.Label(k, v) for k, v in labels], metrics.SampleValue_Number(float(value)))
    return metrics.MetricFamily(name, "Set by the shop test probe.", None, metrics.MetricType.GAUGE, [sample])


def cents(item):
    if isinstance(item.price, types.Price_Fixed):
        return float(item.price.value.cents)
    return item.price.value.cents_per_kilo


def call(what, f, *args):
    try:
        return f(*args)
    except Err as e:
        raise Err(f"{what}: {e.value}")


class WitWorld(wit_world.WitWorld):
    def collect(self):
        call("get-ping", shop.get_ping)
        store = call("get-store", shop.get_store, 7)
        geo = store.address.geo
        opening = ",".join(f"{d}={h}" for d, h in (store.opening or []))
        page = call("find-items-by-store", shop.find_items_by_store, 7, 2, None, "trace-1")
        items = call("find-all-items-by-store", shop.find_all_items_by_store, 7, None, 10)
        found = call("search", shop.search, types.Query("apple", [types.Kind.FRUIT]))
        stock = sum(n for i in items for s in i.stock for _, n in s.counts)
        seen = sum(i.seen.seconds for i in items if i.seen is not None)
        return [
            gauge("shop_store_info", [("name", store.name), ("city", store.address.city), ("opening", opening)], store.id),
            gauge("shop_store_latitude", [], geo.lat if geo is not None and geo.lat is not None else float("nan")),
            gauge("shop_page_items", [("next", page.next or "")], len(page.items)),
            gauge("shop_items", [], len(items)),
            gauge("shop_items_max_id", [], max((i.id for i in items), default=0)),
            gauge("shop_items_cents", [], sum(cents(i) for i in items)),
            gauge("shop_items_stock", [], stock),
            gauge("shop_items_seen_seconds", [], seen),
            gauge("shop_items_with_state", [], sum(1 for i in items if i.state is not None)),
            gauge("shop_search_results", [], len(found)),
        ]
