/**
 * Escaping for XML we write by hand. Responses are built as strings (see src/soap/writer.ts for
 * why); every piece of text or attribute value that is not a constant goes through here.
 *
 * Windows replaces control characters 0x01–0x1F other than TAB, LF and CR with '?' in responses
 * (MS-WSMV 3.1.4.1.25); XML 1.0 cannot carry them anyway.
 */

const TEXT_RE = /[&<>\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;
const ATTR_RE = /[&<>"'\u0000-\u001f\ud800-\udfff\ufffe\uffff]/;

function replaceText(s: string, attr: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x26: out += '&amp;'; continue;
      case 0x3c: out += '&lt;'; continue;
      case 0x3e: out += '&gt;'; continue;
    }
    if (attr) {
      if (c === 0x22) { out += '&quot;'; continue; }
      if (c === 0x27) { out += '&apos;'; continue; }
      if (c === 0x09) { out += '&#9;'; continue; }
      if (c === 0x0a) { out += '&#10;'; continue; }
      if (c === 0x0d) { out += '&#13;'; continue; }
    }
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) { out += '?'; continue; }
    if (c === 0x0d) { out += '&#13;'; continue; }
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { out += s[i] + s[i + 1]; i++; continue; }
      out += '?';
      continue;
    }
    if ((c >= 0xdc00 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) { out += '?'; continue; }
    out += s[i];
  }
  return out;
}

/** Escape element content. */
export function escapeText(s: string): string {
  return TEXT_RE.test(s) || s.includes('\r') ? replaceText(s, false) : s;
}

/** Escape an attribute value (for double-quoted attributes). */
export function escapeAttr(s: string): string {
  return ATTR_RE.test(s) ? replaceText(s, true) : s;
}

/** Wrap text in CDATA, splitting any `]]>` so the section stays well formed. */
export function cdata(s: string): string {
  return '<![CDATA[' + s.split(']]>').join(']]]]><![CDATA[>') + ']]>';
}
