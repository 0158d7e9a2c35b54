// The anchor: Apache 2.4 + mod_security2 + OWASP CRS 3.3 from Debian's packages (apache2,
// libapache2-mod-security2, modsecurity-crs), run as a non-daemon child under a temporary
// prefix with its own config: SecRuleEngine On, Debian's recommended ModSecurity settings
// (body processors, limits, REQBODY_ERROR), the CRS at the paranoia level asked for, and a
// catch-all CGI that reads the body and answers 200.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './lib.js';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const RECOMMENDED = '/etc/modsecurity/modsecurity.conf-recommended';
const CRS_SETUP = '/etc/modsecurity/crs/crs-setup.conf';
const CRS_RULES = '/usr/share/modsecurity-crs/rules';

export interface Anchor {
  port: number;
  version: string;
  stop(): Promise<void>;
}

/** Why the anchor cannot run here, or undefined when it can. */
export function anchorMissing(): string | undefined {
  for (const [file, pkg] of [[APACHE, 'apache2'], [join(MODULES, 'mod_security2.so'), 'libapache2-mod-security2'], [join(MODULES, 'mod_cgid.so'), 'apache2'], [CRS_SETUP, 'modsecurity-crs'], [CRS_RULES, 'modsecurity-crs'], [RECOMMENDED, 'libapache2-mod-security2']]) {
    if (!existsSync(file)) return `${file} is missing: apt-get install -y ${pkg}`;
  }
  return undefined;
}

/** Versions of the packages, for the results file. */
export function anchorVersion(): string {
  const q = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n', 'apache2', 'libapache2-mod-security2', 'modsecurity-crs'], { encoding: 'utf8' });
  return q.status === 0 ? q.stdout.trim().split('\n').join(', ') : 'unknown';
}

function config(dir: string, port: number, paranoia: number): string {
  // Debian's recommended ModSecurity settings, blocking, without audit or response-body work
  const modsec = readFileSync(RECOMMENDED, 'utf8')
    .replace(/^SecRuleEngine .*/m, 'SecRuleEngine On')
    .replace(/^SecAuditEngine .*/m, 'SecAuditEngine Off')
    .replace(/^SecAuditLog .*/m, `SecAuditLog ${dir}/logs/audit.log`)
    .replace(/^SecTmpDir .*/m, `SecTmpDir ${dir}/tmp/`)
    .replace(/^SecDataDir .*/m, `SecDataDir ${dir}/tmp/`)
    .replace(/^SecResponseBodyAccess .*/m, 'SecResponseBodyAccess Off')
    .replace(/^SecUnicodeMapFile unicode\.mapping/m, 'SecUnicodeMapFile /etc/modsecurity/unicode.mapping');
  writeFileSync(join(dir, 'modsecurity.conf'), modsec);
  const mods = ['mpm_event', 'authz_core', 'alias', 'cgid', 'unique_id', 'security2'];
  return `ServerRoot "${dir}"
ServerName app.example.com
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
DefaultRuntimeDir ${dir}/tmp
Mutex file:${dir}/tmp default
ErrorLog ${dir}/logs/error.log
LogLevel error
${mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
ScriptSock ${dir}/tmp/cgisock
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
Timeout 10
AllowEncodedSlashes NoDecode
DocumentRoot ${dir}/www
ScriptAliasMatch "^/" "${dir}/app.cgi"
<Directory ${dir}>
  Require all granted
  Options +ExecCGI
</Directory>
Include ${dir}/modsecurity.conf
Include ${CRS_SETUP}
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${paranoia}"
Include ${CRS_RULES}/*.conf
`;
}

/**
 * Starts Apache + ModSecurity + CRS at `paranoia` on a free 127.0.0.1 port.
 *
 * @example
 * const a = await startAnchor(1); ...; await a.stop();
 */
export async function startAnchor(paranoia: number): Promise<Anchor> {
  const missing = anchorMissing();
  if (missing) throw new Error(`anchor unavailable: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'strata-waf-anchor-'));
  for (const d of ['www', 'logs', 'tmp']) mkdirSync(join(dir, d));
  // reads the whole body (so ModSecurity's phase 2 and the handler both see it), then 200
  writeFileSync(join(dir, 'app.cgi'), '#!/bin/sh\ncat > /dev/null\nprintf \'Content-Type: text/plain\\r\\n\\r\\nok\\n\'\n');
  chmodSync(join(dir, 'app.cgi'), 0o755);
  const port = await freePort();
  const conf = join(dir, 'httpd.conf');
  writeFileSync(conf, config(dir, port, paranoia));
  const check = spawnSync(APACHE, ['-f', conf, '-t'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`apache2 -t failed: ${check.stderr}`);
  const proc: ChildProcess = spawn(APACHE, ['-f', conf, '-DFOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += String(d)));
  try {
    await waitForPort(port, 20_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`apache2 did not listen: ${stderr || String(e)}; ${existsSync(join(dir, 'logs/error.log')) ? readFileSync(join(dir, 'logs/error.log'), 'utf8').slice(-2000) : ''}`);
  }
  return {
    port,
    version: anchorVersion(),
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        // SIGWINCH would be graceful; SIGTERM stops the children at once
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
