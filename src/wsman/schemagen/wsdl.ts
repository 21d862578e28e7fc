/**
 * WSDL 1.1 of a CIM class with methods: one document/literal operation per method over SOAP 1.2,
 * messages referring to the `<Method>_INPUT` / `<Method>_OUTPUT` elements of the class XSD.
 * The action of a request is `<resource URI>/<Method>` and of its response the same + "Response"
 * (wire notes §1.2, DSP0230 §10.3), given both as WS-Addressing (2004/08, what WS-Management
 * uses) and WS-Addressing Metadata (wsam) attributes.
 */
import type { CimClass } from '../../cim/types.js';
import { XmlWriter } from './xml-writer.js';
import { GENERATED_MARKER } from './xsd.js';
import { XS_NS } from './cim-xsd-types.js';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const WSA_NS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const WSAM_NS = 'http://www.w3.org/2007/05/addressing/metadata';
const HTTP_TRANSPORT = 'http://schemas.xmlsoap.org/soap/http';

export interface ClassWsdlOptions {
  /** the class resource URI (target namespace of the class XSD) */
  readonly namespaceUri: string;
  /** location of the class XSD, relative to the WSDL file */
  readonly xsdLocation: string;
}

/** The WSDL of a class, or undefined when the class has no methods. */
export function generateClassWsdl(cls: CimClass, opts: ClassWsdlOptions): string | undefined {
  const methods = [...cls.methods.values()].sort((a, b) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  if (methods.length === 0) return undefined;
  const uri = opts.namespaceUri;
  const w = new XmlWriter();
  w.comment(GENERATED_MARKER);
  w.open('wsdl:definitions', [
    ['name', cls.name],
    ['targetNamespace', uri],
    ['xmlns:tns', uri],
    ['xmlns:wsdl', WSDL_NS],
    ['xmlns:soap12', SOAP12_NS],
    ['xmlns:wsa', WSA_NS],
    ['xmlns:wsam', WSAM_NS],
    ['xmlns:xs', XS_NS],
  ]);

  // a schema cannot import its own target namespace, so the import sits in a no-namespace schema
  w.open('wsdl:types');
  w.open('xs:schema');
  w.empty('xs:import', [['namespace', uri], ['schemaLocation', opts.xsdLocation]]);
  w.close();
  w.close();

  for (const m of methods) {
    for (const dir of ['INPUT', 'OUTPUT'] as const) {
      w.open('wsdl:message', [['name', `${m.name}_${dir}`]]);
      w.empty('wsdl:part', [['name', 'parameters'], ['element', `tns:${m.name}_${dir}`]]);
      w.close();
    }
  }

  w.open('wsdl:portType', [['name', `${cls.name}_PortType`]]);
  for (const m of methods) {
    const action = `${uri}/${m.name}`;
    w.open('wsdl:operation', [['name', m.name]]);
    w.empty('wsdl:input', [['message', `tns:${m.name}_INPUT`], ['wsa:Action', action], ['wsam:Action', action]]);
    w.empty('wsdl:output', [['message', `tns:${m.name}_OUTPUT`], ['wsa:Action', `${action}Response`], ['wsam:Action', `${action}Response`]]);
    w.close();
  }
  w.close();

  w.open('wsdl:binding', [['name', `${cls.name}_Binding`], ['type', `tns:${cls.name}_PortType`]]);
  w.empty('soap12:binding', [['style', 'document'], ['transport', HTTP_TRANSPORT]]);
  for (const m of methods) {
    w.open('wsdl:operation', [['name', m.name]]);
    w.empty('soap12:operation', [['soapAction', `${uri}/${m.name}`], ['style', 'document']]);
    w.open('wsdl:input');
    w.empty('soap12:body', [['use', 'literal']]);
    w.close();
    w.open('wsdl:output');
    w.empty('soap12:body', [['use', 'literal']]);
    w.close();
    w.close();
  }
  w.close();

  w.close();
  return w.toString();
}
