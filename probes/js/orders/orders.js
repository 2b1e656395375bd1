// Orders probe (JavaScript): orders by status, over every page of list-orders (the host follows
// the pages: listAllOrders).
// The Rust and Python examples compute the same family; a test checks the three agree.
import { listAllOrders } from 'potato:api/potatoes@0.1.1';

// More pages than this is an error, not a silently short count.
const MAX_PAGES = 20;

function allOrders() {
  try {
    // The host follows next-page-token; each page is one call.
    return listAllOrders(undefined, MAX_PAGES);
  } catch (e) {
    // A failed call throws a ComponentError whose payload is the api-error variant.
    throw `list-all-orders: ${JSON.stringify(e.payload ?? String(e))}`;
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
