// The contact center's patch of FerretDB v1.24.2 (municipal-contact-center, src/embedded/ferretdb.ts and the
// "pushdown patch" section of docs/store.md), not part of FerretDB.
//
// As released, this backend sends a filter to SQL only when it is exactly {_id: value}, and a limit only when there is
// neither filter nor sort: every other read decodes the whole table in Go. The build renames the released Query and
// Explain of collection.go (queryAsReleased, explainAsReleased); these replace them. One function builds the SQL for
// both, so what explain reports is the statement Query runs.
//
// What is translated (metadata/contactcenter_indexes.go says which fields are declared single-valued):
//   - each top-level filter key on a field of a "q_" index: a scalar, null, or an operator document whose operators
//     are all $eq $gt $gte $lt $lte $in with scalar operands, compared with the field's SQL value (->>);
//   - each top-level key on `_id` or on a field of another unique index: equality and $in only, with operands whose
//     JSON text FerretDB and SQLite write alike, compared with the field's JSON text (->);
//   - the sort (QueryParams.ExactSort), when every key is a field of a "q_" index;
//   - the limit (QueryParams.ExactLimit), when the whole filter was translated and the sort (if any) too.
//
// Anything else is left out of the WHERE clause. The WHERE clause never excludes a document the filter matches, and
// the handler still filters, sorts, skips and limits in memory, so results are what they are without this patch.

package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// contactCenterQueryInput is what a query asks of the backend.
type contactCenterQueryInput struct {
	filter        *types.Document
	naturalSort   *types.Document // backends.QueryParams.Sort: nil or {$natural: ±1}
	limit         int64           // backends.QueryParams.Limit: to be applied if non-zero
	exactSort     *types.Document // backends.QueryParams.ExactSort
	exactLimit    int64           // backends.QueryParams.ExactLimit
	comment       string
	onlyRecordIDs bool
}

// contactCenterSQL is the statement for a query, and what of the query it applies.
type contactCenterSQL struct {
	query  string
	args   []any
	filter bool // the WHERE clause selects exactly the documents the whole filter matches
	sort   bool // the ORDER BY clause is the whole requested sort
	limit  bool // the statement has a LIMIT
}

// contactCenterFields are the fields of a collection the backend may compare in SQL, by expression kind.
type contactCenterFields struct {
	typed map[string]bool // fields of "q_" indexes: metadata.ContactCenterTypedExpr
	text  map[string]bool // _id and fields of other unique indexes: metadata.ContactCenterTextExpr, equality only
}

func contactCenterFieldsOf(meta *metadata.Collection) contactCenterFields {
	f := contactCenterFields{typed: map[string]bool{}, text: map[string]bool{"_id": true}}

	for _, index := range meta.Settings.Indexes {
		switch {
		case metadata.ContactCenterTypedIndex(index):
			for _, key := range index.Key {
				f.typed[key.Field] = true
			}
		case index.Unique:
			for _, key := range index.Key {
				if metadata.ContactCenterPushableName(key.Field) {
					f.text[key.Field] = true
				}
			}
		}
	}

	return f
}

// contactCenterOperand is one filter operand as SQL compares it.
type contactCenterOperand struct {
	typed     any    // the argument against the field's SQL value; nil if it cannot be compared so
	typedNull bool   // the operand is null: the typed comparison is IS NULL
	text      any    // the argument against the field's JSON text; nil if it cannot be compared so
	class     string // the operand's BSON type class: operands of different classes make the key inexact
}

// contactCenterMaxSafeString bounds the strings compared in SQL (longer ones are left to the handler).
const contactCenterMaxSafeString = 4096

func contactCenterOperandOf(v any) (contactCenterOperand, bool) {
	switch v := v.(type) {
	case string:
		if len(v) > contactCenterMaxSafeString || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return contactCenterOperand{}, false
		}

		op := contactCenterOperand{typed: v, class: "string"}

		// FerretDB writes JSON with Go's encoder and SQLite returns the stored text: plain printable ASCII is
		// written alike by both; quotes, backslashes, <, > and & are escaped by Go, maybe not by SQLite.
		plain := true

		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				plain = false
				break
			}
		}

		if plain {
			op.text = string(must.NotFail(sjson.MarshalSingleValue(v)))
		}

		return op, true

	case types.ObjectID:
		return contactCenterOperand{
			typed: fmt.Sprintf("%x", v[:]),
			text:  string(must.NotFail(sjson.MarshalSingleValue(v))),
			class: "objectId",
		}, true

	case bool:
		var i int64
		if v {
			i = 1
		}

		return contactCenterOperand{typed: i, text: string(must.NotFail(sjson.MarshalSingleValue(v))), class: "bool"}, true

	case int32:
		return contactCenterOperand{typed: int64(v), class: "number"}, true

	case int64:
		return contactCenterOperand{typed: v, class: "number"}, true

	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return contactCenterOperand{}, false
		}

		return contactCenterOperand{typed: v, class: "number"}, true

	case time.Time:
		// sjson stores a date as the JSON number of its milliseconds (sjson/datetime.go).
		return contactCenterOperand{
			typed: v.UnixMilli(),
			text:  string(must.NotFail(sjson.MarshalSingleValue(v))),
			class: "date",
		}, true

	case types.NullType:
		return contactCenterOperand{typedNull: true, class: "null"}, true

	default:
		return contactCenterOperand{}, false
	}
}

