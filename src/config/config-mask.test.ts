import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskConfig } from './config-mask.js';

test('secrets are masked: secret-like keys, URL credentials, header values; the rest stays', () => {
  const out = maskConfig({
    smtp: { host: 'mail', password: 'p', user: 'u' },
    s3: { accessKeyId: 'AKIA', secretAccessKey: 's', bucket: 'b' },
    https: { key: '/k.pem', cert: '/c.pem' },
    encryption: { keyFile: '/keys.json' },
    tokens: { accessTtl: 900 },
    engines: { postgres: { url: 'postgres://app:hunter2@db:5432/x' }, redis: { url: 'redis://127.0.0.1:6379' }, mysql: { url: 'mysql://db/x?user=app&password=hunter2&ssl=true' } },
    server: { headers: { hsts: true, extra: { 'x-token': 't' } } },
    gw: { headers: { 'x-api-key': 'v' }, requestHeaders: { set: { authorization: 'Bearer t' }, remove: ['cookie'] }, users: [{ username: 'a', passwordHash: 'scrypt$x' }] },
    empty: { password: '' },
  });
  assert.deepEqual(out, {
    smtp: { host: 'mail', password: '********', user: 'u' },
    s3: { accessKeyId: 'AKIA', secretAccessKey: '********', bucket: 'b' },
    https: { key: '********', cert: '/c.pem' },
    encryption: { keyFile: '/keys.json' },
    tokens: { accessTtl: 900 },
    engines: { postgres: { url: 'postgres://********@db:5432/x' }, redis: { url: 'redis://127.0.0.1:6379' }, mysql: { url: 'mysql://db/x?user=app&password=********&ssl=true' } },
    server: { headers: { hsts: true, extra: { 'x-token': '********' } } },
    gw: { headers: { 'x-api-key': '********' }, requestHeaders: { set: { authorization: '********' }, remove: ['cookie'] }, users: [{ username: 'a', passwordHash: '********' }] },
    empty: { password: '' },
  });
});
