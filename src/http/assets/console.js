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
