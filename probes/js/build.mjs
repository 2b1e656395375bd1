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
const outPath = resolve(out);
const witDir = wit ? resolve(wit) : resolve(here, '../../wit');
const sourcePath = resolve(source);
// componentize-js resolves a relative import (`../sdk/probe-sdk.js`) against the working
// directory as if the source sat one level below it: work from the source's parent.
process.chdir(dirname(dirname(sourcePath)));
const { component } = await componentize({
  sourcePath,
  witPath: witDir,
  worldName: 'probe-host:probe/probe@0.1.2',
  // A probe needs no randomness, clocks or HTTP: leave them out of the component.
  disableFeatures: ['random', 'clocks', 'http', 'fetch-event'],
});
await mkdir(dirname(outPath), { recursive: true });
await writeFile(outPath, component);
console.error(`wrote ${out} (${component.byteLength} bytes)`);
