/**
 * Turns anything thrown inside a service's routes into that service's fault body. Client
 * mistakes caught by Fastify itself (bad JSON, wrong media type, oversize body, schema
 * violations) become 4xx in the same format; only a genuine bug is a 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorKind } from './errors.js';
import type { FaultFormatter } from './fault-bodies.js';

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'notFound',
  405: 'methodNotAllowed',
  406: 'notAcceptable',
  409: 'conflict',
  413: 'payloadTooLarge',
  415: 'unsupportedMediaType',
  416: 'rangeNotSatisfiable',
};

function describeValidation(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const where = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'required') return `Invalid input for field '${String(params.missingProperty)}': '${String(params.missingProperty)}' is a required property.`;
  if (first.keyword === 'additionalProperties') return `Invalid input for field '${where || 'body'}': Additional properties are not allowed ('${String(params.additionalProperty)}' was unexpected).`;
  return `Invalid input for field '${where || err.validationContext || 'body'}': ${where ? `'${where}' ` : ''}${first.message ?? 'is invalid'}.`;
}

export function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  const fe = err as FastifyError;
  if (fe && Array.isArray(fe.validation)) return new ApiError('badRequest', describeValidation(fe));
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const kind = KIND_BY_STATUS[fe.statusCode] ?? 'badRequest';
    let message = fe.message;
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) message = `Malformed request body: ${fe.message}`;
    if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'The request body is empty but its content type says JSON.';
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = 'Request body is too large.';
    return new ApiError(kind, message, { status: fe.statusCode });
  }
  return null;
}

export function installErrorHandler(app: FastifyInstance, format: FaultFormatter, extraHeaders?: (err: ApiError, request: FastifyRequest) => Record<string, string>): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    let apiError = toApiError(err);
    if (!apiError) {
      request.log.error({ err }, 'unhandled error');
      apiError = new ApiError('internal', 'An unexpected error prevented the server from fulfilling your request.', { cause: err });
    } else if (apiError.status >= 500) {
      request.log.error({ err }, 'server error');
    }
    const headers = { ...apiError.headers, ...(extraHeaders?.(apiError, request) ?? {}) };
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    reply.code(apiError.status).type('application/json').send(format(apiError));
  });
}
