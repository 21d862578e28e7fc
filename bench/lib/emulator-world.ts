/**
 * The emulator as `npm start` assembles it (createEmulator + the Hyper-V fabric), over a world
 * generated in code (bench/lib/hyperv-world.ts) or a world file, in the bench's server child.
 * The Hyper-V fabric module is loaded at run time, so the bench builds and runs its core-world
 * scenarios without it.
 */
import { join } from 'node:path';
import { projectRoot } from '../../src/cim/schema-loader.js';
import { createEmulator, type FabricFactory } from '../../src/emulator.js';
import { FabricClock } from '../../src/fabric/clock.js';
import { loadWorldFile } from '../../src/fabric/world-file.js';
import type { WorldSpec } from '../../src/fabric/world.js';
import { HYPERV_MODULE } from './hyperv-scenarios.js';
import { jobPlan, largeWorld, makeJobs, scenarioWorld, type JobMakingFabric } from './hyperv-world.js';
import type { HostPorts, ServerSpec } from './protocol.js';

interface BenchFabric extends JobMakingFabric {
  retentionMs: number;
  activeMigrations(): unknown[];
  vmCount(host: string): number;
  jobs(host: string): IterableIterator<{ readonly id: string }>;
}

export async function startHypervWorld(spec: Extract<ServerSpec, { kind: 'hyperv' }>, certDir: string) {
  const mod = (await import(HYPERV_MODULE)) as { createHypervFabric: FabricFactory };
  const w = spec.world;
  const world: WorldSpec =
    w.kind === 'file' ? loadWorldFile(join(projectRoot(), 'worlds', w.file)) : w.kind === 'scenarios' ? scenarioWorld() : largeWorld(w.hosts ?? 1000, w.vmsPerHost ?? 20);
  const clock = new FabricClock({ mode: 'real', scale: spec.clockScale ?? 1 });
  const emu = await createEmulator({ world, fabric: mod.createHypervFabric, portBase: 0, https: spec.https ?? false, clock, certDir });
  const fabric = emu.fabric as unknown as BenchFabric;
  const hosts: Record<string, HostPorts> = {};
  for (const h of emu.hosts) hosts[h.name] = { http: h.http.port, https: h.https?.port };
  return {
    http: emu.hosts[0].http.port,
    https: emu.hosts[0].https?.port,
    hosts,
    close: () => emu.close(),
    async prepare(): Promise<string> {
      if (w.kind === 'file') return JSON.stringify({ note: 'nothing to prepare' });
      const t0 = performance.now();
      let made = 0;
      const sampleJob: Record<string, string> = {};
      for (const [h, n] of jobPlan(w.kind)) {
        const name = emu.hosts[h].name;
        makeJobs(fabric, h, fabric.vmCount(name), n);
        made += n;
        const first = fabric.jobs(name).next();
        if (!first.done) sampleJob[name] = first.value.id;
      }
      // jobs made from now on (the Invoke scenario's migrations) go away one fabric second after they end
      fabric.retentionMs = 1000;
      return JSON.stringify({ note: `${made} finished jobs made in ${Math.round(performance.now() - t0)} ms`, sampleJob });
    },
    async settle(): Promise<string> {
      const t0 = performance.now();
      while (fabric.activeMigrations().length > 0) {
        if (performance.now() - t0 > 60_000) throw new Error('migrations did not finish within 60 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      const vms: Record<string, number> = {};
      for (const h of emu.hosts.slice(0, 4)) vms[h.name] = fabric.vmCount(h.name);
      return JSON.stringify({ note: `settled in ${Math.round(performance.now() - t0)} ms`, vms });
    },
  };
}
