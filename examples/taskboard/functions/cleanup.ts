// Every 2 seconds (once across all instances), archived tasks are deleted.
import { defineCron } from 'strata/functions';

export default defineCron({
  name: 'taskboard-cleanup',
  schedule: '*/2 * * * * *',
  async handler({ records, log }) {
    const admin = records.asSuperuser();
    const { items } = await admin.list('tasks', { filter: 'archived = true', perPage: 100 });
    for (const t of items) await admin.delete('tasks', String(t.id));
    if (items.length > 0) log.info({ deleted: items.length }, 'archived tasks removed');
  },
});
