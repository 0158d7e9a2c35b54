// GET /.well-known/jwks.json: the public keys that verify Strata's access tokens (RFC 7517 §5).
import type { FastifyPluginAsync } from 'fastify';
import type { AuthServices } from '../../auth/index.js';

/**
 * @example
 * await app.register(jwksRoutes(auth.services.keys));
 */
export function jwksRoutes(keys: AuthServices['keys']): FastifyPluginAsync {
  return async (app) => {
    app.get('/.well-known/jwks.json', async (_req, reply) => {
      reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=300');
      return keys.jwks();
    });
  };
}
