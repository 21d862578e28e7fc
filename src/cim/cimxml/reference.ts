/**
 * Instance references in CIM-XML: `<VALUE.REFERENCE>` holding an INSTANCEPATH (host + namespace),
 * a LOCALINSTANCEPATH (namespace) or a bare INSTANCENAME (DSP0201 §3.2.5), each INSTANCENAME being a
 * class name plus KEYBINDINGs. Key values are typed by the referenced class when it is known; a
 * reference into another namespace (whose classes the lookup cannot see) is typed by the
 * KEYVALUE's own TYPE / VALUETYPE attributes instead.
 */
import { CimValueError } from '../errors.js';
import type { CimClass, CimPropertyDecl, CimRef, CimScalar, CimType } from '../types.js';
import { isDateTime, isRef, nameKey } from '../types.js';
import { checkValue } from '../values.js';
import type { XmlElement } from '../../xml/dom.js';
import { escapeText } from '../../xml/escape.js';
import { attr, elementChildren, requiredAttr, startTag, textContent } from './markup.js';
import { formatScalar, parseScalar } from './scalar-text.js';
import type { ClassLookup } from './types.js';

const KEY_TYPES: ReadonlySet<string> = new Set([
  'boolean', 'string', 'char16', 'uint8', 'sint8', 'uint16', 'sint16', 'uint32', 'sint32', 'uint64', 'sint64', 'datetime', 'real32', 'real64',
]);

// ---- writing ----------------------------------------------------------------------------------

function localNamespacePath(ns: string): string {
  const parts = ns.split(/[\\/]/).filter((p) => p !== '');
  if (parts.length === 0) throw new CimValueError(`The namespace '${ns}' cannot be written as a CIM-XML namespace path.`);
  return '<LOCALNAMESPACEPATH>' + parts.map((p) => startTag('NAMESPACE', [['NAME', p]]) + '</NAMESPACE>').join('') + '</LOCALNAMESPACEPATH>';
}

/** CIM type of a key value whose declaration is unknown (reference into a class we cannot see). */
function inferKeyType(v: CimScalar): CimType {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint') return v < 0n ? 'sint64' : 'uint64';
  if (typeof v === 'number') return Number.isInteger(v) ? (v < 0 ? 'sint64' : 'uint64') : 'real64';
  if (isDateTime(v)) return 'datetime';
  throw new CimValueError('A key value must be a scalar or a reference.');
}

function keyValue(name: string, v: CimScalar, decl: CimPropertyDecl | undefined, classOf: ClassLookup | undefined): string {
  if (decl) checkValue(decl, v);
  if (isRef(v)) return writeValueReference(v, classOf);
  const type = decl ? decl.type : inferKeyType(v);
  if (!KEY_TYPES.has(type)) throw new CimValueError(`The key '${name}' has type ${type}, which a KEYVALUE cannot carry.`, name);
  const valueType = type === 'boolean' ? 'boolean' : type === 'string' || type === 'char16' || type === 'datetime' ? 'string' : 'numeric';
  return startTag('KEYVALUE', [['VALUETYPE', valueType], ['TYPE', type]]) + escapeText(formatScalar(type, v, 'lower')) + '</KEYVALUE>';
}

function instanceName(ref: CimRef, target: CimClass | undefined, classOf: ClassLookup | undefined): string {
  let s = startTag('INSTANCENAME', [['CLASSNAME', target?.name ?? ref.className]]);
  for (const [k, v] of Object.entries(ref.keys)) {
    const decl = target?.properties.get(nameKey(k));
    if (target && !decl) throw new CimValueError(`The reference to ${target.name} names the key '${k}', which the class does not declare.`, k);
    s += startTag('KEYBINDING', [['NAME', decl?.name ?? k]]) + keyValue(k, v, decl, classOf) + '</KEYBINDING>';
  }
  return s + '</INSTANCENAME>';
}

/**
 * `<VALUE.REFERENCE>` for a reference: INSTANCEPATH when it names a host, LOCALINSTANCEPATH when
 * it names a namespace, INSTANCENAME otherwise (the same choice as Microsoft's MI serializer,
 * OMI xmlserializer.c WriteBuffer_InstanceReference).
 */
