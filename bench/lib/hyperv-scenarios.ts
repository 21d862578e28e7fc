/**
 * The Hyper-V scenarios: the emulator as `npm start` builds it (createEmulator + the Hyper-V
 * fabric) over the generated scenario world (bench/lib/hyperv-world.ts), driven as clients drive
 * it — Get of a VM and of a job, MigrateVirtualSystemToHost, the optimized Enumerate of a host's
 * computer systems, Enumerate + Pull through a host's jobs, WQL over a host's VMs, and the same Get
 * over NTLM with sealing and over HTTPS. Available when src/providers/hyperv/index.ts is built.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import * as env from './envelopes.js';
import { MIGRATION_VMS, WQL_VMS, hostName, vmGuid } from './hyperv-world.js';
import { ntlmSealedRequests } from './ntlm.js';
import type { ServerSpec } from './protocol.js';
import { ADMIN, BASIC, SOAP_UTF8, enumeratePullLoad, type Scenario, type ScenarioLoad } from './scenarios.js';

export const HYPERV_MODULE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'providers', 'hyperv', 'index.js');

export async function hypervAvailable(): Promise<boolean> {
  return existsSync(HYPERV_MODULE);
}

export const V2 = env.WMI + 'root/virtualization/v2/';
const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
const MIGRATION_SERVICE = 'Msvm_VirtualSystemMigrationService';
/** Enumerate + Pull page size: big enough to amortise a request, small enough for p99 at 16 connections */
export const JOB_PAGE = 50;

/** the scenario world, with a fast fabric clock (a migration of an off VM ends within a millisecond) */
export const SCENARIO_SERVER: ServerSpec = { kind: 'hyperv', world: { kind: 'scenarios' }, https: true, clockScale: 1000 };

const fixed = (xml: string): ScenarioLoad => ({
  body: Buffer.from(xml, 'utf8'),
  headers: { 'Content-Type': SOAP_UTF8, Authorization: BASIC },
});

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function vmEpr(guid: string): string {
  return (
    `<a:Address>${ANONYMOUS}</a:Address><a:ReferenceParameters><w:ResourceURI>${V2}Msvm_ComputerSystem</w:ResourceURI><w:SelectorSet>` +
    `<w:Selector Name="CreationClassName">Msvm_ComputerSystem</w:Selector><w:Selector Name="Name">${guid}</w:Selector></w:SelectorSet></a:ReferenceParameters>`
  );
}

const MIGRATION_SETTINGS = esc(
  '<INSTANCE CLASSNAME="Msvm_VirtualSystemMigrationSettingData"><PROPERTY NAME="MigrationType" TYPE="uint16"><VALUE>32768</VALUE></PROPERTY>' +
    '<PROPERTY NAME="TransportType" TYPE="uint16"><VALUE>5</VALUE></PROPERTY></INSTANCE>',
);

/** MigrateVirtualSystemToHost of one VM, as pywinrm-based tools send it (2.4 KB). */
export function migrateRequest(source: string, destination: string, guid: string): string {
  const uri = V2 + MIGRATION_SERVICE;
  return env.invoke(
    uri,
    'MigrateVirtualSystemToHost',
    { CreationClassName: MIGRATION_SERVICE, Name: 'migrationwmi', SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: source },
    `<p:ComputerSystem>${vmEpr(guid)}</p:ComputerSystem><p:DestinationHost>${destination}</p:DestinationHost><p:MigrationSettingData>${MIGRATION_SETTINGS}</p:MigrationSettingData>`,
  );
}

/**
 * Each request migrates a different VM between HV3 and HV4. The pair keeps HV4 = VMs [0, k) and
 * HV3 = VMs [k, N): a run either moves k, k+1… to HV4 or k−1, k−2… back, whichever side holds more,
 * and the server settles (every migration done) between runs. The items column counts the answers
 * that started a job (ReturnValue 4096).
 */
