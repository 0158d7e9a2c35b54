// Peer: Express 5, same JSON.
import express from 'express';
const app = express();
app.disable('x-powered-by');
app.get('/json', (req, res) => res.json({ message: 'Hello, World!' }));
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
