/** The app version from the nearest package.json above this module (works from src/ and from a bundle in out/). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function appVersion(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const f = path.join(dir, 'package.json');
    if (fs.existsSync(f)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(f, 'utf8')) as { name?: string; version?: string };
        if (pkg.version) return (cached = pkg.version);
      } catch {
        // keep looking
      }
    }
    dir = path.dirname(dir);
  }
  return (cached = 'unknown');
}
