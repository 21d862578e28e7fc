/**
 * Every failure a migration checks for, under each profile, over real HTTP: the failures refused
 * at once (ReturnValue, no job) and those that fail the job (JobState 10, ErrorCode, ErrorDescription,
 * Msvm_Error from GetError/GetErrorEx with MessageID, ProbableCause and ErrorSource). The expected
 * codes are written out here, independently of src/providers/hyperv/profiles.ts.
 */
import { describe, expect, test } from 'vitest';
import type { Profile, WorldSpec } from '../../src/fabric/world.js';
import {
  cimXml, defaultWorld, esc, get, hostEpr, invoke, jobErrors, jobOf, jobProps, migrate, MIGRATION_SERVICE, migrationSettings, runJob,
  serviceSelectors, startLab, VM, vmEpr, type HypervLab, type InvokeAnswer,
} from '../helpers/hyperv.js';

const PROFILES: Profile[] = ['hyperv', 'hyperv-strict', 'dmtf'];

interface Codes {
  hyperv: number;
  dmtf: number;
}

interface Case {
  name: string;
  world?: (w: WorldSpec) => void;
  /** runs before the call (fabric API, other requests) */
  before?: (lab: HypervLab) => Promise<void> | void;
  call: (lab: HypervLab) => Promise<InvokeAnswer>;
  codes: Codes;
  /** job failures: what the Msvm_Error carries */
  job?: { messageId: string; probableCause: number; source?: RegExp; text: RegExp; state?: number; under10?: boolean };
}

const toHv2 = (vm: string, type = 32768) => (lab: HypervLab) => migrate(lab, 'HV1', vm, 'HV2', type);

