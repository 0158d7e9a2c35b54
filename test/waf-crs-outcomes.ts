// Every detection the CRS engine makes on every corpus case (all four corpora, their body
// variants, at each paranoia level, without and with the cross-request value memo), as one
// digest: engine changes made for speed must leave it as it is (waf-crs-outcomes.test.ts).
//   node --import tsx test/waf-crs-outcomes.ts [--all]   prints the test's digest (or every level's) and the counts
import { createHash } from 'node:crypto';
import { attackCorpus, benignCorpus, asBodySamples, corpusEngine, scoreSample, type Sample } from './waf-corpus.js';
import { holdoutAttacks, holdoutBenign } from './waf-corpus-holdout.js';
import { holdout2Attacks, holdout2Benign } from './waf-corpus-holdout2.js';
import { crsAttacks, crsBenign } from './waf-corpus-crs.js';
import type { ParanoiaLevel } from '../src/waf/detector.js';

export function outcomeCases(): Sample[] {
  const attacks = [...attackCorpus(), ...holdoutAttacks(), ...holdout2Attacks(), ...(crsAttacks() as unknown as Sample[])];
  return [
    ...attacks, ...benignCorpus(), ...holdoutBenign(), ...holdout2Benign(), ...(crsBenign() as unknown as Sample[]),
    ...asBodySamples(attackCorpus(), 'json'), ...asBodySamples(holdoutAttacks(), 'msgpack'), ...asBodySamples(holdout2Attacks(), 'protobuf'),
  ];
}

/** The digest of every case's detections (rule, score, location, name, excerpt, field, in order) and how many lines went into it. */
export function outcomeDigest(levels: ParanoiaLevel[] = [1, 2, 3, 4], memoLevels: ParanoiaLevel[] = levels): { digest: string; lines: number; detections: number } {
  const h = createHash('sha256');
  const cases = outcomeCases();
  let lines = 0, detections = 0;
  const line = (tag: string, i: number, r: ReturnType<typeof scoreSample>) => {
    detections += r.detections.length;
    lines++;
    h.update(`${tag} ${i} ${r.score} ${JSON.stringify(r.detections.map((d) => [d.detector, d.rule, d.score, d.location, d.name, d.excerpt, d.field, d.paranoia, d.severity]))}\n`);
  };
  for (const pl of levels) cases.forEach((s, i) => line(`pl${pl}`, i, scoreSample(s, pl)));
  for (const pl of memoLevels) {
    // one engine with the value memo, every case three times: first sighting, memo admitted, memo (and head) hits
    const cached = corpusEngine(pl, 'crs', 4096);
    for (const pass of [1, 2, 3]) cases.forEach((s, i) => line(`pl${pl}-memo${pass}`, i, scoreSample(s, pl, 'crs', cached)));
  }
  return { digest: h.digest('hex'), lines, detections };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  const all = process.argv.includes('--all');
  console.log(all ? outcomeDigest() : outcomeDigest([1, 4], [1]), `${Date.now() - t0} ms`);
}
