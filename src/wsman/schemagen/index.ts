/**
 * The complete set of generated schema artefacts for a registry, in memory: one XSD per class,
 * one WSDL per class with methods, and the common `cim:` schema. The generate script writes
 * them; a unit test regenerates and compares byte for byte with the committed files.
 *
 * Layout (paths relative to the project root):
 * - schemas/dsp8004-common.xsd
 * - schemas/<Class>.xsd, wsdl/<Class>.wsdl for the primary namespace (root/virtualization/v2);
 * - schemas/<ns>/<Class>.xsd, wsdl/<ns>/<Class>.wsdl for every other namespace, <ns> being the
 *   namespace with '/' replaced by '_' (e.g. root_cimv2): class names repeat across namespaces
 *   (root/cimv2 has its own CIM_ComputerSystem), so they cannot share one folder.
 */
import type { CimRegistry } from '../../cim/registry.js';
import { wmiClassUri } from '../uris.js';
import { generateClassWsdl } from './wsdl.js';
import { generateClassXsd, generateCommonXsd } from './xsd.js';

export const PRIMARY_NAMESPACE = 'root/virtualization/v2';
export const COMMON_XSD_PATH = 'schemas/dsp8004-common.xsd';

export interface GeneratedFile {
  /** project-relative path with forward slashes */
  readonly path: string;
  readonly content: string;
}

function folderOf(ns: string): string {
  return ns.toLowerCase() === PRIMARY_NAMESPACE ? '' : ns.replace(/[\\/]/g, '_') + '/';
}

/** Every generated file, sorted by path. */
export function generateSchemaFiles(registry: CimRegistry): GeneratedFile[] {
  const files: GeneratedFile[] = [{ path: COMMON_XSD_PATH, content: generateCommonXsd() }];
  for (const ns of registry.namespaces()) {
    const sub = folderOf(ns);
    const up = sub ? '../' : '';
    for (const cls of registry.classes(ns)) {
      const uri = wmiClassUri(ns, cls.name);
      const xsdPath = `schemas/${sub}${cls.name}.xsd`;
      files.push({ path: xsdPath, content: generateClassXsd(cls, { namespaceUri: uri, commonSchemaLocation: `${up}dsp8004-common.xsd` }) });
      const wsdl = generateClassWsdl(cls, { namespaceUri: uri, xsdLocation: `${up}../schemas/${sub}${cls.name}.xsd` });
      if (wsdl !== undefined) files.push({ path: `wsdl/${sub}${cls.name}.wsdl`, content: wsdl });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