const CASES: Case[] = [
  // ---- refused at once ----
  { name: 'VM not found', call: (lab) => migrate(lab, 'HV1', '00000000-0000-4000-8000-00000000DEAD', 'HV2'), codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'ComputerSystem is the host, not a VM', call: (lab) => invoke(lab.url('HV1'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'), 'MigrateVirtualSystemToHost',
    `<p:ComputerSystem>${hostEpr('HV1')}</p:ComputerSystem><p:DestinationHost>HV2</p:DestinationHost><p:MigrationSettingData>${esc(migrationSettings(32768))}</p:MigrationSettingData>`),
  codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'VM of another host', call: (lab) => migrate(lab, 'HV1', VM.app02, 'HV1'), codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'DestinationHost unparseable', call: (lab) => migrate(lab, 'HV1', VM.web01, 'not a host!'), codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'DestinationHost missing', call: (lab) => migrate(lab, 'HV1', VM.web01, null), codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'MigrationType not a Hyper-V value', call: (lab) => migrate(lab, 'HV1', VM.web01, 'HV2', 1), codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'StorageDeepCheck is not a migration', call: (lab) => migrate(lab, 'HV1', VM.web01, 'HV2', 32772), codes: { hyperv: 32773, dmtf: 4 } },
  { name: 'destination is the source (by its IPv4 address)', call: (lab) => migrate(lab, 'HV1', VM.web01, '10.0.0.11'), codes: { hyperv: 32773, dmtf: 6 } },
  { name: 'migration disabled on the source', world: (w) => (w.hosts[0].migration!.enabled = false), call: toHv2(VM.web01), codes: { hyperv: 32775, dmtf: 5 } },
  {
    name: 'VM already migrating',
    before: async (lab) => expect((await migrate(lab, 'HV1', VM.web01, 'HV2')).returnValue).toBe(4096),
    call: toHv2(VM.web01), codes: { hyperv: 32774, dmtf: 5 },
  },
  {
    name: 'VM in a transitional state (Starting) for a check',
    before: async (lab) => {
      const r = await invoke(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.build01 }, 'RequestStateChange', '<p:RequestedState>2</p:RequestedState>');
      expect(r.returnValue).toBe(4096);
    },
    call: (lab) => migrate(lab, 'HV1', VM.build01, 'HV2', 32768, { method: 'CheckVirtualSystemIsMigratable' }),
    codes: { hyperv: 32775, dmtf: 5 },
  },
  { name: 'storage move without new paths', call: (lab) => migrate(lab, 'HV1', VM.web01, null, 32769), codes: { hyperv: 32773, dmtf: 4 } },
  {
    name: 'storage move with a path for a disk the VM does not have',
    call: (lab) => migrate(lab, 'HV1', VM.web01, null, 32769, {
      extra: `<p:NewResourceSettingData>${esc(cimXml('Msvm_StorageAllocationSettingData', {
        InstanceID: ['string', `Microsoft:${VM.db01}\\D422512D-2BF2-4752-809D-7B82B5FCB1B4\\0\\0\\L`], HostResource: ['string', ['E:\\x.vhdx']],
      }))}</p:NewResourceSettingData>`,
    }),
    codes: { hyperv: 32773, dmtf: 4 },
  },
  // ---- fail the job ----
  {
    name: 'DestinationHost names no host',
    call: (lab) => migrate(lab, 'HV1', VM.web01, 'hv9.lab.local'),
    codes: { hyperv: 32777, dmtf: 2 },
    job: { messageId: '21018', probableCause: 5, text: /No such host is known\. \(0x80072AF9\)/, source: /Msvm_ComputerSystem\.CreationClassName="Msvm_ComputerSystem",Name="8A4E1A2C/, under10: true },
  },
  {
    name: 'destination unreachable (fault injection: no answer)',
    before: (lab) => lab.fabric.setReachability('HV2', 'timeout'),
    call: toHv2(VM.web01),
    codes: { hyperv: 32777, dmtf: 5 },
    job: { messageId: '21019', probableCause: 111, text: /0x8007274C/, under10: true },
  },
  {
    name: 'migration disabled on the destination',
    world: (w) => (w.hosts[1].migration!.enabled = false),
    call: toHv2(VM.web01),
    codes: { hyperv: 32775, dmtf: 5 },
    job: { messageId: '21020', probableCause: 5, text: /disabled the listener/, source: /\\\\HV2\\root\\virtualization\\v2:Msvm_VirtualSystemMigrationService\./, under10: true },
  },
  {
    name: 'authentication type mismatch',
    world: (w) => (w.hosts[1].migration!.authenticationType = 'credssp'),
    call: toHv2(VM.web01),
    codes: { hyperv: 32769, dmtf: 2 },
    job: { messageId: '21021', probableCause: 117, text: /No credentials are available in the security package \(0x8009030E\)/, under10: true },
  },
  {
    name: 'processor vendor mismatch',
    world: (w) => (w.hosts[1].processor!.vendor = 'AuthenticAMD'),
    call: toHv2(VM.web01),
    codes: { hyperv: 32768, dmtf: 6 },
    job: { messageId: '24006', probableCause: 8, text: /hardware on the destination computer is not compatible/, source: /Msvm_ProcessorSettingData\.InstanceID="Microsoft:8A4E1A2C-5D1B-4E0B-9F3B-1234567890AB\\\\B637F346/, under10: true },
  },
  {
    name: 'processor features missing without compatibility mode',
    world: (w) => (w.hosts[1].processor!.features = ['sse4_2', 'avx', 'aes']),
    call: toHv2(VM.web01),
    codes: { hyperv: 32768, dmtf: 6 },
    job: { messageId: '24006', probableCause: 8, text: /processor-specific features not supported on host 'HV2'/, under10: true },
  },
  {
    name: 'not enough free memory on the destination',
    world: (w) => (w.hosts[1].memoryMiB = 8192),
    call: toHv2(VM.db01),
    codes: { hyperv: 32778, dmtf: 6 },
    job: { messageId: '23509', probableCause: 33, text: /Ran out of memory \(0x8007000E\)/, source: /Msvm_MemorySettingData/, under10: true },
  },
  {
    name: 'configuration version unsupported on the destination',
    world: (w) => {
      w.hosts[1].osVersion = '10.0.17763';
      w.hosts[1].vms![0].configurationVersion = '9.0';
    },
    call: toHv2(VM.web01),
    codes: { hyperv: 32770, dmtf: 6 },
    job: { messageId: '24012', probableCause: 58, text: /configuration version 10\.0, which host 'HV2' \(Windows Server 2019\) does not support/, source: /Msvm_VirtualSystemSettingData\.InstanceID="Microsoft:8A4E1A2C/, under10: true },
  },
  {
    name: 'same VM id already on the destination (a planned VM left there)',
    before: (lab) => {
      lab.fabric.defineVm('HV2', { guid: VM.web01, name: 'stale', planned: true });
    },
    call: toHv2(VM.web01),
    codes: { hyperv: 32774, dmtf: 6 },
    job: { messageId: '21023', probableCause: 79, text: /already exists there/, source: /\\\\HV2\\.*Msvm_PlannedComputerSystem/, under10: true },
  },
  {
    name: 'a virtual switch the VM uses is missing on the destination',
    call: toHv2(VM.build01),
    codes: { hyperv: 32768, dmtf: 6 },
    job: { messageId: '33012', probableCause: 73, text: /Could not find Ethernet switch 'Internal'\./, source: /Msvm_EthernetPortAllocationSettingData\.InstanceID="Microsoft:0F6C0E63-8C0B-4A4C-9D4E-2B7C8E1F0A11\\\\[0-9A-F-]+\\\\C"/, under10: true },
  },
  {
    name: 'DestinationPlannedVirtualSystemId names no planned VM',
    call: (lab) => migrate(lab, 'HV1', VM.web01, 'HV2', 32768, {
      settings: migrationSettings(32768, { DestinationPlannedVirtualSystemId: ['string', '11111111-2222-4333-8444-555555555555'] }),
    }),
    codes: { hyperv: 32773, dmtf: 4 },
    job: { messageId: '21025', probableCause: 73, text: /planned virtual machine '11111111-2222-4333-8444-555555555555' was not found/, under10: true },
  },
  {
    name: 'failure injected at 40 %',
    before: (lab) => {
      lab.fabric.faults.add({ match: { vm: 'db01' }, effect: { kind: 'fail', atPercent: 40 } });
    },
    call: toHv2(VM.db01),
    codes: { hyperv: 32768, dmtf: 2 },
    job: { messageId: '21026', probableCause: 69, text: /forcibly closed by the remote host\. \(0x80072746\)/ },
  },
];

async function labFor(profile: Profile, c: Case): Promise<HypervLab> {
  return startLab(defaultWorld((w) => {
    for (const h of w.hosts) h.profile = profile;
    c.world?.(w);
  }));
}

function migratedVm(c: Case): string {
  return c.name.includes('memory') || c.name.includes('injected') ? VM.db01 : c.name.includes('switch') ? VM.build01 : VM.web01;
}

for (const profile of PROFILES) {
  describe(`profile ${profile}`, () => {
    for (const c of CASES) {
      test(c.name, async () => {
        const lab = await labFor(profile, c);
        try {
          await c.before?.(lab);
          const a = await c.call(lab);
          const expected = profile === 'dmtf' ? c.codes.dmtf : c.codes.hyperv;
          if (!c.job) {
            expect(a.returnValue, a.http.text).toBe(expected);
            expect(a.out.get('Job')).toBeUndefined();
            return;
          }
          const job = jobOf(a);
          expect(job.cls).toBe('Msvm_MigrationJob');
          const p = await runJob(lab, 'HV1', job, 250);
          expect(p.JobState).toBe(String(c.job.state ?? 10));
          expect(p.ErrorCode).toBe(String(expected));
          expect(p.ErrorDescription).toMatch(c.job.text);
          expect(p.ErrorSummaryDescription).toMatch(/^Virtual machine migration operation for '.+' failed at migration (source|destination) '.+'\. \(Virtual machine ID [0-9A-F-]{36}\)$/);
          if (c.job.under10) expect(Number(p.PercentComplete)).toBeLessThan(10);
          expect(p.OperationalStatus).toBe('6');
          // GetError: the first error; GetErrorEx: all of them
          const one = await invoke(lab.url('HV1'), job.cls, { InstanceID: job.id }, 'GetError', '');
          expect(one.returnValue).toBe(0);
          expect(one.out.get('Error')).toHaveLength(1);
          const errors = await jobErrors(lab.url('HV1'), job);
          expect(errors[0].props.MessageID).toBe('21502');
          const specific = errors.find((e) => e.props.MessageID === c.job!.messageId);
          expect(specific, JSON.stringify(errors.map((e) => e.props.MessageID))).toBeDefined();
          expect(specific!.props.ProbableCause).toBe(c.job.probableCause);
          expect(specific!.props.Message).toMatch(c.job.text);
          if (c.job.source) {
            expect(specific!.props.ErrorSource).toMatch(c.job.source);
            expect(specific!.props.ErrorSourceFormat).toBe(2);
          }
          // the VM stays on the source, running as before, no longer migrating
          const vm = migratedVm(c);
          const src = await get(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: vm });
          expect(src.props?.OperationalStatus).toBe('2');
          expect((await get(lab.url('HV2'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: vm })).fault?.subcode).toBe('a:DestinationUnreachable');
        } finally {
          await lab.close();
        }
      });
    }

    test('a cancelled migration: JobState 8 (Terminated), the VM stays', async () => {
      const lab = await startLab(defaultWorld((w) => w.hosts.forEach((h) => (h.profile = profile))));
      try {
        const job = jobOf(await migrate(lab, 'HV1', VM.db01, 'HV2'));
        lab.clock.advance(4000);
        const cancel = await invoke(lab.url('HV1'), job.cls, { InstanceID: job.id }, 'RequestStateChange', '<p:RequestedState>4</p:RequestedState>');
        expect(cancel.returnValue).toBe(0);
        const p = await jobProps(lab.url('HV1'), job);
        expect(p.JobState).toBe('8');
        expect(p.ErrorCode).toBe(profile === 'dmtf' ? '2' : '32768');
        expect((await jobErrors(lab.url('HV1'), job))[0].props.MessageID).toBe('21027');
        const again = await invoke(lab.url('HV1'), job.cls, { InstanceID: job.id }, 'RequestStateChange', '<p:RequestedState>4</p:RequestedState>');
        expect(again.returnValue).toBe(profile === 'dmtf' ? 4097 : 32775);
        const bogus = await invoke(lab.url('HV1'), job.cls, { InstanceID: job.id }, 'RequestStateChange', '<p:RequestedState>3</p:RequestedState>');
        expect(bogus.returnValue).toBe(profile === 'dmtf' ? 1 : 32770);
        lab.clock.advance(60_000);
        expect((await get(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.db01 })).props?.EnabledState).toBe('2');
      } finally {
        await lab.close();
      }
    });

    test('the DSP1081 methods the Msvm class only inherits', async () => {
      const lab = await startLab(defaultWorld((w) => w.hosts.forEach((h) => (h.profile = profile))));
      try {
        const svc = serviceSelectors(MIGRATION_SERVICE, 'HV1');
        const settings = `<p:MigrationSettingData>${esc(migrationSettings(32768))}</p:MigrationSettingData>`;
        const toHost = (vm: string, dest: string) =>
          invoke(lab.url('HV1'), MIGRATION_SERVICE, svc, 'CheckVirtualSystemIsMigratableToHost', `<p:ComputerSystem>${vmEpr(vm)}</p:ComputerSystem><p:DestinationHost>${dest}</p:DestinationHost>${settings}`);
        const toSystem = (vm: string, dest: string) =>
          invoke(lab.url('HV1'), MIGRATION_SERVICE, svc, 'CheckVirtualSystemIsMigratableToSystem', `<p:ComputerSystem>${vmEpr(vm)}</p:ComputerSystem><p:DestinationSystem>${hostEpr(dest)}</p:DestinationSystem>${settings}`);
        const moveToSystem = (vm: string, dest: string) =>
          invoke(lab.url('HV1'), MIGRATION_SERVICE, svc, 'MigrateVirtualSystemToSystem', `<p:ComputerSystem>${vmEpr(vm)}</p:ComputerSystem><p:DestinationSystem>${hostEpr(dest)}</p:DestinationSystem>${settings}`);
        if (profile === 'hyperv-strict') {
          for (const a of [await toHost(VM.web01, 'HV2'), await toSystem(VM.web01, 'HV2'), await moveToSystem(VM.web01, 'HV2')]) {
            expect(a.http.status).toBe(500);
            expect(a.http.text).toContain('This method is not implemented in any class');
            expect(a.http.text).toContain('2147749973'); // 0x80041055 WBEM_E_METHOD_NOT_IMPLEMENTED
          }
          return;
        }
        // DMTF codes in both hyperv and dmtf: 0 + IsMigratable, 4 invalid parameter, 5 invalid state
        const ok = await toHost(VM.web01, 'HV2');
        expect([ok.returnValue, ok.out.get('IsMigratable')?.[0] && ok.out.get('IsMigratable')![0].children.length]).toEqual([0, 1]);
        expect(ok.http.text).toContain('<p:IsMigratable>true</p:IsMigratable>');
        const incompatible = await toHost(VM.build01, 'HV2');
        expect(incompatible.returnValue).toBe(0);
        expect(incompatible.http.text).toContain('<p:IsMigratable>false</p:IsMigratable>');
        const bad = await toHost(VM.web01, 'no such host!');
        expect(bad.returnValue).toBe(4);
        expect(bad.out.get('IsMigratable')).toBeUndefined();
        expect((await toHost('00000000-0000-4000-8000-00000000DEAD', 'HV2')).returnValue).toBe(4);
        expect((await toSystem(VM.web01, 'HV2')).http.text).toContain('<p:IsMigratable>true</p:IsMigratable>');
        expect((await toSystem(VM.web01, 'HV7')).returnValue).toBe(4);
        lab.fabric.modifyMigrationSettings('HV1', { enabled: false });
        expect((await toHost(VM.web01, 'HV2')).returnValue).toBe(5);
        expect((await moveToSystem(VM.web01, 'HV2')).returnValue).toBe(5);
      } finally {
        await lab.close();
      }
    });
  });
}
