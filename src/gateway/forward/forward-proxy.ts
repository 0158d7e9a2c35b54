// An opt-in forward proxy (RFC 9110 §9.3.6 CONNECT and §7.1 absolute-form requests) on its
// own listener: authentication, access policy on resolved addresses, privacy mode,
// header rules and one log line per request.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, type Component, type Logger } from '../../core/index.js';
import { applyHeaderRules, endToEnd, type HeaderRules } from '../proxy/header-rules.js';
import { createForwardPolicy, type ForwardPolicyOptions } from './forward-policy.js';
import { createProxyAuthenticator, type ProxyUser } from './forward-auth.js';

export interface ForwardProxyOptions extends ForwardPolicyOptions {
  host?: string;
  port?: number;
  /** Users allowed; empty means no authentication (keep the listener private then). */
  users?: ProxyUser[];
  /** Strip Forwarded, X-Forwarded-For, Via and X-Real-IP, and add nothing that names the client. */
  privacy?: boolean;
  requestHeaders?: HeaderRules;
  connectTimeoutMs?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface ForwardProxyServer extends Component {
  readonly server: Server;
  address(): AddressInfo;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const PRIVACY = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'via', 'x-real-ip', 'client-ip', 'true-client-ip'];

function problem(status: number, type: string, title: string, detail: string): string {
  return JSON.stringify({ type, title, status, detail });
}

const DENIED = () => problem(403, 'strata/forbidden', 'Forbidden', 'The destination is not allowed by the proxy policy.');

/**
 * @example
 * const fwd = createForwardProxy({ port: 3128, users: [{ username: 'ci', passwordHash }], privacy: true });
 * await fwd.start();
 */
export function createForwardProxy(o: ForwardProxyOptions = {}): ForwardProxyServer {
  const policy = createForwardPolicy(o);
  const auth = o.users?.length ? createProxyAuthenticator(o.users) : undefined;
  const log = o.logger;
  const server = createServer();
  const tunnels = new Set<Duplex>();

  /** Resolves `host` and returns the first allowed address, or a refusal. */
  async function resolveAllowed(host: string, port: number): Promise<{ ip: string } | { status: number; body: string }> {
    const t = policy.checkTarget(host, port);
    if (!t.ok) return { status: 403, body: DENIED() };
    const bare = host.replace(/^\[|\]$/g, '');
    let addrs: string[];
    try {
      addrs = isIP(bare) ? [bare] : (await lookup(bare, { all: true })).map((a) => a.address);
    } catch {
      return { status: 502, body: problem(502, 'strata/bad-gateway', 'Bad Gateway', 'The destination host could not be resolved.') };
    }
    // Every address must pass: a name resolving to both public and private space is refused.
    if (addrs.length === 0 || !addrs.every((a) => policy.checkAddress(a).ok)) return { status: 403, body: DENIED() };
    return { ip: addrs[0] };
  }

  async function authenticate(header: string | string[] | undefined): Promise<string | true | undefined> {
    if (!auth) return true;
    return auth.check(Array.isArray(header) ? header[0] : header);
  }

  function respond(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return respond(res, 400, problem(400, 'strata/bad-request', 'Bad Request', 'A forward proxy needs an absolute http:// URL.'));
    }
    if (target.protocol !== 'http:') return respond(res, 400, problem(400, 'strata/bad-request', 'Bad Request', 'Use CONNECT for https.'));
    const user = await authenticate(req.headers['proxy-authorization']);
    if (!user) return respond(res, 407, problem(407, 'strata/proxy-auth-required', 'Proxy Authentication Required', 'Valid proxy credentials are required.'), { 'proxy-authenticate': 'Basic realm="strata", charset="UTF-8"' });
    const port = Number(target.port || 80);
    const r = await resolveAllowed(target.hostname, port);
    if ('status' in r) {
      log?.warn({ method: req.method, host: target.hostname, port, status: r.status }, 'forward proxy refused');
      return respond(res, r.status, r.body);
    }
    const headers = endToEnd(req.headers);
    if (o.privacy) for (const h of PRIVACY) delete headers[h];
    else {
      const prev = headers['x-forwarded-for'];
      headers['x-forwarded-for'] = prev ? `${prev}, ${req.socket.remoteAddress}` : (req.socket.remoteAddress ?? '');
      headers.via = `1.1 strata`;
    }
    headers.host = target.host;
    applyHeaderRules(headers, o.requestHeaders);
    const up = httpRequest({ host: r.ip, port, method: req.method, path: target.pathname + target.search, headers, timeout: o.connectTimeoutMs ?? 10_000 });
    up.on('response', (ur) => {
      const out = endToEnd(ur.headers);
      res.writeHead(ur.statusCode ?? 502, out as Record<string, string>);
      ur.pipe(res);
      log?.info({ method: req.method, host: target.hostname, port, status: ur.statusCode, user: user === true ? undefined : user, ms: Date.now() - started }, 'forward proxy');
    });
    up.on('timeout', () => up.destroy(new Error('timeout')));
    up.on('error', () => {
      if (!res.headersSent) respond(res, 502, problem(502, 'strata/bad-gateway', 'Bad Gateway', 'The destination did not answer.'));
      else res.destroy();
    });
    req.pipe(up);
  }

  function refuseSocket(socket: Duplex, status: number, text: string, body: string, extra = ''): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n${body}`);
  }

  async function onConnect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):(\d{1,5})$/.exec(req.url ?? '');
    if (!m) return refuseSocket(socket, 400, 'Bad Request', problem(400, 'strata/bad-request', 'Bad Request', 'CONNECT needs host:port.'));
    const user = await authenticate(req.headers['proxy-authorization']);
    if (!user) {
      return refuseSocket(socket, 407, 'Proxy Authentication Required', problem(407, 'strata/proxy-auth-required', 'Proxy Authentication Required', 'Valid proxy credentials are required.'), 'proxy-authenticate: Basic realm="strata", charset="UTF-8"\r\n');
    }
    const port = Number(m[2]);
    const r = await resolveAllowed(m[1], port);
    if ('status' in r) {
      log?.warn({ method: 'CONNECT', host: m[1], port, status: r.status }, 'forward proxy refused');
      return refuseSocket(socket, r.status, r.status === 403 ? 'Forbidden' : 'Bad Gateway', r.body);
    }
    const upstream: Socket = connect({ host: r.ip, port, timeout: o.connectTimeoutMs ?? 10_000 });
    upstream.once('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.once('error', () => {
      if (!upstream.readyState || upstream.connecting) refuseSocket(socket, 502, 'Bad Gateway', problem(502, 'strata/bad-gateway', 'Bad Gateway', 'The destination did not answer.'));
      else socket.destroy();
    });
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      log?.info({ method: 'CONNECT', host: m[1], port, user: user === true ? undefined : user }, 'forward proxy tunnel');
    });
  }

  server.on('request', (req, res) => void onRequest(req, res));
  server.on('connect', (req, socket, head) => void onConnect(req, socket, head));

  return {
    name: 'gateway-forward-proxy',
    server,
    address: () => server.address() as AddressInfo,
    start: () => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 3128, o.host ?? '127.0.0.1', () => resolve());
    }),
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      for (const t of tunnels) t.destroy();
    }),
    ready: () => server.listening,
  };
}
