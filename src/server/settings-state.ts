// What the admin settings page reads, composed from the config and the live services: SMTP state and a
// test send, the TLS certificate in use (RFC 5280 fields from node:crypto's X509Certificate), the
// field-encryption keys with the progress of a `strata keys rotate`, and the masked effective config.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { dirname, join } from 'node:path';
import { smtpTransport } from '../auth/index.js';
import { maskConfig, type StrataConfig } from '../config/index.js';
import { fieldKeyFile, loadFieldKeys } from '../crypto/index.js';
import type { SettingsRoutesDeps } from '../api/index.js';
import type { TlsFiles } from '../edge/index.js';

/** The certificate served now (read from its file, so a reload shows), or null without HTTPS. */
export async function tlsState(config: StrataConfig, files: TlsFiles | undefined) {
  if (!files) return { enabled: false };
  const source = config.server.https.cert ? 'config' : 'development';
  try {
    const c = new X509Certificate(await readFile(files.cert));
    const validTo = new Date(c.validTo);
    return {
      enabled: true,
      source,
      file: files.cert,
      subject: c.subject,
      issuer: c.issuer,
      subjectAltName: c.subjectAltName ?? null,
      validFrom: new Date(c.validFrom).toISOString(),
      validTo: validTo.toISOString(),
      daysLeft: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
      fingerprint256: c.fingerprint256,
    };
  } catch (e) {
    return { enabled: true, source, file: files.cert, error: `cannot read the certificate: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** Key ids (never the keys), which is current, where they come from, and a rotation's progress. */
export async function encryptionState(config: StrataConfig, env: NodeJS.ProcessEnv = process.env) {
  const fromEnv = (env.STRATA_ENCRYPTION_KEY ?? '').trim() !== '';
  const keyFile = fieldKeyFile(config);
  if (!fromEnv && !existsSync(keyFile)) return { source: 'none', keyFile, current: null, keyIds: [], rotation: null };
  const keys = await loadFieldKeys({ keyFile, env: env.STRATA_ENCRYPTION_KEY });
  let rotation: { kid: string; inProgress: boolean; done: string[]; pending: string[] } | null = null;
  try {
    const state = JSON.parse(await readFile(join(dirname(keyFile), 'rotation.json'), 'utf8')) as { kid: string; progress: Record<string, string | true> };
    const entries = Object.entries(state.progress ?? {});
    rotation = { kid: state.kid, inProgress: true, done: entries.filter(([, v]) => v === true).map(([k]) => k), pending: entries.filter(([, v]) => v !== true).map(([k]) => k) };
  } catch {
    // no state file: no rotation started or it finished (keys rotate removes it at the end)
  }
  return { source: fromEnv ? 'env' : 'file', keyFile: fromEnv ? null : keyFile, current: keys.current, keyIds: [...keys.keys.keys()], rotation };
}

/** @example app.register(adminRoutes({ ..., settings: settingsState(config, edge.tls) })); */
export function settingsState(config: StrataConfig, tls: TlsFiles | undefined): Omit<SettingsRoutesDeps, 'authorize'> {
  const e = config.auth.email;
  const masked = maskConfig(config);
  return {
    smtp: () => ({ configured: e.smtp.host !== '' && e.from !== '', host: e.smtp.host, port: e.smtp.port, security: e.smtp.security, user: e.smtp.user, passwordSet: e.smtp.password !== '', from: e.from }),
    async sendTestMail(to) {
      const t = await smtpTransport({ host: e.smtp.host, port: e.smtp.port, security: e.smtp.security, user: e.smtp.user, password: e.smtp.password, from: e.from, timeoutMs: 15_000 });
      try {
        await t.send({ to, subject: `${e.appName}: test mail`, text: `This is a test mail from ${e.appName}, sent from the admin settings page at ${new Date().toISOString()}. SMTP works.\n` });
      } finally {
        await t.close();
      }
    },
    tls: () => tlsState(config, tls),
    encryption: () => encryptionState(config),
    config: () => masked,
  };
}
