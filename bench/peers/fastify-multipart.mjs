// Peer: bare Fastify 5 + @fastify/multipart (logger off), an upload route that streams each file part
// to a file on disk (as its docs show: pipeline(part.file, createWriteStream)), for the files scenario.
import Fastify from 'fastify';
import multipart from '@fastify/multipart';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = mkdtempSync(join(tmpdir(), 'fastify-multipart-'));
const app = Fastify({ logger: false });
await app.register(multipart, { limits: { fileSize: 200 * 1024 * 1024, files: 10 } });
app.post('/upload', async (req, reply) => {
  const names = [];
  for await (const part of req.parts()) {
    if (part.type !== 'file') continue;
    const name = `${randomBytes(8).toString('hex')}.bin`;
    await pipeline(part.file, createWriteStream(join(dir, name)));
    if (part.file.truncated) return reply.code(413).send({ error: 'too large' });
    names.push(name);
  }
  return reply.code(201).send({ files: names });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => { rmSync(dir, { recursive: true, force: true }); process.exit(0); }));
