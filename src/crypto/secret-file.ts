// A random server secret kept in a file (mode 0600), created on first use; shared by instances on one data dir.
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function loadOrCreateSecret(path: string, bytes = 32): Promise<Buffer> {
  try {
    const s = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    if (s.length < bytes) throw new RangeError(`${path}: secret shorter than ${bytes} bytes`);
    return s;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, secret.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  if (!(await publishExclusive(tmp, path))) return loadOrCreateSecret(path, bytes);
  return secret;
}

/**
 * Move a complete temp file to `path` only if nothing is there yet (link fails with EEXIST), so two processes
 * starting together agree on one file instead of each keeping its own. False when another process won.
 */
export async function publishExclusive(tmp: string, path: string): Promise<boolean> {
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
