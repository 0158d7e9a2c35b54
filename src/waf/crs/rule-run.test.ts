// The SecLang engine on small rule sets: variables, exclusions, counts, chains with
// captures, setvar and macros, skipAfter, multiMatch, anomaly scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecLang } from './seclang-parse.js';
import { compileRules } from './rule-compile.js';
import { ruleSet, runPhase, startTx, type RuleMatch } from './rule-run.js';
import { Transaction } from './transaction.js';

function run(text: string, fill: (tx: Transaction) => void, paranoia = 1): { ids: number[]; tx: Transaction; matches: RuleMatch[] } {
  const rules = compileRules(parseSecLang(text), 't', { readData: () => 'foo\nbar\n# comment' }, []);
  const set = ruleSet([], rules, paranoia);
  const tx = new Transaction();
  startTx(set, tx);
  fill(tx);
  const matches: RuleMatch[] = [];
  runPhase(set, 1, tx, (m) => matches.push(m));
  runPhase(set, 2, tx, (m) => matches.push(m));
  return { ids: matches.map((m) => m.rule.id), tx, matches };
}

const score = (id: number, extra = '') => `"id:${id},phase:2,block,${extra}setvar:'tx.anomaly_score_pl1=+5'"`;

test('collections, selectors, exclusions and counts', () => {
  const r = run(`
SecRule ARGS|!ARGS:safe "@contains evil" ${score(1)}
SecRule REQUEST_HEADERS:User-Agent "@pmFromFile x.data" ${score(2)}
SecRule &ARGS "@gt 2" ${score(3)}
SecRule ARGS_NAMES "@rx ^/x" ${score(4)}
SecRule REQUEST_COOKIES:/^s/ "@streq 1" ${score(5)}`, (tx) => {
    tx.addArg('GET', 'a', 'evil', 'query');
    tx.addArg('GET', 'safe', 'evil', 'query');
    tx.addArg('POST', '/x', '1', 'body');
    tx.add('REQUEST_HEADERS', 'User-Agent', 'a Bar b', 'header');
    tx.add('REQUEST_COOKIES', 'sid', '1', 'cookie');
  });
  assert.deepEqual(r.ids, [1, 2, 3, 4, 5]);
  assert.equal(r.matches[0].target?.varName, 'ARGS:a');
  assert.equal(r.tx.tx.get('anomaly_score_pl1'), '25');
});

test('rules sharing a collection selector keep their own exclusions; rules that set no anomaly score report nothing', () => {
  // the selections a transaction resolves once are per selector and exclusion list: ARGS with and without `!ARGS:b`
  const r = run(`
SecRule ARGS|!ARGS:b "@rx x" ${score(21)}
SecRule ARGS "@rx x" ${score(22)}
SecRule ARGS|!ARGS:/^a/ "@rx x" ${score(23)}
SecRule ARGS "@rx x" "id:24,phase:2,pass,setvar:'tx.seen=+1'"
SecRule ARGS|!ARGS:b "@rx x" ${score(25)}`, (tx) => {
    tx.addArg('GET', 'a', 'x', 'query');
    tx.addArg('GET', 'b', 'x', 'query');
  });
  assert.deepEqual(r.matches.map((m) => `${m.rule.id} ${m.target?.varName}`), ['21 ARGS:a', '22 ARGS:a', '22 ARGS:b', '23 ARGS:b', '25 ARGS:a']);
  assert.equal(r.tx.tx.get('seen'), '2', 'its actions ran once per match');
  // rule sets of two paranoia levels made from the same compiled rules, then run: each reads its own selections
  const rules = compileRules(parseSecLang(`SecRule ARGS|!ARGS:b "@rx x" ${score(31)}
SecRule ARGS "@rx x" "id:32,phase:2,block,tag:'paranoia-level/2',setvar:'tx.anomaly_score_pl2=+5'"
SecRule ARGS|!ARGS:/^a/ "@rx x" ${score(33)}`), 't', { readData: () => '' }, []);
  const sets = [2, 1].map((pl) => [pl, ruleSet([], rules, pl)] as const);
  for (const [pl, set] of sets) {
    const tx = new Transaction();
    startTx(set, tx);
    tx.addArg('GET', 'a', 'x', 'query');
    tx.addArg('GET', 'b', 'x', 'query');
    const seen: string[] = [];
    runPhase(set, 2, tx, (m) => seen.push(`${m.rule.id} ${m.target?.varName}`));
    assert.deepEqual(seen, pl === 1 ? ['31 ARGS:a', '33 ARGS:b'] : ['31 ARGS:a', '32 ARGS:a', '32 ARGS:b', '33 ARGS:b'], `PL${pl}`);
  }
});

