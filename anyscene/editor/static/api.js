// JSON API of the editor's server. The session token comes from the page URL (and a cookie set with it).
const TOKEN = new URLSearchParams(location.search).get("token") || "";

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function headers(extra = {}) {
  const h = { ...extra };
  if (TOKEN) h["X-AnyScene-Token"] = TOKEN;
  return h;
}

async function handle(resp) {
  const type = resp.headers.get("content-type") || "";
  const body = type.includes("json") ? await resp.json() : null;
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

export async function get(path, params = {}) {
  const q = new URLSearchParams(params).toString();
  const resp = await fetch(path + (q ? "?" + q : ""), { headers: headers(), credentials: "same-origin" });
  return handle(resp);
}

export async function post(path, body = {}) {
  const resp = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
  });
  return handle(resp);
}

// An image URL the page can load (the cookie authenticates it; the token is added for good measure).
export function imageUrl(path, params = {}) {
  const q = new URLSearchParams({ ...params, token: TOKEN }).toString();
  return `${path}?${q}`;
}
