/**
 * The one error catalog. Domain code throws ApiError with a kind; each service's plugin turns
 * it into that service's fault body (see fault-bodies.ts). Anything else thrown is a bug and
 * becomes a 500 with the details only in the log.
 */

export type ErrorKind =
  | 'badRequest'
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'methodNotAllowed'
  | 'notAcceptable'
  | 'conflict'
  | 'gone'
  | 'payloadTooLarge'
  | 'unsupportedMediaType'
  | 'rangeNotSatisfiable'
  | 'overLimit'
  | 'internal'
  | 'notImplemented'
  | 'serviceUnavailable';

export const STATUS_OF: Readonly<Record<ErrorKind, number>> = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  methodNotAllowed: 405,
  notAcceptable: 406,
  conflict: 409,
  gone: 410,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  rangeNotSatisfiable: 416,
  overLimit: 413,
  internal: 500,
  notImplemented: 501,
  serviceUnavailable: 503,
};

export const TITLE_OF: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export interface ApiErrorOptions {
  /** Neutron's exception type name (NetworkNotFound, IpAddressGenerationFailure, ...). */
  readonly type?: string;
  readonly detail?: string;
  /** Overrides the kind's default HTTP status (e.g. Nova's overLimit is 403 for quotas). */
  readonly status?: number;
  readonly cause?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly type: string | undefined;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(kind: ErrorKind, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.kind = kind;
    this.status = options.status ?? STATUS_OF[kind];
    this.type = options.type;
    this.detail = options.detail ?? '';
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string, options?: ApiErrorOptions) => new ApiError('badRequest', message, options);
export const unauthorized = (message = 'The request you have made requires authentication.', options?: ApiErrorOptions) =>
  new ApiError('unauthorized', message, options);
export const forbidden = (message = 'You are not authorized to perform the requested action.', options?: ApiErrorOptions) =>
  new ApiError('forbidden', message, options);
export const notFound = (message: string, options?: ApiErrorOptions) => new ApiError('notFound', message, options);
export const conflict = (message: string, options?: ApiErrorOptions) => new ApiError('conflict', message, options);
