// Settings (read-only but for the test mail): SMTP state and "Send test mail" (POST
// /api/admin/settings/mail/test, through the configured SMTP server at once), the TLS certificate in use,
// the field-encryption keys and a rotation's progress, and the effective config with every secret masked
// (GET /api/admin/settings). Changing them is a strata.yaml or environment change and a restart.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';

interface Settings {
  smtp: { configured: boolean; host: string; port: number; security: string; user: string; passwordSet: boolean; from: string };
  tls: { enabled: boolean; source?: string; file?: string; subject?: string; issuer?: string; subjectAltName?: string | null; validFrom?: string; validTo?: string; daysLeft?: number; fingerprint256?: string; error?: string };
  encryption: { source: 'env' | 'file' | 'none'; keyFile: string | null; current: string | null; keyIds: string[]; rotation: { kid: string; inProgress: boolean; done: string[]; pending: string[] } | null };
  config: unknown;
}

function Facts(props: { label: string; rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts" aria-label={props.label}>
      {props.rows.map(([k, v]) => [<dt key={`t${k}`}>{k}</dt>, <dd key={`d${k}`}>{v}</dd>])}
    </dl>
  );
}

function TestMail(props: { smtp: Settings['smtp'] }) {
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string>();
  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setDone(undefined);
    setError(undefined);
    try {
      await api('POST', '/api/admin/settings/mail/test', { to: to.trim() });
      setDone(`Test mail sent to ${to.trim()}.`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  if (!props.smtp.configured) return <p>No SMTP server is configured (<code>auth.email.smtp.host</code> and <code>auth.email.from</code>): mail waits in the outbox.</p>;
  return (
    <form onSubmit={send} aria-label="Test mail">
      <label for="mail-to">Send a test mail to</label>
      <input id="mail-to" type="email" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
      <p>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send test mail'}
        </button>
      </p>
      {done && <p class="notice" role="status">{done}</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

export function SettingsPage() {
  const [s, setS] = useState<Settings>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<Settings>('GET', '/api/admin/settings').then(setS, (e) => setError(messageOf(e)));
  }, []);
  const t = s?.tls;
  const k = s?.encryption;
  return (
    <section aria-labelledby="settings-h">
      <h1 id="settings-h">Settings</h1>
      {error && <p class="error" role="alert">{error}</p>}
      {s && t && k && (
        <>
          <fieldset>
            <legend>SMTP</legend>
            <Facts
              label="SMTP"
              rows={[
                ['State', s.smtp.configured ? 'configured' : 'not configured'],
                ['Server', s.smtp.host ? `${s.smtp.host}:${s.smtp.port} (${s.smtp.security})` : '—'],
                ['User', s.smtp.user || '—'],
                ['Password', s.smtp.passwordSet ? 'set (not shown)' : 'none'],
                ['From', s.smtp.from || '—'],
              ]}
            />
            <TestMail smtp={s.smtp} />
          </fieldset>
          <fieldset>
            <legend>TLS certificate</legend>
            {!t.enabled ? (
              <p>HTTPS is off (<code>server.https.enabled</code>).</p>
            ) : t.error ? (
              <p class="error">{t.error}</p>
            ) : (
              <Facts
                label="TLS certificate"
                rows={[
                  ['Source', t.source === 'development' ? 'development certificate (made by Strata)' : `configured (${t.file})`],
                  ['Subject', t.subject],
                  ['Issuer', t.issuer],
                  ['Names', t.subjectAltName ?? '—'],
                  ['Valid from', t.validFrom],
                  ['Expires', <span class={(t.daysLeft ?? 0) < 14 ? 'danger' : ''}>{`${t.validTo} (${t.daysLeft} days left)`}</span>],
                  ['SHA-256', <span class="mono">{t.fingerprint256}</span>],
                ]}
              />
            )}
          </fieldset>
          <fieldset>
            <legend>Encryption keys</legend>
            {k.source === 'none' ? (
              <p>No field-encryption key yet (one is made when a collection first has an encrypted field).</p>
            ) : (
              <Facts
                label="Encryption keys"
                rows={[
                  ['Source', k.source === 'env' ? 'STRATA_ENCRYPTION_KEY' : k.keyFile],
                  ['Current key', <span class="mono">{k.current}</span>],
                  ['Keys', <span class="mono">{k.keyIds.join(', ')}</span>],
                  ['Rotation', k.rotation ? `in progress to ${k.rotation.kid}: ${k.rotation.done.length} collection(s) done, pending ${k.rotation.pending.join(', ') || 'none'} (run strata keys rotate to resume)` : 'none running'],
                ]}
              />
            )}
          </fieldset>
          <fieldset>
            <legend>Effective config</legend>
            <p class="hint">Read-only; passwords, keys, tokens, header values and credentials in URLs are masked.</p>
            <pre class="config" aria-label="Effective config" tabIndex={0}>
              {JSON.stringify(s.config, null, 2)}
            </pre>
          </fieldset>
        </>
      )}
    </section>
  );
}
