// The console's pages, one module each; app.js routes to them.
export { signIn, signUp, invite, account } from "./auth.js";
export { orgs } from "./orgs.js";
export { devices } from "./devices.js";
export { device } from "./device.js";
export { tasks } from "./tasks.js";
export { tokens } from "./tokens.js";
export { users } from "./users.js";
export { settings } from "./settings.js";
export { history } from "./history.js";
export { upload } from "./upload.js";
export { licenses } from "./licenses.js";
export { apps } from "./apps.js";