// contactCenterComparison is one operator of a filter key.
type contactCenterComparison struct {
	op       string // $eq $gt $gte $lt $lte $in
	operands []contactCenterOperand
}

var contactCenterSQLOperators = map[string]string{"$eq": "=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

// contactCenterEntries returns the keys and values of a document, and whether no key repeats
// (types.Document.Get panics on a repeated key; a repeated key is left to the handler).
func contactCenterEntries(doc *types.Document) ([]string, []any, bool) {
	keys, values := doc.Keys(), doc.Values()
	seen := make(map[string]struct{}, len(keys))

	for _, k := range keys {
		if _, dup := seen[k]; dup {
			return keys, values, false
		}

		seen[k] = struct{}{}
	}

	return keys, values, true
}

// contactCenterComparisons parses the value of a filter key; false if it is not a translatable condition.
func contactCenterComparisons(v any) ([]contactCenterComparison, bool) {
	doc, isDoc := v.(*types.Document)
	if !isDoc {
		operand, ok := contactCenterOperandOf(v)
		if !ok {
			return nil, false
		}

		return []contactCenterComparison{{op: "$eq", operands: []contactCenterOperand{operand}}}, true
	}

	// {field: {…}} without operators is an equality with a document.
	if doc.Len() == 0 {
		return nil, false
	}

	ops, args, unique := contactCenterEntries(doc)
	if !unique {
		return nil, false
	}

	res := make([]contactCenterComparison, 0, len(ops))

	for i, op := range ops {
		arg := args[i]

		switch op {
		case "$eq", "$gt", "$gte", "$lt", "$lte":
			operand, ok := contactCenterOperandOf(arg)
			if !ok || (operand.typedNull && op != "$eq") {
				return nil, false
			}

			res = append(res, contactCenterComparison{op: op, operands: []contactCenterOperand{operand}})

		case "$in":
			arr, ok := arg.(*types.Array)
			if !ok || arr.Len() == 0 || arr.Len() > 1000 {
				return nil, false
			}

			operands := make([]contactCenterOperand, arr.Len())

			for i := 0; i < arr.Len(); i++ {
				operand, ok := contactCenterOperandOf(must.NotFail(arr.Get(i)))
				if !ok || operand.typedNull {
					return nil, false
				}

				operands[i] = operand
			}

			res = append(res, contactCenterComparison{op: op, operands: operands})

		default:
			return nil, false
		}
	}

	return res, true
}

// contactCenterWhere translates one filter key: the SQL conditions, their arguments, and whether they select exactly
// the documents the key matches. ok is false when nothing of the key is translated.
func contactCenterWhere(fields contactCenterFields, key string, v any) (conds []string, args []any, exact, ok bool) {
	if !metadata.ContactCenterPushableName(key) || (!fields.typed[key] && !fields.text[key]) {
		return nil, nil, false, false
	}

	comparisons, ok := contactCenterComparisons(v)
	if !ok {
		return nil, nil, false, false
	}

	classes := map[string]bool{}
	textOK := fields.text[key]

	for _, c := range comparisons {
		if c.op != "$eq" && c.op != "$in" {
			textOK = false
		}

		for _, operand := range c.operands {
			classes[operand.class] = true

			if operand.text == nil {
				textOK = false
			}
		}
	}

	// Equality on `_id` or a unique field is answered from its unique index, a typed index answers the rest.
	var expr string

	switch {
	case textOK:
		expr = metadata.ContactCenterTextExpr(key)
	case fields.typed[key]:
		expr = metadata.ContactCenterTypedExpr(key)
	default:
		return nil, nil, false, false
	}

	for _, c := range comparisons {
		argOf := func(operand contactCenterOperand) any {
			if textOK {
				return operand.text
			}

			return operand.typed
		}

		switch {
		case c.op == "$in":
			placeholders := make([]string, len(c.operands))
			for i, operand := range c.operands {
				placeholders[i] = "?"
				args = append(args, argOf(operand))
			}

			conds = append(conds, fmt.Sprintf("%s IN (%s)", expr, strings.Join(placeholders, ", ")))

		case c.operands[0].typedNull:
			// {field: null} matches null and missing; both are NULL as SQL values (never on a text expression:
			// a null operand has no text form).
			conds = append(conds, expr+" IS NULL")

		default:
			conds = append(conds, fmt.Sprintf("%s %s ?", expr, contactCenterSQLOperators[c.op]))
			args = append(args, argOf(c.operands[0]))
		}
	}

	// Operands of one type compare in SQL as MongoDB compares them with a field holding that type; mixing types in
	// one key (a number and a date, say) may select more, which the handler filters out.
	return conds, args, len(classes) == 1, true
}

// contactCenterBuildSQL builds the statement for a query.
func contactCenterBuildSQL(meta *metadata.Collection, in *contactCenterQueryInput) *contactCenterSQL {
	res := &contactCenterSQL{filter: true}
	fields := contactCenterFieldsOf(meta)

	var conds []string

	keys, values, unique := contactCenterEntries(in.filter)
	if !unique {
		keys, values, res.filter = nil, nil, false
	}

	for i, key := range keys {
		if key == "$comment" {
			continue
		}

		c, a, exact, ok := contactCenterWhere(fields, key, values[i])
		if !ok {
			res.filter = false
			continue
		}

		conds = append(conds, c...)
		res.args = append(res.args, a...)
		res.filter = res.filter && exact
	}

	q := prepareSelectClause(meta.TableName, in.comment, meta.Capped(), in.onlyRecordIDs)

	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}

	if orderBy := prepareOrderByClause(in.naturalSort); orderBy != "" {
		q += orderBy
		res.sort = true
	} else if in.exactSort.Len() > 0 {
		keys, values, unique := contactCenterEntries(in.exactSort)
		terms := make([]string, 0, len(keys))

		for i, key := range keys {
			dir, _ := values[i].(int64)
			if !unique || !fields.typed[key] || !metadata.ContactCenterPushableName(key) || (dir != 1 && dir != -1) {
				terms = nil
				break
			}

			// SQL NULL (a missing or null field) comes first ascending and last descending, as in MongoDB.
			term := metadata.ContactCenterTypedExpr(key)
			if dir == -1 {
				term += " DESC"
			}

			terms = append(terms, term)
		}

		if len(terms) > 0 {
			q += " ORDER BY " + strings.Join(terms, ", ")
			res.sort = true
		}
	}

	switch {
	case in.limit != 0:
		q += " LIMIT ?"
		res.args = append(res.args, in.limit)
		res.limit = true

	case in.exactLimit > 0 && res.filter && (in.exactSort.Len() == 0 || res.sort):
		q += " LIMIT ?"
		res.args = append(res.args, in.exactLimit)
		res.limit = true
	}

	res.query = q

	return res
}

