// Every form on these pages is sent once. A second click while the first answer is on its way
// would post again: a second authorization code (or, with a nonce, the first one refused as a
// replay), a second app, an account "already taken". Progressive enhancement only: the server
// judges every post on its own.
for (const form of document.querySelectorAll('form')) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.sent) event.preventDefault();
    else form.dataset.sent = 'true';
  });
}

// A page brought back by the Back button (the back-forward cache) may be sent again.
addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll('form')) delete form.dataset.sent;
});