export function writeValueReference(ref: CimRef, classOf?: ClassLookup): string {
  const target = classOf?.(ref.className);
  const name = instanceName(ref, target, classOf);
  let inner: string;
  if (ref.host !== undefined) {
    const ns = ref.namespace ?? target?.namespace;
    if (!ns) throw new CimValueError(`The reference to ${ref.className} names host '${ref.host}' but no namespace; CIM-XML needs both.`);
    inner = `<INSTANCEPATH><NAMESPACEPATH><HOST>${escapeText(ref.host)}</HOST>${localNamespacePath(ns)}</NAMESPACEPATH>${name}</INSTANCEPATH>`;
  } else if (ref.namespace !== undefined) {
    inner = `<LOCALINSTANCEPATH>${localNamespacePath(ref.namespace)}${name}</LOCALINSTANCEPATH>`;
  } else {
    inner = name;
  }
  return `<VALUE.REFERENCE>${inner}</VALUE.REFERENCE>`;
}

// ---- reading ----------------------------------------------------------------------------------

function readLocalNamespacePath(el: XmlElement, where: string): string {
  const parts: string[] = [];
  for (const c of elementChildren(el, where)) {
    if (c.local !== 'NAMESPACE') throw new CimValueError(`${where}: unexpected <${c.local}> in a namespace path.`);
    const name = requiredAttr(c, 'NAME', where);
    // one path element per NAMESPACE: empty or slashed names would not survive being written back
    if (name === '' || /[\\/]/.test(name)) throw new CimValueError(`${where}: '${name}' is not a valid namespace name.`);
    parts.push(name);
  }
  if (parts.length === 0) throw new CimValueError(`${where}: the namespace path is empty.`);
  return parts.join('/');
}

/** A KEYVALUE whose key has no declaration we can see: typed by its TYPE, else its VALUETYPE. */
function untypedKeyValue(el: XmlElement, text: string, where: string): CimScalar {
  const t = attr(el, 'TYPE');
  if (t !== undefined) {
    if (!KEY_TYPES.has(t)) throw new CimValueError(`${where}: TYPE="${t}" is not a CIM type.`);
    return parseScalar(t as CimType, text, where);
  }
  switch (attr(el, 'VALUETYPE') ?? 'string') {
    case 'string':
      return text;
    case 'boolean':
      return parseScalar('boolean', text, where);
    case 'numeric': {
      const s = text.trim();
      // No declaration to say which integer type: take the widest that fits, reals as real64.
      if (/^[+-]?(0[xX][0-9a-fA-F]+|\d+)$/.test(s)) return parseScalar(s.startsWith('-') ? 'sint64' : 'uint64', s, where);
      return parseScalar('real64', s, where);
    }
    default:
      throw new CimValueError(`${where}: VALUETYPE="${attr(el, 'VALUETYPE')}" is not string, boolean or numeric.`);
  }
}

function readKeyValue(el: XmlElement, keyName: string, target: CimClass | undefined, classOf: ClassLookup, where: string): CimScalar {
  const decl = target?.properties.get(nameKey(keyName));
  if (target && !decl) throw new CimValueError(`${where}: ${target.name} has no property '${keyName}' to use as a key.`, keyName);
  if (el.local === 'VALUE.REFERENCE') {
    if (decl && decl.type !== 'reference') throw new CimValueError(`${where}: the key '${keyName}' is a ${decl.type}, not a reference.`, keyName);
    return readValueReference(el, decl?.refClass, classOf, where);
  }
  if (el.local !== 'KEYVALUE') throw new CimValueError(`${where}: unexpected <${el.local}> where a key value was expected.`);
  const text = textContent(el, where);
  if (!decl) return untypedKeyValue(el, text, where);
  if (decl.type === 'reference' || decl.type === 'instance') {
    throw new CimValueError(`${where}: the key '${keyName}' is a ${decl.type} and cannot be given as a KEYVALUE.`, keyName);
  }
  return parseScalar(decl.type, text, keyName);
}

