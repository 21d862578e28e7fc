/**
 * The committed OpenAPI document describes every route of the control app, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createEmulator } from '../../../src/emulator.js';
import { createControlApp, openApiPath } from '../../../src/control/server.js';
import { defaultWorld } from '../../helpers/hyperv.js';

interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

describe('OpenAPI', () => {
  test('every route is described and every described operation is a route', async () => {
    const emu = await createEmulator({ world: defaultWorld(), portBase: 0, https: false });
    try {
      const app = createControlApp(emu);
      const routes = new Set<string>();
      const walk = (stack: Layer[]) => {
        for (const l of stack) {
          if (l.route) for (const m of Object.keys(l.route.methods)) routes.add(`${m.toUpperCase()} ${l.route.path.replace(/:(\w+)/g, '{$1}')}`);
          else if (l.handle?.stack) walk(l.handle.stack);
        }
      };
      walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
      const doc = JSON.parse(readFileSync(openApiPath(), 'utf8')) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toMatch(/^3\./);
      const described = new Set<string>();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const m of Object.keys(item)) if (['get', 'put', 'post', 'delete', 'patch'].includes(m)) described.add(`${m.toUpperCase()} ${path}`);
      }
      expect([...routes].sort()).toEqual([...described].sort());
      expect(routes.size).toBeGreaterThan(30);
    } finally {
      await emu.close();
    }
  });

  test('served at /openapi.json', async () => {
    const emu = await createEmulator({ world: defaultWorld(), portBase: 0, https: false, controlPort: 0 });
    try {
      const r = await fetch(`${emu.control.url}/openapi.json`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { info: { title: string } }).info.title).toBe('vmms-emu control API');
    } finally {
      await emu.close();
    }
  });
});
