// Record hooks on tasks: tidy and check titles before they are written; tell the team after.
import { defineHook, ValidationError } from 'strata/functions';

export const tidyTitle = defineHook({
  on: 'records.tasks.beforeCreate',
  handler({ data }) {
    const title = String(data?.title ?? '').replace(/\s+/g, ' ').trim();
    if (title === '') throw new ValidationError('A task needs a title.', [{ field: 'title', message: 'must not be blank' }]);
    return { ...data, title };
  },
});

export const announce = defineHook({
  on: 'records.tasks.afterCreate',
  async handler({ id, record }, { queue }) {
    await queue.enqueue('emails', { to: 'team@example.com', subject: `New task: ${String(record?.title)}` }, { idempotencyKey: `task-created:${id}` });
  },
});
