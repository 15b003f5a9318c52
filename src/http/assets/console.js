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

// What is shown once is the answer to a POST (a new app, a rotation, an invitation link): reloading
// it would post again (the server refuses a console form sent twice, but the page would then say so
// instead). Where this page lives is a page of its own (`data-page`: the app's page, the
// organizations), so the history entry becomes that GET (history.replaceState drops the POST).
const shown = document.querySelector('[data-page]');
if (shown?.dataset.page) history.replaceState(null, '', shown.dataset.page);
