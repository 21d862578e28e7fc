/**
 * CIM-XML (DSP0201) for the WS-Management layer: embedded-instance strings in and out of method
 * parameters, and class declarations for class-metadata requests.
 */
export type { ClassLookup, QualifierDeclInfo, QualifierDeclLookup } from './types.js';
export { parseEmbeddedInstance, type EmbeddedReadOptions } from './read-instance.js';
export { writeEmbeddedInstance, type InstanceWriteOptions } from './write-instance.js';
export { qualifierDeclLookup, type QualifierTypeDeclLike } from './qualifier-meta.js';
export { writeClassDeclaration, writeClassForWsman, type ClassWriteOptions, type WsmanClassWriteOptions } from './write-class.js';
