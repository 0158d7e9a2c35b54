// `strata gateway hash-password`: the scrypt hash that `gateway.forward.users[].passwordHash` takes.
import { parseArgs } from 'node:util';

export const GATEWAY_HELP = `Usage: strata gateway hash-password [options]

Prints the scrypt hash of a forward-proxy password, for gateway.forward.users[].passwordHash
in strata.yaml. The password is asked for on a terminal, or read from stdin.

Options:
      --password-stdin  Read the password from stdin (for scripts)
      --username NAME   Print a ready users entry ({ username, passwordHash }) instead of the bare hash
  -h, --help            Show this help`;

export interface GatewayCommandDeps {
  usage(message: string): Error;
  readStdin(): Promise<string>;
  promptSecret(question: string): Promise<string>;
  out(line: string): void;
}

/**
 * @example
 * await gatewayCommand(['hash-password', '--password-stdin'], deps);
 */
export async function gatewayCommand(args: string[], deps: GatewayCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' }, 'password-stdin': { type: 'boolean' }, username: { type: 'string' } } });
  } catch (e) {
    throw deps.usage(`${(e as Error).message.replace(/\. To specify a positional argument.*$/, '')}. Run 'strata gateway --help' for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return (deps.out(GATEWAY_HELP), 0);
  if (positionals[0] !== 'hash-password' || positionals.length > 1) throw deps.usage(`unknown gateway command '${positionals.join(' ')}'. Run 'strata gateway --help'.`);
  let password: string;
  if (values['password-stdin']) password = await deps.readStdin();
  else if (process.stdin.isTTY) {
    password = await deps.promptSecret('Proxy password: ');
    if ((await deps.promptSecret('Repeat the password: ')) !== password) throw deps.usage('the passwords differ.');
  } else throw deps.usage('give the password on stdin with --password-stdin, or run on a terminal to be asked.');
  if (password.length === 0) throw deps.usage('the password is empty.');
  const { hashProxyPassword } = await import('../gateway/index.js');
  const hash = await hashProxyPassword(password);
  deps.out(values.username !== undefined ? `- { username: ${JSON.stringify(values.username)}, passwordHash: "${hash}" }` : hash);
  return 0;
}
