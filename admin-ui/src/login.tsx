// Superuser sign-in: password, then a TOTP (or recovery) code when the account has one. The session is an
// HttpOnly cookie the UI never sees; the same throttles, lockout and audit apply as on the API.
import { useState } from 'preact/hooks';
import { api, ApiError, AUTH, messageOf } from './api.js';

export interface Me {
  id: string;
  email: string;
}

function loginMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.type === 'strata/invalid-credentials' || e.status === 401) return 'Sign-in failed: the email or password is wrong, or this account is not a superuser.';
    if (e.status === 429) return `Too many attempts: ${e.detail || 'wait a moment and try again.'}`;
  }
  return `Sign-in failed: ${messageOf(e)}`;
}

export function Login(props: { notice?: string; onIn: (me: Me) => void }) {
  const [mfaToken, setMfaToken] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const finish = async () => {
    const me = await api<{ record: Me }>('GET', `${AUTH}/me`, undefined, { quiet401: true });
    props.onIn(me.record);
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      if (mfaToken) {
        await api('POST', `${AUTH}/mfa`, { mfaToken, code: String(form.get('code') ?? '') }, { quiet401: true });
      } else {
        await api('POST', `${AUTH}/login`, { identity: String(form.get('email') ?? ''), password: String(form.get('password') ?? ''), mode: 'session' }, { quiet401: true });
      }
      await finish();
    } catch (e) {
      if (e instanceof ApiError && e.type === 'strata/mfa-required') {
        setMfaToken(String(e.body.mfaToken));
      } else if (mfaToken) {
        setMfaToken(undefined);
        setError(e instanceof ApiError && e.status === 401 ? 'The code is not valid; sign in again.' : loginMessage(e));
      } else {
        setError(loginMessage(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <h1>Strata admin</h1>
      {props.notice && !error && <p class="notice" role="status">{props.notice}</p>}
      {error && (
        <p class="error" role="alert" id="login-error">
          {error}
        </p>
      )}
      <form onSubmit={submit} aria-label={mfaToken ? 'Second factor' : 'Sign in'}>
        {mfaToken ? (
          <>
            <label for="code">Authenticator code (or a recovery code)</label>
            <input id="code" name="code" autocomplete="one-time-code" inputMode="numeric" required autoFocus />
          </>
        ) : (
          <>
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autocomplete="username" required autoFocus />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
          </>
        )}
        <button type="submit" disabled={busy}>
          {mfaToken ? 'Verify' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
