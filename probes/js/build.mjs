// Builds a JavaScript probe into a component with the componentize-js API:
//   node build.mjs SOURCE.js OUT.wasm [WIT_DIR]      (default WIT_DIR: the repository's wit/)
// (jco's `componentize` command failed on --wit paths in 1.35; the API takes them as given.)
import { componentize } from '@bytecodealliance/componentize-js';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [source, out, wit] = process.argv.slice(2);
if (!source || !out) {
  console.error('usage: node build.mjs SOURCE.js OUT.wasm [WIT_DIR]');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const { component } = await componentize({
  sourcePath: resolve(source),
  witPath: wit ? resolve(wit) : resolve(here, '../../wit'),
  worldName: 'probe-host:probe/probe@0.1.2',
  // A probe needs no randomness, clocks or HTTP: leave them out of the component.
  disableFeatures: ['random', 'clocks', 'http', 'fetch-event'],
});
await mkdir(dirname(resolve(out)), { recursive: true });
await writeFile(resolve(out), component);
console.error(`wrote ${out} (${component.byteLength} bytes)`);
