/**
 * A small, strict XML reader for the subset `nvidia-smi -q -x` emits: an optional
 * `<?xml …?>` declaration, a `<!DOCTYPE name SYSTEM "…">` line, comments, elements with
 * attributes, character data with the five predefined entities and numeric references,
 * and CDATA sections. No DTD internal subset, no namespaces, no external entities.
 * Errors are ParseErrors that name the line.
 */
import { ParseError } from '../errors.js';

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Character data directly inside this element, entity-decoded and trimmed. */
  readonly text: string;
  /** 1-based line of the start tag. */
  readonly line: number;
}

export interface XmlDocument {
  readonly root: XmlElement;
  /** `<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">` → `nvsmi_device_v12.dtd`; null when absent. */
  readonly doctypeSystemId: string | null;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

interface MutableElement {
  name: string;
  attrs: Record<string, string>;
  children: MutableElement[];
  text: string;
  line: number;
}

class Reader {
  pos = 0;
  private readonly lineStarts: number[] = [0];
  constructor(
    readonly src: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  lineAt(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  fail(message: string, pos = this.pos): never {
    throw new ParseError(this.src, this.lineAt(Math.min(pos, this.text.length)), message);
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  eof(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
      this.pos++;
    }
  }

  /** Advance past `end`, returning what came before it; fail if the input ends first. */
  until(end: string, what: string): string {
    const k = this.text.indexOf(end, this.pos);
    if (k === -1) this.fail(`unterminated ${what}: expected '${end}' before the end of the input (truncated file?)`);
    const out = this.text.slice(this.pos, k);
    this.pos = k + end.length;
    return out;
  }

  name(what: string): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.text);
    if (!m) {
      const got = this.eof() ? 'end of input' : `'${this.text.slice(this.pos, this.pos + 10)}'`;
      this.fail(`expected ${what}, got ${got}`);
    }
    this.pos += m[0].length;
    return m[0];
  }
}

function decodeText(r: Reader, raw: string, at: number): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;\s<&]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) r.fail(`bare '&' in text; expected an entity such as &amp;`, at);
    if (ref.startsWith('#x') || ref.startsWith('#X')) {
      const code = Number.parseInt(ref.slice(2), 16);
      if (Number.isNaN(code) || code > 0x10ffff) r.fail(`bad character reference '${whole}'`, at);
      return String.fromCodePoint(code);
    }
    if (ref.startsWith('#')) {
      const code = Number(ref.slice(1));
      if (!Number.isInteger(code) || code > 0x10ffff) r.fail(`bad character reference '${whole}'`, at);
      return String.fromCodePoint(code);
    }
    const value = ENTITY[ref];
    if (value === undefined) r.fail(`unknown entity '${whole}'; expected &amp; &lt; &gt; &quot; &apos; or &#N;`, at);
    return value;
  });
}

function skipMisc(r: Reader): void {
  for (;;) {
    r.skipSpace();
    if (r.startsWith('<!--')) {
      r.pos += 4;
      r.until('-->', 'comment');
    } else if (r.startsWith('<?')) {
      r.pos += 2;
      r.until('?>', 'processing instruction');
    } else return;
  }
}

function readDoctype(r: Reader): string | null {
  if (!r.startsWith('<!DOCTYPE')) return null;
  const at = r.pos;
  r.pos += '<!DOCTYPE'.length;
  const body = r.until('>', 'DOCTYPE');
  if (body.includes('[')) r.fail('DOCTYPE with an internal subset is not supported', at);
  const m = /^\s+[A-Za-z_][-\w.]*\s+(?:SYSTEM\s+|PUBLIC\s+["'][^"']*["']\s+)?(?:["']([^"']*)["'])?\s*$/.exec(body);
  if (!m) r.fail(`malformed DOCTYPE '<!DOCTYPE${body}>'`, at);
  return m[1] ?? null;
}

