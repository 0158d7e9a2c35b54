// Superuser API over backups: GET /api/admin/backups (status, last runs, archives in backup.dir) and
// POST /api/admin/backups (start one now; it runs in the background, 202).
import type { FastifyPluginAsync } from 'fastify';
import { ConflictError } from '../../core/index.js';
import { principalOf } from '../../auth/index.js';
import type { BackupService } from '../../ops/index.js';
import type { AdminGuard } from './guard.js';

export interface BackupRoutesDeps {
  backups: BackupService;
  authorize: AdminGuard;
}

/**
 * @example
 * app.register(backupRoutes({ backups, authorize: requireSuperuser }), { prefix: '/api/admin/backups' });
 */
export function backupRoutes(deps: BackupRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));
    app.get('/', async () => ({ ...deps.backups.status(), archives: await deps.backups.archives() }));
    app.post('/', async (request, reply) => {
      const s = deps.backups.status();
      if (!s.keyConfigured) throw new ConflictError('No backup key is configured: set backup.keyFile or STRATA_BACKUP_PASSPHRASE and restart.');
      const p = principalOf(request.auth);
      const { started } = deps.backups.trigger('api', p ? { id: p.id, collection: p.collection } : null);
      if (!started) throw new ConflictError('A backup is running; try again when it ends (GET /api/admin/backups shows it).');
      return reply.code(202).send({ started: true, dir: s.dir });
    });
  };
}
