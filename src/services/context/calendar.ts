import type { Catalogue } from '../../config/catalogue.js';
import { createBusinessCalendar, type BusinessCalendar } from '../../domain/business-calendar.js';
import type { AppContext } from './app-context.js';

const calendars = new WeakMap<Catalogue, BusinessCalendar>();

/** The office calendar of the loaded catalogue, built once (it indexes the holiday table). */
export function calendarOf(ctx: AppContext): BusinessCalendar {
  let calendar = calendars.get(ctx.catalogue);
  if (!calendar) {
    calendar = createBusinessCalendar(ctx.catalogue.calendar);
    calendars.set(ctx.catalogue, calendar);
  }
  return calendar;
}
