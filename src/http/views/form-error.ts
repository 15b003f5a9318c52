import { type Html, html } from './html.js';

/**
 * A form's error, and the fields it is about. WCAG 3.3.1 and 1.3.1: each such field is marked
 * invalid and described by the error, so a screen reader that lands on it says why.
 */
export interface FormError {
  text: string;
  /** The `name` of each field at fault; none when the error is about the form as a whole. */
  fields: readonly string[];
}

const ERROR_ID = 'form-error';

/** An account rule's refusal (accounts.ts, AccountError), about its field when it names one. */
export const formErrorOf = (refusal: { message: string; field?: string | undefined }): FormError =>
  formError(refusal.message, ...(refusal.field ? [refusal.field] : []));

export const formError = (text: string, ...fields: string[]): FormError => ({ text, fields });

/** The error above the form, announced as it appears (role=alert). */
export const errorParagraph = (error: FormError | undefined): Html | '' =>
  error ? html`<p class="error" role="alert" id="${ERROR_ID}">${error.text}</p>` : '';

/** The attributes of a field (or fieldset) the error is about. */
export const invalidIf = (error: FormError | undefined, field: string, group = false): Html | '' =>
  error?.fields.includes(field) ? (group ? html` aria-describedby="${ERROR_ID}"` : html` aria-invalid="true" aria-describedby="${ERROR_ID}"`) : '';
