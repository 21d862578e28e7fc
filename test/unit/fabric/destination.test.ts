/** DestinationHost parsing (DNS name, IPv4, IPv6) and resolution to fabric hosts; configuration versions. */
import { describe, expect, test } from 'vitest';
import { inSubnet, normaliseIPv6, parseDestinationHost, resolveDestination } from '../../../src/fabric/destination.js';
import type { HostRecord } from '../../../src/fabric/model.js';
import { defaultVersion, supportedVersions, supportsVersion } from '../../../src/fabric/versions.js';

const hosts = [
  { name: 'HV1', fqdn: 'hv1.lab.local', addresses: ['10.0.0.11', 'fd00::11'] },
  { name: 'HV2', fqdn: 'hv2.lab.local', addresses: ['10.0.0.12', 'FD00:0:0:0:0:0:0:12'] },
] as HostRecord[];

describe('DestinationHost formats', () => {
  test.each([
    ['HV2', 'dns', 'hv2'],
    ['hv2.lab.local', 'dns', 'hv2.lab.local'],
    ['hv2.lab.local.', 'dns', 'hv2.lab.local'],
    ['10.0.0.12', 'ipv4', '10.0.0.12'],
    ['fd00::12', 'ipv6', 'fd00:0000:0000:0000:0000:0000:0000:0012'],
    ['::ffff:10.0.0.1', 'ipv6', '0000:0000:0000:0000:0000:ffff:0a00:0001'],
  ])('%s is %s', (text, format, canonical) => {
    expect(parseDestinationHost(text)).toEqual({ format, text: canonical });
  });
  test.each(['', ' HV2', 'HV2 ', 'bad host', 'under_score', '-lead', 'trail-', '999.1.1.1', '10.0.0', '[fd00::12]', 'fd00::12%eth0', 'a..b', 'x'.repeat(64)])(
    '%j is refused',
    (text) => expect(parseDestinationHost(text)).toBeUndefined(),
  );
  test('resolution by computer name, FQDN, IPv4 and IPv6 in any spelling', () => {
    for (const t of ['hv2', 'HV2.LAB.LOCAL', '10.0.0.12', 'fd00::12', 'fd00:0000::0012']) {
      expect(resolveDestination(parseDestinationHost(t)!, hosts)?.name, t).toBe('HV2');
    }
    expect(resolveDestination(parseDestinationHost('hv3')!, hosts)).toBeUndefined();
    expect(resolveDestination(parseDestinationHost('10.0.0.13')!, hosts)).toBeUndefined();
  });
  test('subnets', () => {
    expect(inSubnet('10.0.0.11', '10.0.0.0', 24)).toBe(true);
    expect(inSubnet('10.0.1.11', '10.0.0.0', 24)).toBe(false);
    expect(inSubnet('fd00::11', 'fd00::', 64)).toBe(true);
    expect(inSubnet('fd00::11', '10.0.0.0', 8)).toBe(false);
    expect(normaliseIPv6('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
  });
});

describe('configuration versions per build', () => {
  test('the matrix of hyperv-model §3.3', () => {
    expect(supportedVersions('10.0.14393')).toEqual(['5.0', '6.2', '7.0', '7.1', '8.0']);
    expect(supportsVersion('10.0.17763', '9.0')).toBe(true);
    expect(supportsVersion('10.0.17763', '10.0')).toBe(false);
    expect(supportsVersion('10.0.20348', '10.0')).toBe(true);
    expect(supportsVersion('10.0.20348', '5.0')).toBe(false);
    expect(supportsVersion('10.0.26100', '12.0')).toBe(true);
    expect(defaultVersion('10.0.20348')).toBe('10.0');
    expect(defaultVersion('10.0.22000')).toBe('10.0'); // between rows: the lower build's row
    expect(supportedVersions('6.3.9600')).toEqual(['5.0']);
  });
});
