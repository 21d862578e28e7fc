/**
 * Enumerate / Pull / Release over real HTTP against the core test schema: modes, optimisation,
 * paging by count and size, polymorphism, filters and contexts (issue 3).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { XmlElement } from '../../src/xml/dom.js';
import { startCoreHost, type CoreHost } from '../helpers/core-host.js';
import { ACTION, bodyOf, envelope, faultOf, find, findOne, NS, parse, post, text } from '../helpers/wsman-client.js';

const WMI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/';
const DMTF = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
const WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';

let h: CoreHost;
let now = 1_700_000_000_000;
beforeAll(async () => {
  h = await startCoreHost({ now: () => now, pairs: 40, limits: { maxContextsPerUser: 5 } });
});
afterAll(async () => {
  await h.close();
});

function enumBody(inner = ''): string {
  return `<n:Enumerate>${inner}</n:Enumerate>`;
}

async function enumerate(resourceUri: string, inner = '', selectors?: Record<string, string>, extra = {}) {
  return post(h.url, envelope({ action: ACTION.enumerate, resourceUri, selectors, body: enumBody(inner), ...extra }).xml);
}

async function pullAll(resourceUri: string, context: string, maxElements?: number): Promise<{ items: XmlElement[]; pulls: number }> {
  const items: XmlElement[] = [];
  let ctx: string | undefined = context;
  let pulls = 0;
  while (ctx) {
    const r = await post(h.url, envelope({
      action: ACTION.pull, resourceUri,
      body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext>${maxElements ? `<n:MaxElements>${maxElements}</n:MaxElements>` : ''}</n:Pull>`,
    }).xml);
    expect(r.status).toBe(200);
    pulls++;
    const doc = parse(r.text);
    const resp = findOne(doc, NS.n, 'PullResponse');
    const itemsEl = findOne(resp, NS.n, 'Items');
    items.push(...itemsEl.children.filter((c): c is XmlElement => c.kind === 'element'));
    const c = find(resp, NS.n, 'EnumerationContext')[0];
    if (c) expect(find(resp, NS.n, 'EndOfSequence')).toHaveLength(0);
    else expect(find(resp, NS.n, 'EndOfSequence')).toHaveLength(1);
    ctx = c ? text(c) : undefined;
  }
  return { items, pulls };
}

describe('Enumerate and Pull', () => {
  test('optimized, everything fits: empty context, w:Items, w:EndOfSequence', async () => {
    const r = await enumerate(WMI + 'T_Thing', '<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext><w:Items>');
    expect(r.text).toContain('</w:Items><w:EndOfSequence/></n:EnumerateResponse>');
    const items = findOne(parse(r.text), NS.w, 'Items').children as XmlElement[];
    expect(items.map((i) => i.local)).toEqual(['T_Thing', 'T_Thing', 'T_Child']);
    // polymorphism: the subclass instance keeps its own class namespace and type
    expect(items[2].ns).toBe(WMI + 'T_Child');
    expect(items[2].attrs.find((a) => a.local === 'type')?.value).toBe('p:T_Child_Type');
  });
  test('b:PolymorphismMode is accepted and ignored, as Windows does (wire notes §4.1)', async () => {
    const opt = '<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>';
    const plain = await enumerate(WMI + 'T_Thing', opt);
    for (const mode of ['ExcludeSubClassProperties', 'IncludeSubClassProperties', 'None']) {
      const r = await enumerate(WMI + 'T_Thing', `${opt}<b:PolymorphismMode xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd">${mode}</b:PolymorphismMode>`);
      expect(r.status).toBe(200);
      const items = findOne(parse(r.text), NS.w, 'Items').children as XmlElement[];
      expect(items.map((i) => i.local)).toEqual(['T_Thing', 'T_Thing', 'T_Child']);
      expect(findOne(parse(r.text), NS.w, 'Items').children.length).toBe(findOne(parse(plain.text), NS.w, 'Items').children.length);
    }
  });
  test('optimized with nothing matching: empty context and w:EndOfSequence, no Items', async () => {
    const r = await enumerate(WMI + 'T_Pair', `<w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements><w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"><w:SelectorSet><w:Selector Name="Group">none</w:Selector></w:SelectorSet></w:Filter>`);
    expect(r.text).toContain('<n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext><w:EndOfSequence/></n:EnumerateResponse>');
  });
  test('optimized with MaxElements: first page plus a context, then Pulls until the last has no context', async () => {
    const r = await enumerate(WMI + 'T_Pair', '<w:OptimizeEnumeration/><w:MaxElements>7</w:MaxElements>');
    const doc = parse(r.text);
    const first = (findOne(doc, NS.w, 'Items').children as XmlElement[]).length;
    expect(first).toBe(7);
    const ctx = text(findOne(doc, NS.n, 'EnumerationContext'));
    expect(ctx).toMatch(/^uuid:[0-9A-F-]{36}$/);
    const { items, pulls } = await pullAll(WMI + 'T_Pair', ctx, 10);
    expect(first + items.length).toBe(43);
    expect(pulls).toBe(4);
    const slots = items.map((i) => text(findOne(i, WMI + 'T_Pair', 'Slot')));
    expect(new Set(slots.map((s, n) => s + '/' + text(findOne(items[n], WMI + 'T_Pair', 'Group')))).size).toBe(items.length);
  });
  test('plain Enumerate returns only a context; Pull without MaxElements returns one item', async () => {
    const r = await enumerate(WMI + 'T_Thing');
    expect(r.text).not.toContain('Items');
    const ctx = text(findOne(parse(r.text), NS.n, 'EnumerationContext'));
    const { items, pulls } = await pullAll(WMI + 'T_Thing', ctx);
    expect(items).toHaveLength(3);
    expect(pulls).toBe(3); // the Pull with the last item carries EndOfSequence, as Windows' final batch does
  });
  test('pages are cut by the envelope size as well as by count', async () => {
    const r = await enumerate(WMI + 'T_Pair', '<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>', undefined, { maxEnvelopeSize: 8192 });
    expect(r.status).toBe(200);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(8192);
    const n = (findOne(parse(r.text), NS.w, 'Items').children as XmlElement[]).length;
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(43);
    const ctx = text(findOne(parse(r.text), NS.n, 'EnumerationContext'));
    const rest = await pullAll(WMI + 'T_Pair', ctx, 32000);
    expect(n + rest.items.length).toBe(43);
  });
  test('MaxCharacters bounds a Pull page', async () => {
    const r = await enumerate(WMI + 'T_Pair');
    const ctx = text(findOne(parse(r.text), NS.n, 'EnumerationContext'));
    const p = await post(h.url, envelope({ action: ACTION.pull, resourceUri: WMI + 'T_Pair', body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>100</n:MaxElements><n:MaxCharacters>1000</n:MaxCharacters></n:Pull>` }).xml);
    const n = (findOne(parse(p.text), NS.n, 'Items').children as XmlElement[]).length;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThan(6);
  });
  test('EnumerateEPR: a:EndpointReference items, shaped as Windows writes them', async () => {
    const r = await enumerate(WMI + 'T_Thing', '<w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements><w:EnumerationMode>EnumerateEPR</w:EnumerationMode>');
    const eprs = find(parse(r.text), NS.a, 'EndpointReference');
    expect(eprs).toHaveLength(3);
    expect(text(findOne(eprs[2], NS.a, 'Address'))).toBe('http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous');
    expect(text(findOne(eprs[2], NS.w, 'ResourceURI'))).toBe(WMI + 'T_Child');
    const sel = findOne(eprs[2], NS.w, 'Selector');
    expect(sel.attrs[0].value).toBe('Id');
    expect(text(sel)).toBe('kid');
  });
  test('EnumerateObjectAndEPR: w:Item pairs, object first; DMTF form adds __cimnamespace', async () => {
    const r = await enumerate(DMTF + 'T_Thing', '<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>', { __cimnamespace: 'root/test' });
    const items = find(parse(r.text), NS.w, 'Item');
    expect(items).toHaveLength(3);
    const kids = items[0].children.filter((c): c is XmlElement => c.kind === 'element');
    expect(kids.map((k) => k.local)).toEqual(['T_Thing', 'EndpointReference']);
    expect(kids[0].ns).toBe(DMTF + 'T_Thing');
    expect(find(kids[1], NS.w, 'Selector').map((s) => s.attrs[0].value)).toEqual(['__cimnamespace', 'Id']);
  });
  test('unknown EnumerationMode → w:UnsupportedFeature', async () => {
    const f = faultOf(await enumerate(WMI + 'T_Thing', '<w:EnumerationMode>EnumerateEverything</w:EnumerationMode>'));
    expect(f).toMatchObject({ subcode: 'w:UnsupportedFeature', wsmanCode: '2150858886' });
  });
  test('selectors on a WMI class URI → 2150859016', async () => {
    const f = faultOf(await enumerate(WMI + 'T_Thing', '', { Id: 'one' }));
    expect(f.wsmanCode).toBe('2150859016');
  });
});

describe('filters', () => {
  const wql = (q: string) => `<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements><w:Filter Dialect="${WQL}">${q}</w:Filter>`;
  test('WQL on the WMI all-classes URI', async () => {
    const r = await enumerate(WMI + '*', wql("SELECT * FROM T_Thing WHERE Count &gt;= 2"));
    expect(r.status).toBe(200);
    const items = findOne(parse(r.text), NS.w, 'Items').children as XmlElement[];
    expect(items.map((i) => i.local)).toEqual(['T_Thing', 'T_Child']);
  });
  test('WQL on the DMTF all-classes URI with __cimnamespace (Get-CimInstance -Query)', async () => {
    const r = await enumerate('http://schemas.dmtf.org/wbem/wscim/1/*', wql("select * from t_pair where Group = 'h'") + '<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>', { __cimnamespace: 'root/test' });
    expect(r.status).toBe(200);
    expect(find(parse(r.text), NS.w, 'Item')).toHaveLength(1);
    expect(r.text).toContain(`xmlns:p="${DMTF}T_Pair"`);
  });
  test('WQL on a WMI class URI → 2150859003', async () => {
    const f = faultOf(await enumerate(WMI + 'T_Thing', wql('SELECT * FROM T_Thing')));
    expect(f.wsmanCode).toBe('2150859003');
  });
  test('WQL select list → w:XmlFragment with unqualified properties', async () => {
    const r = await enumerate(WMI + '*', wql("SELECT Label, Id FROM T_Thing WHERE Id = 'one'"));
    expect(r.text).toMatch(/<w:XmlFragment xmlns:xsi="[^"]+"><Id>one<\/Id><Label>[^<]+<\/Label><\/w:XmlFragment>/);
  });
  test.each([
    ['a syntax error', 'SELECT * FROM'],
    ['an unknown class', 'SELECT * FROM T_Nothing'],
    ['an unknown property', 'SELECT * FROM T_Thing WHERE Bogus = 1'],
  ])('WQL with %s → n:CannotProcessFilter 2150858778 with the query in __ExtendedStatus', async (_n, q) => {
    const r = await enumerate(WMI + '*', wql(q));
    const f = faultOf(r);
    expect(f).toMatchObject({ code: 's:Sender', subcode: 'n:CannotProcessFilter', wsmanCode: '2150858778', action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault' });
    expect(r.text).toContain('ExecQuery');
  });
  test('unknown dialect → n:FilterDialectRequestedUnavailable', async () => {
    const f = faultOf(await enumerate(WMI + 'T_Thing', '<w:Filter Dialect="http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf">x</w:Filter>'));
    expect(f).toMatchObject({ subcode: 'n:FilterDialectRequestedUnavailable', wsmanCode: '2150858777' });
  });
  test('a filter on the configuration URI → n:FilteringNotSupported', async () => {
    const f = faultOf(await enumerate('http://schemas.microsoft.com/wbem/wsman/1/config', wql('SELECT * FROM x')));
    expect(f).toMatchObject({ subcode: 'n:FilteringNotSupported', wsmanCode: '2150858776' });
  });
  test('SelectorFilter on a class URI; array/unknown properties refused', async () => {
    const sf = (sel: string) => `<w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements><w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"><w:SelectorSet>${sel}</w:SelectorSet></w:Filter>`;
    const r = await enumerate(WMI + 'T_Pair', sf('<w:Selector Name="Group">g</w:Selector>'));
    expect((findOne(parse(r.text), NS.w, 'Items').children as XmlElement[]).length).toBe(2);
    expect(faultOf(await enumerate(WMI + 'T_Thing', sf('<w:Selector Name="Tags">a</w:Selector>'))).subcode).toBe('n:CannotProcessFilter');
    expect(faultOf(await enumerate(WMI + 'T_Thing', sf('<w:Selector Name="Nope">a</w:Selector>'))).subcode).toBe('n:CannotProcessFilter');
    expect(faultOf(await enumerate(WMI + 'T_Thing', sf('<w:Selector Name="Id">a"b</w:Selector>'))).subcode).toBe('n:CannotProcessFilter');
  });
  const assoc = (inner: string) =>
    `<w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements><w:Filter Dialect="http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter">${inner}</w:Filter>`;
  const object = `<b:Object><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>${DMTF}T_Thing</w:ResourceURI><w:SelectorSet><w:Selector Name="__cimnamespace">root/test</w:Selector><w:Selector Name="Id">one</w:Selector></w:SelectorSet></a:ReferenceParameters></b:Object>`;
  test('AssociatedInstances (Get-CimAssociatedInstance) on wscim/1/*', async () => {
    const r = await enumerate('http://schemas.dmtf.org/wbem/wscim/1/*', assoc(`<b:AssociatedInstances>${object}<b:AssociationClassName>T_Link</b:AssociationClassName><b:Role>Left</b:Role></b:AssociatedInstances>`), { __cimnamespace: 'root/test' });
    expect(r.status).toBe(200);
    const items = findOne(parse(r.text), NS.w, 'Items').children as XmlElement[];
    expect(items.map((i) => i.local)).toEqual(['T_Child']);
    const none = await enumerate('http://schemas.dmtf.org/wbem/wscim/1/*', assoc(`<b:AssociatedInstances>${object}<b:Role>Right</b:Role></b:AssociatedInstances>`), { __cimnamespace: 'root/test' });
    expect(none.text).toContain('<w:EndOfSequence/>');
    expect(none.text).not.toContain('<w:Items>');
  });
  test('AssociationInstances returns the association objects', async () => {
    const r = await enumerate('http://schemas.dmtf.org/wbem/wscim/1/*', assoc(`<b:AssociationInstances>${object}<b:ResultClassName>T_Link</b:ResultClassName></b:AssociationInstances>`), { __cimnamespace: 'root/test' });
    const items = findOne(parse(r.text), NS.w, 'Items').children as XmlElement[];
    expect(items.map((i) => i.local)).toEqual(['T_Link']);
    expect(find(items[0], NS.a, 'EndpointReference').length + find(items[0], NS.w, 'ResourceURI').length).toBeGreaterThan(0);
  });
  test('ASSOCIATORS OF through WQL', async () => {
    const r = await enumerate(WMI + '*', wql("ASSOCIATORS OF {T_Thing.Id='one'} WHERE AssocClass = T_Link"));
    expect(r.status).toBe(200);
    expect((findOne(parse(r.text), NS.w, 'Items').children as XmlElement[]).map((i) => i.local)).toEqual(['T_Child']);
  });
  test('an association filter on a class URI → n:CannotProcessFilter', async () => {
    const f = faultOf(await enumerate(WMI + 'T_Thing', assoc(`<b:AssociatedInstances>${object}</b:AssociatedInstances>`)));
    expect(f.subcode).toBe('n:CannotProcessFilter');
  });
});

describe('contexts', () => {
  async function openContext(): Promise<string> {
    const r = await enumerate(WMI + 'T_Pair');
    return text(findOne(parse(r.text), NS.n, 'EnumerationContext'));
  }
  const pullFault = async (ctx: string) =>
    faultOf(await post(h.url, envelope({ action: ACTION.pull, resourceUri: WMI + 'T_Pair', body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext></n:Pull>` }).xml));

  test('an unknown context → n:InvalidEnumerationContext, s:Receiver, 2150858779', async () => {
    const f = await pullFault('uuid:00000000-0000-0000-0000-000000000000');
    expect(f).toMatchObject({ code: 's:Receiver', subcode: 'n:InvalidEnumerationContext', wsmanCode: '2150858779', action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault' });
  });
  test('Release frees the context; a released context is invalid', async () => {
    const ctx = await openContext();
    const r = await post(h.url, envelope({ action: ACTION.release, resourceUri: WMI + 'T_Pair', body: `<n:Release><n:EnumerationContext>${ctx}</n:EnumerationContext></n:Release>` }).xml);
    expect(r.status).toBe(200);
    expect(r.text).toContain('http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse');
    expect(bodyOf(parse(r.text)).children).toHaveLength(0);
    expect((await pullFault(ctx)).subcode).toBe('n:InvalidEnumerationContext');
  });
  test('contexts expire after EnumerationTimeoutms idle (fabric clock)', async () => {
    const ctx = await openContext();
    now += 239_000;
    const ok = await post(h.url, envelope({ action: ACTION.pull, resourceUri: WMI + 'T_Pair', body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext></n:Pull>` }).xml);
    expect(ok.status).toBe(200);
    now += 240_001;
    expect((await pullFault(ctx)).subcode).toBe('n:InvalidEnumerationContext');
  });
  test('n:Expires is honoured', async () => {
    const r = await enumerate(WMI + 'T_Pair', '<n:Expires>PT10S</n:Expires>');
    expect(r.text).toContain('<n:Expires>PT10.000S</n:Expires>');
    const ctx = text(findOne(parse(r.text), NS.n, 'EnumerationContext'));
    now += 10_001;
    expect((await pullFault(ctx)).subcode).toBe('n:InvalidEnumerationContext');
    expect(faultOf(await enumerate(WMI + 'T_Pair', '<n:Expires>2030-01-01T00:00:00Z</n:Expires>')).subcode).toBe('n:UnsupportedExpirationType');
  });
  test('a cap on live contexts per user, with the Windows quota fault beyond it; released ones free room', async () => {
    now += 1_000_000; // let earlier contexts expire
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await openContext());
    const f = faultOf(await enumerate(WMI + 'T_Pair'));
    expect(f).toMatchObject({ code: 's:Receiver', subcode: 'w:InternalError', wsmanCode: '2150859174' });
    await post(h.url, envelope({ action: ACTION.release, resourceUri: WMI + 'T_Pair', body: `<n:Release><n:EnumerationContext>${ids[0]}</n:EnumerationContext></n:Release>` }).xml);
    expect((await enumerate(WMI + 'T_Pair')).status).toBe(200);
  });
});

describe('class metadata (Get-CimClass)', () => {
  const CIMXML = 'http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/';
  const opts = (o: Record<string, boolean>) =>
    `<w:OptionSet>${Object.entries(o).map(([k, v]) => `<w:Option Name="${k}" Type="xs:boolean">${v}</w:Option>`).join('')}</w:OptionSet>`;
  test('Get on cim-xml/…/* with ClassName answers the CIM-XML CLASS declaration', async () => {
    const r = await post(h.url, envelope({
      action: ACTION.get, resourceUri: CIMXML + '*', selectors: { __cimnamespace: 'root/test', ClassName: 'T_Child' },
      options: opts({ IncludeInheritanceHierarchy: true, IncludeInheritedElements: true, IncludeQualifiers: true }),
    }).xml);
    expect(r.status).toBe(200);
    const cls = bodyOf(parse(r.text)).children[0] as XmlElement;
    expect(cls.local).toBe('CLASS');
    expect(cls.attrs.find((a) => a.local === 'NAME')?.value).toBe('T_Child');
    expect(cls.attrs.find((a) => a.local === 'SUPERCLASS')?.value).toBe('T_Thing');
    expect(r.text).toContain('DERIVATION="T_Thing,T_Base"');
    expect(r.text).toContain('<METHOD NAME="Add"');
  });
  test("IncludeInheritedElements false keeps only the class's own properties", async () => {
    const r = await post(h.url, envelope({
      action: ACTION.get, resourceUri: CIMXML + 'T_Child', selectors: { __cimnamespace: 'root/test' },
      options: opts({ IncludeInheritedElements: false }),
    }).xml);
    expect(r.text).toContain('NAME="Extra"');
    expect(r.text).not.toContain('NAME="Label"');
  });
  test('Enumerate with an empty ClassName lists every class; IncludeSubClasses lists a subtree', async () => {
    const all = await post(h.url, envelope({
      action: ACTION.enumerate, resourceUri: CIMXML + '*', selectors: { __cimnamespace: 'root/test', ClassName: '' },
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>',
    }).xml);
    expect(all.status).toBe(200);
    const names = (findOne(parse(all.text), NS.w, 'Items').children as XmlElement[]).map((c) => c.attrs.find((a) => a.local === 'NAME')?.value);
    expect(names).toEqual(expect.arrayContaining(['T_Base', 'T_Thing', 'T_Child', 'T_Pair', 'T_Link']));
    const sub = await post(h.url, envelope({
      action: ACTION.enumerate, resourceUri: CIMXML + '*', selectors: { __cimnamespace: 'root/test', ClassName: 'T_Base' },
      options: opts({ IncludeSubClasses: true, ExcludeClassSpecification: true }),
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>',
    }).xml);
    const subNames = (findOne(parse(sub.text), NS.w, 'Items').children as XmlElement[]).map((c) => c.attrs.find((a) => a.local === 'NAME')?.value);
    expect(subNames).toEqual(['T_Thing', 'T_Child']);
  });
  test('an unknown class → a:DestinationUnreachable', async () => {
    const f = faultOf(await post(h.url, envelope({ action: ACTION.get, resourceUri: CIMXML + '*', selectors: { __cimnamespace: 'root/test', ClassName: 'T_Nope' } }).xml));
    expect(f.subcode).toBe('a:DestinationUnreachable');
  });
});
