// The effective config with every secret masked, for the admin UI's settings page: values under a
// secret-looking key (password, secret, token, key, credentials, authorization, cookie, dsn), user
// information in any URL (`postgres://user:pass@host` → `postgres://********@host`) and secret-looking
// query parameters of a URL (`?password=`), and the string values of
// header maps (`headers`, and `set`/`add`/`extra` under `requestHeaders`/`responseHeaders`/`headers`). Only the shape and the harmless values remain.

export const MASK = '********';

// `key` alone or at the end of a camelCase name (`key`, `apiKey`, `secretAccessKey`), but not `keyFile` or `keyHost`.
const SECRET_KEY = /(pass(word)?|secret|token|credentials?|authorization|cookie|dsn|hash)$|(^|[a-z])Key$|^key$|^(password|secret|token)/i;
const URL_WITH_USER = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/gi;
// credentials in a connection string's query (`?password=`, `&sslpassword=`, `?access_token=`)
const SECRET_PARAM = /([?&](?:[a-z_]*pass(?:word)?|pwd|secret|[a-z_]*token|[a-z_]*key)=)[^&#\s]*/gi;

function maskString(s: string): string {
  return s.replace(URL_WITH_USER, (_m, scheme: string) => `${scheme}${MASK}@`).replace(SECRET_PARAM, (_m, name: string) => `${name}${MASK}`);
}

/**
 * @example
 * maskConfig({ engines: { postgres: { url: 'postgres://u:p@db/app' } } }) // → { engines: { postgres: { url: 'postgres://********@db/app' } } }
 */
export function maskConfig(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return value !== '' && SECRET_KEY.test(key) ? MASK : maskString(value);
  if (Array.isArray(value)) return value.map((v) => maskConfig(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // header maps: `headers`, and `set`/`add` of requestHeaders/responseHeaders (an Authorization value is a secret)
      const headerMap = k === 'headers' || (/headers$/i.test(key) && (k === 'set' || k === 'add' || k === 'extra'));
      if (headerMap && v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = Object.fromEntries(Object.entries(v).map(([h, x]) => [h, typeof x === 'string' ? MASK : maskConfig(x, h)]));
      else out[k] = maskConfig(v, k);
    }
    return out;
  }
  return value;
}
