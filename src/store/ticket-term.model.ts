import { Schema, type Connection, type Model, type Types } from 'mongoose';

/*
 * The search index of case subjects (src/domain/search-text.ts says how words are read), in two collections:
 * - `ticket_terms`: one posting per word of a ticket's subject, `<ticket id>:<word>`, so writing the words of a ticket
 *   twice stores them once. It carries what a search filters and orders by (the ticket's units and creation), so that
 *   a page of one word's cases is one indexed read.
 * - `search_words`: every word some subject has, once (its `_id`), so that the words beginning with what was typed
 *   are one range of an index, whatever the history's size.
 */

export interface TicketTermDoc {
  _id: string;
  term: string;
  ticketId: Types.ObjectId;
  createdAt: Date;
  unitCode: string;
  referralFromUnit?: string;
}

export interface SearchWordDoc {
  _id: string;
  /** The word again, where the embedded store ranges over it from an index (it answers only equality on `_id`). */
  word: string;
}

const ticketTermSchema = new Schema<TicketTermDoc>(
  {
    _id: { type: String, required: true },
    term: { type: String, required: true, maxlength: 64 },
    ticketId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    unitCode: { type: String, required: true },
    referralFromUnit: { type: String },
  },
  { collection: 'ticket_terms', versionKey: false, strict: 'throw' },
);
// One word's cases newest first, all of them or a unit's (its own and those it referred); `q_`: see ticket.model.ts.
ticketTermSchema.index({ term: 1, createdAt: -1, _id: -1 }, { name: 'q_term_created' });
ticketTermSchema.index({ term: 1, unitCode: 1, createdAt: -1, _id: -1 }, { name: 'q_term_unit_created' });
ticketTermSchema.index({ term: 1, referralFromUnit: 1, createdAt: -1, _id: -1 }, { name: 'q_term_referrer_created' });


const searchWordSchema = new Schema<SearchWordDoc>(
  { _id: { type: String, required: true, maxlength: 64 }, word: { type: String, required: true, maxlength: 64 } },
  { collection: 'search_words', versionKey: false, strict: 'throw' },
);
// The words that begin with what was typed: one range of this index.
searchWordSchema.index({ word: 1 }, { name: 'q_word' });

export function registerTicketTermModels(connection: Connection): { TicketTerm: Model<TicketTermDoc>; SearchWord: Model<SearchWordDoc> } {
  return {
    TicketTerm: connection.model<TicketTermDoc>('TicketTerm', ticketTermSchema),
    SearchWord: connection.model<SearchWordDoc>('SearchWord', searchWordSchema),
  };
}