function migrationLoad(k: number): ScenarioLoad {
  const forward = k <= MIGRATION_VMS / 2;
  const source = forward ? hostName(2) : hostName(3);
  const destination = forward ? hostName(3) : hostName(2);
  const started = { value: 0 };
  let next = 0;
  const headers = { 'Content-Type': SOAP_UTF8, Authorization: BASIC };
  const amount = forward ? MIGRATION_VMS - k : k;
  const request: autocannon.Request = {
    method: 'POST',
    setupRequest: (req) => {
      const i = next++;
      const vm = forward ? k + i : k - 1 - i;
      return { ...req, headers, body: migrateRequest(source, destination, vmGuid(2, Math.max(0, Math.min(MIGRATION_VMS - 1, vm)))) };
    },
    onResponse: (status, body) => {
      if (status === 200 && body.includes('<p:ReturnValue>4096</p:ReturnValue>')) started.value++;
    },
  };
  return { requests: [request], host: source, amount, items: started };
}

export function hypervScenarios(): Scenario[] {
  const server = SCENARIO_SERVER;
  const hv1 = hostName(0);
  const getVm = env.get(V2 + 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: vmGuid(0, 1) });
  return [
    {
      id: 'get-vm',
      title: 'Get Msvm_ComputerSystem (a VM)',
      server,
      scheme: 'http',
      load: () => ({ ...fixed(getVm), host: hv1 }),
      expect: `<p:Name>${vmGuid(0, 1)}</p:Name>`,
    },
    {
      id: 'invoke-migrate',
      title: `Invoke MigrateVirtualSystemToHost (a different VM each time, fabric clock ×1000)`,
      server,
      scheme: 'http',
      load: ({ server: child, run }) => {
        if (run < 0) return { ...fixed(migrateRequest(hostName(2), hostName(3), vmGuid(2, 0))), host: hostName(2) };
        const vms = child.info.settle?.vms as Record<string, number> | undefined;
        return migrationLoad(vms?.[hostName(3)] ?? 0);
      },
      expect: '',
      settle: true,
    },
    {
      id: 'get-job',
      title: 'Get Msvm_ConcreteJob (a finished job)',
      server,
      scheme: 'http',
      load: ({ server: child }) => {
        const id = (child.info.prepare?.sampleJob as Record<string, string> | undefined)?.[hv1];
        if (!id) throw new Error('the server made no job to Get');
        return { ...fixed(env.get(V2 + 'Msvm_ConcreteJob', { InstanceID: id })), host: hv1 };
      },
      expect: 'Msvm_ConcreteJob',
    },
    {
      id: 'enum5-vm',
      title: 'Enumerate optimized, Msvm_ComputerSystem of a host (5 instances)',
      server,
      scheme: 'http',
      load: () => ({ ...fixed(env.enumerate(V2 + 'Msvm_ComputerSystem', { optimize: true, maxElements: 32000 })), host: hv1 }),
      expect: 'EndOfSequence',
    },
    {
      id: 'pull-jobs',
      title: `Enumerate + Pull ${JOB_PAGE}/page through 10,000 Msvm_ConcreteJob`,
      server,
      scheme: 'http',
      load: () => ({ ...enumeratePullLoad(V2 + 'Msvm_ConcreteJob', JOB_PAGE), host: hv1 }),
      minimalBody: Buffer.from(env.pull(V2 + 'Msvm_ConcreteJob', 'uuid:00000000-0000-0000-0000-000000000000', JOB_PAGE)),
      expect: '',
      itemsPerSecond: true,
    },
    {
      id: 'wql-vms',
      title: `WQL WHERE over ${WQL_VMS.toLocaleString('en-US')} VMs (one match)`,
      server,
      scheme: 'http',
      load: () => ({
        ...fixed(env.enumerate(V2 + '*', { optimize: true, wql: `SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'vm-1-${WQL_VMS / 2}'` })),
        host: hostName(1),
      }),
      expect: `vm-1-${WQL_VMS / 2}`,
    },
    {
      id: 'ntlm-get-vm',
      title: 'Get Msvm_ComputerSystem over NTLM, sealed',
      server,
      scheme: 'http',
      load: () => ({ requests: ntlmSealedRequests(Buffer.from(getVm, 'utf8'), ADMIN), host: hv1 }),
      minimalBody: Buffer.from(getVm, 'utf8'),
      expect: '',
    },
    {
      id: 'https-get-vm',
      title: 'Get Msvm_ComputerSystem, Basic over HTTPS',
      server,
      scheme: 'https',
      load: () => ({ ...fixed(getVm), host: hv1 }),
      expect: `<p:Name>${vmGuid(0, 1)}</p:Name>`,
    },
  ];
}
