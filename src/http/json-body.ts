/**
 * JSON request bodies as FastAPI reads them (polar-oauth2.md §2.3-C): an empty or `null` body is
 * a missing body; a syntax error is `json_invalid` with Python's position and wording
 * (python-json-error.ts). Nesting is bounded before parsing so no deep structure is ever walked.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../oauth/errors.js';
import { pythonJsonError } from './python-json-error.js';

const MAX_DEPTH = 32;

const unprocessable = (detail: Record<string, unknown>) => new ApiError(422, { error: 'RequestValidationError', detail: [detail] });
const invalid = (position: number, error: string) =>
  unprocessable({ type: 'json_invalid', loc: ['body', position], msg: 'JSON decode error', input: {}, ctx: { error } });

/** The deepest bracket nesting, ignoring brackets inside strings. */
function depth(text: string): number {
  let max = 0;
  let level = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++level);
    else if (c === '}' || c === ']') level--;
  }
  return max;
}

/**
 * FastAPI parses the body as JSON only without a Content-Type or with `application/json` or
 * `application/*+json`; any other body is validated as the raw text, which no model accepts.
 * A form-like type (`text/plain`) is what a cross-site page can send without a preflight.
 */
function declaredJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType);
}

/**
 * Python's json.loads decodes the bytes strictly (a leading BOM is dropped); the UnicodeDecodeError
 * is not a JSONDecodeError, so FastAPI answers its generic 400 (shape E), not json_invalid.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
function decoded(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new ApiError(400, { detail: 'There was an error parsing the body' });
  }
}

export function jsonBody(request: FastifyRequest): unknown {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (body.length === 0) return unprocessableMissing();
  if (!declaredJson(request.headers['content-type'])) {
    const input = body.toString('utf8');
    throw unprocessable({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input });
  }
  const raw = decoded(body);
  if (depth(raw) > MAX_DEPTH) throw invalid(0, `Nesting deeper than ${MAX_DEPTH} levels`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Python's decoder also reads NaN and Infinity, which JSON (RFC 8259 §6) does not: those
    // few texts are refused here, at their start.
    const found = pythonJsonError(raw) ?? { position: 0, message: 'Expecting value' };
    throw invalid(found.position, found.message);
  }
  // A body of `null` is no body to FastAPI.
  if (parsed === null) return unprocessableMissing();
  return parsed;
}

function unprocessableMissing(): never {
  throw unprocessable({ type: 'missing', loc: ['body'], msg: 'Field required', input: null });
}
