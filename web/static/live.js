// live.js: one EventSource per tab on /api/v1/events. The browser retries a
// dropped stream by itself; when it gives up (the hub restarted, or answered
// an error), we open a new one with backoff. Listeners learn when the stream
// came back, so pages can reload what they may have missed.

const TYPES = ['server.updated', 'service.changed', 'alert.changed', 'action.changed', 'check.changed'];
const listeners = new Set();
const stateListeners = new Set();
let source = null;
let retryMs = 1000;
let timer = 0;
let everOpen = false;
let state = 'connecting';

function setState(s) {
  if (s === state) return;
  const wasDown = state !== 'live';
  state = s;
  for (const fn of stateListeners) fn(s, s === 'live' && wasDown && everOpen);
}

/** start opens the stream (once). checkSession is called before a retry. */
export function start(checkSession) {
  if (source) return;
  const open = () => {
    timer = 0;
    source = new EventSource('/api/v1/events');
    source.onopen = () => {
      retryMs = 1000;
      setState('live');
      everOpen = true;
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setState('offline');
        source = null;
        timer = setTimeout(async () => {
          if (checkSession && !(await checkSession())) return;
          open();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 30000);
      } else {
        setState('reconnecting');
      }
    };
    for (const t of TYPES) {
      source.addEventListener(t, (e) => {
        let ev;
        try { ev = JSON.parse(e.data); } catch { return; }
        for (const fn of listeners) fn(ev);
      });
    }
  };
  open();
}

/** stop closes the stream (on sign-out). */
export function stop() {
  if (timer) clearTimeout(timer);
  if (source) source.close();
  source = null;
  everOpen = false;
  setState('connecting');
}

/** on calls fn(event) for every live event; returns an unsubscribe function. */
export function on(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** onState calls fn(state, reconnected) when the stream goes live/offline. */
export function onState(fn) {
  stateListeners.add(fn);
  fn(state, false);
  return () => stateListeners.delete(fn);
}