function readInstanceName(el: XmlElement, expectedClass: string | undefined, classOf: ClassLookup, where: string): { className: string; keys: Record<string, CimScalar> } {
  const cn = requiredAttr(el, 'CLASSNAME', where);
  if (cn === '') throw new CimValueError(`${where}: the reference has an empty CLASSNAME.`);
  const target = classOf(cn);
  if (target && expectedClass && !target.ancestry.some((a) => nameKey(a) === nameKey(expectedClass))) {
    throw new CimValueError(`${where}: the reference points to ${target.name}, which is not a ${expectedClass}.`);
  }
  const keys: Record<string, CimScalar> = {};
  const seen = new Set<string>();
  const add = (name: string, v: CimScalar) => {
    if (seen.has(nameKey(name))) throw new CimValueError(`${where}: the key '${name}' is given twice.`, name);
    seen.add(nameKey(name));
    keys[target?.properties.get(nameKey(name))?.name ?? name] = v;
  };
  const children = elementChildren(el, where);
  for (const c of children) {
    if (c.local === 'KEYBINDING') {
      const name = requiredAttr(c, 'NAME', where);
      if (name === '') throw new CimValueError(`${where}: a KEYBINDING has an empty NAME.`);
      const inner = elementChildren(c, where);
      if (inner.length !== 1) throw new CimValueError(`${where}: the KEYBINDING '${name}' must hold exactly one value.`, name);
      add(name, readKeyValue(inner[0], name, target, classOf, where));
    } else if ((c.local === 'KEYVALUE' || c.local === 'VALUE.REFERENCE') && children.length === 1) {
      // DSP0201 allows a lone unnamed key value for classes with a single key.
      if (!target) throw new CimValueError(`${where}: an unnamed key value needs the class ${cn} to be known.`);
      if (target.keys.length !== 1) throw new CimValueError(`${where}: ${target.name} has ${target.keys.length} keys; name them with KEYBINDING.`);
      add(target.keys[0].name, readKeyValue(c, target.keys[0].name, target, classOf, where));
    } else {
      throw new CimValueError(`${where}: unexpected <${c.local}> in an INSTANCENAME.`);
    }
  }
  return { className: target?.name ?? cn, keys };
}

/** Read a `<VALUE.REFERENCE>`; `expectedClass` is the REF class of the declaration, when there is one. */
export function readValueReference(el: XmlElement, expectedClass: string | undefined, classOf: ClassLookup, where: string): CimRef {
  const children = elementChildren(el, where);
  if (children.length !== 1) throw new CimValueError(`${where}: <VALUE.REFERENCE> must hold exactly one path.`);
  const p = children[0];
  switch (p.local) {
    case 'INSTANCENAME':
      return readInstanceName(p, expectedClass, classOf, where);
    case 'LOCALINSTANCEPATH': {
      const parts = elementChildren(p, where);
      if (parts.length !== 2 || parts[0].local !== 'LOCALNAMESPACEPATH' || parts[1].local !== 'INSTANCENAME') {
        throw new CimValueError(`${where}: <LOCALINSTANCEPATH> must hold LOCALNAMESPACEPATH then INSTANCENAME.`);
      }
      const namespace = readLocalNamespacePath(parts[0], where);
      return { ...readInstanceName(parts[1], expectedClass, classOf, where), namespace };
    }
    case 'INSTANCEPATH': {
      const parts = elementChildren(p, where);
      if (parts.length !== 2 || parts[0].local !== 'NAMESPACEPATH' || parts[1].local !== 'INSTANCENAME') {
        throw new CimValueError(`${where}: <INSTANCEPATH> must hold NAMESPACEPATH then INSTANCENAME.`);
      }
      const nsp = elementChildren(parts[0], where);
      if (nsp.length !== 2 || nsp[0].local !== 'HOST' || nsp[1].local !== 'LOCALNAMESPACEPATH') {
        throw new CimValueError(`${where}: <NAMESPACEPATH> must hold HOST then LOCALNAMESPACEPATH.`);
      }
      const host = textContent(nsp[0], where).trim();
      const namespace = readLocalNamespacePath(nsp[1], where);
      return { ...readInstanceName(parts[1], expectedClass, classOf, where), namespace, host };
    }
    case 'CLASSPATH':
    case 'LOCALCLASSPATH':
    case 'CLASSNAME':
      throw new CimValueError(`${where}: a class reference (<${p.local}>) was given where an instance reference is required.`);
    default:
      throw new CimValueError(`${where}: unexpected <${p.local}> in a VALUE.REFERENCE.`);
  }
}
