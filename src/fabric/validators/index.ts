/**
 * The world-file and fault-rule validators, typed. They are generated ahead of time
 * (validators.generated.ts, from world-schema.ts by scripts/generate-validators.ts) instead of
 * compiled by ajv at module load, which cost ~90 ms of every start-up.
 */
import type { ValidateFunction } from 'ajv';
import * as generated from './validators.generated.js';

export const validateWorld = generated.validateWorld as unknown as ValidateFunction;
export const validateFaultRule = generated.validateFaultRule as unknown as ValidateFunction;
