// Copy buttons on the developer console: progressive enhancement only (no inline scripts, CSP 'self').
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    const target = document.getElementById(button.dataset.copy);
    if (!target) return;
    await navigator.clipboard.writeText(target.textContent.trim());
    button.textContent = 'Copied';
  });
}

// The once-shown secret is the answer to a POST (a new app, a rotation): reloading it would post
// again and make another app, or rotate again. Where this page lives is the app's own page, so
// the history entry becomes that GET (history.replaceState drops the entry's POST).
const secret = document.getElementById('client-secret');
if (secret?.dataset.page) history.replaceState(null, '', secret.dataset.page);