test('chains with captures, macros, skipAfter and paranoia levels', () => {
  const r = run(`
SecAction "id:10,phase:1,pass,setvar:'tx.allowed=|get| |post|'"
SecRule REQUEST_METHOD "@rx ^(\\w+)$" "id:11,phase:1,block,capture,t:lowercase,chain,setvar:'tx.m=|%{tx.1}|'"
  SecRule TX:m "!@within %{tx.allowed}" "setvar:'tx.anomaly_score_pl1=+5'"
SecRule ARGS "@rx x" "id:12,phase:2,pass,skipAfter:END"
SecRule ARGS "@rx x" ${score(13)}
SecMarker END
SecRule ARGS "@rx x" "id:14,phase:2,block,tag:'paranoia-level/2',setvar:'tx.anomaly_score_pl2=+5'"
SecRule ARGS "@rx ^<a>$" "id:15,phase:2,block,multiMatch,t:none,t:urlDecode,setvar:'tx.anomaly_score_pl1=+5'"`, (tx) => {
    tx.scalars.set('REQUEST_METHOD', 'DELETE');
    tx.addArg('GET', 'q', 'x', 'query');
    tx.addArg('GET', 'r', '%3ca%3e', 'query');
  });
  assert.deepEqual(r.ids, [11, 15], 'chain matched; 13 skipped; 14 above the paranoia level');
  assert.equal(r.tx.tx.get('m'), '|delete|');
});

test('a header set\'s head-only outcomes: rules that matched nothing on it are skipped on the next head with it, the rest still run', () => {
  const rules = compileRules(parseSecLang(`
SecRule REQUEST_HEADERS:User-Agent "@rx bot" ${score(41)}
SecRule REQUEST_COOKIES|REQUEST_HEADERS:Referer|ARGS "@rx evil" ${score(42)}
SecRule REQUEST_HEADERS:Accept "@rx json" ${score(43)}
SecRule REQUEST_HEADERS|TX:x "@rx bot" ${score(44)}`), 't', { readData: () => '' }, []);
  const set = ruleSet([], rules, 1);
  assert.deepEqual(rules.map((c) => (c.kind === 'rule' ? c.headMode : -1)), [1, 2, 1, 0], 'head-only, mixed, head-only, reads TX');
  const known = new Map<number, Uint8Array>();
  const head = (ua: string, referer: string, arg: string) => {
    const tx = new Transaction();
    startTx(set, tx);
    tx.add('REQUEST_HEADERS', 'User-Agent', ua, 'header');
    tx.add('REQUEST_HEADERS', 'Referer', referer, 'header');
    tx.add('REQUEST_HEADERS', 'Accept', 'application/json', 'header');
    tx.addArg('GET', 'q', arg, 'query');
    const seen: string[] = [];
    runPhase(set, 2, tx, (m) => seen.push(`${m.rule.id} ${m.target?.varName}`), known);
    return seen;
  };
  assert.deepEqual(head('curl', 'https://a.example', 'evil'), ['42 ARGS:q', '43 REQUEST_HEADERS:Accept']);
  // matched nothing on this header set: 41 (head-only) and 42's head-only variables; 43 matched, 44 reads TX
  assert.deepEqual([...(known.get(2) ?? [])], [1, 1, 0, 0]);
  // the same header set, other query values: 42 still sees ARGS, 43 still matches
  assert.deepEqual(head('curl', 'https://a.example', 'fine'), ['43 REQUEST_HEADERS:Accept']);
  assert.deepEqual(head('curl', 'https://a.example', 'evil too'), ['42 ARGS:q', '43 REQUEST_HEADERS:Accept']);
  // what was learnt is trusted: given with other header lines (the engine keys it by header set, never so),
  // the skipped parts stay skipped, which shows they are not run; 44 (not head-only) is
  assert.deepEqual(head('bot', 'https://evil.example', 'fine'), ['43 REQUEST_HEADERS:Accept', '44 REQUEST_HEADERS:User-Agent']);
  // without it, they run
  const tx = new Transaction();
  startTx(set, tx);
  tx.add('REQUEST_HEADERS', 'User-Agent', 'bot', 'header');
  tx.add('REQUEST_HEADERS', 'Referer', 'https://evil.example', 'header');
  const seen: number[] = [];
  runPhase(set, 2, tx, (m) => seen.push(m.rule.id));
  assert.deepEqual(seen, [41, 42, 44]);
});