function readStartTag(r: Reader): { el: MutableElement; selfClosing: boolean } {
  const start = r.pos;
  r.pos++; // '<'
  const name = r.name('an element name after <');
  const attrs: Record<string, string> = {};
  for (;;) {
    const before = r.pos;
    r.skipSpace();
    if (r.startsWith('/>')) {
      r.pos += 2;
      return { el: { name, attrs, children: [], text: '', line: r.lineAt(start) }, selfClosing: true };
    }
    if (r.startsWith('>')) {
      r.pos++;
      return { el: { name, attrs, children: [], text: '', line: r.lineAt(start) }, selfClosing: false };
    }
    if (r.eof()) r.fail(`unterminated start tag <${name}: expected '>' (truncated file?)`, start);
    if (r.pos === before) r.fail(`expected whitespace, '>' or '/>' in <${name}>`);
    const attr = r.name(`an attribute name or '>' in <${name}>`);
    r.skipSpace();
    if (!r.startsWith('=')) r.fail(`expected '=' after attribute ${attr} in <${name}>`);
    r.pos++;
    r.skipSpace();
    const quote = r.text[r.pos];
    if (quote !== '"' && quote !== "'") r.fail(`expected a quoted value for attribute ${attr} in <${name}>`);
    r.pos++;
    const at = r.pos;
    const raw = r.until(quote, `attribute value of ${attr}`);
    if (raw.includes('<')) r.fail(`'<' in the value of attribute ${attr}`, at);
    if (attr in attrs) r.fail(`duplicate attribute ${attr} in <${name}>`, at);
    attrs[attr] = decodeText(r, raw, at);
  }
}

function readElement(r: Reader): MutableElement {
  const { el, selfClosing } = readStartTag(r);
  if (selfClosing) return el;
  const texts: string[] = [];
  for (;;) {
    if (r.eof()) r.fail(`element <${el.name}> opened on line ${el.line} is not closed (truncated file?)`);
    if (r.startsWith('</')) {
      const at = r.pos;
      r.pos += 2;
      const name = r.name('an element name after </');
      r.skipSpace();
      if (!r.startsWith('>')) r.fail(`expected '>' to end </${name}`);
      r.pos++;
      if (name !== el.name) r.fail(`expected </${el.name}> (opened on line ${el.line}), got </${name}>`, at);
      el.text = texts.join('').trim();
      return el;
    }
    if (r.startsWith('<!--')) {
      r.pos += 4;
      r.until('-->', 'comment');
    } else if (r.startsWith('<![CDATA[')) {
      r.pos += 9;
      texts.push(r.until(']]>', 'CDATA section'));
    } else if (r.startsWith('<?')) {
      r.pos += 2;
      r.until('?>', 'processing instruction');
    } else if (r.startsWith('<')) {
      el.children.push(readElement(r));
    } else {
      const at = r.pos;
      const k = r.text.indexOf('<', r.pos);
      const raw = r.text.slice(r.pos, k === -1 ? r.text.length : k);
      r.pos += raw.length;
      texts.push(decodeText(r, raw, at));
    }
  }
}

/** Parse a whole document. `source` names the input in error messages. */
export function parseXml(source: string, text: string): XmlDocument {
  const r = new Reader(source, text.startsWith('\uFEFF') ? text.slice(1) : text);
  skipMisc(r);
  const doctypeSystemId = readDoctype(r);
  skipMisc(r);
  if (r.eof()) r.fail('no root element: expected <nvidia_smi_log> (empty or truncated file?)');
  if (!r.startsWith('<')) r.fail(`expected '<' to start the root element, got '${r.text.slice(r.pos, r.pos + 20)}'`);
  const root = readElement(r);
  skipMisc(r);
  if (!r.eof()) r.fail('unexpected content after the root element');
  return { root, doctypeSystemId };
}

/** First child element named `name`, or undefined. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** Text of the element at `path` (child names), or undefined when a step is missing. */
export function textAt(el: XmlElement, ...path: string[]): string | undefined {
  let cur: XmlElement | undefined = el;
  for (const step of path) {
    cur = cur ? child(cur, step) : undefined;
  }
  return cur?.text;
}
