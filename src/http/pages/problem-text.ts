/**
 * What registration's answers (422 details, authlib's `invalid_client_metadata`) mean to a person
 * filling in the developer console: the field by its label, the fault in plain words. The API
 * keeps Polar's wire; only the console's pages read these.
 */
import { ApiError, OAuthError } from '../../oauth/errors.js';
import { PUBLIC_SCOPES, splitScope } from '../../oauth/scopes.js';
import { type FormError, formError } from '../views/form-error.js';

const LABELS: Record<string, string> = {
  client_name: 'Name',
  redirect_uris: 'Redirect URI',
  scope: 'Scopes',
  token_endpoint_auth_method: 'Client authentication',
  client_uri: 'Homepage',
  logo_uri: 'Logo URL',
  tos_uri: 'Terms of service URL',
  policy_uri: 'Privacy policy URL',
};

interface Detail {
  type: string;
  loc: (string | number)[];
  msg: string;
  ctx?: { max_length?: number };
}

function sentence(label: string, detail: Detail): string {
  if (detail.type === 'url_parsing') return `${label} is not a full address (for example https://app.example/callback).`;
  if (detail.type === 'url_scheme') return `${label} must start with https:// (or http://).`;
  if (detail.type === 'url_too_long' || detail.type === 'string_too_long') return `${label} is too long (${detail.ctx?.max_length ?? 2083} characters at most).`;
  if (detail.msg === 'Value error, An HTTPS URL is required.') return `${label} must use https:// (http:// only for localhost or a private address).`;
  return `${label}: ${detail.msg.replace(/^Value error, /, '')}`;
}

/** A sentence for the form and the fields it is about; undefined when `error` is not one of registration's answers. */
export function problemText(error: unknown, scope: string): FormError | undefined {
  if (error instanceof OAuthError) {
    const claim = /^Invalid claim: '(\w+)'$/.exec(error.description ?? '')?.[1];
    if (claim === 'scope') {
      const refused = splitScope(scope).filter((s) => !PUBLIC_SCOPES.includes(s));
      return formError(`Not a scope an app may ask for: ${refused.join(', ')}.`, 'scope');
    }
    if (claim) return formError(`${LABELS[claim] ?? claim}: this address cannot be used (it needs a host, and no #fragment).`, claim);
    return formError(error.description ?? error.error);
  }
  if (error instanceof ApiError) {
    const details = (error.body() as { detail?: Detail[] }).detail ?? [];
    const sentences = details.map((d) => {
      const [, field, index] = d.loc;
      const label = `${LABELS[String(field)] ?? String(field)}${typeof index === 'number' ? ` ${index + 1}` : ''}`;
      return sentence(label, d);
    });
    return formError(sentences.join(' '), ...new Set(details.flatMap((d) => (typeof d.loc[1] === 'string' ? [d.loc[1]] : []))));
  }
  return undefined;
}
