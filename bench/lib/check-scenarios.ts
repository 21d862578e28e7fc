/**
 * The scenarios of the CI check: quick to start (the core world, and the default world for the
 * Hyper-V path when it is built) and covering each part of the hot path — transport and auth
 * (Identify), parse + resolve + render (Get, Invoke), enumeration (optimized Enumerate, Pull) and
 * message encryption (NTLM).
 */
import { BASIC, coreScenarios, type Scenario } from './scenarios.js';
import * as env from './envelopes.js';
import { V2, hypervAvailable } from './hyperv-scenarios.js';

const CHECK_IDS = ['identify', 'get', 'invoke', 'enum5', 'pull', 'ntlm-get'];

/** web01 of worlds/default.yaml */
const WEB01 = '8A4E1A2C-5D1B-4E0B-9F3B-1234567890AB';

export async function checkScenarios(): Promise<Scenario[]> {
  const out = coreScenarios(10_000).filter((s) => CHECK_IDS.includes(s.id));
  if (await hypervAvailable()) {
    out.push({
      id: 'get-vm-default',
      title: 'Get Msvm_ComputerSystem (default world, HV1 web01)',
      server: { kind: 'hyperv', world: { kind: 'file', file: 'default.yaml' }, https: false },
      scheme: 'http',
      load: () => ({
        body: Buffer.from(env.get(V2 + 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: WEB01 })),
        headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', Authorization: BASIC },
        host: 'HV1',
      }),
      expect: `<p:Name>${WEB01}</p:Name>`,
    });
  }
  return out;
}
