import { z } from 'zod';
import type { AppContext } from '../services/context/index.js';
import { getCitizenCases } from '../services/tickets/index.js';
import { staffRoute, type ApiRoute } from './route-table.js';
import { citizenView, cursorText, idParams, nextCursor, pageCursor, queryInteger, ticketView } from './schemas.js';

/** `/api/v1/citizens`: a citizen as staff look them up, with their cases. */
export function citizenRoutes(ctx: AppContext): ApiRoute[] {
  return [
    staffRoute({
      method: 'get',
      path: '/:id/tickets',
      summary: "A citizen and their cases you may see, newest first (the citizen's history)",
      params: idParams('citizen'),
      query: z.strictObject({ cursor: pageCursor.optional(), pageSize: queryInteger(1, 100).default(25) }),
      responses: { 200: { description: 'The citizen and a page of their cases', schema: z.object({ citizen: citizenView, items: z.array(ticketView), next: nextCursor }) } },
      handle: async ({ actor, params, query: q }) => {
        const { citizen, cases } = await getCitizenCases(ctx, actor, params.id, { after: q.cursor, limit: q.pageSize });
        return { status: 200, body: { citizen, items: cases.items, next: cursorText(cases.next) } };
      },
    }),
  ];
}
