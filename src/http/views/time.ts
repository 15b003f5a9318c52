import { type Html, html } from './html.js';

/** "2026-12-01 07:10 UTC": one zone for every reader, since the server does not know theirs. */
export const utcText = (epochSeconds: number): string => {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
};

/** The same in a `<time>` element, which carries the exact instant. */
export const timeElement = (epochSeconds: number): Html => html`<time datetime="${new Date(epochSeconds * 1000).toISOString()}">${utcText(epochSeconds)}</time>`;
