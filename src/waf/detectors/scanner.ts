// Known vulnerability scanners and attack tools, by User-Agent and by the
// headers they add. Generic HTTP libraries count only at higher paranoia.
import type { Detector, DetectContext, Finding, HeaderFacts } from '../detector.js';
import { linearRx } from '../regex-linear.js';

const TOOLS = linearRx(/\b(?:sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|netsparker|invicti|wpscan|dirbuster|dirb|gobuster|feroxbuster|ffuf|fuzz faster u fool|wfuzz|havij|w3af|arachni|openvas|nessus|qualys|appscan|webinspect|skipfish|paros|zaproxy|owasp[ -]zap|jaeles|whatweb|zmeu|commix|hydra|medusa|fimap|bsqlbf|sqlninja|pangolin|webshag|grabber|vega|xsser|jorgee|morfeus|muieblackcat|brutus|dotdotpwn|wapiti|burp(?:suite| collaborator)|httpx - open-source|interactsh|log4j-scan|crlfuzz|dalfox|katana|gospider|hakrawler|struts-pwn|blackwidow|netlab360|censysinspect|l9explore|leakix|scaninfo@paloaltonetworks)\b/i);
const LIBS = linearRx(/^(?:python-requests|python-urllib|go-http-client|curl|wget|libwww-perl|java\/|okhttp|apache-httpclient|axios|node-fetch|ruby|php|httpie|aiohttp|scrapy|winhttp|powershell)/i);
const SCANNER_HEADERS = ['acunetix-product', 'acunetix-scanning-agreement', 'acunetix-user-agreement', 'x-scanner', 'x-wipp', 'x-request-memo', 'x-scan-memo', 'x-ucsf-scanner'];

export function inspectScanner(r: HeaderFacts, ctx: DetectContext): Finding[] {
  const ua = r.headers['user-agent'];
  const uaStr = typeof ua === 'string' ? ua : Array.isArray(ua) ? ua.join(' ') : '';
  if (TOOLS.test(uaStr)) return [{ rule: 'scanner-user-agent', severity: 'critical', paranoia: 1, message: 'known scanner User-Agent' }];
  for (const h of SCANNER_HEADERS) if (r.headers[h] !== undefined) return [{ rule: 'scanner-header', severity: 'critical', paranoia: 1, message: 'scanner header' }];
  if (ctx.paranoia >= 3 && LIBS.test(uaStr)) return [{ rule: 'scanner-library', severity: 'warning', paranoia: 3, message: 'scripted HTTP client' }];
  return [];
}

export const scannerDetector = {
  name: 'scanner',
  locations: [],
  inspectHeaders: inspectScanner,
} satisfies Detector;
