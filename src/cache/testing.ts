// Test support: whether a local service is reachable. Under CI=true a service
// test must run (and fail if the service is down), so this returns false there.
import { connect } from 'node:net';

export async function unreachable(port: number, host = '127.0.0.1'): Promise<string | false> {
  if (process.env.CI === 'true') return false;
  const ok = await new Promise<boolean>((resolve) => {
    const s = connect({ port, host });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
  return ok ? false : `nothing listening on ${host}:${port}`;
}
