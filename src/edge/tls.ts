// TLS settings: TLS 1.2 minimum (1.3 preferred), the Mozilla "intermediate"
// ECDHE AEAD suites for 1.2, and live reload of certificate and key.
import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';

/** Mozilla intermediate TLS 1.2 suites without the DHE ones (no dhparam is shipped). */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TLS13_CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

export interface CertPaths {
  cert: string;
  key: string;
}

/** Reads the PEM files; throws an Error naming the unreadable file. */
export function readCertificate(paths: CertPaths): SecureContextOptions {
  const read = (what: string, p: string) => {
    try {
      return readFileSync(p);
    } catch (e) {
      throw new Error(`cannot read TLS ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  return { cert: read('certificate', paths.cert), key: read('key', paths.key) };
}

export function tlsOptions(cert: SecureContextOptions): TlsOptions {
  return {
    ...cert,
    minVersion: 'TLSv1.2',
    ciphers: `${TLS13_CIPHERS}:${TLS12_CIPHERS}`,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:prime256v1:secp384r1',
    handshakeTimeout: 10_000,
  };
}

export interface Reloadable {
  setSecureContext(options: TlsOptions): void;
}

/**
 * Reloads certificate and key into `server` on SIGHUP and, when `watch`, on
 * file change. A bad new pair is reported and the old one stays in use, so
 * open connections are never dropped.
 */
export function watchCertificate(
  server: Reloadable,
  paths: CertPaths,
  opts: { watch: boolean; onReload: (err?: Error) => void },
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    clearTimeout(timer);
    // Cert and key are often written one after the other: settle first.
    timer = setTimeout(() => {
      try {
        const cert = readCertificate(paths);
        server.setSecureContext(tlsOptions(cert));
        opts.onReload();
      } catch (e) {
        opts.onReload(e as Error);
      }
    }, 200);
  };
  process.on('SIGHUP', reload);
  if (opts.watch) {
    watchFile(paths.cert, { interval: 1000 }, reload);
    watchFile(paths.key, { interval: 1000 }, reload);
  }
  return () => {
    clearTimeout(timer);
    process.off('SIGHUP', reload);
    if (opts.watch) {
      unwatchFile(paths.cert, reload);
      unwatchFile(paths.key, reload);
    }
  };
}
