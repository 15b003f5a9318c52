/**
 * Turning an HTTP request into OAuth parameters (polar-oauth2.md §2.5): the query string and an
 * `application/x-www-form-urlencoded` or `multipart/form-data` body. Bodies arrive as raw bytes
 * (at most 64 KiB, enforced by Fastify's bodyLimit) so that invalid UTF-8 and repeated
 * parameters are seen rather than silently repaired.
 */
import busboy from 'busboy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../oauth/errors.js';
import { Params, decodeForm } from '../oauth/params.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalidRequest('The request is malformed: the body is not valid UTF-8.');
  }
}

export function queryParams(request: FastifyRequest): Map<string, string[]> {
  const at = request.url.indexOf('?');
  return at === -1 ? new Map() : decodeForm(request.url.slice(at + 1));
}

/**
 * A query parameter that pages and API reads take once (`return_to`, `page`, `notice`). Fastify
 * turns a repeated key into an array; as in FastAPI, whose scalar query parameters read
 * Starlette's `query_params`, the last value wins.
 */
export function singleQueryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Far more than any OAuth request sends; a bound on the parser's work. */
const MULTIPART_FIELDS = 200;

function multipart(contentType: string, body: Buffer): Promise<Map<string, string[]>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, string[]>();
    const malformed = () => reject(invalidRequest('The request is malformed: invalid multipart body.'));
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: 65536, fields: MULTIPART_FIELDS } });
    } catch {
      return malformed();
    }
    // busboy drops the fields past its limit without failing: a dropped field (a repeated
    // parameter, a narrowing `scope`) would change the request silently. (No value reaches
    // `fieldSize`: the whole body is at most 64 KiB.)
    parser.on('fieldsLimit', () => reject(invalidRequest(`The request is malformed: more than ${MULTIPART_FIELDS} fields.`)));
    // A part may declare its own charset (RFC 7578 §4.4), which busboy decodes with. Beyond its
    // few (UTF-8, Latin-1, UTF-16LE, base64) it leaves the value undefined; UTF-16 can carry a
    // lone surrogate, which a form's strict UTF-8 cannot (the engines would store it
    // differently). Both are malformed.
    parser.on('field', (name, value: string | undefined) => {
      if (typeof value !== 'string') return malformed();
      if (value === '') return; // RFC 6749 §3.1: empty means omitted.
      if (value.includes('\u0000') || value.includes('\ufffd') || /\p{Cs}/u.test(value)) return reject(invalidRequest('The request is malformed: invalid characters.'));
      const list = out.get(name);
      if (list) list.push(value);
      else out.set(name, [value]);
    });
    parser.on('file', (_name, stream) => stream.resume());
    parser.on('error', malformed);
    parser.on('close', () => resolve(out));
    parser.end(body);
  });
}

export async function formParams(request: FastifyRequest): Promise<Map<string, string[]>> {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) return new Map();
  // The media type itself, without parameters: `application/x-www-form-urlencodedx` is not a form.
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') return decodeForm(decodeUtf8(body));
  if (mediaType === 'multipart/form-data') return multipart(request.headers['content-type'] ?? '', body);
  throw invalidRequest('Unsupported Content-Type: send application/x-www-form-urlencoded or multipart/form-data.');
}

/** Query and body together, as the OAuth endpoints read them. */
export async function oauthParams(request: FastifyRequest): Promise<Params> {
  return new Params(queryParams(request), await formParams(request));
}

/**
 * An onRequest hook of the routes that take ids in the path (the browser's, the admin API's): an
 * encoded NUL there (`/v1/oauth2/register/a%00b`) names no resource; left to the routes,
 * PostgreSQL would refuse to even compare it.
 */
export async function nulInPathIsNotFound(request: FastifyRequest, reply: FastifyReply) {
  const end = request.url.indexOf('?');
  if ((end === -1 ? request.url : request.url.slice(0, end)).includes('%00')) return reply.callNotFound();
}
