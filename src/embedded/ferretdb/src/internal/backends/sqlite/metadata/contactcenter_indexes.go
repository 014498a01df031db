// The contact center's patch of FerretDB v1.24.2 (municipal-contact-center, src/embedded/ferretdb.ts and the
// "pushdown patch" section of docs/store.md), not part of FerretDB. It lets the SQLite backend answer simple filters,
// sorts and limits from declared indexes; this file says which indexes and on which SQL expressions.
//
// An index whose name starts with "q_" declares that each of its fields holds one value of one BSON type (or null, or
// is missing), never an array. The registry creates such an index on `_ferretdb_sjson->>'field'` (the field as an SQL
// value: INTEGER for ints and dates, REAL for doubles, TEXT for strings and ObjectIds, NULL for null and missing),
// whose order is the order MongoDB sorts one type in; FerretDB's own spelling, `->"field"` (JSON text), orders 10
// before 9 and "ab c" before "ab", so ranges and sorts could not be answered from it. Other indexes keep FerretDB's
// spelling; the fields of unique ones, and `_id`, are answered from them for equality only.

package metadata

import "strings"

// ContactCenterQueryIndexPrefix starts the name of an index whose fields the backend may filter and sort on in SQL.
const ContactCenterQueryIndexPrefix = "q_"

// ContactCenterPushableName reports whether a top-level field name may be written into SQL as a string literal:
// ASCII letters, digits and underscores, not starting with a digit (no dots, no `$`, nothing to quote).
func ContactCenterPushableName(field string) bool {
	if field == "" || len(field) > 128 {
		return false
	}

	for i := 0; i < len(field); i++ {
		c := field[i]

		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}

	return true
}

// ContactCenterTypedIndex reports whether an index is created on typed expressions (ContactCenterTypedExpr):
// its name starts with "q_" and all its fields are pushable top-level names.
func ContactCenterTypedIndex(index IndexInfo) bool {
	if !strings.HasPrefix(index.Name, ContactCenterQueryIndexPrefix) || len(index.Key) == 0 {
		return false
	}

	for _, key := range index.Key {
		if !ContactCenterPushableName(key.Field) {
			return false
		}
	}

	return true
}

// ContactCenterTypedExpr is the SQL value of a top-level field, as typed indexes are created on it.
// The field must be a pushable name.
func ContactCenterTypedExpr(field string) string {
	return DefaultColumn + "->>'" + field + "'"
}

// ContactCenterTextExpr is the JSON text of a top-level field, spelled as IDColumn is; SQLite takes it for the
// expression `->"field"` FerretDB creates its other indexes on. The field must be a pushable name.
func ContactCenterTextExpr(field string) string {
	return DefaultColumn + "->'" + field + "'"
}
