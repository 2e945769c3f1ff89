package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func itoa(i int) string { return strconv.Itoa(i) }

// columnOf runs a query of one column and returns its values in order.
func columnOf[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// mustAffect turns "no row changed" into a typed not-found error.
func mustAffect(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return homelabcmd.Errorf(homelabcmd.ENOTFOUND, format, args...)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
