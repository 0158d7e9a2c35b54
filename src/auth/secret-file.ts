// A random server secret kept in a file (mode 0600), created on first use; shared by instances on one data dir.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
  await rename(tmp, path);
  return secret;
}
