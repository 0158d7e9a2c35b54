import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../core/index.js';
import type { RequestAuth } from '../../auth/index.js';
import { requireSuperuser } from './guard.js';

const req = (auth: RequestAuth | null) => ({ auth }) as unknown as FastifyRequest;
const su = { userId: 'r1', collection: '_superusers' };

test('admin guard: superusers only; a superuser API key needs the admin scope (issue 13: scopes on every route)', () => {
  assert.throws(() => requireSuperuser(req(null)), UnauthorizedError);
  assert.throws(() => requireSuperuser(req({ kind: 'session', userId: 'u1', collection: 'users', sessionId: 's' })), ForbiddenError);
  requireSuperuser(req({ kind: 'session', ...su, sessionId: 's' }));
  assert.throws(() => requireSuperuser(req({ kind: 'apiKey', ...su, keyId: 'k', scopes: ['records:notes:read'] })), ForbiddenError);
  assert.throws(() => requireSuperuser(req({ kind: 'token', ...su, scopes: ['mfa:enroll'], claims: { sub: 'r1' } })), ForbiddenError);
  requireSuperuser(req({ kind: 'apiKey', ...su, keyId: 'k', scopes: ['admin'] }));
  requireSuperuser(req({ kind: 'apiKey', ...su, keyId: 'k', scopes: ['*'] }));
});
