package sqlstore

import (
	"database/sql"
	"strconv"
	"time"

	"github.com/homelabcmd/homelabcmd"
)

func itoa(i int) string { return strconv.Itoa(i) }

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
