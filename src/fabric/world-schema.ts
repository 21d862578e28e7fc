/**
 * JSON Schema of world files (the structure of src/fabric/world.ts). Unknown fields are errors so
 * a typo in a world file is reported, not ignored.
 */

import { FAULTS } from '../faults/catalogue.js';
import type { FabricTimings } from './fabric.js';
import { LIMIT_MINIMUMS, LIMIT_NAMES } from './limits.js';
import { FAULT_OPERATIONS } from './world.js';

const str = { type: 'string', minLength: 1 } as const;
const strList = { type: 'array', items: str } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;

const user = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'password'],
  properties: {
    name: str,
    password: { type: 'string' },
    readOnly: { type: 'boolean' },
    hosts: strList,
    // client certificate mappings (winrm/config/service/certmapping): every field given must match;
    // an empty mapping would accept any trusted certificate, so at least one field is required
    certificates: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          // SHA-1 thumbprint of the issuing CA, as Windows shows it (pairs may be separated by spaces or colons)
          issuer: { type: 'string', pattern: '^([0-9A-Fa-f]{2}[ :]?){19}[0-9A-Fa-f]{2}$' },
          subject: str,
          upn: str,
        },
      },
    },
  },
} as const;

const vm = {
  type: 'object',
  additionalProperties: false,
  required: ['guid', 'name', 'state', 'memoryMiB', 'cpus'],
  properties: {
    guid: str,
    name: { type: 'string', minLength: 1, maxLength: 100 },
    state: { enum: ['running', 'off', 'saved', 'paused'] },
    memoryMiB: positiveInt,
    cpus: { type: 'integer', minimum: 1, maximum: 2048 },
    processorCompatibility: { type: 'boolean' },
    configurationVersion: { type: 'string', pattern: '^\\d+\\.\\d+$' },
    generation: { enum: [1, 2] },
    vhds: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: { path: str, sizeGiB: { type: 'number', exclusiveMinimum: 0 } },
      },
    },
    adapters: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['switch'],
        properties: { name: str, switch: str, mac: { type: 'string', pattern: '^[0-9A-Fa-f]{12}$' } },
      },
    },
    notes: { type: 'string' },
  },
} as const;

const host = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,14}$' },
    fqdn: str,
    addresses: strList,
    ports: { type: 'object', additionalProperties: false, properties: { http: port, https: port } },
    profile: { enum: ['hyperv', 'hyperv-strict', 'dmtf'] },
    osVersion: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
    processor: {
      type: 'object',
      additionalProperties: false,
      properties: { vendor: str, model: str, features: strList, logicalProcessors: positiveInt },
    },
    memoryMiB: positiveInt,
    storageRoots: strList,
    switches: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: str, type: { enum: ['External', 'Internal', 'Private'] } },
      },
    },
    migration: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        maxActiveVirtualSystemMigrations: positiveInt,
        maxActiveStorageMigrations: positiveInt,
        authenticationType: { enum: ['credssp', 'kerberos'] },
        compression: { type: 'boolean' },
        smbTransport: { type: 'boolean' },
        networks: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['subnet'],
            properties: {
              subnet: { type: 'string', pattern: '^[0-9A-Fa-f:.]+(/\\d{1,3})?$' },
              metric: { type: 'integer', minimum: 0 },
              tags: strList,
            },
          },
        },
      },
    },
    listener: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allowUnencrypted: { type: 'boolean' },
        basic: { type: 'boolean' },
        negotiate: { type: 'boolean' },
        certificate: { type: 'boolean' },
        tlsCert: str,
        tlsKey: str,
      },
    },
    unreachable: { type: 'boolean' },
    vms: { type: 'array', items: vm },
  },
} as const;

const ms = { type: 'number', minimum: 0 } as const;
const timingNames = [
  'migrationSetupMs', 'migrationCutoverMs', 'offlineTransferMs', 'checkMs', 'stagedMs', 'startMs', 'restoreMs', 'powerOffMs',
  'shutdownMs', 'saveMs', 'pauseMs', 'resumeMs', 'resetMs', 'rebootMs', 'destroyMs', 'validatePlannedMs', 'realizePlannedMs',
] as const satisfies ReadonlyArray<keyof FabricTimings>;
// every timing of the engine is settable from a world file
const everyTiming: Exclude<keyof FabricTimings, (typeof timingNames)[number]> extends never ? true : false = true;
void everyTiming;

/** Names a `fault` effect accepts: catalogue kinds (`QuotaLimit`) and subcodes (`w:QuotaLimit`). */
export const FAULT_NAMES: readonly string[] = [
  ...new Set([
    ...Object.keys(FAULTS),
    ...Object.values(FAULTS).flatMap((f) => ('subcode' in f && f.subcode ? [`${f.subcode[0]}:${f.subcode[1]}`] : [])),
  ]),
].sort();

const faultTime = { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', minLength: 1 }] } as const;

// Which fields go with which effect kind is checked in world-file.ts (faultRuleProblems), so the
// messages can say it plainly.
const faultRule = {
  type: 'object',
  additionalProperties: false,
  required: ['effect'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    description: { type: 'string' },
    host: str,
    operation: { enum: FAULT_OPERATIONS },
    class: str,
    method: str,
    vm: str,
    destination: str,
    probability: { type: 'number', minimum: 0, maximum: 1 },
    count: positiveInt,
    from: faultTime,
    until: faultTime,
    effect: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: ['latency', 'hang', 'reset', 'drop', 'fault', 'unreachable', 'flap', 'migration-fail', 'migration-slow', 'migration-unreachable'] },
        ms: { type: 'number', minimum: 0 },
        jitterMs: { type: 'number', minimum: 0 },
        fault: { enum: FAULT_NAMES },
        reason: str,
        mode: { enum: ['refused', 'hang', 'timeout'] },
        downMs: { type: 'number', exclusiveMinimum: 0 },
        upMs: { type: 'number', exclusiveMinimum: 0 },
        atPercent: { type: 'number', minimum: 0, maximum: 99 },
        messageId: { type: 'string', pattern: '^\\d+$' },
        message: str,
        errorCode: { type: 'integer', minimum: 0, maximum: 4294967295 },
        side: { enum: ['source', 'destination'] },
        factor: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
} as const;

export const FAULT_RULE_SCHEMA = faultRule;

export const WORLD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['users', 'hosts'],
  properties: {
    name: str,
    description: { type: 'string' },
    users: { type: 'array', minItems: 1, items: user },
    fabric: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bandwidthMbps: { type: 'number', exclusiveMinimum: 0 },
        jobRetentionSeconds: { type: 'number', minimum: 0 },
        timings: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(timingNames.map((n) => [n, ms])),
        },
      },
    },
    hosts: { type: 'array', minItems: 1, items: host },
    faults: { type: 'array', items: faultRule },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(LIMIT_NAMES.map((n) => [n, { type: 'integer', minimum: LIMIT_MINIMUMS[n], maximum: 2 ** 31 - 1 }])),
    },
  },
} as const;
