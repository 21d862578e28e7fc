/**
 * Which scenarios a run has: the core-world scenarios always; the Hyper-V ones when the Hyper-V
 * fabric (src/providers/hyperv/index.ts) is built.
 */
import { coreScenarios, type Scenario } from './scenarios.js';
import { hypervAvailable, hypervScenarios } from './hyperv-scenarios.js';

export async function allScenarios(): Promise<Scenario[]> {
  const out = coreScenarios();
  if (await hypervAvailable()) out.push(...hypervScenarios());
  return out;
}
