// Peer: node http-proxy with a keep-alive agent, to UPSTREAM; WebSocket upgrades too (ws-proxy scenario).
import { createServer, Agent } from 'node:http';
import httpProxy from 'http-proxy';
const proxy = httpProxy.createProxyServer({ target: process.env.UPSTREAM, agent: new Agent({ keepAlive: true, maxSockets: 128 }) });
proxy.on('error', (_e, _req, res) => {
  if (res.writeHead) {
    res.writeHead(502);
    res.end();
  }
});
const server = createServer((req, res) => proxy.web(req, res));
server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head, { target: process.env.UPSTREAM }, () => socket.destroy()));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
