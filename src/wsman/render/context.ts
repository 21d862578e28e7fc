/** What the renderers need to know about the request they answer. */
import type { CimClass, CimInstance } from '../../cim/types.js';
import type { UriForm } from '../uris.js';

export interface RenderContext {
  /** the URI form the request used: instance namespaces and EPRs follow it */
  readonly uriForm: UriForm;
  /** the namespace of the request (repository spelling) */
  readonly namespace: string;
  /** EPR Address for a reference to an instance on `host` (anonymous for the answering host) */
  readonly address: (host?: string) => string;
  /** msftwinrm:UsePreciseArrays was requested */
  readonly preciseArrays: boolean;
  /** class lookup in the request's namespace (for references and embedded instances) */
  readonly classOf: (className: string) => CimClass | undefined;
  /** CIM-XML text of an instance, for EmbeddedInstance string values */
  readonly embeddedText: (inst: CimInstance) => string;
}
