/** @module The superuser admin API: one guard (401 anonymous, 403 not a superuser) and one prefix, `/api/admin`, for collections, the audit log, queues, webhooks, WAF events, the gateway cache purge, backups, the accounts of auth collections, live metrics, logs and settings. */
import type { FastifyPluginAsync } from 'fastify';
import type { AuditLog, BackupService } from '../../ops/index.js';
import type { CollectionAdmin } from '../../data/index.js';
import type { ResponseCache } from '../../gateway/index.js';
import type { QueueBackend, TargetPolicy, WebhookStore } from '../../messaging/index.js';
import type { EventRing } from '../../waf/index.js';
import { auditRoutes } from './audit.js';
import { backupRoutes } from './backups.js';
import { cachePurgeRoutes } from './cache-purge.js';
import { adminCollectionsRoutes } from './collections.js';
import type { AdminGuard } from './guard.js';
import { queueRoutes } from './queues.js';
import { wafEventsRoutes } from './waf-events.js';
import { wafExclusionsRoutes, type WafExclusionsRoutesDeps } from './waf-exclusions.js';
import { opsStateRoutes, type OpsStateRoutesDeps } from './ops-state.js';
import { observeRoutes, type ObserveRoutesDeps } from './observe.js';
import { settingsRoutes, type SettingsRoutesDeps } from './settings.js';
import { webhookRoutes } from './webhooks.js';
import { userRoutes, type UserRoutesDeps } from './users.js';

export { requireSuperuser, type AdminGuard } from './guard.js';
export { superuserAudit } from './superuser-audit.js';
export { adminCollectionsRoutes, type AdminCollectionsRoutesDeps } from './collections.js';
export { auditRoutes } from './audit.js';
export { backupRoutes, type BackupRoutesDeps } from './backups.js';
export { cachePurgeRoutes, type CachePurgeOptions } from './cache-purge.js';
export { queueRoutes, type QueueRoutesDeps } from './queues.js';
export { wafEventsRoutes, type WafEventsRoutesDeps } from './waf-events.js';
export { opsStateRoutes, poolState, type OpsStateRoutesDeps } from './ops-state.js';
export { wafExclusionsRoutes, type WafExclusionsRoutesDeps, type RuntimeExclusionSource } from './waf-exclusions.js';
export { webhookRoutes, type WebhookRoutesDeps } from './webhooks.js';
export { observeRoutes, type ObserveRoutesDeps } from './observe.js';
export { settingsRoutes, type SettingsRoutesDeps, type SmtpState } from './settings.js';
export { userRoutes, type UserRoutesDeps } from './users.js';
export { userOpenapiPaths } from './users-openapi.js';
export { adminUiRoutes, ADMIN_UI_CSP, type AdminUiOptions } from './ui-routes.js';
export { buildUi, UI_SOURCE, type UiBundle, type UiAsset } from './ui-build.js';

export const ADMIN_PREFIX = '/api/admin';

export interface AdminRoutesDeps {
  /** Who may call: the same check for every route (tests pass their own). */
  guard: AdminGuard;
  collections: () => CollectionAdmin;
  audit: () => AuditLog;
  queue: () => QueueBackend;
  webhooks: WebhookStore;
  webhookPolicy?: TargetPolicy;
  wafEvents: EventRing;
  /** Live state for the operations pages: the application cache, the gateway's upstream pools. */
  ops?: Omit<OpsStateRoutesDeps, 'authorize'>;
  /** Runtime WAF exclusions (one-click from a WAF event): list, add, remove. */
  wafExclusions?: Omit<WafExclusionsRoutesDeps, 'authorize' | 'audit'>;
  responseCache: ResponseCache;
  /** Live metrics per route family and this process's recent access lines. */
  observe?: Omit<ObserveRoutesDeps, 'authorize'>;
  /** SMTP state and test mail, TLS certificate, encryption keys, the masked effective config. */
  settings?: Omit<SettingsRoutesDeps, 'authorize'>;
  /** Backups taken by the server (status, archives, start one). */
  backups?: BackupService;
  /** Accounts of auth collections (list, verify, reset mail, sessions, API keys, MFA). */
  users?: Omit<UserRoutesDeps, 'authorize'>;
  /** Largest request body in bytes for collection changes. */
  bodyLimit?: number;
  /**
   * Paths of the first release, still answered (same guard) for one more: `/api/queues`,
   * `/api/webhooks` and `gateway.cache.purgePath` (default `/_strata/gateway/cache/purge`).
   */
  legacy?: { purgePath?: string };
}

/**
 * Every superuser API under `/api/admin`.
 *
 * @example
 * await app.register(adminRoutes({ guard: requireSuperuser, collections: () => data.admin, ... }));
 */
export function adminRoutes(deps: AdminRoutesDeps): FastifyPluginAsync {
  const authorize = deps.guard;
  return async (app) => {
    await app.register(adminCollectionsRoutes({ admin: deps.collections, authorize, bodyLimit: deps.bodyLimit }));
    await app.register(auditRoutes(authorize, deps.audit));
    await app.register(queueRoutes({ queue: deps.queue, authorize }));
    await app.register(webhookRoutes({ store: deps.webhooks, authorize, policy: deps.webhookPolicy }));
    await app.register(wafEventsRoutes({ events: deps.wafEvents, authorize }), { prefix: `${ADMIN_PREFIX}/waf/events` });
    if (deps.wafExclusions) await app.register(wafExclusionsRoutes({ ...deps.wafExclusions, authorize, audit: deps.audit }), { prefix: `${ADMIN_PREFIX}/waf/exclusions` });
    await app.register(cachePurgeRoutes({ cache: deps.responseCache, authorize }));
    if (deps.ops) await app.register(opsStateRoutes({ ...deps.ops, authorize }));
    if (deps.observe) await app.register(observeRoutes({ ...deps.observe, authorize }));
    if (deps.settings) await app.register(settingsRoutes({ ...deps.settings, authorize }));
    if (deps.users) await app.register(userRoutes({ ...deps.users, authorize }));
    if (deps.backups) await app.register(backupRoutes({ backups: deps.backups, authorize }), { prefix: `${ADMIN_PREFIX}/backups` });
    if (deps.legacy) {
      await app.register(queueRoutes({ queue: deps.queue, authorize, prefix: '/api/queues' }));
      await app.register(webhookRoutes({ store: deps.webhooks, authorize, policy: deps.webhookPolicy, prefix: '/api/webhooks' }));
      const purgePath = deps.legacy.purgePath ?? '/_strata/gateway/cache/purge';
      if (purgePath !== `${ADMIN_PREFIX}/cache/purge`) await app.register(cachePurgeRoutes({ cache: deps.responseCache, authorize, path: purgePath }));
    }
  };
}
