/**
 * The counter hall (plataforma): kiosks issue turns (each a ticket taken in through intake), counters (ventanillas)
 * call, recall, serve, redirect, park and finish them, the display board announces each call, and kiosks are
 * admitted by device keys.
 */
export { callNext, counterView, finish, listCounters, noShow, park, recall, recallParked, redirect, setPaused, signIn, signOut, start, type CounterTurnView, type CounterView, type FinishInput } from './counter.service.js';
export { authenticateDevice, issueDeviceKey, listDevices, revokeDevice, type DeviceView, type KioskCaller } from './kiosk-device.service.js';
export { listKioskServices, statusUrl, takeTurn, turnStatus, type IssuedTurn, type KioskServiceGroup, type PublicTurnStatus, type TakeTurnInput } from './kiosk.service.js';
