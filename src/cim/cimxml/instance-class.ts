/**
 * The class check every embedded-instance reader makes, whatever the text form: the class named by
 * the document must exist and be the expected class or one of its subclasses (an EmbeddedInstance
 * ("CIM_ResourceAllocationSettingData") parameter takes any RASD subclass), and it must be
 * instantiable.
 */
import { CimValueError } from '../errors.js';
import type { CimClass } from '../types.js';
import { nameKey } from '../types.js';
import type { ClassLookup } from './types.js';

export function instanceClass(className: string, expectedClass: string | undefined, classOf: ClassLookup, where: string): CimClass {
  const cls = classOf(className);
  if (!cls) throw new CimValueError(`${where}: the class '${className}' does not exist in this namespace.`);
  if (expectedClass !== undefined && !cls.ancestry.some((a) => nameKey(a) === nameKey(expectedClass))) {
    throw new CimValueError(`${where}: an instance of ${expectedClass} is required, but ${cls.name} is not ${expectedClass} or a subclass of it.`);
  }
  if (cls.isAbstract) throw new CimValueError(`${where}: ${cls.name} is abstract and cannot have instances.`);
  return cls;
}
