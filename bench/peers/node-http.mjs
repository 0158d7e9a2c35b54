// Peer: bare node:http serving the same JSON.
import http from 'node:http';
http
  .createServer((req, res) => {
    if (req.url !== '/json') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify({ message: 'Hello, World!' });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
