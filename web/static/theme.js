// theme.js: light and dark themes. The system setting (prefers-color-scheme)
// decides unless the user picked one with the toggle, kept in localStorage
// (not a secret; per browser).
const KEY = 'homelabcmd-theme';
const ORDER = ['auto', 'light', 'dark'];
const media = window.matchMedia('(prefers-color-scheme: light)');

/** choice is the stored pick: auto, light or dark. */
export function choice() {
  const v = localStorage.getItem(KEY);
  return ORDER.includes(v) ? v : 'auto';
}

/** effective is the theme shown: light or dark. */
export function effective() {
  const c = choice();
  return c === 'auto' ? (media.matches ? 'light' : 'dark') : c;
}

function apply(button) {
  const c = choice();
  if (c === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = c;
  document.documentElement.dataset.effectiveTheme = effective();
  if (button) {
    const icon = { auto: '◐', light: '☀', dark: '☾' }[c];
    button.textContent = `${icon} ${c === 'auto' ? `Auto (${effective()})` : c[0].toUpperCase() + c.slice(1)}`;
    button.setAttribute('aria-label', `Theme: ${c === 'auto' ? `follows the system, now ${effective()}` : c}. Change theme`);
    button.dataset.theme = c;
  }
}

/** initTheme applies the theme and makes button cycle auto → light → dark. */
export function initTheme(button) {
  apply(button);
  media.addEventListener('change', () => apply(button));
  if (button) {
    button.addEventListener('click', () => {
      const next = ORDER[(ORDER.indexOf(choice()) + 1) % ORDER.length];
      if (next === 'auto') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
      apply(button);
      window.dispatchEvent(new CustomEvent('themechange'));
    });
  }
}
