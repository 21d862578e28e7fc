/**
 * The `vmms-emu` command: serve a world, validate or print world files, capture a real host.
 *
 * Run contract (other tools depend on it): `serve` starts one HTTP and one HTTPS listener per
 * host on 127.0.0.1 (host i on portBase + 2i and + 2i + 1), prints one line per host with its
 * URLs, then a line containing `ready`. Exit codes: 0 success, 1 runtime failure, 2 usage or
 * invalid input (a world file that does not validate).
 *
 * Before the `ready` line `serve` also prints the control API's line, which never looks like a
 * host line: `control: http://127.0.0.1:5984 (dashboard http://127.0.0.1:5984/dashboard/)`, with
 * `token <t>` when one is needed. Logs (one JSON line per request, pino) go to stderr, so stdout
 * stays the contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { projectRoot } from './cim/schema-loader.js';
import { captureWorld, worldYaml } from './capture/capture.js';
import { WsmanClientFault, WsmanTransportError } from './capture/client.js';
import { createEmulator, isLoopback } from './emulator.js';
import { FabricClock } from './fabric/clock.js';
import { loadWorldFile, parseWorld, WorldFileError } from './fabric/world-file.js';
import type { WorldSpec } from './fabric/world.js';

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

/** A usage problem found after parsing (exit 2). */
class UsageError extends Error {}

interface ServeOptions {
  world?: string;
  portBase: number;
  bind: string;
  timeScale: number;
  clock: 'real' | 'manual';
  https: boolean;
  logLevel: string;
  controlPort?: number;
  control: boolean;
  controlBind: string;
  controlToken?: string;
  traceFile?: string;
  faultSeed?: number;
  state?: string;
  shutdownTimeout: number;
}

interface CaptureOptions {
  endpoint: string[];
  user: string;
  password?: string;
  auth: 'basic' | 'ntlm';
  out?: string;
  name?: string;
  worldPassword: string;
  ca?: string;
  insecure?: boolean;
  seal?: boolean;
  timeout: number;
}

