// login.js: exchanges the operator API key for an HttpOnly session cookie.
// The key is posted once and never kept: not in the URL, not in storage.
import { api } from '../api.js';
import { h } from '../ui.js';

export function mount(root, ctx) {
  ctx.setTitle('Sign in');
  const error = h('p', { class: 'field-error', id: 'api-key-error', hidden: true });
  const input = h('input', {
    id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'current-password', required: true,
    spellcheck: 'false', 'aria-describedby': 'api-key-hint',
  });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h('form', { class: 'panel', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      input,
      h('p', { class: 'field-hint', id: 'api-key-hint' }, 'The operator key the hub printed on its first start, or HOMELAB_CMD_API_KEY.'),
      error),
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    input.removeAttribute('aria-invalid');
    const key = input.value.trim();
    if (!key) return showError('Enter the API key.');
    button.disabled = true;
    try {
      await api('POST', '/auth/login', { api_key: key });
      input.value = '';
      ctx.signedIn();
      const next = ctx.query.get('next');
      ctx.navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
    } catch (err) {
      showError(err.status === 401 ? 'That API key is not valid.' : err.message);
    } finally {
      button.disabled = false;
    }
  });
  function showError(msg) {
    error.textContent = msg;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'api-key-hint api-key-error');
    input.focus();
  }
  root.append(h('div', { class: 'login' },
    h('h1', {}, h('img', { src: document.querySelector('link[rel=icon]').href, alt: '', width: 28, height: 28 }), 'homelabcmd'),
    h('p', { class: 'muted' }, 'Sign in to the dashboard.'),
    form));
  input.focus();
}
