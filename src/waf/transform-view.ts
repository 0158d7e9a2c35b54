// Lazily computed, memoized normalized views of one inspected value, so each
// transform runs at most once however many detectors ask for it.
import { htmlEntityDecode, nfkc, stripNulls, urlDecodeRepeated } from './transform-decode.js';

export class InputView {
  readonly raw: string;
  private readonly maxPasses: number;
  private _decoded?: string;
  private _lower?: string;
  private _entities?: string;
  private _overlong = false;
  private _nullByte = false;
  private _passes = 0;
  private _invalid = false;

  constructor(raw: string, maxDecodePasses = 3) {
    this.raw = raw;
    this.maxPasses = maxDecodePasses;
  }

  /** URL-decoded (repeatedly, bounded), null bytes removed, NFKC-normalized. */
  get decoded(): string {
    if (this._decoded === undefined) {
      const r = urlDecodeRepeated(this.raw, this.maxPasses);
      this._overlong = r.overlong;
      this._passes = r.passes;
      this._invalid = r.invalid;
      this._nullByte = r.value.indexOf('\0') !== -1;
      this._decoded = nfkc(stripNulls(r.value));
    }
    return this._decoded;
  }

  /** `decoded`, case-folded. */
  get lower(): string {
    return (this._lower ??= this.decoded.toLowerCase());
  }

  /** `lower` with HTML character references decoded (then NFKC again, for `&#xff1c;`). */
  get entities(): string {
    return (this._entities ??= nfkc(htmlEntityDecode(this.lower)).toLowerCase());
  }

  get overlong(): boolean { void this.decoded; return this._overlong; }
  get nullByte(): boolean { void this.decoded; return this._nullByte; }
  get decodePasses(): number { void this.decoded; return this._passes; }
  get invalidEncoding(): boolean { void this.decoded; return this._invalid; }
}
