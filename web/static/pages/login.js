// login.js: signs in with a user name and password, or with the operator
// API key, in exchange for an HttpOnly session cookie; while the hub has no
// user yet it offers the first-run setup (create the admin) instead. No
// credential is kept: not in the URL, not in storage.
import { api } from '../api.js';
import { h, showFieldErrors, clearFieldErrors } from '../ui.js';

export function mount(root, ctx) {
  ctx.setTitle('Sign in');
  const done = () => {
    ctx.signedIn();
    const next = ctx.query.get('next');
    ctx.navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
  };
  const userBox = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('div', { class: 'login' },
    h('h1', {}, h('img', { src: document.querySelector('link[rel=icon]').href, alt: '', width: 28, height: 28 }), 'homelabcmd'),
    userBox,
    keyForm(done)));

  // A failed single sign-on comes back here with the reason.
  const ssoError = ctx.query.get('error');
  if (ssoError) userBox.before(h('p', { class: 'notice notice-error', role: 'alert', id: 'sso-error' }, ssoError));

  (async () => {
    let st;
    try {
      st = await api('GET', '/auth/setup');
    } catch { /* an older hub: API key only */
      userBox.replaceChildren(h('p', { class: 'muted' }, 'Sign in to the dashboard.'));
      return;
    }
    if (!ctx.alive) return;
    const next = ctx.query.get('next') || '/';
    userBox.replaceChildren(
      st.sso ? h('div', { class: 'panel' }, h('a', {
        class: 'btn btn-primary', id: 'sso-login', href: '/api/v1/auth/oidc/login?next=' + encodeURIComponent(next),
      }, 'Sign in with single sign-on')) : null,
      st.needed ? setupForm(done) : passwordForm(done));
    if (!ssoError) userBox.querySelector('a, input').focus();
  })();
}

function field(id, name, label, attrs, hint) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name, required: true, spellcheck: 'false', ...attrs, 'aria-describedby': hint ? `${id}-hint` : null }),
    hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null);
}

/** submitter wires a form to fn(values) with field errors shown in place. */
function submitter(form, fn) {
  const button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    button.disabled = true;
    try {
      await fn(Object.fromEntries(new FormData(form)));
    } catch (err) {
      const rest = showFieldErrors(form, err);
      if (rest.length || !Object.keys(err.fields || {}).length) {
        form.querySelector('.form-actions').before(h('p', { class: 'form-error', role: 'alert' }, rest.join(' ') || err.message));
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function setupForm(done) {
  const form = h('form', { class: 'panel', novalidate: true, id: 'setup-form' },
    h('h2', {}, 'Create the first admin'),
    h('p', { class: 'muted' }, 'This hub has no users yet. The account you create here can manage everything, including other users.'),
    field('setup-username', 'username', 'User name', { autocomplete: 'username' }, 'Lower-case letters, digits, . _ @ -'),
    field('setup-password', 'password', 'Password', { type: 'password', autocomplete: 'new-password' }, 'At least 10 characters.'),
    field('setup-confirm', 'confirm', 'Repeat the password', { type: 'password', autocomplete: 'new-password' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create admin and sign in')));
  return submitter(form, async (v) => {
    if (v.password !== v.confirm) {
      const err = new Error('The passwords differ.');
      err.fields = { confirm: 'The passwords differ.' };
      throw err;
    }
    await api('POST', '/auth/setup', { username: v.username.trim(), password: v.password });
    done();
  });
}

function passwordForm(done) {
  const form = h('form', { class: 'panel', novalidate: true, id: 'password-form' },
    field('username', 'username', 'User name', { autocomplete: 'username' }),
    field('password', 'password', 'Password', { type: 'password', autocomplete: 'current-password' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in')));
  return submitter(form, async (v) => {
    try {
      await api('POST', '/auth/login', { username: v.username.trim(), password: v.password });
    } catch (err) {
      if (err.status === 401) err.message = 'That user name and password do not match.';
      throw err;
    }
    done();
  });
}

// keyForm signs in with the operator key (scripts' admin credential, and
// the way back in when no one remembers a password).
function keyForm(done) {
  const error = h('p', { class: 'field-error', id: 'api-key-error', hidden: true });
  const input = h('input', {
    id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'off', required: true,
    spellcheck: 'false', 'aria-describedby': 'api-key-hint',
  });
  const button = h('button', { type: 'submit', class: 'btn' }, 'Sign in with the key');
  const form = h('form', { class: 'panel', novalidate: true, id: 'key-form' },
    h('div', { class: 'field' },
      h('label', { for: 'api-key' }, 'Or the operator API key'),
      input,
      h('p', { class: 'field-hint', id: 'api-key-hint' }, 'The key the hub printed on its first start, or HOMELAB_CMD_API_KEY.'),
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
      done();
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
  return form;
}
