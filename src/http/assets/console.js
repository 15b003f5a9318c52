// Copy buttons on the developer console: progressive enhancement only (no inline scripts, CSP 'self').
// What a click did is also written to the status beside the button, which screen readers announce.
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
  button.addEventListener('click', async () => {
    const target = document.getElementById(button.dataset.copy);
    if (!target) return;
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = 'Copied';
      if (status) status.textContent = 'Copied to the clipboard.';
    } catch {
      // No clipboard (an http page other than localhost) or permission refused: the text is on the page.
      if (status) status.textContent = 'Could not copy: select the text and copy it yourself.';
    }
  });
}

// The once-shown secret is the answer to a POST (a new app, a rotation): reloading it would post
// again and make another app, or rotate again. Where this page lives is the app's own page, so
// the history entry becomes that GET (history.replaceState drops the entry's POST).
const secret = document.getElementById('client-secret');
if (secret?.dataset.page) history.replaceState(null, '', secret.dataset.page);
