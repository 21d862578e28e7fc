/**
 * Parse and serialise cost per request (issue 2's closing figure): the SOAP envelope reader on the
 * captured requests and on a 2.5 KB Invoke, and the response writers on typical answers. Counts
 * operations per second in this process; compare runs on the same machine only.
 *
 *   npx tsx is not used: run `npm run build && node dist/bench/micro.js`
 */
import { parseEnvelope } from '../src/soap/envelope.js';
import { writeEnvelope } from '../src/soap/writer.js';
import { parseXml, parseXmlWithSaxes } from '../src/xml/dom.js';
import { LENIENT_PREFIXES } from '../src/wsman/namespaces.js';

const INVOKE = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:To>http://windows-host:5985/wsman</a:To><w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_VirtualSystemMigrationService</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_VirtualSystemMigrationService/MigrateVirtualSystemToHost</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>uuid:5e1c3a0c-9b0e-4b8c-9d6a-6f1f7c0a2b11</a:MessageID><w:Locale xml:lang="en-US" s:mustUnderstand="false"/><p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT60S</w:OperationTimeout><w:SelectorSet><w:Selector Name="CreationClassName">Msvm_VirtualSystemMigrationService</w:Selector><w:Selector Name="Name">migrationwmi</w:Selector><w:Selector Name="SystemCreationClassName">Msvm_ComputerSystem</w:Selector><w:Selector Name="SystemName">HV1</w:Selector></w:SelectorSet></s:Header><s:Body><p:MigrateVirtualSystemToHost_INPUT xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_VirtualSystemMigrationService"><p:ComputerSystem><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem</w:ResourceURI><w:SelectorSet><w:Selector Name="CreationClassName">Msvm_ComputerSystem</w:Selector><w:Selector Name="Name">8A4E1A2C-5D1B-4E0B-9F3B-1234567890AB</w:Selector></w:SelectorSet></a:ReferenceParameters></p:ComputerSystem><p:DestinationHost>HV2</p:DestinationHost><p:MigrationSettingData>&lt;INSTANCE CLASSNAME="Msvm_VirtualSystemMigrationSettingData"&gt;&lt;PROPERTY NAME="MigrationType" TYPE="uint16"&gt;&lt;VALUE&gt;32768&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;PROPERTY NAME="TransportType" TYPE="uint16"&gt;&lt;VALUE&gt;5&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;</p:MigrationSettingData></p:MigrateVirtualSystemToHost_INPUT></s:Body></s:Envelope>`;

function measure(name: string, fn: () => void, minMs = 1000): void {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    t = performance.now();
  }
  const us = ((t - t0) * 1000) / n;
  console.log(`${name.padEnd(44)} ${us.toFixed(1).padStart(7)} µs/op  ${Math.round(n / ((t - t0) / 1000)).toLocaleString('en-US').padStart(9)} op/s`);
}

const instance =
  '<p:Msvm_ComputerSystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xsi:type="p:Msvm_ComputerSystem_Type">' +
  '<p:Caption>Virtual Machine</p:Caption>'.repeat(40) +
  '</p:Msvm_ComputerSystem>';

console.log(`envelope sizes: invoke ${Buffer.byteLength(INVOKE)} B`);
measure('parse: 2.5 KB MigrateVirtualSystemToHost Invoke', () => parseEnvelope(INVOKE));
measure('  of which XML tree (fast path)', () => parseXml(INVOKE, { fallbackPrefixes: LENIENT_PREFIXES }));
measure('  XML tree, saxes path only', () => parseXmlWithSaxes(INVOKE, { fallbackPrefixes: LENIENT_PREFIXES }));
measure('serialise: GetResponse envelope (2 KB body)', () =>
  writeEnvelope('transfer', 'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse', instance, { relatesTo: 'uuid:1' }));
