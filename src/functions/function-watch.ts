// Watches the functions directory for hot reload: one non-recursive fs.watch per directory, so a
// file saved by rename (`sed -i`, editors writing a temp file then renaming it over the original)
// is seen like an in-place write — the directory's watch reports the new name — and the file stays
// watched afterwards. Node's recursive watch on Linux follows file inodes and loses a file replaced
// that way. New subdirectories are picked up as they appear.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface TreeWatcher {
  close(): void;
}

export interface TreeWatchOptions {
  /** Called once per burst of changes, `debounceMs` after the last one. */
  onChange(): void;
  onError?(err: unknown): void;
  debounceMs?: number;
}

const skipped = (name: string) => name.startsWith('.') || name === 'node_modules';

/**
 * @example
 * const w = watchTree('/app/functions', { onChange: () => void functions.reload() });
 * w.close();
 */
export function watchTree(root: string, o: TreeWatchOptions): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  const debounceMs = o.debounceMs ?? 50;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!closed) o.onChange();
    }, debounceMs);
  };

  /** Watches `dir` and every directory below it that is not yet watched. */
  const add = (dir: string) => {
    if (closed || watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) => {
        changed();
        // A new (or renamed-in) subdirectory: watch it too.
        if (name) {
          const p = join(dir, name.toString());
          try {
            if (!skipped(name.toString()) && statSync(p).isDirectory()) add(p);
          } catch {
            // gone already (a temp file, a deleted directory)
          }
        }
      });
    } catch (err) {
      o.onError?.(err);
      return;
    }
    // A removed directory's watch ends with an error or close: forget it (it is re-added if it comes back).
    w.on('error', () => {
      w.close();
      watchers.delete(dir);
      changed();
    });
    watchers.set(dir, w);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch (err) {
      o.onError?.(err);
    }
    for (const name of names) {
      if (skipped(name)) continue;
      const p = join(dir, name);
      try {
        if (statSync(p).isDirectory()) add(p);
      } catch {
        // raced with a delete
      }
    }
  };

  add(root);
  if (!watchers.has(root)) throw new Error(`cannot watch ${root}`);
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
