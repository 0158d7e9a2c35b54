// Users: the accounts of each auth collection (search by email, pages) and, per account, verify/unverify,
// a password-reset mail, revoke every session, list and revoke API keys, disable MFA, over /api/admin/users.
import { useEffect, useState } from 'preact/hooks';
import { api, enc, messageOf, q } from './api.js';
import { go, href } from './route.js';
import { Grid } from './grid.js';

interface Account {
  id: string;
  email: string;
  verified: boolean;
  mfa: boolean;
  created?: string;
}

interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const PER_PAGE = 20;
const U = '/api/admin/users';
const when = (s: number | null) => (s === null ? '—' : new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 16));

/** The accounts of one auth collection; without a name, the first one. */
export function Users(props: { name?: string }) {
  const [names, setNames] = useState<string[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ items: Array<{ name: string }> }>('GET', U).then(
      (r) => setNames(r.items.map((c) => c.name)),
      (e) => setError(messageOf(e)),
    );
  }, []);
  const name = props.name ?? names?.[0];
  return (
    <section aria-labelledby="users-h">
      <div class="bar">
        <h1 id="users-h">Users</h1>
        {names && (
          <label class="check">
            Auth collection{' '}
            <select value={name} onChange={(e) => go('users', e.currentTarget.value)}>
              {names.map((n) => (
                <option value={n}>{n}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {name && <Accounts key={name} collection={name} />}
    </section>
  );
}

function Accounts(props: { collection: string }) {
  const [items, setItems] = useState<Account[]>();
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ items: Account[]; totalItems: number }>('GET', `${U}/${enc(props.collection)}${q({ q: applied, page, perPage: PER_PAGE })}`).then(
      (r) => {
        setItems(r.items);
        setTotal(r.totalItems);
        setError(undefined);
      },
      (e) => setError(messageOf(e)),
    );
  }, [applied, page]);
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  return (
    <>
      <form
        class="filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied(search.trim());
        }}
      >
        <label for="user-search">Email contains</label>
        <input id="user-search" value={search} maxLength={100} onInput={(e) => setSearch(e.currentTarget.value)} />
        <button type="submit">Search</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {items && items.length === 0 && <p>No accounts{applied ? ' match' : ' yet'}.</p>}
      {items && items.length > 0 && (
        <div class="scroll">
          <table class="grid" aria-label={`Accounts of ${props.collection}`}>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Verified</th>
                <th scope="col">MFA</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-account={a.email}>
                  <td>
                    <a href={href('users', props.collection, a.id)}>{a.email}</a>
                  </td>
                  <td>{a.verified ? 'yes' : 'no'}</td>
                  <td>{a.mfa ? 'on' : 'off'}</td>
                  <td>{a.created?.slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {total > PER_PAGE && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages} ({total} accounts)
          </span>
          <button type="button" class="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </>
  );
}

/** One account and what a superuser may do to it. */
export function Account(props: { collection: string; id: string }) {
  const base = `${U}/${enc(props.collection)}/${enc(props.id)}`;
  const [a, setA] = useState<Account & { apiKeys: ApiKey[] }>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [mfaRequired, setMfaRequired] = useState(false);
  useEffect(() => {
    api<{ items: Array<{ name: string; mfa?: string }> }>('GET', U).then(
      (r) => setMfaRequired(r.items.some((c) => c.name === props.collection && c.mfa === 'required')),
      () => undefined,
    );
  }, [props.collection]);
  const load = () =>
    api<Account & { apiKeys: ApiKey[] }>('GET', base).then(
      (r) => setA(r),
      (e) => setError(messageOf(e)),
    );
  useEffect(() => {
    void load();
  }, [base]);
  const act = async (method: string, path: string, body: unknown, message: string) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await api(method, base + path, body);
      await load(); // the account as it is now, then the message: what the message says is on screen with it
      setDone(message);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="account-h">
      <p>
        <a href={href('users', props.collection)}>← Accounts of {props.collection}</a>
      </p>
      <h1 id="account-h">{a?.email ?? 'Account'}</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="notice" role="status" hidden={!done}>
        {done}
      </p>
      {a && (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd class="mono">{a.id}</dd>
            <dt>Verified</dt>
            <dd data-fact="verified">{a.verified ? 'yes' : 'no'}</dd>
            <dt>Second factor</dt>
            <dd data-fact="mfa">{a.mfa ? 'TOTP on' : 'off'}</dd>
          </dl>
          <div class="bar">
            <button type="button" class="secondary" disabled={busy} onClick={() => act('PATCH', '', { verified: !a.verified }, a.verified ? 'Marked unverified.' : 'Marked verified.')}>
              {a.verified ? 'Mark unverified' : 'Mark verified'}
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => act('POST', '/password-reset', {}, `A password-reset link was mailed to ${a.email}.`)}>
              Send password reset
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => act('POST', '/revoke-sessions', {}, 'Every session, token and API key of this account has ended.')}>
              Revoke all sessions
            </button>
            {a.mfa && !mfaRequired && (
              <button type="button" class="danger" disabled={busy} onClick={() => act('DELETE', '/mfa', undefined, 'The second factor is off: the account signs in with its password alone.')}>
                Disable MFA
              </button>
            )}
          </div>
          {a.mfa && mfaRequired && (
            <p class="hint" id="mfa-required-note">
              MFA cannot be disabled: {props.collection} requires a second factor of every account (<code>auth.mfa: required</code>). The account can sign in with a recovery code.
            </p>
          )}
          <h2 id="keys-h">API keys</h2>
          {a.apiKeys.length === 0 ? (
            <p>No API keys.</p>
          ) : (
            <Grid labelledBy="keys-h" columns={['Name', 'Scopes', 'Created', 'Last used', 'State', '']}>
              {a.apiKeys.map((k) => (
                <tr key={k.id} data-key={k.name}>
                  <td>{k.name}</td>
                  <td>{k.scopes.join(', ') || '—'}</td>
                  <td>{when(k.createdAt)}</td>
                  <td>{when(k.lastUsedAt)}</td>
                  <td data-col="state">{k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt * 1000 < Date.now() ? 'expired' : 'active'}</td>
                  <td class="actions">
                    {k.revokedAt === null && (
                      <button type="button" class="danger" disabled={busy} aria-label={`Revoke API key ${k.name}`} onClick={() => act('DELETE', `/api-keys/${enc(k.id)}`, undefined, `API key ${k.name} is revoked.`)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Grid>
          )}
        </>
      )}
    </section>
  );
}
