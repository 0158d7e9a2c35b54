// OS command injection (POSIX sh and Windows cmd/PowerShell): a command
// separator or substitution followed by a known command with shell-like arguments,
// after undoing common evasions (quotes inside words, $IFS, brace expansion, ^ escapes).
import type { Detector, DetectContext, Finding, InspectedValue } from '../detector.js';
import { VALUE_LOCATIONS } from '../detector.js';
import { CC, CC_OPAQUE } from '../char-classes.js';
import { linearRx } from '../regex-linear.js';

const EMPTY_QUOTES = linearRx(/(\w)(?:''|""|\\|\^)(?=\w)/g);
const QUOTED_PART = linearRx(/(\w)['"](\w+)['"](?=\w|\s|$)/g);

const UNIX = 'cat|tac|head|tail|more|less|nl|ls|dir|id|whoami|uname|hostname|ifconfig|ip|netstat|ps|env|printenv|wget|curl|fetch|nc|ncat|netcat|socat|telnet|ssh|scp|ftp|bash|sh|zsh|ksh|dash|csh|tcsh|busybox|python[23]?|perl|ruby|php|node|lua|java|gcc|ping|nslookup|dig|host|traceroute|sleep|echo|printf|rm|mv|cp|chmod|chown|chgrp|touch|mkdir|kill|pkill|killall|crontab|sudo|su|passwd|useradd|base64|xxd|od|awk|gawk|sed|grep|find|xargs|tar|zip|unzip|gzip|dd|mknod|mkfifo|nohup|systemctl|service|mail|sendmail|openssl|time|tee|sort|uniq|wc|cut|strings|file|which|locate|getent|last|w|who|sysctl|iptables|shutdown|reboot|halt|init|exec|eval|source|export|alias|set|history';
const WIN = 'cmd|command|powershell|pwsh|type|copy|del|erase|ren|move|ipconfig|net|netsh|systeminfo|tasklist|taskkill|reg|regedit|sc|wmic|certutil|bitsadmin|mshta|rundll32|regsvr32|cscript|wscript|schtasks|at|icacls|cacls|attrib|findstr|start|timeout|ver|vol|set|ping|nslookup|whoami|hostname|dir|echo|more';
const CMDS = `(?:${UNIX}|${WIN})(?:\\.exe)?`;
// commands that need no argument to be an attack when they end the value (`; id`)
const BARE = 'id|whoami|uname|ls|ifconfig|ipconfig|systeminfo|env|printenv|ps|netstat|hostname|pwd|reboot|shutdown|dir|ver|tasklist|bash|sh|zsh|cmd|powershell|pwsh|getuid|nproc|lsof|sudo -l';
const ARG = `-{1,2}\\w|/[\\w.?*]|[a-z]:\\\\|\\\\|[\\d.]+\\b|[<>]|\\$|%\\w+%|\\w+\\.\\w+|[a-z][\\w+.-]*://`;
// separator (or substitution), optional path prefix, a command, then shell-like arguments or a bare command at the end
const SEP_CMD = linearRx(new RegExp(`(?:[;|&\\n\\r]|\\$\\(|(?<!\`)\`(?!\`))\\s*(?:[\\w./\\\\:]*[/\\\\])?(?:(?:${CMDS})(?=\\s+(?:${ARG}))|(?:${BARE})(?:\\.exe)?(?=$|\\s*[;|&\`)\\n<>])|net\\s+(?:user|localgroup|share|view|use|group)\\b)`));
const SEP_CMD_LOOSE = linearRx(new RegExp(`(?:^|[;|&\\n\\r]|\\$\\(|\`)\\s*(?:[\\w./]*/)?(${CMDS})\\b`));
const SUBST = linearRx(new RegExp(`(?:\\$\\(|(?<!\`)\`(?!\`))\\s*(?:[\\w./]*/)?(?:${CMDS})\\b`));
const START_CMD = linearRx(new RegExp(`^\\s*(?:[\\w./\\\\:]*[/\\\\])?(?:${CMDS})\\s+(?:-{1,2}\\w|/[\\w.]|[a-z]:\\\\|[<>]|\\$)`));
const WIN_ENV = /%(?:comspec|systemroot|windir|programfiles|userprofile|temp|appdata)%|\bcmd(?:\.exe)?\s+\/[ck]\b|\bpowershell(?:\.exe)?\s+(?:-[a-z]+\s+)*-(?:e|enc|encodedcommand|c|command|nop|w)\b|invoke-(?:expression|webrequest)|\biex\s*\(/;
const SHELL_ESC = linearRx(/\/bin\/[a-z?*[\]]+|\$\{?ifs\}?|\$\{[a-z_]*:?[-=+?]|\{[a-z]+,[^}\s]{0,200}\}|<\(|\$\(\(|\$\{?path:|\/dev\/(?:tcp|udp)\//);

/** Undoes quoting/escape evasions: `c'a't`, `w"h"oami`, `c\at`, `who^ami`, `$IFS`, `{cat,/etc/passwd}`. */
export function normalizeShell(s: string): string {
  return s
    .replace(/\$\{ifs\}|\$ifs\b/g, ' ')
    .replace(EMPTY_QUOTES, '$1')
    .replace(QUOTED_PART, '$1$2')
    .replace(/\$@|\$\{?\d\}?/g, '')
    .replace(/\{(\w+),/g, '$1 ');
}

const NEEDS_NORMALIZE = /['"\\^$]|\{\w+,/;
const WIN_HINT = /%|cmd|powershell|pwsh|invoke-|iex/;

export function matchCommand(lower: string, paranoia: number): Finding[] {
  const s = NEEDS_NORMALIZE.test(lower) ? normalizeShell(lower) : lower;
  if (SUBST.test(s)) return [{ rule: 'cmd-substitution', severity: 'critical', paranoia: 1, message: 'command substitution $() or backticks' }];
  if (SEP_CMD.test(s)) return [{ rule: 'cmd-chained', severity: 'critical', paranoia: 1, message: 'command after a shell separator' }];
  if (WIN_HINT.test(s) && WIN_ENV.test(s)) return [{ rule: 'cmd-windows', severity: 'critical', paranoia: 1, message: 'Windows shell invocation' }];
  if (/[;|&`$<>{]/.test(lower) && SHELL_ESC.test(lower)) return [{ rule: 'cmd-evasion', severity: 'critical', paranoia: 1, message: 'shell evasion syntax' }];
  if (paranoia >= 2 && START_CMD.test(s)) return [{ rule: 'cmd-bare', severity: 'error', paranoia: 2, message: 'a shell command line' }];
  if (paranoia >= 2 && SEP_CMD_LOOSE.test(s)) return [{ rule: 'cmd-chained', severity: 'warning', paranoia: 2, message: 'command word after a separator' }];
  return [];
}

// a command that runs the next word as a command: `time sh -c id`, `sudo cat ...`, `nohup bash ...`
const WRAPPED_CMD = linearRx(new RegExp(`^\\s*(?:time|nohup|sudo|exec|env|xargs|timeout|nice|strace|busybox)\\s+(?:-\\S+\\s+)*(?:[\\w./]*/)?(?:${CMDS})\\b`));

/** Whether the (lower-cased) value is a shell command line: a command with shell-like arguments, or one running another (`time sh -c whoami`). */
export function shellCommandLine(lower: string): boolean {
  const s = NEEDS_NORMALIZE.test(lower) ? normalizeShell(lower) : lower;
  return START_CMD.test(s) || WRAPPED_CMD.test(s);
}

const QUICK = /[;|&`$\n\r%{]|^\s*[\w./\\:]+\s/;
// at PL1 a value starting with a word and a space (all prose) need not run the rules: only
// PL2's bare command line starts that way; what PL1's rules need literally is below
const QUICK1 = /[;|&`$\n\r%{<>]|cmd|powershell|pwsh|invoke-|iex/;

export const commandDetector = {
  name: 'command',
  gate: () => CC_OPAQUE | CC.SEP | CC.QUOTE | CC.BRACE | CC.SPACE,
  locations: VALUE_LOCATIONS.filter((l) => l !== 'path'),
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const lower = v.view.lower;
    if (!(ctx.paranoia >= 2 ? QUICK : QUICK1).test(lower)) return [];
    return matchCommand(lower, ctx.paranoia);
  },
} satisfies Detector;
