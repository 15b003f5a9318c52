/** Polar's lists take `?page=&limit=` and answer `{ items, pagination: { total_count, max_page } }`. */
import type { FastifyRequest } from 'fastify';
import { type Problem, unprocessable } from '../oauth/registration/validate.js';
import { singleQueryValue } from './parse.js';

const LAST_PAGE = 2 ** 31;

/**
 * `page` and `limit` as FastAPI reads them: Pydantic's lax integers (surrounding spaces, a sign,
 * `_` between digits, a fraction of zeros: ` 1_0.0 ` is 10), each at least 1, and every problem
 * reported in one 422. Past any real page the answer is the same empty one; clamped, the offset
 * stays an integer both databases accept (a page of 2^64 was a 500).
 */
export function pageAndLimit(request: FastifyRequest): [number, number] {
  const problems: Problem[] = [];
  const read = (raw: string | undefined, name: string, fallback: number): number => {
    if (raw === undefined) return fallback;
    if (!LAX_INTEGER.test(raw)) {
      problems.push({ type: 'int_parsing', loc: ['query', name], msg: 'Input should be a valid integer, unable to parse string as an integer', input: raw });
      return fallback;
    }
    const value = Number(raw.replace(/_/g, ''));
    if (value < 1) problems.push({ type: 'greater_than', loc: ['query', name], msg: 'Input should be greater than 0', input: raw, ctx: { gt: 0 } });
    return value;
  };
  const page = read(singleQueryValue(request, 'page'), 'page', 1);
  const limit = read(singleQueryValue(request, 'limit'), 'limit', 10);
  if (problems.length > 0) throw unprocessable(problems);
  return [Math.min(page, LAST_PAGE), Math.min(limit, 100)];
}

/** Spaces as Rust's `trim` knows them: JavaScript's `\s` without the byte order mark. */
const LAX_INTEGER = /^[^\S\uFEFF]*[-+]?\d+(?:_\d+)*(?:\.0+)?[^\S\uFEFF]*$/;