// Query implements backends.Collection interface.
func (c *collection) Query(ctx context.Context, params *backends.QueryParams) (*backends.QueryResult, error) {
	db := c.r.DatabaseGetExisting(ctx, c.dbName)
	if db == nil {
		return &backends.QueryResult{
			Iter: newQueryIterator(ctx, nil, params.OnlyRecordIDs),
		}, nil
	}

	meta := c.r.CollectionGet(ctx, c.dbName, c.name)
	if meta == nil {
		return &backends.QueryResult{
			Iter: newQueryIterator(ctx, nil, params.OnlyRecordIDs),
		}, nil
	}

	s := contactCenterBuildSQL(meta, &contactCenterQueryInput{
		filter:        params.Filter,
		naturalSort:   params.Sort,
		limit:         params.Limit,
		exactSort:     params.ExactSort,
		exactLimit:    params.ExactLimit,
		comment:       params.Comment,
		onlyRecordIDs: params.OnlyRecordIDs,
	})

	rows, err := db.QueryContext(ctx, s.query, s.args...)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	return &backends.QueryResult{
		Iter: newQueryIterator(ctx, rows, params.OnlyRecordIDs),
	}, nil
}

// Explain implements backends.Collection interface.
//
// FilterPushdown is true when the WHERE clause selects exactly the documents of the whole filter; QueryPlanner holds
// the SQLite plan of the statement Query would run (Plan) and the statement (SQL).
func (c *collection) Explain(ctx context.Context, params *backends.ExplainParams) (*backends.ExplainResult, error) {
	db := c.r.DatabaseGetExisting(ctx, c.dbName)
	if db == nil {
		return &backends.ExplainResult{
			QueryPlanner: must.NotFail(types.NewDocument()),
		}, nil
	}

	meta := c.r.CollectionGet(ctx, c.dbName, c.name)
	if meta == nil {
		return &backends.ExplainResult{
			QueryPlanner: must.NotFail(types.NewDocument()),
		}, nil
	}

	s := contactCenterBuildSQL(meta, &contactCenterQueryInput{
		filter:      params.Filter,
		naturalSort: params.Sort,
		limit:       params.Limit,
		exactSort:   params.ExactSort,
		exactLimit:  params.ExactLimit,
	})

	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+s.query, s.args...)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	defer rows.Close()

	queryPlan := types.MakeArray(0)

	for rows.Next() {
		var id, parent, notused int32
		var detail string

		// See https://www.sqlite.org/eqp.html.
		if err = rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, lazyerrors.Error(err)
		}

		queryPlan.Append(fmt.Sprintf("id=%d parent=%d notused=%d detail=%s", id, parent, notused, detail))
	}

	if err = rows.Err(); err != nil {
		return nil, lazyerrors.Error(err)
	}

	return &backends.ExplainResult{
		QueryPlanner:   must.NotFail(types.NewDocument("Plan", queryPlan, "SQL", s.query)),
		FilterPushdown: s.filter && params.Filter.Len() > 0,
		SortPushdown:   s.sort,
		LimitPushdown:  s.limit,
	}, nil
}
