/**
 * The `vmms-emu` command: serve a world, validate or print world files, capture a real host.
 *
 * Run contract (other tools depend on it): `serve` starts one HTTP and one HTTPS listener per
 * host on 127.0.0.1 (host i on portBase + 2i and + 2i + 1), prints one line per host with its
 * URLs, then a line containing `ready`. Exit codes: 0 success, 1 runtime failure, 2 usage or
 * invalid input (a world file that does not validate).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { projectRoot } from './cim/schema-loader.js';
import { createEmulator } from './emulator.js';
import { FabricClock } from './fabric/clock.js';
import { loadWorldFile, parseWorld, WorldFileError } from './fabric/world-file.js';
import type { WorldSpec } from './fabric/world.js';
import { createHypervFabric } from './providers/hyperv/index.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function defaultWorldPath(): string {
  return join(projectRoot(), 'worlds', 'default.yaml');
}

function intOption(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number.');
  return n;
}

function loadWorld(file: string | undefined): WorldSpec {
  return file ? loadWorldFile(file) : loadWorldFile(defaultWorldPath());
}

export function buildProgram(out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Command {
  const program = new Command('vmms-emu')
    .description('A fabric of emulated Hyper-V hosts, as seen over WinRM / WS-Management.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve', { isDefault: true })
    .description('serve a world over WS-Management (HTTP and HTTPS per host)')
    .option('-w, --world <file>', 'world file (YAML); default: the built-in lab')
    .option('-p, --port-base <n>', 'first port: host i listens on n+2i (HTTP) and n+2i+1 (HTTPS); 0 = free ports', intOption('port base', 0, 65000), 5985)
    .option('-b, --bind <address>', 'listen address', '127.0.0.1')
    .option('-t, --time-scale <x>', 'fabric clock speed (2 = twice real time)', positiveNumber, 1)
    .option('--no-https', 'HTTP listeners only')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent', 'info')
    .action(async (opts: { world?: string; portBase: number; bind: string; timeScale: number; https: boolean }) => {
      const world = loadWorld(opts.world);
      const clock = new FabricClock({ scale: opts.timeScale });
      const emu = await createEmulator({ world, fabric: createHypervFabric, portBase: opts.portBase, bind: opts.bind, clock, https: opts.https });
      for (const h of emu.hosts) out(`${h.name} ${h.http.url}${h.https ? ' ' + h.https.url : ''}`);
      out(`vmms-emu ready: world ${world.name ?? '(unnamed)'}, ${emu.hosts.length} host(s)`);
      const stop = () => {
        emu.close().then(() => process.exit(EXIT.ok), () => process.exit(EXIT.failure));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const worldCmd = program.command('world').description('world files');
  worldCmd
    .command('validate <file>')
    .description('check a world file; prints the problems with their line numbers')
    .action((file: string) => {
      const w = loadWorldFile(file);
      const vms = w.hosts.reduce((n, h) => n + (h.vms?.length ?? 0), 0);
      out(`${file}: valid (${w.hosts.length} host(s), ${vms} VM(s), ${w.users.length} user(s))`);
    });
  worldCmd
    .command('print')
    .description('print the built-in default world as YAML (a starting point for your own)')
    .action(() => {
      const text = readFileSync(defaultWorldPath(), 'utf8');
      parseWorld(text, defaultWorldPath());
      out(text.trimEnd());
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) return EXIT.usage;
    if (e instanceof WorldFileError) {
      process.stderr.write(e.message + '\n');
      return EXIT.usage;
    }
    process.stderr.write(`vmms-emu: ${err.message ?? String(e)}\n`);
    return EXIT.failure;
  }
}
