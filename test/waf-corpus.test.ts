// Detection and false-positive rates on the corpora (figures published in docs/waf.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusReport, attackCorpus, benignCorpus } from './waf-corpus.js';
import { holdoutAttacks, holdoutBenign } from './waf-corpus-holdout.js';
import { holdout2Attacks, holdout2Benign } from './waf-corpus-holdout2.js';

test('every family is detected at paranoia 1 with plain and evasive variants', () => {
  const r = corpusReport();
  const families = new Set(attackCorpus().map((s) => s.family));
  assert.equal(families.size, 9);
  for (const [family, lv] of Object.entries(r.detection)) {
    const rate = lv[1].detected / lv[1].total;
    assert.ok(rate >= 0.95, `${family}: ${lv[1].detected}/${lv[1].total} at PL1; missed: ${r.missed[1].filter((m) => m.startsWith(family)).slice(0, 5).join(' | ')}`);
    assert.ok(lv[2].detected >= lv[1].detected, `${family}: PL2 catches at least what PL1 does`);
  }
  const variants = new Set(attackCorpus().map((s) => s.variant));
  for (const v of ['plain', 'urlencoded', 'double-encoded', 'mixed-case', 'commented', 'split-whitespace', 'full-width', 'overlong-utf8']) assert.ok(variants.has(v), v);
});

test('benign traffic that looks dangerous passes at paranoia 1; higher levels may flag more', () => {
  const r = corpusReport();
  assert.ok(benignCorpus().length >= 150);
  assert.equal(r.falsePositives[1].flagged, 0, r.falsePositives[1].samples.join('\n'));
  assert.ok(r.falsePositives[2].flagged >= r.falsePositives[1].flagged);
  assert.ok(r.falsePositives[4].flagged / r.falsePositives[4].total <= 0.05, r.falsePositives[4].samples.join('\n'));
});

test('held-out corpus (never tuned against) stays above 90% detection and under 3% false positives at PL1', () => {
  const r = corpusReport(holdoutAttacks(), holdoutBenign());
  let d = 0, n = 0;
  for (const lv of Object.values(r.detection)) { d += lv[1].detected; n += lv[1].total; }
  assert.ok(d / n >= 0.9, `holdout detection ${d}/${n}: ${r.missed[1].join(' | ')}`);
  assert.ok(r.falsePositives[1].flagged / r.falsePositives[1].total <= 0.03, r.falsePositives[1].samples.join('\n'));
});

test('second held-out corpus: at least 95% detected, no false positive at PL1', () => {
  const r = corpusReport(holdout2Attacks(), holdout2Benign());
  let d = 0, n = 0;
  for (const lv of Object.values(r.detection)) { d += lv[1].detected; n += lv[1].total; }
  assert.ok(d / n >= 0.95, `holdout2 detection ${d}/${n}: ${r.missed[1].join(' | ')}`);
  assert.equal(r.falsePositives[1].flagged, 0, r.falsePositives[1].samples.join('\n'));
});
