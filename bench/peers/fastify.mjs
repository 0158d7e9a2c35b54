// Peer: bare Fastify 5, logger off (as its docs recommend for benchmarks), same JSON.
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/json', async () => ({ message: 'Hello, World!' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
