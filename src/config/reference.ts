// Renders the configuration reference (docs/configuration.md) from the schema,
// so the documentation cannot drift from the code (a test compares them).
import { configLeaves, describeType, envName } from './schema-walk.js';
import { RENAMED_KEYS } from './schema-engines.js';

const HEADER = `# Configuration reference

Strata runs with no configuration at all. Every key below has a default; set
keys in \`strata.yaml\` (or \`strata.yml\` / \`strata.json\`) in the working
directory or the file named by \`--config\`, override them with the \`STRATA_*\`
environment variable shown, or with a CLI flag (\`--set key=value\` works for any
key). Later sources win: defaults < file < environment < flags.

Unknown keys and values of the wrong type stop start-up with one line naming
the key, the value, where it came from and what was expected. Run
\`strata config print\` to see the effective configuration and
\`strata config schema > strata.schema.json\` for editor completion (for
example with the YAML language server: \`# yaml-language-server: $schema=./strata.schema.json\`).

Durations are milliseconds; sizes are bytes.

This page is generated from the schema (\`npm run docs:config\`).
`;

function cell(v: unknown): string {
  const s = typeof v === 'string' ? (v === '' ? '""' : v) : JSON.stringify(v);
  return '`' + String(s).replaceAll('|', '\\|') + '`';
}

export function configReference(): string {
  const sections = new Map<string, string[]>();
  for (const leaf of configLeaves()) {
    const section = leaf.key.includes('.') ? leaf.key.split('.')[0] : 'general';
    const rows = sections.get(section) ?? [];
    rows.push(`| \`${leaf.key}\` | \`${leaf.env}\` | ${cell(leaf.default)} | ${describeType(leaf.schema).replaceAll('|', '\\|')} | ${leaf.description.replaceAll('|', '\\|')} |`);
    sections.set(section, rows);
  }
  let out = HEADER;
  for (const [section, rows] of sections) {
    out += `\n## ${section}\n\n| key | environment | default | accepts | meaning |\n|---|---|---|---|---|\n${rows.join('\n')}\n`;
  }
  const renamed = Object.entries(RENAMED_KEYS).map(([old, key]) => `| \`${old}\` | \`${envName(old)}\` | \`${key}\` |`);
  out += `\n## Renamed keys\n\nEach external engine's address is now one key under \`engines\`, shared by every capability. The old keys are still accepted for one release (in the file, as environment variables and as flags): each one set is mapped onto its new key with a one-line warning, and two of them (or one and the new key) with different values stop start-up naming both.\n\n| old key | old environment | new key |\n|---|---|---|\n${renamed.join('\n')}\n`;
  return out;
}
