// Test helpers: real upstream servers on 127.0.0.1 port 0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';

export interface TestUpstream {
  url: string;
  port: number;
  hits: number;
  server: Server;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, self: TestUpstream) => void;

/** An upstream answering JSON `{ port, method, url, headers }` unless `handler` is given. */
export async function startUpstream(handler?: Handler): Promise<TestUpstream> {
  const server = createServer();
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const self: TestUpstream = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits: 0,
    server,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  server.on('request', (req, res) => {
    self.hits++;
    if (handler) return handler(req, res, self);
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ port, method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': String(port), 'keep-alive': 'timeout=5', 'x-secret': 'drop me' });
      res.end(body);
    });
  });
  return self;
}

/** Opens a WebSocket to an echo upstream (which greets first), sends `ping` after the greeting and returns both messages. */
export async function wsGreetingAndEcho(url: string): Promise<string[]> {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (m) => {
      messages.push(String(m));
      if (messages.length === 1) ws.send('ping');
      else {
        ws.close();
        resolve();
      }
    });
    ws.on('error', reject);
  });
  return messages;
}
