// The built-in detectors by the names config uses (`waf.detectors`).
import type { Detector } from './detector.js';
import { sqliDetector } from './detectors/sqli.js';
import { xssDetector } from './detectors/xss.js';
import { traversalDetector } from './detectors/traversal.js';
import { commandDetector } from './detectors/command.js';
import { templateDetector } from './detectors/template.js';
import { codeDetector } from './detectors/code.js';
import { ssrfDetector } from './detectors/ssrf.js';
import { protocolDetector } from './detectors/protocol.js';
import { scannerDetector } from './detectors/scanner.js';

export const DETECTOR_NAMES = ['sqli', 'xss', 'traversal', 'command', 'template', 'code', 'ssrf', 'protocol', 'scanner'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/** Returns fresh references to the built-in detectors named (all when `names` is omitted). */
export function builtinDetectors(names: readonly string[] = DETECTOR_NAMES): Detector[] {
  const all: Record<DetectorName, Detector> = {
    sqli: sqliDetector, xss: xssDetector, traversal: traversalDetector, command: commandDetector, template: templateDetector,
    code: codeDetector, ssrf: ssrfDetector, protocol: protocolDetector, scanner: scannerDetector,
  };
  return names.map((n) => {
    const d = all[n as DetectorName];
    if (!d) throw new Error(`unknown WAF detector "${n}" (known: ${DETECTOR_NAMES.join(', ')})`);
    return d;
  });
}
