// api: the console's one way to the admin API (/admin/v1, docs/admin-api.md). A signed-in
// user's session is an HttpOnly cookie the page never sees; every state-changing request
// carries the CSRF token sign-in and GET /me answer (X-CSRF-Token). An API token (automation, the bootstrap
// owner) is kept for this tab only and sent as a bearer token instead.

const TOKEN_KEY = "camcloud.api-token";
let csrf = "";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(value) { csrf = value || ""; }
export function apiToken() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
export function setApiToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// bearer: an explicit token for this one call (the first owner's sign-up).
// The credentials a request carries: the bearer token, else (changing something) the CSRF token.
export function authHeaders(method, bearer) {
  const token = bearer || apiToken();
  if (token) return { Authorization: `Bearer ${token}` };
  return method !== "GET" && csrf ? { "X-CSRF-Token": csrf } : {};
}

export async function call(method, path, body, bearer) {
  const headers = { Accept: "application/json", ...authHeaders(method, bearer) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(`/admin/v1${path}`, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 204) return {};
  const text = await r.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = {}; }
  if (!r.ok) {
    const e = data.error || {};
    throw new ApiError(r.status, e.code, e.message);
  }
  return data;
}

const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, v);
  const t = s.toString();
  return t ? `?${t}` : "";
};
const get = (p) => call("GET", p);
const post = (p, b = {}) => call("POST", p, b);

// Every endpoint the console uses, by what it does.
export const api = {
  me: () => get("/me"),
  // With the bootstrap token as bearer and org_name: the first owner of a new cloud.
  signUp: (email, password, orgName, bootstrap) =>
    call("POST", "/signup", { email, password, ...(orgName ? { org_name: orgName } : {}) }, bootstrap),
  signIn: (email, password, code) => post("/signin", { email, password,
    ...(code ? (/^\d{6}$/.test(code) ? { totp: code } : { recovery_code: code }) : {}) }),
  signOut: () => post("/signout"),
  mfaBegin: (password) => post("/me/mfa/enroll", { password }),
  mfaConfirm: (code) => post("/me/mfa/confirm", { code }),

  orgs: () => get("/orgs"),
  org: (id) => get(`/orgs/${id}`),
  orgCreate: (name) => post("/orgs", { name }),
  orgSettings: (id, fields) => post(`/orgs/${id}/settings`, fields),
  orgArchive: (id, confirmId) => post(`/orgs/${id}/archive`, { confirm_id: confirmId, risk_understood: true }),
  folders: (orgId) => get(`/folders${q({ org_id: orgId })}`),
  // Without confirm: what deleting would remove (nothing is deleted); with the preview's
  // digest: the deletion, refused (409 preview_changed) when anything changed since.
  folderDelete: (id, confirm) => call("DELETE", `/folders/${id}${q({ confirm })}`),
  folderCreate: (orgId, name, parentId) => post("/folders", { org_id: orgId, name, ...(parentId ? { parent_id: parentId } : {}) }),

  devices: (orgId) => get(`/devices${q({ org_id: orgId })}`),
  device: (id) => get(`/devices/${id}`),
  licenses: (orgId, filters = {}) => get(`/licenses${q({ org_id: orgId, ...filters })}`),
  licenseRevoke: (id) => post(`/licenses/${id}/revoke`),
  licensePreload: (fields) => post("/licenses/preload", fields),
  licenseImport: (orgId, keyFiles, kind) => post("/licenses/import", { org_id: orgId, key_files: keyFiles, ...(kind ? { kind } : {}) }),
  // filters: serial (per device) or app (per product)
  licenseEvents: (orgId, filters) => get(`/license-events${q({ org_id: orgId, ...filters })}`),
  deviceApps: (id) => get(`/devices/${id}/apps`),

  products: (orgId) => get(`/products${q({ org_id: orgId })}`),
  productRegister: (fields) => post("/products", fields),
  keyRedeem: (orgId, key) => post("/license-keys/redeem", { org_id: orgId, key }),
  subscriptionStart: (productId) => post(`/products/${productId}/subscription`),
  // dry_run: the verdict (allowed, why, shortfall, ...) without allocating anything
  allocate: (productId, count, ahead, dryRun) => post(`/products/${productId}/allocations`, { count, ahead, dry_run: dryRun }),
  extensionAllocate: (productId, serial, keyFile) => post(`/products/${productId}/extension-allocations`, { serial, ...(keyFile ? { key_file: keyFile } : {}) }),

  packages: () => get("/apps"),
  packageRecommend: (id) => post(`/apps/${id}/recommend`),
  images: (model) => get(`/images${q({ model })}`),

  jobs: (orgId) => get(`/jobs${q({ org_id: orgId })}`),
  job: (id) => get(`/jobs/${id}`),
  jobCreate: (fields) => post("/jobs", fields),
  jobCancel: (id) => post(`/jobs/${id}/cancel`),

  tokens: (orgId) => get(`/enrollment-tokens${q({ org_id: orgId })}`),
  tokenCreate: (fields) => post("/enrollment-tokens", fields),
  tokenRevoke: (id) => post(`/enrollment-tokens/${id}/revoke`),

  members: (orgId) => get(`/orgs/${orgId}/members`),
  memberRole: (orgId, userId, role) => post(`/orgs/${orgId}/members/${userId}/role`, { role }),
  invitations: (orgId) => get(`/orgs/${orgId}/invitations`),
  invite: (orgId, email, folderIds) => post(`/orgs/${orgId}/invitations`, { email, role: "viewer", folder_ids: folderIds }),
  inviteCancel: (id) => post(`/invitations/${id}/cancel`),
  // The mail's link: what the invitation is for (outside /admin/v1, no credentials).
  invitation: async (token) => {
    const r = await fetch(`/invitation${q({ token })}`, { headers: { Accept: "application/json" }, cache: "no-store" });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new ApiError(r.status, data.error?.code, data.error?.message);
    return data;
  },
  inviteSignUp: (token, password) => post("/invitations/signup", { token, password }),
  inviteAccept: (token) => post("/invitations/accept", { token }),

  history: (orgId, filters) => get(`/history${q({ org_id: orgId, ...filters })}`),
  historyCsvUrl: (orgId, filters) => `/admin/v1/history${q({ org_id: orgId, ...filters, format: "csv" })}`,
};
