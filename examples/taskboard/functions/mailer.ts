// The email consumer. This example "sends" by writing to the outbox collection; swap in your
// SMTP or API client here (any npm package works). A throw retries the job with backoff.
import { defineConsumer } from 'strata/functions';

export default defineConsumer<{ to: string; subject: string }>({
  queue: 'emails',
  concurrency: 2,
  async handler(job, { records, log }) {
    await records.asSuperuser().create('outbox', { to: job.payload.to, subject: job.payload.subject, body: `Sent by job ${job.id}` });
    log.info({ to: job.payload.to }, 'email sent');
  },
});
