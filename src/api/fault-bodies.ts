/** How each OpenStack service writes an error body. One formatter per service, chosen by its plugin. */
import { TITLE_OF, type ApiError } from './errors.js';

export type FaultFormatter = (err: ApiError) => unknown;

/** Keystone: {"error": {"code": 404, "title": "Not Found", "message": "..."}} */
export const keystoneFault: FaultFormatter = (err) => ({
  error: { code: err.status, title: TITLE_OF[err.status] ?? 'Error', message: err.message },
});

/** Nova: {"itemNotFound": {"code": 404, "message": "..."}} keyed by the fault name. */
const NOVA_FAULT_NAME: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};
export const novaFault: FaultFormatter = (err) => ({
  [err.kind === 'overLimit' ? 'overLimit' : NOVA_FAULT_NAME[err.status] ?? 'computeFault']: { code: err.status, message: err.message },
});

/** Neutron: {"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}} */
const NEUTRON_DEFAULT_TYPE: Record<number, string> = {
  400: 'BadRequest',
  401: 'NotAuthorized',
  403: 'PolicyNotAuthorized',
  404: 'NotFound',
  405: 'HTTPMethodNotAllowed',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};
export const neutronFault: FaultFormatter = (err) => ({
  NeutronError: { type: err.type ?? NEUTRON_DEFAULT_TYPE[err.status] ?? 'NeutronException', message: err.message, detail: err.detail },
});

/**
 * Glance answers with webob's error documents. This is the JSON one (sent when the client
 * prefers application/json): {"message": "...", "code": "404 Not Found", "title": "Not Found"}.
 * Clients that do not ask for JSON (glanceclient) get webob's HTML page instead; the image
 * plugin negotiates that (src/image/errors.ts).
 */
export const glanceFault: FaultFormatter = (err) => ({
  message: err.message,
  code: `${err.status} ${TITLE_OF[err.status] ?? 'Error'}`,
  title: TITLE_OF[err.status] ?? 'Error',
});
