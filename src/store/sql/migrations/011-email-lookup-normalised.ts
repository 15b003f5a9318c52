/**
 * Look-ups folded case alone, so one visible address could hold several accounts: `rené@` typed
 * composed and decomposed (as macOS pastes it), `ａdmin@` in full-width letters, `bob@bücher.example`
 * beside `bob@xn--bcher-kva.example`. The stored form is recomputed with the normalised folding
 * (src/store/email-lookup.ts); email-refold.ts keeps one account per address.
 */
import { emailLookup } from '../../email-lookup.js';
import type { Db } from '../db.js';
import { refoldEmails } from './email-refold.js';

export const version = 11;
export const name = 'email-lookup-normalised';
export const sql = '';

export const after = (tx: Db): Promise<void> => refoldEmails(tx, emailLookup);
