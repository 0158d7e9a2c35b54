// Development certificate: a local CA and a localhost leaf it signs (X.509,
// ECDSA P-256), made on first run and kept in <dataDir>/tls. Trusting the CA
// once makes every later leaf trusted too.
import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

export interface DevCertificate {
  certPath: string;
  keyPath: string;
  caPath: string;
  /** True when this call made the files. */
  created: boolean;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive INTEGER
  return b.toString('hex');
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

async function pemKey(x509: typeof X509, key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function validFor(certPath: string, days: number): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    return new Date(cert.validTo).getTime() - Date.now() > days * DAY;
  } catch {
    return false;
  }
}

/**
 * Returns the development certificate paths under `dir`, making the CA and
 * leaf when missing or within 30 days of expiry.
 */
export async function ensureDevCertificate(dir: string): Promise<DevCertificate> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPath = join(dir, 'dev-ca.pem');
  const caKeyPath = join(dir, 'dev-ca-key.pem');
  const certPath = join(dir, 'dev-cert.pem');
  const keyPath = join(dir, 'dev-key.pem');
  if (validFor(certPath, 30) && existsSync(keyPath) && existsSync(caPath)) return { certPath, keyPath, caPath, created: false };

  // Loaded only to make a certificate (once a year), not on every start.
  await import('reflect-metadata'); // @peculiar/x509's dependency injection needs it loaded first
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const now = Date.now();
  let ca: X509.X509Certificate;
  let caKey: webcrypto.CryptoKey;
  if (validFor(caPath, 60) && existsSync(caKeyPath)) {
    ca = new x509.X509Certificate(readFileSync(caPath, 'utf8'));
    const der = x509.PemConverter.decodeFirst(readFileSync(caKeyPath, 'utf8'));
    caKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  } else {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=Strata Development CA, O=Strata',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caKey = keys.privateKey;
    writeAtomic(caKeyPath, await pemKey(x509, caKey), 0o600);
    writeAtomic(caPath, ca.toString('pem') + '\n', 0o644);
  }

  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost, O=Strata',
    issuer: ca.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 397 * DAY),
    signingKey: caKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  writeAtomic(keyPath, await pemKey(x509, leafKeys.privateKey), 0o600);
  writeAtomic(certPath, leaf.toString('pem') + '\n' + ca.toString('pem') + '\n', 0o644);
  return { certPath, keyPath, caPath, created: true };
}
