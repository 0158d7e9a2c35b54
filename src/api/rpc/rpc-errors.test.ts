import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { ConflictError, ForbiddenError, NotFoundError, StrataError, UnauthorizedError, ValidationError } from '../../core/index.js';
import { PreconditionFailedError, UniqueConflictError } from '../../data/index.js';
import { toConnectError } from './rpc-errors.js';

test('Strata errors become gRPC status codes; unknown errors say nothing', () => {
  const cases: Array<[unknown, Code]> = [
    [new ValidationError('bad', [{ field: 'views', message: 'must be ≥ 0' }]), Code.InvalidArgument],
    [new UnauthorizedError(), Code.Unauthenticated],
    [new ForbiddenError(), Code.PermissionDenied],
    [new NotFoundError(), Code.NotFound],
    [new UniqueConflictError(['slug']), Code.AlreadyExists],
    [new ConflictError('busy'), Code.Aborted],
    [new PreconditionFailedError('stale'), Code.FailedPrecondition],
    [new StrataError(429, 'strata/rate-limited', 'Too Many Requests'), Code.ResourceExhausted],
    [new StrataError(500, 'strata/internal', 'Internal', 'SELECT * FROM secrets'), Code.Internal],
    [new Error('/srv/app/db.ts: boom'), Code.Internal],
  ];
  for (const [err, code] of cases) {
    const c = toConnectError(err);
    assert.ok(c instanceof ConnectError);
    assert.equal(c.code, code, String(err));
    if (code === Code.Internal) assert.equal(c.rawMessage, 'Internal error.', 'no server detail leaks');
  }
  const v = toConnectError(new ValidationError('bad', [{ field: 'views', message: 'must be ≥ 0' }]));
  assert.deepEqual(
    v.details.map((d) => ('desc' in d ? d.desc.typeName : d.type)),
    ['google.rpc.ErrorInfo', 'google.rpc.BadRequest'],
  );
});
