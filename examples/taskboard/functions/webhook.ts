// POST /hooks/tasks: an external system (CI, a form service) creates tasks. The shared secret
// comes from the environment and is compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { defineRoute, Type, UnauthorizedError } from 'strata/functions';

const digest = (s: string) => createHash('sha256').update(s).digest();

export default defineRoute({
  method: 'POST',
  path: '/hooks/tasks',
  auth: 'public',
  summary: 'Create a task from a webhook (header x-webhook-token)',
  schema: {
    body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), owner: Type.Optional(Type.String({ maxLength: 100 })) }),
    response: { 201: Type.Object({ id: Type.String(), title: Type.String() }) },
  },
  async handler({ request, reply, body, records, bus }) {
    const secret = process.env.TASKBOARD_WEBHOOK_TOKEN ?? '';
    const given = String(request.headers['x-webhook-token'] ?? '');
    // Hashing first makes both sides the same length, so the comparison leaks nothing.
    if (!secret || !timingSafeEqual(digest(given), digest(secret))) throw new UnauthorizedError('Missing or wrong webhook token.');
    const { record } = await records.asSuperuser().create('tasks', body);
    await bus.publish('board.task.created', { id: record.id });
    reply.code(201);
    return record as { id: string; title: string };
  },
});
