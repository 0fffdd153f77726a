/**
 * Endpoint URL check. Keystone substitutes `$(name)s` placeholders in catalog URLs with
 * Python %-formatting, so it refuses (400) any URL whose placeholders it could not fill: an
 * unknown name, a non-string conversion, or a stray `%` that is not a valid format spec.
 */
import { badRequest } from '../../api/errors.js';

/** The names Keystone is willing to substitute into an endpoint URL. */
const SUBSTITUTIONS: ReadonlySet<string> = new Set([
  'tenant_id', 'project_id', 'user_id',
  'public_bind_host', 'admin_bind_host', 'compute_host',
  'admin_port', 'public_port', 'public_endpoint', 'admin_endpoint',
]);

/** A keyed spec after its `(name)`: flags, width, precision, length, then the conversion. */
const SPEC_TAIL = /^[-+ #0]*\d*(?:\.\d*)?[hlL]?(.)?/;

function invalid(url: string): Error {
  return badRequest(`Cannot create an endpoint with an invalid URL: ${url}.`);
}

export function checkEndpointUrl(url: string): void {
  const text = url.replaceAll('$(', '%(');
  for (let i = text.indexOf('%'); i !== -1; i = text.indexOf('%', i)) {
    if (text[i + 1] === '%') {
      i += 2;
      continue;
    }
    // Every other spec must be keyed: the substitutions are a mapping.
    if (text[i + 1] !== '(') throw invalid(url);
    const close = text.indexOf(')', i + 2);
    if (close === -1 || !SUBSTITUTIONS.has(text.slice(i + 2, close))) throw invalid(url);
    const tail = SPEC_TAIL.exec(text.slice(close + 1));
    const conversion = tail?.[1];
    // Substituted values are strings, so only string-like conversions format cleanly.
    if (conversion === undefined || !'sra'.includes(conversion)) throw invalid(url);
    i = close + 1 + (tail?.[0].length ?? 0);
  }
}
