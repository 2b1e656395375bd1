// The shop test probe in JavaScript: the same calls and gauges as tests/probes/shop (Rust) and
// tests/probes/shop-py, built with componentize-js against the WIT `probe-host wit --openapi`
// generates for tests/openapi/shop.yaml (tests/probes/shop/wit). In JS, s64 values are BigInts,
// options are `undefined` when absent, records have camelCase fields and variants are
// `{ tag, val }`.
import { getPing, getStore, findItemsByStore, findAllItemsByStore, search } from 'shop:api/shop@2.0.0';

function gauge(name, labels, value) {
  return {
    name,
    help: 'Set by the shop test probe.',
    unit: undefined,
    metricType: 'gauge',
    samples: [{ labels: labels.map(([n, v]) => ({ name: n, value: v })), value: { tag: 'number', val: Number(value) } }],
  };
}

function call(what, f, ...args) {
  try {
    return f(...args);
  } catch (e) {
    throw `${what}: ${JSON.stringify(e.payload ?? String(e), (_, v) => (typeof v === 'bigint' ? String(v) : v))}`;
  }
}

function cents(item) {
  return item.price.tag === 'fixed' ? item.price.val.cents : item.price.val.centsPerKilo;
}

export function collect() {
  call('get-ping', getPing);
  const store = call('get-store', getStore, 7n);
  const geo = store.address.geo;
  const opening = (store.opening ?? []).map(([day, hours]) => `${day}=${hours}`).join(',');
  const page = call('find-items-by-store', findItemsByStore, 7n, 2, undefined, 'trace-1');
  const items = call('find-all-items-by-store', findAllItemsByStore, 7n, undefined, 10);
  const found = call('search', search, { text: 'apple', kinds: ['fruit'] });
  let stock = 0;
  let seen = 0n;
  let maxId = 0n;
  for (const item of items) {
    for (const s of item.stock) for (const [, n] of s.counts) stock += n;
    if (item.seen != null) seen += item.seen.seconds;
    if (item.id > maxId) maxId = item.id;
  }
  return [
    gauge('shop_store_info', [['name', store.name], ['city', store.address.city], ['opening', opening]], store.id),
    gauge('shop_store_latitude', [], geo?.lat ?? NaN),
    gauge('shop_page_items', [['next', page.next ?? '']], page.items.length),
    gauge('shop_items', [], items.length),
    gauge('shop_items_max_id', [], maxId),
    gauge('shop_items_cents', [], items.reduce((sum, i) => sum + cents(i), 0)),
    gauge('shop_items_stock', [], stock),
    gauge('shop_items_seen_seconds', [], seen),
    gauge('shop_items_with_state', [], items.filter((i) => i.state != null).length),
    gauge('shop_search_results', [], found.length),
  ];
}
