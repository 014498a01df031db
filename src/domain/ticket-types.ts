/**
 * The kinds of case the office handles. They are legal categories, not configuration: a `reclamo` is an entry
 * in the Libro de Reclamaciones (D.S. 007-2020-PCM) and must never be merged with a `queja`.
 */
export const TICKET_TYPES = [
  'consulta',
  'tramite',
  'queja',
  'reclamo',
  'denuncia',
  'sugerencia',
  'acceso_informacion',
  'felicitacion',
] as const;

export type TicketType = (typeof TICKET_TYPES)[number];

/** Channels through which a citizen reaches the office. `manual` is a case keyed in by staff. */
export const CHANNELS = ['phone', 'email', 'kiosk', 'manual'] as const;

export type Channel = (typeof CHANNELS)[number];
