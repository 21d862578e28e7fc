/**
 * The WS-Man core over real HTTP against the core test schema: every operation of issue 2 and the
 * faults of wire notes §5.2 that apply to them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startCoreHost, WMI_THING, type CoreHost } from '../helpers/core-host.js';
import {
  ACTION, basic, bodyOf, envelope, faultOf, find, findOne, headerOf, NS, parse, post, text,
} from '../helpers/wsman-client.js';

let h: CoreHost;
beforeAll(async () => {
  h = await startCoreHost();
});
afterAll(async () => {
  await h.close();
});

const IDENTIFY = `<s:Envelope xmlns:s="${NS.s}" xmlns:wsmid="${NS.wsmid}"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`;
const DMTF_THING = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/T_Thing';

const get = (uri: string, selectors?: Record<string, string>, extra: Partial<Parameters<typeof envelope>[0]> = {}) =>
  envelope({ action: ACTION.get, resourceUri: uri, selectors, ...extra });

describe('Identify', () => {
  test('authenticated: real version and security profiles, empty header, wsmid on the response element', async () => {
    const r = await post(h.url, IDENTIFY);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<s:Header/>');
    expect(r.text).toMatch(/<wsmid:IdentifyResponse xmlns:wsmid="http:\/\/schemas.dmtf.org\/wbem\/wsman\/identity\/1\/wsmanidentity.xsd">/);
    const doc = parse(r.text);
    expect(text(findOne(doc, NS.wsmid, 'ProductVendor'))).toBe('Microsoft Corporation');
    expect(text(findOne(doc, NS.wsmid, 'ProductVersion'))).toBe('OS: 10.0.20348 SP: 0.0 Stack: 3.0');
    expect(find(doc, NS.wsmid, 'SecurityProfileName').map(text)).toContain('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic');
  });
  test('no Action and an empty body is an Identify too', async () => {
    const r = await post(h.url, `<s:Envelope xmlns:s="${NS.s}"><s:Header/><s:Body/></s:Envelope>`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('IdentifyResponse');
  });
  test('anonymous only with WSMANIDENTIFY: unauthenticated, answering 0.0.0 without profiles', async () => {
    const r = await post(h.url, IDENTIFY, { Authorization: '', WSMANIDENTIFY: 'unauthenticated' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('OS: 0.0.0 SP: 0.0 Stack: 3.0');
    expect(r.text).not.toContain('SecurityProfiles');
    const r2 = await post(h.url, IDENTIFY, { Authorization: '' });
    expect(r2.status).toBe(401);
  });
  test('an anonymous caller cannot do anything but Identify', async () => {
    const r = await post(h.url, get(WMI_THING, { Id: 'one' }).xml, { Authorization: '', WSMANIDENTIFY: 'unauthenticated' });
    expect(r.status).toBe(401);
  });
});

describe('HTTP', () => {
  test('401 lists the enabled schemes, closes, and has an empty body', async () => {
    const r = await post(h.url, IDENTIFY, { Authorization: basic('Administrator', 'wrong') });
    expect(r.status).toBe(401);
    expect(r.body.length).toBe(0);
    expect(r.headers['www-authenticate']).toContain('Basic realm="WSMAN"');
    expect(r.headers.connection).toBe('close');
    expect(r.headers.server).toBe('Microsoft-HTTPAPI/2.0');
  });
  test('other paths are 404, other methods 405, other content types 415', async () => {
    expect((await post(h.url.replace('/wsman', '/other'), IDENTIFY)).status).toBe(404);
    expect((await post(h.url, '', {}, { method: 'GET' })).status).toBe(405);
    expect((await post(h.url, IDENTIFY, { 'Content-Type': 'text/plain' })).status).toBe(415);
  });
  test('413 above the size limit', async () => {
    const big = Buffer.alloc(600 * 1024, 0x20);
    const r = await post(h.url, big, {}, { agent: false });
    expect(r.status).toBe(413);
  });
  test('UTF-16 requests are answered in UTF-16 with a BOM', async () => {
    const body = Buffer.from('\ufeff' + get(WMI_THING, { Id: 'one' }).xml, 'utf16le');
    const r = await post(h.url, body, { 'Content-Type': 'application/soap+xml;charset=UTF-16' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/soap+xml;charset=UTF-16');
    expect([...r.body.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(r.body.subarray(2).toString('utf16le')).toContain('<p:Label>First</p:Label>');
  });
  test('a charset that disagrees with the BOM is refused', async () => {
    const body = Buffer.from('\ufeff' + get(WMI_THING, { Id: 'one' }).xml, 'utf16le');
    const r = await post(h.url, body, { 'Content-Type': 'application/soap+xml;charset=UTF-8' });
    expect(r.status).toBe(400);
  });
});

describe('Get', () => {
  test('WMI form: Windows header order, RelatesTo, fresh uuid MessageID, instance in Windows shape', async () => {
    const { xml, messageId } = get(WMI_THING, { Id: 'one' });
    const r = await post(h.url, xml);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/soap+xml;charset=UTF-8');
    const doc = parse(r.text);
    const hdr = headerOf(doc);
    expect(hdr.children.filter((c) => c.kind === 'element').map((c) => (c as { local: string }).local)).toEqual([
      'Action', 'MessageID', 'ActivityId', 'To', 'RelatesTo',
    ]);
    expect(text(findOne(hdr, NS.a, 'RelatesTo'))).toBe(messageId);
    expect(text(findOne(hdr, NS.a, 'MessageID'))).toMatch(/^uuid:[0-9A-F-]{36}$/);
    expect(text(findOne(hdr, NS.a, 'MessageID'))).not.toBe(messageId);
    expect(r.text).toMatch(/^<s:Envelope xml:lang="en-US" xmlns:s=/);
    const inst = bodyOf(doc).children[0] as import('../../src/xml/dom.js').XmlElement;
    expect(inst.local).toBe('T_Thing');
    expect(inst.ns).toBe(WMI_THING);
    const names = inst.children.filter((c) => c.kind === 'element').map((c) => (c as { local: string }).local);
    expect(names).toEqual(['Caption', 'Count', 'Delta', 'Elapsed', 'Flag', 'Id', 'Label', 'Octets', 'Octets', 'Octets', 'Ratio', 'Tags', 'Tags', 'When']);
    expect(r.text).toContain('<p:Caption xsi:nil="true"/>');
    expect(r.text).toContain('<p:When><cim:Datetime>2024-01-02T03:04:05.0005Z</cim:Datetime></p:When>');
    expect(r.text).toContain('<p:Elapsed><cim:Interval>P0DT0H1M40S</cim:Interval></p:Elapsed>');
    expect(r.text).toContain('<p:Flag>true</p:Flag>');
    expect(r.text).toContain('xsi:type="p:T_Thing_Type"');
  });
  test('never echoes OperationID, and echoes ActivityId', async () => {
    const r = await post(h.url, get(WMI_THING, { Id: 'one' }, {
      extraHeaders: `<p:OperationID s:mustUnderstand="false">uuid:4A6E8B13-E127-4048-8FE8-60347BA49E0D</p:OperationID><p:SequenceId>1</p:SequenceId><p:ActivityId>DEE76A48-606F-0001-F32F-EBDE6F60CD01</p:ActivityId>`,
    }).xml);
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('OperationID');
    expect(r.text).not.toContain('SequenceId');
    expect(r.text).toContain('<p:ActivityId>DEE76A48-606F-0001-F32F-EBDE6F60CD01</p:ActivityId>');
  });
  test('subclass instance through the base class, DMTF form with __cimnamespace, escaped text', async () => {
    const r = await post(h.url, get(DMTF_THING, { __cimnamespace: 'root/test', Id: 'kid' }).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/T_Child"');
    expect(r.text).toContain('<p:Label>Child &lt;&amp;&gt;</p:Label>');
  });
  test('URIs and selector names are case-insensitive; values trimmed', async () => {
    const r = await post(h.url, get(WMI_THING.replace('root/test/T_Thing', 'ROOT/Test/t_thing'), { id: '\n ONE \n' }).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/T_Thing"');
  });
  test('missing instance: a:DestinationUnreachable, InvalidResourceURI detail, 2150858752', async () => {
    const { xml, messageId } = get(WMI_THING, { Id: 'nope' });
    const r = await post(h.url, xml);
    expect(r.status).toBe(500);
    const f = faultOf(r);
    expect(f).toMatchObject({
      code: 's:Sender', subcode: 'a:DestinationUnreachable', action: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault',
      detail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI', wsmanCode: '2150858752', relatesTo: messageId,
    });
    expect(f.reason).toBe('The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. ');
  });
  test.each([
    ['unknown selector', { Id: 'one', Bogus: '1' }, 'UnexpectedSelectors', '2150858843'],
    ['non-key selector', { Id: 'one', Label: 'First' }, 'UnexpectedSelectors', '2150858843'],
    ['no selectors on a non-singleton', undefined, 'InsufficientSelectors', '2150859002'],
    ['type mismatch', { Group: 'g', Slot: 'x' }, 'TypeMismatch', '2150858844'],
    ['ambiguous partial key', { Group: 'g' }, 'AmbiguousSelectors', '2150858846'],
  ])('%s → w:InvalidSelectors', async (_name, selectors, detail, code) => {
    const uri = (selectors as Record<string, string> | undefined)?.Group ? WMI_THING.replace('T_Thing', 'T_Pair') : WMI_THING;
    const r = await post(h.url, get(uri, selectors as Record<string, string> | undefined).xml);
    const f = faultOf(r);
    expect(f.subcode).toBe('w:InvalidSelectors');
    expect(f.detail).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/' + detail);
    expect(f.wsmanCode).toBe(code);
    expect(f.action).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/fault');
  });
  test('duplicate selectors → DuplicateSelectors', async () => {
    const xml = get(WMI_THING).xml.replace('<a:MessageID>', '<w:SelectorSet><w:Selector Name="Id">one</w:Selector><w:Selector Name="id">one</w:Selector></w:SelectorSet><a:MessageID>');
    const f = faultOf(await post(h.url, xml));
    expect(f.detail).toContain('DuplicateSelectors');
    expect(f.wsmanCode).toBe('2150858847');
  });
  test('a partial key set that matches one instance resolves', async () => {
    const r = await post(h.url, get(WMI_THING.replace('T_Thing', 'T_Pair'), { Group: 'h' }).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<p:Value>c</p:Value>');
  });
  test('a singleton needs no selectors', async () => {
    const r = await post(h.url, get(WMI_THING.replace('T_Thing', 'T_Config')).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<p:Mode>on</p:Mode>');
  });
  test.each([
    ['unknown class', WMI_THING.replace('T_Thing', 'T_Nothing'), 'a:DestinationUnreachable', '2150858752'],
    ['unknown namespace', 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/nowhere/T_Thing', 'a:DestinationUnreachable', '2150858752'],
    ['unknown URI', 'http://example.invalid/not/a/cim/resource', 'a:DestinationUnreachable', '2150858811'],
  ])('%s', async (_n, uri, subcode, code) => {
    const f = faultOf(await post(h.url, get(uri, { Id: 'one' }).xml));
    expect(f.subcode).toBe(subcode);
    expect(f.wsmanCode).toBe(code);
  });
  test('__cimnamespace disagreeing with the WMI URI → 2150859067', async () => {
    const f = faultOf(await post(h.url, get(WMI_THING, { __cimnamespace: 'root/cimv2', Id: 'one' }).xml));
    expect(f).toMatchObject({ code: 's:Receiver', subcode: 'w:InternalError', wsmanCode: '2150859067' });
  });
});

describe('SOAP envelope faults', () => {
  test('unknown header with s:mustUnderstand true or 1 → s:MustUnderstand with s:NotUnderstood', async () => {
    for (const v of ['true', '1']) {
      const { xml, messageId } = get(WMI_THING, { Id: 'one' }, { extraHeaders: `<x:Unknown xmlns:x="urn:x" s:mustUnderstand="${v}">1</x:Unknown>` });
      const r = await post(h.url, xml);
      const f = faultOf(r);
      expect(f.code).toBe('s:MustUnderstand');
      expect(f.subcode).toBeUndefined();
      expect(f.relatesTo).toBe(messageId);
      expect(r.text).toMatch(/<s:NotUnderstood qname="q:Unknown" xmlns:q="urn:x"\/>/);
    }
  });
  test('unqualified mustUnderstand (pywinrm) is not mustUnderstand', async () => {
    const { xml } = get(WMI_THING, { Id: 'one' }, { extraHeaders: '<x:Unknown xmlns:x="urn:x" mustUnderstand="true">1</x:Unknown>' });
    expect((await post(h.url, xml)).status).toBe(200);
  });
  test('SOAP 1.1 envelope → s:VersionMismatch', async () => {
    const r = await post(h.url, '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>');
    const f = faultOf(r);
    expect(f.code).toBe('s:VersionMismatch');
  });
  test.each([
    ['not XML', 'hello'],
    ['truncated', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'],
    ['wrong root', '<x/>'],
    ['DOCTYPE with entities', `<!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="${NS.s}"><s:Body>&x;</s:Body></s:Envelope>`],
  ])('%s → w:SchemaValidationError 2150858819, nothing expanded', async (_n, body) => {
    const r = await post(h.url, body);
    expect(r.status).toBe(500);
    const f = faultOf(r);
    expect(f.subcode).toBe('w:SchemaValidationError');
    expect(f.wsmanCode).toBe('2150858819');
    expect(r.text).not.toContain('root:');
  });
  test('missing MessageID → a:InvalidMessageInformationHeader', async () => {
    const xml = get(WMI_THING, { Id: 'one' }).xml.replace(/<a:MessageID>[^<]*<\/a:MessageID>/, '');
    const f = faultOf(await post(h.url, xml));
    expect(f).toMatchObject({ subcode: 'a:InvalidMessageInformationHeader', wsmanCode: '2150858767' });
  });
  test('bad OperationTimeout (PT-1S) → a:InvalidMessageInformationHeader with the Windows detail text', async () => {
    const r = await post(h.url, get(WMI_THING, { Id: 'one' }, { operationTimeout: 'PT-1S' }).xml);
    const f = faultOf(r);
    expect(f).toMatchObject({ subcode: 'a:InvalidMessageInformationHeader', wsmanCode: '2150858767' });
    expect(r.text).toContain('The XML contains an invalid timeout field in the SOAP header: PT-1S.');
  });
  test('MaxEnvelopeSize below 8192 → w:EncodingLimit MinimumEnvelopeLimit', async () => {
    const f = faultOf(await post(h.url, get(WMI_THING, { Id: 'one' }, { maxEnvelopeSize: 1024 }).xml));
    expect(f).toMatchObject({ subcode: 'w:EncodingLimit', wsmanCode: '2150858878' });
    expect(f.detail).toContain('MinimumEnvelopeLimit');
  });
  test('Locale with s:mustUnderstand="true" → w:UnsupportedFeature Locale', async () => {
    const xml = get(WMI_THING, { Id: 'one' }).xml.replace('<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>', '<w:Locale xml:lang="en-US" s:mustUnderstand="true"/>');
    const f = faultOf(await post(h.url, xml));
    expect(f).toMatchObject({ subcode: 'w:UnsupportedFeature', wsmanCode: '2150858887' });
  });
  test('ReplyTo other than anonymous → w:UnsupportedFeature AddressingMode', async () => {
    const xml = get(WMI_THING, { Id: 'one' }).xml.replace('http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous', 'http://example.com/reply');
    const f = faultOf(await post(h.url, xml));
    expect(f.detail).toContain('AddressingMode');
  });
  test('unknown WS-* action → a:ActionNotSupported', async () => {
    const f = faultOf(await post(h.url, envelope({ action: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Frobnicate', resourceUri: WMI_THING }).xml));
    expect(f).toMatchObject({ subcode: 'a:ActionNotSupported', wsmanCode: '2150858771' });
  });
});

describe('Put', () => {
  const body = (label: string, count = 1) =>
    `<p:T_Thing xmlns:p="${WMI_THING}"><p:Id>one</p:Id><p:Label>${label}</p:Label><p:Count>${count}</p:Count></p:T_Thing>`;
  test('changes a writable property and answers with the instance', async () => {
    const r = await post(h.url, envelope({ action: ACTION.put, resourceUri: WMI_THING, selectors: { Id: 'one' }, body: body('Renamed') }).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('http://schemas.xmlsoap.org/ws/2004/09/transfer/PutResponse');
    expect(r.text).toContain('<p:Label>Renamed</p:Label>');
    expect(h.things[0].props.Label).toBe('Renamed');
  });
  test('changing a read-only property → x:InvalidRepresentation', async () => {
    const f = faultOf(await post(h.url, envelope({ action: ACTION.put, resourceUri: WMI_THING, selectors: { Id: 'one' }, body: body('Renamed', 99) }).xml));
    expect(f).toMatchObject({ subcode: 'x:InvalidRepresentation', action: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/fault' });
  });
  test('Set-CimInstance: only the properties in __MIInstanceModifiedPropertiesList count as changes', async () => {
    const options = '<w:OptionSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><w:Option Name="wmiarray:__MIInstanceModifiedPropertiesList" Type="xs:string">Label</w:Option><w:Option Name="msftwinrm:UsePreciseArrays" Type="xs:boolean">true</w:Option></w:OptionSet>';
    const mi = `<p:T_Thing xmlns:p="${DMTF_THING}" xmlns:xsi="${NS.xsi}"><p:Id xsi:type="cim:cimString">one</p:Id><p:Label xsi:type="cim:cimString">Via MI</p:Label><p:Count xsi:type="cim:cimUnsignedInt">77</p:Count></p:T_Thing>`;
    const r = await post(h.url, envelope({ action: ACTION.put, resourceUri: DMTF_THING, selectors: { __cimnamespace: 'root/test', Id: 'one' }, options, body: mi }).xml);
    expect(r.status).toBe(200);
    expect(h.things[0].props.Label).toBe('Via MI');
    expect(h.things[0].props.Count).toBe(1);
  });
  test('a value of the wrong type → w:SchemaValidationError', async () => {
    const f = faultOf(await post(h.url, envelope({ action: ACTION.put, resourceUri: WMI_THING, selectors: { Id: 'one' }, body: body('X', 'abc' as unknown as number) }).xml));
    expect(f).toMatchObject({ subcode: 'w:SchemaValidationError', wsmanCode: '2150858817' });
  });
});

describe('Invoke', () => {
  const inv = (method: string, body: string, selectors: Record<string, string> | undefined = { Id: 'one' }) =>
    envelope({ action: `${WMI_THING}/${method}`, resourceUri: WMI_THING, selectors, body }).xml;
  test('instance method: METHOD_OUTPUT in the request form, out params then ReturnValue', async () => {
    const r = await post(h.url, inv('Add', `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>2</p:A><p:B>40</p:B></p:Add_INPUT>`));
    expect(r.status).toBe(200);
    expect(r.text).toContain(`<a:Action>${WMI_THING}/AddResponse</a:Action>`);
    expect(r.text).toContain(`<p:Add_OUTPUT xmlns:xsi="${NS.xsi}" xmlns:p="${WMI_THING}" xmlns:cim="${NS.cim}"><p:ReturnValue>0</p:ReturnValue><p:Sum>42</p:Sum></p:Add_OUTPUT>`);
  });
  test('static method through the DMTF URI: out REF as an EPR with __cimnamespace first', async () => {
    const uri = DMTF_THING;
    const r = await post(h.url, envelope({
      action: `${uri}/Echo`, resourceUri: uri, selectors: { __cimnamespace: 'root/test' },
      body: `<p0:Echo_INPUT xmlns:xsi="${NS.xsi}" xmlns:p0="${uri}" xsi:type="Echo_INPUT_Type"><p0:S xsi:type="cim:cimString">hi</p0:S></p0:Echo_INPUT>`,
    }).xml);
    expect(r.status).toBe(200);
    const doc = parse(r.text);
    const found = findOne(doc, DMTF_THING, 'Found');
    expect(text(findOne(found, NS.a, 'Address'))).toBe('http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous');
    expect(text(findOne(found, NS.w, 'ResourceURI'))).toBe(DMTF_THING);
    const sels = find(found, NS.w, 'Selector');
    expect(sels.map((s) => s.attrs[0].value)).toEqual(['__cimnamespace', 'Id']);
    expect(text(findOne(doc, DMTF_THING, 'Said'))).toBe('hi');
  });
  test.each([
    ['escaped text', '&lt;INSTANCE CLASSNAME="T_Thing"&gt;&lt;PROPERTY NAME="Id" TYPE="string"&gt;&lt;VALUE&gt;emb&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;'],
    ['CDATA (libvirt)', '<![CDATA[<INSTANCE CLASSNAME="T_Child"><PROPERTY NAME="Id" TYPE="string"><VALUE>emb</VALUE></PROPERTY></INSTANCE>]]>'],
    ['a nested element (MI client)', `<p:Emb xsi:type="p:T_Thing_Type"><p:Id>emb</p:Id></p:Emb>`],
  ])('EmbeddedInstance string parameter as %s', async (_n, value) => {
    const wrapped = value.startsWith('<p:Emb') ? value : `<p:Emb>${value}</p:Emb>`;
    const r = await post(h.url, envelope({
      action: `${WMI_THING}/Echo`, resourceUri: WMI_THING,
      body: `<p:Echo_INPUT xmlns:p="${WMI_THING}" xmlns:xsi="${NS.xsi}"><p:S>x</p:S>${wrapped}</p:Echo_INPUT>`,
    }).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<p:Said>x:emb</p:Said>');
  });
  test('an embedded instance of the wrong class → w:SchemaValidationError', async () => {
    const f = faultOf(await post(h.url, envelope({
      action: `${WMI_THING}/Echo`, resourceUri: WMI_THING,
      body: `<p:Echo_INPUT xmlns:p="${WMI_THING}"><p:Emb>&lt;INSTANCE CLASSNAME="T_Pair"&gt;&lt;/INSTANCE&gt;</p:Emb></p:Echo_INPUT>`,
    }).xml));
    expect(f.subcode).toBe('w:SchemaValidationError');
  });
  test('unknown method → a:ActionNotSupported', async () => {
    const f = faultOf(await post(h.url, inv('Frob', '')));
    expect(f).toMatchObject({ subcode: 'a:ActionNotSupported', wsmanCode: '2150858771' });
  });
  test('unknown parameter → w:InvalidParameter InvalidName', async () => {
    const f = faultOf(await post(h.url, inv('Add', `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:Z>2</p:Z></p:Add_INPUT>`)));
    expect(f).toMatchObject({ subcode: 'w:InvalidParameter', wsmanCode: '2150858837' });
    expect(f.detail).toContain('InvalidName');
  });
  test('out parameter given as input → InvalidParameter', async () => {
    const f = faultOf(await post(h.url, inv('Add', `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:Sum>2</p:Sum></p:Add_INPUT>`)));
    expect(f.subcode).toBe('w:InvalidParameter');
  });
  test('a value that does not convert → w:SchemaValidationError 2150858817', async () => {
    const f = faultOf(await post(h.url, inv('Add', `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>true</p:A></p:Add_INPUT>`)));
    expect(f).toMatchObject({ subcode: 'w:SchemaValidationError', wsmanCode: '2150858817' });
  });
  test('out of range → w:SchemaValidationError', async () => {
    const f = faultOf(await post(h.url, inv('Add', `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>4294967296</p:A></p:Add_INPUT>`)));
    expect(f.subcode).toBe('w:SchemaValidationError');
  });
  test('a provider CIM error → w:InvalidParameter with the WMI code', async () => {
    const r0 = await post(h.url, inv('Add', `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>5000</p:A></p:Add_INPUT>`));
    const f = faultOf(r0);
    expect(f).toMatchObject({ code: 's:Sender', subcode: 'w:InvalidParameter' });
    expect(f.reason).toBe('A is too large. ');
    // the MSFT_WmiError detail PowerShell turns into CategoryInfo InvalidArgument
    expect(r0.text).toContain('b:IsCIM_Error="true"');
    expect(r0.text).toContain('<p:error_Category xsi:type="cim:cimUnsignedInt">5</p:error_Category>');
    expect(r0.text).toContain('<p:MessageID xsi:type="cim:cimString">HRESULT 0x80041008</p:MessageID>');
    // property order and set exactly as a real 2012 R2 MSFT_WmiError detail (winrb wmi_error_v2.xml)
    const err = findOne(parse(r0.text), 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError', 'MSFT_WmiError');
    expect(err.children.filter((c) => c.kind === 'element').map((c) => (c as { local: string }).local)).toEqual([
      'CIMStatusCode', 'CIMStatusCodeDescription', 'ErrorSource', 'ErrorSourceFormat', 'ErrorType', 'Message', 'MessageID',
      'OtherErrorSourceFormat', 'OtherErrorType', 'OwningEntity', 'PerceivedSeverity', 'ProbableCause', 'ProbableCauseDescription',
      'error_Category', 'error_Code', 'error_Type', 'error_WindowsErrorMessage',
    ]);
  });
  test('Action for another resource → ActionMismatch', async () => {
    const f = faultOf(await post(h.url, envelope({ action: 'http://example.invalid/Add', resourceUri: WMI_THING, selectors: { Id: 'one' } }).xml));
    expect(f.subcode).toBe('a:ActionNotSupported');
    expect(f.wsmanCode).toBe('2150858801');
  });
});

describe('authorisation', () => {
  test('a read-only user gets w:AccessDenied on Put and Invoke but may Get', async () => {
    const auth = { Authorization: basic('reader', 'Read0nly!') };
    expect((await post(h.url, get(WMI_THING, { Id: 'one' }).xml, auth)).status).toBe(200);
    const f = faultOf(await post(h.url, envelope({ action: `${WMI_THING}/Add`, resourceUri: WMI_THING, selectors: { Id: 'one' } }).xml, auth));
    expect(f).toMatchObject({ subcode: 'w:AccessDenied', wsmanCode: '5' });
  });
});
