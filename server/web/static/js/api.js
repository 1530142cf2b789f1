// The JSON API client: same-origin fetch with the session cookie, the CSRF header on every
// state-changing call, and the server's {"error": "..."} text turned into an ApiError.

const kStateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = null;
let unauthorizedHandler = null;

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

// Called on a 401 from any call but the session ones (the session expired: back to the login).
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function errorFrom(response) {
  let body = null;
  let message = `${response.status} ${response.statusText}`;
  try {
    body = await response.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON (a proxy's page, say): the status line is the best message there is.
  }
  if (response.status === 429) {
    const retry = response.headers.get('Retry-After');
    if (retry) message += ` (try again in ${retry} s)`;
  }
  return new ApiError(response.status, message, body);
}

export async function request(method, path, body, {quiet401 = false} = {}) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (kStateChanging.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `The server did not answer (${e.message}).`, null);
  }
  if (!response.ok) {
    const err = await errorFrom(response);
    if (response.status === 401 && !quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body, opts),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  del: (path, opts) => request('DELETE', path, undefined, opts),
};

// Builds "path?k=v&..." leaving out empty values.
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export function enc(id) {
  return encodeURIComponent(id);
}
