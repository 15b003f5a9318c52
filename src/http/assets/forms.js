// A form on these pages is not sent again for a few seconds after it was sent. A second click
// while the first answer is on its way would post again: a second authorization code (or, with a
// nonce, the first one refused as a replay), a second app, an account "already taken". Later
// clicks go through: a person who stopped the page, or whose navigation failed, can try again.
// Progressive enhancement only: the server judges every post on its own.
const REPEAT_MS = 5000;
for (const form of document.querySelectorAll('form')) {
  form.addEventListener('submit', (event) => {
    const sentAt = Number(form.dataset.sentAt ?? 0);
    if (Date.now() - sentAt < REPEAT_MS) event.preventDefault();
    else form.dataset.sentAt = String(Date.now());
  });
}

// A page brought back by the Back button (the back-forward cache) may be sent again at once.
addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll('form')) delete form.dataset.sentAt;
});
