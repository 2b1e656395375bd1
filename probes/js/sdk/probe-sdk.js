// probe-host's JavaScript SDK: metric builders, a `collect` wrapper that turns anything thrown
// into the run's error with its message and stack (componentize-js can pass only a string out:
// an Error thrown as it is loses its message), typed API errors and paging.
//
// Copy this file next to your probe (`probe-host new NAME --lang js` does). Example:
//
//   import { gauge, run } from './probe-sdk.js';
//   import { listQueues } from 'potato:api/potatoes@0.1.1';
//
//   export function collect() {
//     return run(() => {
//       const depth = gauge('queue_depth', 'Messages waiting, per queue.');
//       for (const q of listQueues()) depth.set({ queue: q.name }, q.depth);
//       return [depth];
//     });
//   }

class Family {
  constructor(name, help, metricType, unit) {
    Object.assign(this, { name, help, metricType, unit });
    this.samples = new Map();
  }

  key(labels) {
    return JSON.stringify(Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  toWit() {
    const samples = [...this.samples.entries()].map(([key, value]) => ({
      labels: JSON.parse(key).map(([name, v]) => ({ name, value: String(v) })),
      value: this.witValue(value),
    }));
    return { name: this.name, help: this.help, unit: this.unit, metricType: this.metricType, samples };
  }

  witValue(value) {
    return { tag: 'number', val: Number(value) };
  }
}

class Gauge extends Family {
  set(labels, value) {
    this.samples.set(this.key(labels), Number(value));
    return this;
  }

  add(labels, delta = 1) {
    const key = this.key(labels);
    this.samples.set(key, (this.samples.get(key) ?? 0) + Number(delta));
    return this;
  }
}

class Histogram extends Family {
  constructor(name, help, bounds, unit) {
    super(name, help, 'histogram', unit);
    this.bounds = [...bounds].map(Number).sort((a, b) => a - b);
  }

  observe(labels, value) {
    const key = this.key(labels);
    const h = this.samples.get(key) ?? { counts: this.bounds.map(() => 0), sum: 0, count: 0 };
    this.bounds.forEach((bound, i) => {
      if (value <= bound) h.counts[i] += 1;
    });
    h.sum += Number(value);
    h.count += 1;
    this.samples.set(key, h);
    return this;
  }

  witValue(h) {
    const buckets = this.bounds.map((upperBound, i) => ({ upperBound, cumulativeCount: BigInt(h.counts[i]) }));
    buckets.push({ upperBound: Infinity, cumulativeCount: BigInt(h.count) });
    return { tag: 'histogram', val: { buckets, sum: h.sum, count: BigInt(h.count) } };
  }
}

/** A value that goes up and down: `set(labels, value)`, `add(labels, delta)`. */
export const gauge = (name, help, unit) => new Gauge(name, help, 'gauge', unit);
/** A total that only goes up (exposed as NAME_total): keep it in `scratch` across runs. */
export const counter = (name, help, unit) => new Gauge(name, help, 'counter', unit);
/** Observations counted into buckets (upper bounds; +Inf is added). */
export const histogram = (name, help, bounds, unit) => new Histogram(name, help, bounds, unit);

/** The api-error an API call threw (`{ tag, val }`: `not-found`, `rate-limited`, ...), or undefined. */
export function apiError(e) {
  return e && typeof e === 'object' && e.payload && typeof e.payload.tag === 'string' ? e.payload : undefined;
}

const text = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

/** Every item of a paged call: `page(token)` answers one page (token `undefined` first). */
export function allPages(page, tokenField = 'nextPageToken', itemsField = 'items') {
  const items = [];
  let token;
  do {
    const result = page(token);
    items.push(...result[itemsField]);
    token = result[tokenField];
  } while (token !== undefined && token !== null);
  return items;
}

/**
 * Runs a probe's logic for its `collect` export: families built with this SDK become the
 * world's records, and anything thrown becomes the run's error as a string (its message and
 * first stack lines; an API error's case and payload).
 */
export function run(fn) {
  let families;
  try {
    families = fn();
  } catch (e) {
    const api = apiError(e);
    if (api) throw `API error: ${api.tag}${api.val === undefined ? '' : `: ${text(api.val)}`}`;
    if (typeof e === 'string') throw e;
    if (e instanceof Error) {
      const stack = (e.stack ?? '').split('\n').filter(Boolean).slice(0, 3).join('\n  ');
      throw `${e.name}: ${e.message}${stack ? `\n  ${stack}` : ''}`;
    }
    throw `threw ${text(e)}`;
  }
  return families.map((f) => (f instanceof Family ? f.toWit() : f));
}
