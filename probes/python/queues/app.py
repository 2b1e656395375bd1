"""Queues probe (Python, on the SDK in probes/python/sdk): each queue's depth, a histogram of
how old their oldest messages are (bucket bounds from the probe's `config`), every order
counted over all pages, and a counter of this probe's runs kept in `scratch`.

The JavaScript example (probes/js/queues) computes the same families; a test checks both.
"""

import wit_world
from probe_sdk import Counter, Gauge, Histogram, all_pages, api, collect
from wit_world.imports import config, potatoes, scratch


class WitWorld(wit_world.WitWorld):
    @collect
    def collect(self):
        # config: `bounds = "1,10,60,600"` in the probe's entry.
        bounds = [float(b) for b in (config.get("bounds") or "1,10,60,600").split(",")]
        depth = Gauge("potato_queue_depth", "Messages waiting, per queue.")
        age = Histogram("potato_queue_oldest_age_seconds", "Age of each queue's oldest message.", bounds, "seconds")
        for q in api(potatoes.list_queues):
            depth.set({"queue": q.name}, q.depth)
            age.observe({}, q.oldest_message_age_seconds)
        orders = all_pages(lambda token: potatoes.list_orders(None, 1000, token))
        seen = Gauge("potato_queue_orders", "Orders, over every page.").set({}, len(orders))
        # scratch: the runs so far, kept by the host between runs (lost on restart).
        runs = int.from_bytes(scratch.get("runs") or b"\0", "little") + 1
        scratch.set("runs", runs.to_bytes(8, "little"))
        return [depth, age, seen, Counter("potato_queue_probe_runs", "Runs of this probe.").set({}, runs)]
