// Orders probe (JavaScript): orders by status, over every page of list-orders.
// The Rust and Python examples compute the same family; a test checks the three agree.
import { listOrders } from 'potato:api/potatoes@0.1.0';

function* allOrders() {
  let token;
  for (;;) {
    let page;
    try {
      page = listOrders(undefined, 1000, token);
    } catch (e) {
      // A failed call throws a ComponentError whose payload is the api-error variant.
      throw `list-orders: ${JSON.stringify(e.payload ?? String(e))}`;
    }
    yield* page.items;
    token = page.nextPageToken;
    if (token === undefined || token === null) return;
  }
}

export function collect() {
  const counts = new Map();
  for (const order of allOrders()) {
    counts.set(order.status, (counts.get(order.status) ?? 0) + 1);
  }
  const samples = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => ({ labels: [{ name: 'status', value: status }], value: { tag: 'number', val: n } }));
  return [{ name: 'potato_orders', help: 'Orders by status.', unit: undefined, metricType: 'gauge', samples }];
}
