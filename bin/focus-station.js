#!/usr/bin/env node
// The `focus-station` command. In a source checkout it runs the TypeScript CLI through tsx; in a packaged app,
// where only the bundle exists, it runs out/main/cli.js.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/main/cli/index.ts', import.meta.url));
const bundle = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));

if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
} else {
  process.stderr.write('focus-station: neither the sources nor the built CLI (out/main/cli.js) were found\n');
  process.exit(1);
}
