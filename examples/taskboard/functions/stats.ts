// Counts webhook-created tasks from bus events, and serves the count.
import { defineRoute, defineSubscriber, Type } from 'strata/functions';

export const count = defineSubscriber({
  topic: 'board.task.*',
  async handler(_event, { cache, topic }) {
    const n = ((await cache.get<number>(`stats:${topic}`)) ?? 0) + 1;
    await cache.set(`stats:${topic}`, n);
  },
});

export const stats = defineRoute({
  method: 'GET',
  path: '/api/board/stats',
  auth: 'public',
  schema: { response: Type.Object({ created: Type.Integer() }) },
  async handler({ cache }) {
    return { created: (await cache.get<number>('stats:board.task.created')) ?? 0 };
  },
});
