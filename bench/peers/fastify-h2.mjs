// Peer: bare Fastify 5 with HTTP/2 over TLS (allowHTTP1), logger off, same JSON and certificate.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
const app = Fastify({ logger: false, http2: true, https: { allowHTTP1: true, cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) } });
app.get('/json', async () => ({ message: 'Hello, World!' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
