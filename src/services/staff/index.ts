/**
 * Staff and their sessions: login, refresh and logout with short access tokens and rotating refresh tokens, the
 * accounts an admin or supervisor manages, presence and capacity (which routing follows), and the first admin.
 */
export {
  authenticate,
  LOGIN_THROTTLE,
  login,
  logout,
  logoutAll,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  purgeExpiredRefreshTokens,
  refresh,
  startSession,
  type ClientInfo, type LoginInput, type Session, type StaffActor } from './auth.service.js';
export { BOOTSTRAP_ADMIN_USERNAME, ensureBootstrapAdmin } from './bootstrap-admin.service.js';
export { hashPassword } from './password-hash.js';
export { setPresence } from './presence.service.js';
export { changePassword, createStaff, getVisibleStaff, goOfflineAfterConnectionLoss, listStaff, setStaffCapacity, setStaffPresence, updateStaff, type ChangePasswordInput, type CreateStaffInput, type ListStaffQuery } from './staff.service.js';
