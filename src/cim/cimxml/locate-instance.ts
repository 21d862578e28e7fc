/**
 * Find the one INSTANCE in an embedded-instance document, whatever wraps it.
 *
 * What arrives in an EmbeddedInstance string parameter:
 * - a bare `<INSTANCE>` (libvirt hypervSerializeEmbeddedParam, WMI GetText_ with PathLevel 0);
 * - `<VALUE.NAMEDOBJECT>` / `<VALUE.OBJECTWITHLOCALPATH>` / `<VALUE.OBJECTWITHPATH>` (GetText_ with
 *   PathLevel 1–3, MicrosoftDocs "Representing Objects in XML");
 * - `<CIM><DECLARATION><DECLGROUP>` holding VALUE.OBJECTs for the instance's class chain and then
 *   the instance (Microsoft's MI serializer with MI_SERIALIZER_FLAGS_INSTANCE_WITH_CLASS, what
 *   PowerShell's CimSerializer produces; OMI xmlserializer.c XmlSerializer_SerializeInstanceEx).
 * Class declarations and paths around the instance are skipped; anything else is an error.
 */
import { CimValueError } from '../errors.js';
import type { XmlElement } from '../../xml/dom.js';
import { elementChildren } from './markup.js';

/** Elements whose children may lead to the instance. */
const CONTAINERS: ReadonlySet<string> = new Set([
  'CIM', 'DECLARATION', 'DECLGROUP', 'DECLGROUP.WITHNAME', 'DECLGROUP.WITHPATH',
  'VALUE.OBJECT', 'VALUE.NAMEDOBJECT', 'VALUE.NAMEDINSTANCE',
  'VALUE.OBJECTWITHPATH', 'VALUE.OBJECTWITHLOCALPATH', 'VALUE.INSTANCEWITHPATH',
]);

/** Siblings of the instance that say where it lives or what its class is: not needed here. */
const SKIPPED: ReadonlySet<string> = new Set([
  'CLASS', 'INSTANCENAME', 'INSTANCEPATH', 'LOCALINSTANCEPATH', 'CLASSPATH', 'LOCALCLASSPATH',
  'NAMESPACEPATH', 'LOCALNAMESPACEPATH', 'QUALIFIER.DECLARATION',
]);

export function locateInstance(root: XmlElement, where: string): XmlElement {
  if (root.local === 'INSTANCE') return root;
  if (root.local === 'CLASS') throw new CimValueError(`${where}: the document is a class declaration, not an instance.`);
  if (!CONTAINERS.has(root.local)) throw new CimValueError(`${where}: expected an <INSTANCE> element, found <${root.local}>.`);
  const found: XmlElement[] = [];
  let classes = 0;
  const walk = (el: XmlElement) => {
    for (const c of elementChildren(el, where)) {
      if (c.local === 'INSTANCE') found.push(c);
      else if (c.local === 'CLASS') classes++;
      else if (CONTAINERS.has(c.local)) walk(c);
      else if (!SKIPPED.has(c.local)) throw new CimValueError(`${where}: unexpected <${c.local}> inside <${el.local}>.`);
    }
  };
  walk(root);
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new CimValueError(classes ? `${where}: the document holds class declarations but no instance.` : `${where}: the document holds no <INSTANCE>.`);
  }
  throw new CimValueError(`${where}: the document holds ${found.length} instances; exactly one is expected.`);
}
