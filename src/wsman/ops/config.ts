/**
 * The WinRM configuration resource (`http://schemas.microsoft.com/wbem/wsman/1/config`), which
 * pypsrp reads to size its messages (V: pypsrp config captures). Values come from the host's
 * limits and listener settings, so what it reports is what the emulator enforces. The element
 * skeleton is Windows' (pypsrp-transfer-get-winrm-config-*.response.xml): Client, Service and Winrs
 * sections in that order; the Client and Winrs values are Windows' defaults, except that remote
 * shell access is reported off, since no shells are served.
 */
import type { WsmanHost } from '../host.js';

const CFG = 'http://schemas.microsoft.com/wbem/wsman/1/config';

export function renderConfig(host: WsmanHost): string {
  const l = host.limits;
  const svc = host.serviceConfig;
  const b = (v: boolean) => (v ? 'true' : 'false');
  const e = (name: string, v: string | number) => `<cfg:${name}>${v}</cfg:${name}>`;
  return (
    `<cfg:Config xmlns:cfg="${CFG}">` +
    e('MaxEnvelopeSizekb', Math.floor(l.maxEnvelopeSize / 1024)) +
    e('MaxTimeoutms', l.maxTimeoutMs) +
    e('MaxBatchItems', l.maxBatchItems) +
    e('MaxProviderRequests', 4294967295) +
    '<cfg:Client>' +
    e('NetworkDelayms', 5000) +
    e('URLPrefix', 'wsman') +
    e('AllowUnencrypted', 'false') +
    `<cfg:Auth>${e('Basic', 'true')}${e('Digest', 'true')}${e('Kerberos', 'true')}${e('Negotiate', 'true')}${e('Certificate', 'true')}${e('CredSSP', 'false')}</cfg:Auth>` +
    `<cfg:DefaultPorts>${e('HTTP', 5985)}${e('HTTPS', 5986)}</cfg:DefaultPorts>` +
    e('TrustedHosts', '') +
    '</cfg:Client>' +
    '<cfg:Service>' +
    e('RootSDDL', 'O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)') +
    e('MaxConcurrentOperations', 4294967295) +
    e('MaxConcurrentOperationsPerUser', l.maxContextsPerUser) +
    e('EnumerationTimeoutms', l.enumerationTimeoutMs) +
    e('MaxConnections', svc.maxConnections) +
    e('MaxPacketRetrievalTimeSeconds', 120) +
    e('AllowUnencrypted', b(svc.allowUnencrypted)) +
    '<cfg:Auth>' +
    e('Basic', b(svc.auth.basic)) +
    e('Kerberos', b(false)) +
    e('Negotiate', b(svc.auth.negotiate)) +
    e('Certificate', b(svc.auth.certificate)) +
    e('CredSSP', b(false)) +
    e('CbtHardeningLevel', 'Relaxed') +
    '</cfg:Auth>' +
    `<cfg:DefaultPorts>${e('HTTP', 5985)}${e('HTTPS', 5986)}</cfg:DefaultPorts>` +
    e('IPv4Filter', '*') +
    e('IPv6Filter', '*') +
    e('EnableCompatibilityHttpListener', 'false') +
    e('EnableCompatibilityHttpsListener', 'false') +
    e('CertificateThumbprint', '') +
    e('AllowRemoteAccess', 'true') +
    '</cfg:Service>' +
    '<cfg:Winrs>' +
    e('AllowRemoteShellAccess', 'false') +
    e('IdleTimeout', 7200000) +
    e('MaxConcurrentUsers', 2147483647) +
    e('MaxShellRunTime', 2147483647) +
    e('MaxProcessesPerShell', 2147483647) +
    e('MaxMemoryPerShellMB', 2147483647) +
    e('MaxShellsPerUser', 2147483647) +
    '</cfg:Winrs>' +
    '</cfg:Config>'
  );
}
