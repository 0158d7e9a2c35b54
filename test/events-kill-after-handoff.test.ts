// kill -9 in the outbox relay after the webhook and subscriber queues hold the batch, before the bus publish (issue 23 item 1; see events-kill-points.ts).
import { test } from 'node:test';
import { killAt } from './events-kill-points.js';

test('kill -9 at relay:after-handoff: every acknowledged write reaches the webhook queue and the function subscriber', () => killAt('relay:after-handoff'));
