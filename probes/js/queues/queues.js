// Queues probe (JavaScript, on the SDK in probes/js/sdk): each queue's depth, a histogram of
// how old their oldest messages are (bucket bounds from the probe's `config`), every order
// counted over all pages, and a counter of this probe's runs kept in `scratch`.
// The Python example (probes/python/queues) computes the same families; a test checks both.
import { allPages, counter, gauge, histogram, run } from '../sdk/probe-sdk.js';
import { get as setting } from 'probe-host:probe/config@0.1.2';
import { get as recall, set as keep } from 'probe-host:probe/scratch@0.1.2';
import { listOrders, listQueues } from 'potato:api/potatoes@0.1.1';

export function collect() {
  return run(() => {
    // config: `bounds = "1,10,60,600"` in the probe's entry.
    const bounds = (setting('bounds') ?? '1,10,60,600').split(',').map(Number);
    const depth = gauge('potato_queue_depth', 'Messages waiting, per queue.');
    const age = histogram('potato_queue_oldest_age_seconds', "Age of each queue's oldest message.", bounds, 'seconds');
    for (const q of listQueues()) {
      depth.set({ queue: q.name }, q.depth);
      age.observe({}, q.oldestMessageAgeSeconds);
    }
    const orders = allPages((token) => listOrders(undefined, 1000, token));
    const seen = gauge('potato_queue_orders', 'Orders, over every page.').set({}, orders.length);
    // scratch: the runs so far, kept by the host between runs (lost on restart).
    const before = recall('runs');
    const runs = (before ? new DataView(before.buffer, before.byteOffset).getUint32(0, true) : 0) + 1;
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, runs, true);
    keep('runs', bytes);
    return [depth, age, seen, counter('potato_queue_probe_runs', 'Runs of this probe.').set({}, runs)];
  });
}
