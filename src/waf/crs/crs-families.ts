// CRS rule families (by rule file number) and the names config uses for them; the
// legacy detector names stay accepted as aliases.

export const CRS_FAMILIES = {
  911: 'method', 913: 'scanner', 920: 'protocol', 921: 'protocol-attack', 922: 'multipart', 930: 'lfi', 931: 'rfi', 932: 'rce', 933: 'php',
  934: 'nodejs', 941: 'xss', 942: 'sqli', 943: 'session-fixation', 944: 'java',
} as const;
export type CrsFamily = (typeof CRS_FAMILIES)[keyof typeof CRS_FAMILIES];
export const FAMILY_NAMES = Object.values(CRS_FAMILIES) as CrsFamily[];

/** Legacy detector names and what they cover in the CRS. */
const ALIASES: Record<string, CrsFamily[]> = {
  traversal: ['lfi'], command: ['rce'], code: ['php', 'nodejs', 'java'], template: ['java'], ssrf: ['rfi'],
  protocol: ['protocol', 'protocol-attack', 'multipart', 'method'],
};

/** The families a config name stands for (a family name, or a legacy alias). */
export function familiesOf(name: string): string[] {
  return ALIASES[name] ?? [name];
}

/** The family of a rule id (942100 -> sqli); 'crs' for initialization and blocking rules. */
export function familyOf(id: number): string {
  return (CRS_FAMILIES as Record<number, string>)[Math.floor(id / 1000)] ?? 'crs';
}

/** The family of a rule file name (REQUEST-942-...conf -> sqli), or undefined for the framework files. */
export function familyOfFile(file: string): string | undefined {
  const m = /^REQUEST-(\d{3})-/.exec(file);
  return m ? (CRS_FAMILIES as Record<number, string>)[Number(m[1])] : undefined;
}
