// Help texts and the "did you mean" hint for usage errors.
export const COMMANDS = ['serve', 'init', 'migrate', 'superuser', 'keys', 'backup', 'restore', 'config', 'gateway', 'build', 'gen', 'help'] as const;

export const MAIN_HELP = `Usage: strata <command> [options]

Commands:
  serve                 Run the server (HTTP, HTTPS + HTTP/2) on embedded defaults or strata.yaml
  migrate               Apply the declared collections to the database (prints the plan first)
  superuser create      Create a superuser (asks for the password, or --password-stdin)
  keys rotate           Make a new field-encryption key current and re-encrypt every encrypted value
  keys list|revoke      List or revoke the API keys of an account (operator)
  backup                Write an encrypted, checksummed archive of the data while the server runs
  backup verify FILE    Restore an archive to a scratch copy and compare it with its manifest
  restore FILE          Restore an archive into a fresh data directory (and database)
  config print          Print the effective configuration (defaults + file + env + flags) as YAML
  config schema         Print the JSON Schema of strata.yaml (for editor completion)
  gateway hash-password Print the scrypt hash of a forward-proxy password (gateway.forward.users)
  init                  Prepare ./functions (example route, "type": "module", node_modules/strata)
  build                 Type-check and compile the functions directory for production
  gen client --out F    Write a typed TypeScript client for the collections and function routes
  help [command]        Show help for a command

Options:
  -h, --help            Show help
  -v, --version         Print the version

Configuration comes from ./strata.yaml (or --config PATH), then STRATA_* environment
variables, then flags. See docs/configuration.md.`;

export const SERVE_HELP = `Usage: strata serve [options]

Options:
  -c, --config PATH     Config file (default: ./strata.yaml, strata.yml or strata.json if present)
      --host ADDR       Address for HTTP and HTTPS (e.g. 0.0.0.0, ::)      [server.http.host, server.https.host]
  -p, --port N          HTTP port (0 = any free port)                        [server.http.port]
      --https-port N    HTTPS port (0 = any free port)                       [server.https.port]
      --no-https        Serve plain HTTP only                                [server.https.enabled=false]
      --no-http         Serve HTTPS only                                     [server.http.enabled=false]
  -d, --data-dir DIR    Data directory (default ./strata-data)              [dataDir]
  -w, --workers N|auto  Worker processes sharing the ports                   [server.workers]
      --log-level LVL   fatal|error|warn|info|debug|trace|silent             [log.level]
      --set KEY=VALUE   Set any config key, e.g. --set server.redirectToHttps=true (repeatable)
  -h, --help            Show this help`;

export const MIGRATE_HELP = `Usage: strata migrate [options]

Diffs the collections declared in strata.yaml against the database, prints the
plan (destructive steps marked !) and applies it under a lock.

Options:
  -c, --config PATH       Config file
  -d, --data-dir DIR      Data directory                                   [dataDir]
      --dry-run           Print the plan only
      --allow-destructive Apply drops and narrowing type changes too      [data.allowDestructive]
      --set KEY=VALUE     Set any config key (repeatable)
  -h, --help              Show this help`;

export const SUPERUSER_HELP = `Usage: strata superuser create --email ADDRESS [options]

Creates a superuser (who may do everything, and reach /api/admin). The password
is asked for on a terminal, or read from stdin with --password-stdin.

Options:
      --email ADDRESS     The superuser's email (their login)
      --password-stdin    Read the password from stdin (for scripts)
  -c, --config PATH       Config file
  -d, --data-dir DIR      Data directory                                   [dataDir]
      --set KEY=VALUE     Set any config key (repeatable)
  -h, --help              Show this help`;

export const KEYS_HELP = `Usage: strata keys rotate [options]
       strata keys list --account EMAIL|ID [--collection NAME] [options]
       strata keys revoke (KEY_ID... | --all) --account EMAIL|ID [--collection NAME] [options]

list / revoke: the API keys of one account of an auth collection (default users), for an
operator, straight on the database (no server needed). list shows ids, names, scopes and
times, never secrets; revoke stops the given keys (or every active one with --all) at once.

rotate:

Adds a new field-encryption key to the key file, makes it current and re-encrypts
every value of every \`encrypted: true\` field under it, in batches, with progress.
Old keys stay in the key file, so values not yet rewritten still decrypt. If it is
interrupted (even kill -9), run it again: it resumes under the same new key.
Restart running servers afterwards so they load the new key.

Options:
  -c, --config PATH       Config file
  -d, --data-dir DIR      Data directory                                   [dataDir]
      --batch N           Rows per batch (one transaction each; default 500)
      --pause-ms N        Pause between batches to spare a live database (default 0)
      --no-new-key        Re-encrypt under the current key only (keys from STRATA_ENCRYPTION_KEY,
                          or to encrypt values stored before a field was marked encrypted)
      --account EMAIL|ID  The account whose API keys to list or revoke
      --collection NAME   Its auth collection (default users)
      --all               revoke: every active key of the account
      --set KEY=VALUE     Set any config key (repeatable)
  -h, --help              Show this help`;

export const BACKUP_HELP = `Usage: strata backup [options]
       strata backup verify ARCHIVE [options]
       strata restore ARCHIVE [options]

backup: an online copy of the data directory's SQLite files (SQLite's backup API; the server keeps
serving), of the PostgreSQL tables when data.url is PostgreSQL (pg_dump in one snapshot), of the
key material (keys/, tls/) and of the config file, in one archive: tar, gzip, then AES-256-GCM in
authenticated frames, with a manifest of every part's SHA-256 and every table's row count. Written
as <name>.partial and renamed when complete, so an interrupted backup leaves no archive.

verify: checks every frame and checksum, restores the archive to a scratch copy (a temp folder; a
scratch PostgreSQL database) and compares every table's row count with the manifest.

restore: checks the whole archive first, then restores it into the data directory (which must hold
no database and no keys yet) and, for a PostgreSQL backup, into the empty database at data.url;
then applies migrations forward. Refuses an archive from a newer Strata, a wrong key or passphrase,
and a damaged or truncated archive, changing nothing.

The key: --key-file FILE (or backup.keyFile; 32 bytes in base64, e.g. openssl rand -base64 32),
else a passphrase (at least 12 characters) from --passphrase-stdin or STRATA_BACKUP_PASSPHRASE.
Progress goes to stderr (a bar on a terminal, JSON lines otherwise).

Options:
  -c, --config PATH       Config file
  -d, --data-dir DIR      Data directory (restore: the fresh one to fill)      [dataDir]
  -o, --out DIR           Folder for the archive (default backup.dir, else <dataDir>/backups)
      --key-file FILE     The backup key                                        [backup.keyFile]
      --passphrase-stdin  Read the passphrase from stdin
      --set KEY=VALUE     Set any config key, e.g. --set data.url=postgres://... (repeatable)
  -h, --help              Show this help`;

export const CONFIG_HELP = `Usage: strata config <print|schema> [options]

  print [--json] [-c PATH] [--set KEY=VALUE]   The effective configuration (YAML, or JSON with --json)
  schema                                       The JSON Schema of the configuration file`;

/** Levenshtein distance, for suggesting the command the user probably meant. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

export function suggest(word: string, options: readonly string[]): string | undefined {
  const best = options.map((o) => [o, distance(word, o)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= 2 ? best[0] : undefined;
}
