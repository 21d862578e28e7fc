/**
 * The XPath subset of test/helpers/xpath.ts behaves like openwsman's xml_parser_get_xpath_value on
 * the shapes libvirt reads — so the scripts' passes mean what they claim.
 */
import { describe, expect, test } from 'vitest';
import { parse } from '../../helpers/wsman-client.js';
import { openwsmanNamespaces, xpathSelect, xpathValue } from '../../helpers/xpath.js';

const S = 'http://www.w3.org/2003/05/soap-envelope';
const A = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const W = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';
const MS = 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd';
const CLS = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem';

const answer = (body: string, envelopeDecls = '') =>
  parse(`<s:Envelope xmlns:s="${S}" xmlns:a="${A}" xmlns:w="${W}" xmlns:p="${MS}"${envelopeDecls}><s:Header/><s:Body>${body}</s:Body></s:Envelope>`);

const OUTPUT = `<p:RequestStateChange_OUTPUT xmlns:p="${CLS}"><p:Job><a:Address>x</a:Address><a:ReferenceParameters><w:ResourceURI>u</w:ResourceURI>` +
  `<w:SelectorSet><w:Selector Name="Other">no</w:Selector><w:Selector Name="InstanceID">ID-1</w:Selector></w:SelectorSet></a:ReferenceParameters></p:Job>` +
  `<p:ReturnValue>4096</p:ReturnValue></p:RequestStateChange_OUTPUT>`;

describe('openwsman-style XPath', () => {
  test('p is the OUTPUT element\'s binding (registered after the Envelope\'s), so libvirt\'s paths resolve', () => {
    const doc = answer(OUTPUT);
    expect(openwsmanNamespaces(doc).p).toBe(CLS);
    expect(xpathValue(doc, '/s:Envelope/s:Body/p:RequestStateChange_OUTPUT/p:ReturnValue')).toBe('4096');
    expect(xpathValue(doc, "/s:Envelope/s:Body/p:RequestStateChange_OUTPUT/p:Job/a:ReferenceParameters/w:SelectorSet/w:Selector[@Name='InstanceID']")).toBe('ID-1');
    expect(xpathValue(doc, "//w:Selector[@Name='InstanceID']")).toBe('ID-1');
  });

  test('a wrong namespace, a missing element or a wrong prefix binding selects nothing', () => {
    const doc = answer(OUTPUT.replaceAll(CLS, CLS + 'X'));
    expect(xpathValue(doc, '/s:Envelope/s:Body/p:RequestStateChange_OUTPUT/p:ReturnValue')).toBe('4096'); // p follows the answer's own binding
    expect(xpathValue(answer(OUTPUT), '/s:Envelope/s:Body/p:DefineSystem_OUTPUT/p:ReturnValue')).toBeUndefined();
    // with no p on the body child, p stays the Envelope's Microsoft namespace: the path misses
    const unprefixed = answer(`<q:RequestStateChange_OUTPUT xmlns:q="${CLS}"><q:ReturnValue>0</q:ReturnValue></q:RequestStateChange_OUTPUT>`);
    expect(openwsmanNamespaces(unprefixed).p).toBe(MS);
    expect(xpathValue(unprefixed, '/s:Envelope/s:Body/p:RequestStateChange_OUTPUT/p:ReturnValue')).toBeUndefined();
  });

  test('a default namespace in scope stops openwsman\'s registration: refused', () => {
    expect(() => openwsmanNamespaces(answer(`<X xmlns="urn:x"/>`))).toThrow(/default namespace/);
  });

  test('the value is the text of the first match (direct text children), untrimmed', () => {
    const doc = answer(`<p:Out xmlns:p="${CLS}"><p:V> 1 <p:Inner>2</p:Inner></p:V><p:V>3</p:V></p:Out>`);
    expect(xpathValue(doc, '/s:Envelope/s:Body/p:Out/p:V')).toBe(' 1 ');
    expect(xpathSelect(doc, '/s:Envelope/s:Body/p:Out/p:V')).toHaveLength(2);
    expect(xpathValue(doc, '/s:Envelope/s:Body/p:Out/p:V[2]')).toBe('3');
    expect(() => xpathValue(doc, '/s:Envelope/q:Body')).toThrow(/not registered/);
  });
});
