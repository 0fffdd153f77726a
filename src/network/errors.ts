/** Neutron's error types, so bodies read {"NeutronError": {"type": "NetworkNotFound", ...}}. */
import { ApiError } from '../api/errors.js';

export const neutronNotFound = (kind: string, id: string) =>
  new ApiError('notFound', `${kind} ${id} could not be found.`, { type: `${kind.replace(/\s+(\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase())}NotFound` });

export const invalidInput = (message: string) =>
  new ApiError('badRequest', `Invalid input for operation: ${message}`, { type: 'InvalidInput' });

export const badRequestType = (message: string) => new ApiError('badRequest', message, { type: 'HTTPBadRequest' });

export const inUse = (type: string, message: string) => new ApiError('conflict', message, { type });

export const overQuota = (resource: string) =>
  new ApiError('conflict', `Quota exceeded for resources: ['${resource}'].`, { type: 'OverQuota' });

export const policyForbidden = (action: string) =>
  new ApiError('forbidden', `(rule:${action}) is disallowed by policy`, { type: 'PolicyNotAuthorized' });