export function buildProgram(out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Command {
  const program = new Command('vmms-emu')
    .description('A fabric of emulated Hyper-V hosts, as seen over WinRM / WS-Management.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve', { isDefault: true })
    .description('serve a world over WS-Management (HTTP and HTTPS per host), with the control API, metrics and dashboard on a port of their own')
    .option('-w, --world <file>', 'world file (YAML); default: the built-in lab')
    .option('-p, --port-base <n>', 'first port: host i listens on n+2i (HTTP) and n+2i+1 (HTTPS); 0 = free ports', intOption('port base', 0, 65000), 5985)
    .option('-b, --bind <address>', 'listen address', '127.0.0.1')
    .option('-t, --time-scale <x>', 'fabric clock speed (2 = twice real time)', positiveNumber, 1)
    .addOption(new Option('--clock <mode>', 'fabric clock: real (scaled wall time) or manual (moves only by POST /api/clock/advance)').choices(['real', 'manual']).default('real'))
    .option('--no-https', 'HTTP listeners only')
    .addOption(new Option('--log-level <level>', 'request log level (one JSON line per request on stderr)').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .option('--control-port <n>', 'control API, /metrics and dashboard port (default: port base - 1, or a free port with port base 0); 0 = a free port', intOption('control port', 0, 65535))
    .option('--no-control', 'no control API')
    .option('--control-bind <address>', 'control API address; anything but loopback requires a bearer token', '127.0.0.1')
    .option('--control-token <token>', 'bearer token for the control API (generated and printed when the control address is not loopback)')
    .option('--trace-file <file>', 'append every envelope, decrypted, to this file (for debugging a client; contains everything the client sent)')
    .option('--fault-seed <n>', 'seed for fault rules with a probability (same seed, same draws)', intOption('fault seed', 0, 2 ** 32 - 1))
    .option('--state <file>', 'keep the fabric (hosts, VMs, settings, jobs) in this SQLite file across restarts; a new file is seeded from the world, an existing one is resumed')
    .option('--shutdown-timeout <ms>', 'on SIGTERM/SIGINT: how long requests in flight may take to finish', intOption('shutdown timeout', 0, 600_000), 5000)
    .action(async (opts: ServeOptions) => {
      const world = loadWorld(opts.world);
      const clock = new FabricClock({ scale: opts.timeScale, mode: opts.clock });
      const logger = pino(
        { level: opts.logLevel, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
        pino.destination({ dest: 2, sync: false }),
      );
      let controlPort: number | undefined;
      if (opts.control) {
        controlPort = opts.controlPort ?? (opts.portBase === 0 ? 0 : opts.portBase - 1);
        if (controlPort > 65535) throw new UsageError('the control port is out of range');
      }
      const emu = await createEmulator({
        world, portBase: opts.portBase, bind: opts.bind, clock, https: opts.https,
        controlPort, controlBind: opts.controlBind, controlToken: opts.controlToken,
        logger, traceFile: opts.traceFile, faultSeed: opts.faultSeed,
        state: opts.state, shutdownTimeoutMs: opts.shutdownTimeout,
      });
      if (emu.recovered) {
        const r = emu.recovered;
        logger.warn({ state: opts.state, cleanShutdown: r.clean, interruptedJobs: r.jobsEnded.length }, r.clean
          ? 'resumed the fabric from the state file'
          : 'resumed the fabric from the state file after an unclean stop; interrupted jobs ended in Exception');
      }
      for (const h of emu.hosts) out(`${h.name} ${h.http.url}${h.https ? ' ' + h.https.url : ''}`);
      if (emu.control.url) {
        const shown = emu.control.token && !isLoopback(opts.controlBind) ? ` token ${emu.control.token}` : '';
        out(`control: ${emu.control.url} (dashboard ${emu.control.url}/dashboard/${emu.control.token ? `?token=${emu.control.token}` : ''})${shown}`);
      }
      out(`vmms-emu ready: world ${world.name ?? '(unnamed)'}, ${emu.hosts.length} host(s)`);
      logger.info({ hosts: emu.hosts.map((h) => h.name), control: emu.control.url, faultSeed: emu.faults.seed }, 'ready');
      let stopping = false;
      const stop = () => {
        // a second signal while draining ends it at once (the state file is consistent either way)
        if (stopping) process.exit(EXIT.failure);
        stopping = true;
        emu.close().then(
          () => logger.flush(() => process.exit(EXIT.ok)),
          () => process.exit(EXIT.failure),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });

  const worldCmd = program.command('world').description('world files');
  worldCmd
    .command('validate <file>')
    .description('check a world file; prints the problems with their line numbers')
    .action((file: string) => {
      const w = loadWorldFile(file);
      const vms = w.hosts.reduce((n, h) => n + (h.vms?.length ?? 0), 0);
      const rules = w.faults?.length ? `, ${w.faults.length} fault rule(s)` : '';
      out(`${file}: valid (${w.hosts.length} host(s), ${vms} VM(s), ${w.users.length} user(s)${rules})`);
    });
  worldCmd
    .command('print')
    .description('print the built-in default world as YAML (a starting point for your own)')
    .action(() => {
      const text = readFileSync(defaultWorldPath(), 'utf8');
      parseWorld(text, defaultWorldPath());
      out(text.trimEnd());
    });

  program
    .command('capture')
    .description('walk a WinRM endpoint (a Hyper-V host, or vmms-emu itself) and write a world file that reproduces it')
    .requiredOption('-e, --endpoint <url...>', 'WS-Man URL, e.g. http://hv1:5985/wsman (repeat for several hosts)')
    .requiredOption('-u, --user <user>', 'account: Administrator, DOMAIN\\user or user@domain')
    .option('--password <password>', 'password (default: the VMMS_PASSWORD environment variable)')
    .addOption(new Option('--auth <scheme>', 'authentication').choices(['basic', 'ntlm']).default('basic'))
    .option('-o, --out <file>', 'write the world here (default: stdout)')
    .option('--name <name>', 'world name', 'captured')
    .option('--world-password <password>', 'password of the account in the written world (the real one is never written)', 'Passw0rd!')
    .option('--ca <file>', 'PEM of a CA to trust for HTTPS')
    .option('-k, --insecure', 'accept any HTTPS certificate')
    .option('--no-seal', 'NTLM over HTTP without message encryption (needs AllowUnencrypted on the host)')
    .option('--timeout <ms>', 'per-request timeout', intOption('timeout', 1, 3_600_000), 60_000)
    .action(async (opts: CaptureOptions) => {
      const password = opts.password ?? process.env.VMMS_PASSWORD;
      if (password === undefined) throw new UsageError('give the password with --password or the VMMS_PASSWORD environment variable');
      for (const e of opts.endpoint) {
        let u: URL;
        try {
          u = new URL(e);
        } catch {
          throw new UsageError(`not a URL: ${e}`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${e}`);
      }
      const ca = opts.ca ? readFileSync(opts.ca, 'utf8') : undefined;
      const { world, notes } = await captureWorld(
        opts.endpoint.map((endpoint) => ({
          endpoint, user: opts.user, password, auth: opts.auth, ca, insecure: opts.insecure, timeoutMs: opts.timeout,
          ...(opts.seal === false ? { seal: false } : {}),
        })),
        { name: opts.name, password: opts.worldPassword },
      );
      const yaml = await worldYaml(world, notes);
      // the capture must itself be a valid world
      parseWorld(yaml, opts.out ?? '<capture>');
      if (opts.out) {
        writeFileSync(opts.out, yaml);
        out(`${opts.out}: ${world.hosts.length} host(s), ${world.hosts.reduce((n, h) => n + (h.vms?.length ?? 0), 0)} VM(s) captured`);
      } else {
        out(yaml.trimEnd());
      }
    });
  return program;
}

export async function main(argv: string[], out?: (line: string) => void): Promise<number> {
  const program = buildProgram(out);
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
    if (e instanceof UsageError) {
      process.stderr.write(`vmms-emu: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof WsmanClientFault || e instanceof WsmanTransportError) {
      process.stderr.write(`vmms-emu capture: ${e.message}\n`);
      return EXIT.failure;
    }
    process.stderr.write(`vmms-emu: ${err.message ?? String(e)}\n`);
    return EXIT.failure;
  }
}
