// api.js: the dashboard's one way to call the hub. Requests carry the
// session cookie (never the API key); errors become ApiError with the
// contract's shapes decoded.

/** ApiError is a failed API call: HTTP status, code, message, field errors. */
export class ApiError extends Error {
  constructor(status, body) {
    const d = body && body.detail;
    let message = status === 0 ? 'The hub is not reachable' : `Request failed (HTTP ${status})`;
    let code = '';
    const fields = {};
    let data = {};
    if (Array.isArray(d)) {
      // 422: [{type, loc:["body","service_name"], msg}]
      for (const item of d) {
        const loc = (item.loc || []).filter((p) => p !== 'body' && p !== 'query' && p !== 'path');
        const key = loc.join('.') || '_';
        if (!fields[key]) fields[key] = item.msg;
      }
      message = d[0] && d[0].msg ? d[0].msg : message;
      code = 'VALIDATION_ERROR';
    } else if (d && typeof d === 'object') {
      data = d;
      code = d.code || '';
      message = d.message || (typeof d.detail === 'string' ? d.detail : message);
    } else if (typeof d === 'string') {
      message = d;
    }
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.data = data;
  }

  /** notAvailable: the hub has no such endpoint (an older or partial hub). */
  get notAvailable() {
    return (this.status === 404 && /^No such endpoint/.test(this.message)) || this.status === 405 || this.status === 501;
  }
}

let unauthorizedHandler = () => {};

/** onUnauthorized sets what happens when a call answers 401 (go to sign-in). */
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

/** api calls /api/v1 + path and returns the decoded JSON (null for 204). */
export async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, opts);
  } catch {
    throw new ApiError(0, null);
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !path.startsWith('/auth/')) unauthorizedHandler();
    throw err;
  }
  return data;
}

/** get is api('GET', …) with query parameters; empty values are left out. */
export function get(path, query) {
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) path += '?' + s;
  }
  return api('GET', path);
}

/** enc escapes one path segment. */
export const enc = encodeURIComponent;
