// kill -9 in the outbox relay after the batch is read and positioned, before any consumer has it (issue 23 item 1; see events-kill-points.ts).
import { test } from 'node:test';
import { killAt } from './events-kill-points.js';

test('kill -9 at relay:before-handoff: every acknowledged write reaches the webhook queue and the function subscriber', () => killAt('relay:before-handoff'));
