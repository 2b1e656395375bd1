"""probe-host's Python SDK: metric builders, a `collect` wrapper that turns any exception into
the run's error with its message and line, typed API errors and paging.

Copy this file next to your `app.py` (`probe-host new NAME --lang python` does). Example:

    import wit_world
    from probe_sdk import Gauge, Histogram, collect, all_pages
    from wit_world.imports import potatoes

    class WitWorld(wit_world.WitWorld):
        @collect
        def collect(self):
            depth = Gauge("queue_depth", "Messages waiting, per queue.")
            for q in potatoes.list_queues():
                depth.set({"queue": q.name}, q.depth)
            return [depth]
"""

import functools
import traceback

from componentize_py_types import Err
from wit_world.imports import metrics


class _Family:
    """A metric family: samples by label set, in the order first set."""

    kind = metrics.MetricType.GAUGE

    def __init__(self, name, help, unit=None):
        self.name, self.help, self.unit = name, help, unit
        self._samples = {}

    def _key(self, labels):
        return tuple(sorted((labels or {}).items()))

    def to_wit(self):
        samples = [
            metrics.Sample([metrics.Label(k, str(v)) for k, v in key], self._value(value))
            for key, value in self._samples.items()
        ]
        return metrics.MetricFamily(self.name, self.help, self.unit, self.kind, samples)

    def _value(self, value):
        return metrics.SampleValue_Number(float(value))


class Gauge(_Family):
    """A value that goes up and down: `set(labels, value)`, `add(labels, delta)`."""

    def set(self, labels, value):
        self._samples[self._key(labels)] = float(value)
        return self

    def add(self, labels, delta=1.0):
        key = self._key(labels)
        self._samples[key] = self._samples.get(key, 0.0) + float(delta)
        return self


class Counter(Gauge):
    """A total that only goes up (exposed as NAME_total): keep it in `scratch` across runs."""

    kind = metrics.MetricType.COUNTER


class Histogram(_Family):
    """Observations counted into buckets (upper bounds, ascending; +Inf is added)."""

    kind = metrics.MetricType.HISTOGRAM

    def __init__(self, name, help, bounds, unit=None):
        super().__init__(name, help, unit)
        self.bounds = sorted(float(b) for b in bounds)

    def observe(self, labels, value):
        key = self._key(labels)
        counts, total, n = self._samples.get(key, ([0] * len(self.bounds), 0.0, 0))
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                counts[i] += 1
        self._samples[key] = (counts, total + float(value), n + 1)
        return self

    def _value(self, value):
        counts, total, n = value
        buckets = [metrics.Bucket(b, c) for b, c in zip(self.bounds, counts)]
        buckets.append(metrics.Bucket(float("inf"), n))
        return metrics.SampleValue_Histogram(metrics.HistogramValue(buckets, total, n))


class ApiError(Exception):
    """An API call failed: `case` is the api-error case (`not-found`, `rate-limited`, ...), `value`
    its payload."""

    def __init__(self, err):
        value = getattr(err, "value", err)
        self.case = _case_name(value)
        self.payload = getattr(value, "value", None)
        super().__init__(f"{self.case}: {self.payload}" if self.payload is not None else self.case)


def _case_name(value):
    # componentize-py names a variant's case classes `ApiError_NotFound`, ...
    name = type(value).__name__.split("_", 1)[-1]
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def api(call, *args):
    """Calls `call(*args)`; an API error comes back as `ApiError` (with `.case`), not as
    componentize-py's `Err`."""
    try:
        return call(*args)
    except Err as e:
        raise ApiError(e) from None


def all_pages(page, token_field="next_page_token", items_field="items"):
    """Every item of a paged call: `page(token)` answers one page (token `None` first)."""
    items, token = [], None
    while True:
        result = api(page, token)
        items.extend(getattr(result, items_field))
        token = getattr(result, token_field)
        if token is None:
            return items


def collect(fn):
    """Wraps `collect`: families built with this SDK become the world's records, and any
    exception becomes the run's error, leading with its type and message and the line it came
    from, instead of a trap."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            families = fn(*args, **kwargs)
        except Err as e:
            if isinstance(e.value, str):
                raise
            raise Err(f"API error: {ApiError(e)}") from None
        except Exception as e:  # noqa: BLE001 - every failure becomes the run's error
            # The innermost frame of the probe's own code, not of this SDK.
            frames = traceback.extract_tb(e.__traceback__)
            own = [f for f in frames if not f.filename.endswith("probe_sdk.py")]
            frame = (own or frames)[-1]
            raise Err(f"{type(e).__name__}: {e} ({frame.filename}, line {frame.lineno}, in {frame.name})") from None
        return [f.to_wit() if isinstance(f, _Family) else f for f in families]

    return wrapper
