// GET /board: the board as an HTML page (Eta, auto-escaped; the inline script carries the
// response's CSP nonce). GET /api/board/mine: the caller's tasks, under their access rules.
import { defineRoute, Type } from 'strata/functions';

export const page = defineRoute({
  method: 'GET',
  path: '/board',
  auth: 'public',
  async handler({ records, render }) {
    const { items } = await records.asSuperuser().list('tasks', { sort: '-created', perPage: 100 });
    return render('board', { tasks: items });
  },
});

export const mine = defineRoute({
  method: 'GET',
  path: '/api/board/mine',
  auth: 'user',
  schema: { response: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), done: Type.Boolean() })) }) },
  async handler({ records, auth }) {
    // ctx.records applies the caller's access rules: only their own tasks come back.
    void auth;
    const { items } = await records.list('tasks', { sort: '-created' });
    return { items: items as { id: string; title: string; done: boolean }[] };
  },
});
