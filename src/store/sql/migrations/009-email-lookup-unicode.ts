/**
 * Migration 005 filled `email_lookup` with SQL lower(), which folds ASCII only (SQLite, and
 * PostgreSQL under the C locale), while look-ups fold in JavaScript: a user whose address had a
 * non-ASCII capital (`Élodie@…`) could no longer be found, nor sign in, and the same address
 * could be signed up again. The stored form is recomputed here, in JavaScript, as look-ups then
 * folded (email-refold.ts keeps one account per address).
 */
import type { Db } from '../db.js';
import { refoldEmails } from './email-refold.js';

export const version = 9;
export const name = 'email-lookup-unicode';
export const sql = '';

export const after = (tx: Db): Promise<void> => refoldEmails(tx, (email) => email.toLowerCase());
