// The contact center's patch of FerretDB v1.24.2 (municipal-contact-center, src/embedded/ferretdb.ts and the
// "pushdown patch" section of docs/store.md), not part of FerretDB.
//
// As released, find, aggregate and explain give the backend a sort only when it is {$natural: ±1}, and a limit only
// without filter, sort and skip. These give it also the requested sort (backends.QueryParams.ExactSort) and how many
// documents the handler will keep at most (ExactLimit: limit + skip). The SQLite backend applies them when it can do
// so exactly (backends/sqlite/contactcenter_query.go); other backends ignore them. The handler still filters, sorts,
// skips and limits in memory, so results are the same whatever the backend applies.

package handler

import (
	"context"
	"math"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/types"
)

// contactCenterExact returns the sort and the limit a backend may apply exactly, or nil and 0.
//
// filter is the query's filter and pushed the part of it the backend gets (the handler drops dotted keys): a limit
// is only passed when the backend sees the whole filter. sort must be validated; a $natural sort is left to the
// released code. limit and skip are those of the query (0: none).
func contactCenterExact(filter, pushed, sort *types.Document, limit, skip int64) (*types.Document, int64) {
	if sort.Len() > 0 && sort.Has("$natural") {
		return nil, 0
	}

	var exactSort *types.Document
	if sort.Len() > 0 {
		exactSort = sort
	}

	if limit <= 0 || skip < 0 || skip > math.MaxInt64-limit || filter.Len() != pushed.Len() {
		return exactSort, 0
	}

	return exactSort, limit + skip
}

// makeFindQueryParams creates the backend's query parameters for the find command: those of the released code
// (makeFindQueryParamsAsReleased, which also validates params.Sort), plus ExactSort and ExactLimit.
func (h *Handler) makeFindQueryParams(ctx context.Context, params *common.FindParams, cInfo *backends.CollectionInfo) (*backends.QueryParams, error) { //nolint:lll // for readability
	qp, err := h.makeFindQueryParamsAsReleased(ctx, params, cInfo)
	if err != nil {
		return nil, err
	}

	// A tailable cursor runs its query again for new documents (msg_getmore.go): nothing more is pushed for it.
	if h.DisablePushdown || params.Tailable {
		return qp, nil
	}

	qp.ExactSort, qp.ExactLimit = contactCenterExact(params.Filter, qp.Filter, params.Sort, params.Limit, params.Skip)

	return qp, nil
}

// contactCenterStage returns the name and value of a pipeline stage ({$name: value}).
func contactCenterStage(stage any) (string, any) {
	d, ok := stage.(*types.Document)
	if !ok || d.Len() != 1 {
		return "", nil
	}

	return d.Keys()[0], d.Values()[0]
}

// contactCenterAggregateExact returns the sort and limit of a pipeline a backend may apply exactly.
//
// filter and sort are those the released code took from the first two stages (aggregations.GetPushdownQuery; sort
// validated), pushed the part of the filter the backend gets. The sort is always passed (the pipeline sorts again
// anyway); a limit only when the pipeline starts with [$match] [$sort] $limit, this $sort being the passed one.
func contactCenterAggregateExact(filter, pushed, sort *types.Document, stages []any) (*types.Document, int64) {
	exactSort, _ := contactCenterExact(filter, pushed, sort, 0, 0)

	i := 0

	if name, _ := contactCenterStage(contactCenterStageAt(stages, i)); name == "$match" {
		i++
	}

	sawSort := false

	if name, _ := contactCenterStage(contactCenterStageAt(stages, i)); name == "$sort" {
		sawSort = true
		i++
	}

	if sawSort != (exactSort != nil) || (sort.Len() > 0 && exactSort == nil) {
		return exactSort, 0
	}

	name, v := contactCenterStage(contactCenterStageAt(stages, i))
	if name != "$limit" {
		return exactSort, 0
	}

	var limit int64

	switch v := v.(type) {
	case int32:
		limit = int64(v)
	case int64:
		limit = v
	case float64:
		if v != math.Trunc(v) || v < 1 || v > math.MaxInt32 {
			return exactSort, 0
		}

		limit = int64(v)
	}

	_, exactLimit := contactCenterExact(filter, pushed, sort, limit, 0)

	return exactSort, exactLimit
}

func contactCenterStageAt(stages []any, i int) any {
	if i < len(stages) {
		return stages[i]
	}

	return nil
}

// contactCenterAggregatePushdown sets ExactSort and ExactLimit of an aggregate's query (see msg_aggregate.go).
func (h *Handler) contactCenterAggregatePushdown(qp *backends.QueryParams, filter, sort *types.Document, stages []any) {
	if h.DisablePushdown {
		return
	}

	qp.ExactSort, qp.ExactLimit = contactCenterAggregateExact(filter, qp.Filter, sort, stages)
}

// contactCenterExplain explains a query as the released MsgExplain does, with ExactSort and ExactLimit set as find
// and aggregate set them, so that explain shows the statement those run (see msg_explain.go). FilterPushdown is also
// false when the handler kept part of the filter from the backend (dotted keys).
func (h *Handler) contactCenterExplain(ctx context.Context, coll backends.Collection, qp *backends.ExplainParams, params *common.ExplainParams) (*backends.ExplainResult, error) { //nolint:lll // for readability
	if !h.DisablePushdown {
		switch {
		case params.Aggregate:
			qp.ExactSort, qp.ExactLimit = contactCenterAggregateExact(params.Filter, qp.Filter, params.Sort, params.StagesDocs)
		case params.Command.Command() == "find":
			if tailable, _ := params.Command.Get("tailable"); tailable != true {
				qp.ExactSort, qp.ExactLimit = contactCenterExact(params.Filter, qp.Filter, params.Sort, params.Limit, params.Skip)
			}
		}
	}

	res, err := coll.Explain(ctx, qp)
	if err != nil {
		return nil, err
	}

	if qp.Filter.Len() != params.Filter.Len() {
		res.FilterPushdown = false
	}

	return res, nil
}
