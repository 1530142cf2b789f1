// Live updates from GET /api/v1/events (server-sent events). Pages subscribe to an event type and
// refetch what changed; nothing polls. The browser's EventSource reconnects by itself after a
// dropped connection; when the server refuses the stream (the session ended) it stops, and we
// try again after kRetryMs, which also notices a logout in another tab.

const kTypes = ['hello', 'results', 'tests', 'agents'];
const kRetryMs = 5000;

const listeners = new Map(kTypes.map((t) => [t, new Set()]));
const statusListeners = new Set();
let source = null;
let retryTimer = null;
let received = 0;
let wanted = false;

function setStatus(state) {
  for (const fn of statusListeners) fn(state, received);
}

function dispatch(type, event) {
  let data = {};
  try {
    data = event.data ? JSON.parse(event.data) : {};
  } catch {
    data = {};
  }
  received += 1;
  setStatus('open');
  for (const fn of listeners.get(type)) fn(data);
}

function open() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = new EventSource('/api/v1/events');
  source.addEventListener('open', () => setStatus('open'));
  for (const type of kTypes) source.addEventListener(type, (e) => dispatch(type, e));
  source.addEventListener('error', () => {
    if (!source || source.readyState !== EventSource.CLOSED) {
      setStatus('connecting');
      return;
    }
    setStatus('closed');
    if (wanted) retryTimer = setTimeout(open, kRetryMs);
  });
}

export function startEvents() {
  wanted = true;
  if (!source || source.readyState === EventSource.CLOSED) open();
}

export function stopEvents() {
  wanted = false;
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  setStatus('closed');
}

// Subscribes fn(data) to one event type; returns the unsubscribe function.
export function onEvent(type, fn) {
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}

// fn(state, eventsReceived) on every connection change and event: 'open' | 'connecting' | 'closed'.
export function onStatus(fn) {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}
