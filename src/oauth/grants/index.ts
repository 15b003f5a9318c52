/** The grant registry: a Map, so `grant_type=__proto__` is simply unsupported (pitfalls.md). */
import { authorizationCode } from './authorization-code.js';
import type { Grant } from './grant.js';
import { refreshToken } from './refresh-token.js';
import { web } from './web.js';

export const GRANTS: ReadonlyMap<string, Grant> = new Map([authorizationCode, refreshToken, web].map((g) => [g.type, g]));
