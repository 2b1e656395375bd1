// A JavaScript probe that fails on command (`mode` in its config), for the errors the host must
// report: an Error thrown, an API error left uncaught, a TypeError, a string thrown.
import { get } from 'probe-host:probe/config@0.1.2';
import { getPotato } from 'potato:api/potatoes@0.1.1';

export function collect() {
  const mode = get('mode');
  if (mode === 'exception') throw new Error('boom from js');
  if (mode === 'api') getPotato('no-such-potato');
  if (mode === 'type') null.field;
  if (mode === 'string') throw 'a plain string';
  return [];
}
