// The one way the UI talks to Strata: same-origin fetch with the session cookie (HttpOnly, set by the
// superuser login), JSON in and out, RFC 9457 problems turned into ApiError. A 401 anywhere means the
// session ended (idle or absolute timeout, logout elsewhere): the app goes back to the login form.
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail || title);
  }
}

type Listener = () => void;
const sessionEnded = new Set<Listener>();
/** Called when any request answers 401 (except the login itself). */
export function onSessionEnded(l: Listener): () => void {
  sessionEnded.add(l);
  return () => sessionEnded.delete(l);
}

export const SUPERUSERS = '_superusers';
export const AUTH = `/api/collections/${SUPERUSERS}/auth`;

export async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  if (!r.ok) {
    if (r.status === 401 && !opts.quiet401) for (const l of sessionEnded) l();
    throw new ApiError(r.status, String(json.type ?? 'about:blank'), String(json.title ?? r.statusText), String(json.detail ?? ''), (json.errors as FieldError[] | undefined) ?? [], json);
  }
  return json as T;
}

export const q = (params: Record<string, string | number | undefined>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};

export const enc = encodeURIComponent;

/** A message for a caught error, for the UI. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.detail || e.title;
  return e instanceof Error ? e.message : String(e);
}
