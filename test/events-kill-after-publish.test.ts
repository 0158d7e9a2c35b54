// kill -9 in the outbox relay after the bus publish, before the batch is marked published (issue 23 item 1; see events-kill-points.ts).
import { test } from 'node:test';
import { killAt } from './events-kill-points.js';

test('kill -9 at relay:after-publish: every acknowledged write reaches the webhook queue and the function subscriber', () => killAt('relay:after-publish'));
