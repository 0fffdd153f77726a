/**
 * Glance's errors: the constructors the image routes throw, and the error handler that renders
 * them as webob does — an HTML page unless the client prefers JSON (content negotiation on
 * Accept), because glanceclient only understands JSON error bodies whose values are objects and
 * otherwise strips the tags of the HTML page to print "404 Not Found: <message>".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, TITLE_OF, type ApiErrorOptions } from '../api/errors.js';
import { toApiError } from '../api/error-handler.js';
import { glanceFault, keystoneFault } from '../api/fault-bodies.js';

export const badRequest = (message: string, options?: ApiErrorOptions) => new ApiError('badRequest', message, options);
export const forbidden = (message: string, options?: ApiErrorOptions) => new ApiError('forbidden', message, options);
export const notFound = (message = 'The resource could not be found.', options?: ApiErrorOptions) => new ApiError('notFound', message, options);
export const conflict = (message: string, options?: ApiErrorOptions) => new ApiError('conflict', message, options);
export const tooLarge = (message: string) => new ApiError('payloadTooLarge', message);
export const gone = (message: string) => new ApiError('gone', message);

/** What a policy refusal says (Glance turns oslo.policy's refusal into this sentence). */
export const policyForbidden = (action: string) => forbidden(`You are not authorized to complete ${action} action.`);

type Rendering = 'html' | 'json' | 'plain';

/** The q-value the Accept header gives a media type (the most specific matching range wins). */
function qualityOf(ranges: readonly { type: string; q: number }[], offer: string): number {
  const [main] = offer.split('/');
  let best: { specificity: number; q: number } | null = null;
  for (const range of ranges) {
    const specificity = range.type === offer ? 3 : range.type === `${main}/*` ? 2 : range.type === '*/*' ? 1 : 0;
    if (specificity > 0 && (!best || specificity > best.specificity)) best = { specificity, q: range.q };
  }
  return best?.q ?? 0;
}

/** webob's choice between text/html and application/json (ties go to HTML), else plain text. */
export function errorRendering(accept: string | undefined): Rendering {
  if (!accept || accept.trim() === '') return 'html';
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    return { type: type.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0 };
  });
  const html = qualityOf(ranges, 'text/html');
  const json = qualityOf(ranges, 'application/json');
  if (html <= 0 && json <= 0) return 'plain';
  return json > html ? 'json' : 'html';
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export function renderGlanceError(err: ApiError, rendering: Rendering): { contentType: string; body: string } {
  const status = `${err.status} ${TITLE_OF[err.status] ?? 'Error'}`;
  if (rendering === 'json') return { contentType: 'application/json', body: JSON.stringify(glanceFault(err)) };
  if (rendering === 'plain') {
    return { contentType: 'text/plain; charset=UTF-8', body: `${status}\n\n${err.message}\n\n${err.detail}\n` };
  }
  const body = [
    '<html>', ' <head>', `  <title>${status}</title>`, ' </head>', ' <body>', `  <h1>${status}</h1>`,
    `  ${escapeHtml(err.message)}<br /><br />`, escapeHtml(err.detail), '', '', ' </body>', '</html>',
  ].join('\n');
  return { contentType: 'text/html; charset=UTF-8', body };
}

export function installGlanceErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    // A body that is not JSON: Glance's JSON deserializer wording.
    let apiError = err instanceof SyntaxError ? badRequest('Malformed JSON in request body.') : toApiError(err);
    if (!apiError) {
      request.log.error({ err }, 'unhandled error');
      apiError = new ApiError('internal', 'An unexpected error prevented the server from fulfilling your request.', { cause: err });
    } else if (apiError.status >= 500) {
      request.log.error({ err }, 'server error');
    }
    for (const [name, value] of Object.entries(apiError.headers)) reply.header(name, value);
    // A missing or bad token is refused by keystonemiddleware in front of Glance, in Keystone's format.
    if (apiError.status === 401) {
      reply.code(401).type('application/json').send(keystoneFault(apiError));
      return;
    }
    const { contentType, body } = renderGlanceError(apiError, errorRendering(request.headers.accept));
    reply.code(apiError.status).type(contentType).send(body);
  });
}
