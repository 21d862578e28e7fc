/**
 * PowerShell:
 *
 *   $s = New-CimSession -ComputerName hv1 -Authentication Basic -Credential $cred -SkipTestConnection
 *   Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem
 *
 * On the wire (climbe capture, MI client): one Enumerate on the DMTF class URI with
 * `__cimnamespace`, the full MI OptionSet, OptimizeEnumeration + MaxElements 32000 +
 * EnumerateObjectAndEPR; then Pulls while a context remains. Every answer: the Windows header
 * (ActivityId, no OperationID/SequenceId echo), `w:Item` = instance (DMTF namespace, xsi:type) then
 * its EPR (DMTF URI, `__cimnamespace` first), null arrays with `m:IsNullArray` (UsePreciseArrays).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attr, childElements, textOf } from '../../../src/xml/dom.js';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import {
  expectDmtfEpr, expectDmtfInstance, expectWindowsHeader, instanceValues, MI_URI, MiSession, objectAndEpr,
} from '../../helpers/mi-client.js';
import { find, findOne, NS } from '../../helpers/wsman-client.js';
import { capture, expectWindowsPropertyOrder, fillPlaceholders, sendRaw, V2 } from './lab.js';

const ENUMERATE_RESPONSE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('Get-CimInstance -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem', () => {
  test('the recorded request, sent as PowerShell sent it, is answered with every computer system as object + EPR', async () => {
    const s = new MiSession(lab.url('HV1'));
    // climbe's capture: URL, class and namespace were left as ~A placeholders
    const xml = fillPlaceholders(capture('climbe-powershell-get-ciminstance-enumerate.request.xml'), [lab.url('HV1'), 'Msvm_ComputerSystem', V2]);
    const ex = await sendRaw(s, xml);
    expect(ex.http.status).toBe(200);
    expectWindowsHeader(ex, ENUMERATE_RESPONSE);
    const resp = findOne(ex.doc, NS.n, 'EnumerateResponse');
    // everything fits in the first answer: empty context, w:Items, w:EndOfSequence (V pypsrp, txwinrm)
    expect(childElements(resp).map((c) => c.local)).toEqual(['EnumerationContext', 'Items', 'EndOfSequence']);
    expect(textOf(findOne(resp, NS.n, 'EnumerationContext'))).toBe('');
    expect(findOne(resp, NS.w, 'Items').ns).toBe(NS.w);
    const items = childElements(findOne(resp, NS.w, 'Items'));
    expect(items.length).toBeLessThanOrEqual(32000);
    const names = items.map((i) => instanceValues(objectAndEpr(i).instance).ElementName);
    expect(names.sort()).toEqual(['HV1', 'build01', 'db01', 'legacy01', 'test01', 'web01'].sort());
  });

  test('the session helper writes the recorded envelope byte for byte (ids aside)', () => {
    const s = new MiSession('http://hv1:5985/wsman', { locale: 'en-GB', operationTimeout: 'PT1.000S' });
    const recorded = fillPlaceholders(capture('climbe-powershell-get-ciminstance-enumerate.request.xml'), ['http://hv1:5985/wsman', 'Msvm_ComputerSystem', V2]);
    const ids = (x: string) => x.replace(/uuid:[0-9A-F-]{36}/g, 'uuid:X');
    const ours = s.envelope({
      action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', resourceUri: MI_URI.dmtfClass + 'Msvm_ComputerSystem', enumeration: true,
      selectors: s.selectors(),
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>',
    }).xml;
    expect(ids(ours)).toBe(ids(recorded).trimEnd());
  });

  test('the session helper writes the same request and walks the Pulls until EndOfSequence', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.getCimInstance('Msvm_ComputerSystem');
    expect(r.fault).toBeUndefined();
    // the helper's envelope has the capture's structure: same header order, selectors and options
    const sent = r.exchanges[0].request;
    const order = [...sent.matchAll(/<(?:a|w|p):(\w+)[ >]/g)].map((m) => m[1]);
    expect(order.slice(0, 16)).toEqual([
      'To', 'ResourceURI', 'ReplyTo', 'Address', 'Action', 'MaxEnvelopeSize', 'MessageID', 'Locale', 'DataLocale',
      'SessionId', 'OperationID', 'SequenceId', 'SelectorSet', 'Selector', 'OptionSet', 'Option',
    ]);
    expect(r.items).toHaveLength(6);
    for (const item of r.items) {
      const { instance, epr } = objectAndEpr(item);
      expectDmtfInstance(instance, 'Msvm_ComputerSystem');
      expectWindowsPropertyOrder(instance);
      expectDmtfEpr(epr, 'Msvm_ComputerSystem', V2);
      // keys in MOF order after __cimnamespace, with the instance's own values
      const v = instanceValues(instance);
      expect(epr.selectors.slice(1)).toEqual([['CreationClassName', 'Msvm_ComputerSystem'], ['Name', String(v.Name)]]);
    }
  });

  test('the VM as PowerShell reads it: v2 EnabledState, Description, ProcessID, and null arrays marked IsNullArray', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.getCimInstance('Msvm_ComputerSystem');
    const web = r.items.map((i) => objectAndEpr(i).instance).find((i) => instanceValues(i).Name === VM.web01)!;
    const v = instanceValues(web);
    expect(v).toMatchObject({ ElementName: 'web01', Description: 'Microsoft Virtual Machine', EnabledState: '2', Caption: 'Virtual Machine' });
    expect(Number(v.ProcessID)).toBeGreaterThan(0);
    const saved = r.items.map((i) => objectAndEpr(i).instance).find((i) => instanceValues(i).Name === VM.legacy01)!;
    expect(instanceValues(saved).EnabledState).toBe('6'); // v2 numbering: Saved = 6 (hyperv-behaviour.md)
    // UsePreciseArrays (msftwinrm option): a null array is one element with xsi:nil and m:IsNullArray
    const nullArray = childElements(web).find((c) => c.local === 'OtherIdentifyingInfo')!;
    expect(attr(nullArray, 'nil', NS.xsi)).toBe('true');
    expect(attr(nullArray, 'IsNullArray', NS.p)).toBe('true');
    // a datetime is a cim:Datetime child (txwinrm 2012 capture)
    const t = childElements(web).find((c) => c.local === 'TimeOfLastStateChange')!;
    expect(childElements(t).map((c) => `${c.ns === NS.cim ? 'cim' : c.ns}:${c.local}`)).toEqual(['cim:Datetime']);
  });

  test('a client without UsePreciseArrays gets plain xsi:nil for null arrays', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.enumerate(MI_URI.dmtfClass + 'Msvm_ComputerSystem', '', 'EnumerateObjectAndEPR');
    const plain = await s.send({
      action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', resourceUri: MI_URI.dmtfClass + 'Msvm_ComputerSystem', enumeration: true,
      selectors: s.selectors(), options: [],
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>',
    });
    expect(r.exchanges[0].http.text).toContain('m:IsNullArray="true"');
    expect(plain.http.text).not.toContain('IsNullArray');
    expect(find(plain.doc, NS.w, 'Item')).toHaveLength(0); // objects only, no EPRs without EnumerationMode
  });

  test('names are matched case-insensitively and written back in the repository spelling', async () => {
    const s = new MiSession(lab.url('HV1'), { namespace: 'ROOT/Virtualization/V2' });
    const r = await s.getCimInstance('msvm_computersystem');
    expect(r.items).toHaveLength(6);
    const { instance, epr } = objectAndEpr(r.items[0]);
    expectDmtfInstance(instance, 'Msvm_ComputerSystem');
    expectDmtfEpr(epr, 'Msvm_ComputerSystem', V2);
  });

  test('headers written one per line with ActivityId (omi test captures) are trimmed and never echoed as robust-connection headers', async () => {
    const s = new MiSession(lab.url('HV1'), { newlines: true, activityId: true, operationTimeout: 'PT1.000S' });
    const r = await s.getCimInstance('Msvm_ComputerSystem');
    expect(r.items).toHaveLength(6);
    expectWindowsHeader(r.exchanges[0], ENUMERATE_RESPONSE);
  });

  test('small batches: every Pull keeps the context until the last one, which ends the sequence', async () => {
    const s = new MiSession(lab.url('HV1'));
    const first = await s.send({
      action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', resourceUri: MI_URI.dmtfClass + 'Msvm_ComputerSystem', enumeration: true,
      selectors: s.selectors(),
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>',
    });
    const resp = findOne(first.doc, NS.n, 'EnumerateResponse');
    expect(childElements(findOne(resp, NS.w, 'Items'))).toHaveLength(2);
    expect(find(resp, NS.w, 'EndOfSequence')).toHaveLength(0);
    let ctx = textOf(findOne(resp, NS.n, 'EnumerationContext'));
    expect(ctx).toMatch(/^uuid:[0-9A-F-]{36}$/);
    let total = 2;
    for (;;) {
      const p = await s.send({
        action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull', resourceUri: MI_URI.dmtfClass + 'Msvm_ComputerSystem', enumeration: true,
        selectors: s.selectors(), body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>2</n:MaxElements></n:Pull>`,
      });
      expectWindowsHeader(p, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse');
      const pr = findOne(p.doc, NS.n, 'PullResponse');
      const n = childElements(findOne(pr, NS.n, 'Items')).length;
      expect(n).toBeLessThanOrEqual(2);
      total += n;
      const c = find(pr, NS.n, 'EnumerationContext')[0];
      if (!c) {
        expect(find(pr, NS.n, 'EndOfSequence')).toHaveLength(1);
        break;
      }
      ctx = textOf(c);
    }
    expect(total).toBe(6);
  });
});
