// Superuser read-out of the server's settings for the admin UI: GET /api/admin/settings (SMTP state, the
// TLS certificate, field-encryption keys and their rotation, the effective config with every secret
// masked) and POST /api/admin/settings/mail/test (one message through the configured SMTP server, at once,
// not through the outbox, so its error is the answer). No password, key or token leaves here.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ConflictError, StrataError } from '../../core/index.js';
import type { AdminGuard } from './guard.js';

export interface SmtpState {
  configured: boolean;
  host: string;
  port: number;
  security: string;
  user: string;
  passwordSet: boolean;
  from: string;
}

export interface SettingsRoutesDeps {
  authorize: AdminGuard;
  smtp: () => SmtpState;
  /** Sends one message now through the configured SMTP server; rejects with its error. */
  sendTestMail: (to: string) => Promise<void>;
  tls: () => Promise<unknown>;
  encryption: () => Promise<unknown>;
  /** The effective config, secrets already masked. */
  config: () => unknown;
}

const TestMail = Type.Object({ to: Type.String({ format: 'email', minLength: 3, maxLength: 320 }) }, { additionalProperties: false });

/**
 * @example
 * app.register(settingsRoutes({ authorize: requireSuperuser, smtp, sendTestMail, tls, encryption, config }));
 */
export function settingsRoutes(deps: SettingsRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));
    app.get('/api/admin/settings', async () => ({
      smtp: deps.smtp(),
      tls: await deps.tls(),
      encryption: await deps.encryption(),
      config: deps.config(),
    }));
    app.post<{ Body: Static<typeof TestMail> }>('/api/admin/settings/mail/test', { schema: { body: TestMail } }, async (request) => {
      if (!deps.smtp().configured) throw new ConflictError('No SMTP server is configured (auth.email.smtp.host and auth.email.from).');
      const to = request.body.to;
      try {
        await deps.sendTestMail(to);
      } catch (e) {
        // The SMTP server's own words (its reply code and text), never the credentials.
        const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 300);
        throw new StrataError(502, 'strata/bad-gateway', 'Bad Gateway', `The SMTP server did not take the message: ${why}`);
      }
      return { sent: true, to };
    });
  };
}
