/**
 * Sees new, complete image files appear in a folder. Vendor software writes files in pieces or
 * under a temporary name and renames them; a file counts as complete when its size has stayed the
 * same for `stableMs` (and is not zero). Polling, not fs.watch: it also works on network shares.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export const IMAGE_EXTENSIONS = ['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.bmp', '.webp'];

/** Names vendor software and editors use while a file is still being written. */
export function isTemporaryName(name: string): boolean {
  return (
    name.startsWith('.') ||
    name.startsWith('~') ||
    /\.(tmp|temp|part|partial|crdownload|download|lock)$/i.test(name) ||
    /~$/.test(name)
  );
}

export interface CompleteFile {
  path: string;
  name: string;
  size: number;
  /** When the watcher first saw the file (ms since the epoch). */
  firstSeen: number;
}

interface Tracked {
  size: number;
  mtimeMs: number;
  firstSeen: number;
  stableSince: number;
  done: boolean;
}

export class NewFileWatcher {
  private readonly known = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly folder: string,
    private readonly onComplete: (file: CompleteFile) => void,
    private readonly options: { stableMs: number; pollMs: number; extensions?: string[] },
  ) {}

  /** Everything already in the folder is old: only files that appear later are reported. */
  start(): void {
    const now = Date.now();
    for (const name of this.list())
      this.known.set(name, { size: -1, mtimeMs: 0, firstSeen: now, stableSince: now, done: true });
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass over the folder (exposed so tests and snap() can poll without waiting for the timer). */
  poll(): void {
    const now = Date.now();
    for (const name of this.list()) {
      let st;
      try {
        st = statSync(join(this.folder, name));
      } catch {
        continue; // renamed or deleted between the listing and the stat
      }
      if (!st.isFile()) continue;
      const t = this.known.get(name);
      if (!t) {
        this.known.set(name, { size: st.size, mtimeMs: st.mtimeMs, firstSeen: now, stableSince: now, done: false });
        continue;
      }
      if (t.done) continue;
      if (st.size !== t.size || st.mtimeMs !== t.mtimeMs) {
        t.size = st.size;
        t.mtimeMs = st.mtimeMs;
        t.stableSince = now;
        continue;
      }
      if (st.size > 0 && now - t.stableSince >= this.options.stableMs) {
        t.done = true;
        this.onComplete({ path: join(this.folder, name), name, size: st.size, firstSeen: t.firstSeen });
      }
    }
  }

  /** A file that could not be decoded yet (still being written in place): watch it again. */
  retry(name: string): void {
    const t = this.known.get(name);
    if (t) {
      t.done = false;
      t.stableSince = Date.now();
    }
  }

  private list(): string[] {
    const exts = this.options.extensions ?? IMAGE_EXTENSIONS;
    try {
      return readdirSync(this.folder).filter((n) => !isTemporaryName(n) && exts.includes(extname(n).toLowerCase()));
    } catch {
      return [];
    }
  }
}
