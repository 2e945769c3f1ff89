// Package optiontest reads the README's option tables, so that tests can
// hold them equal to the option tables in code.
package optiontest

import (
	"os"
	"strings"
	"testing"
)

// ReadmeTable returns the rows of the first Markdown table after the line
// heading (e.g. "## Configuration") in the file at path, each row a map from
// column header to cell text (trimmed). It fails tb when there is none.
func ReadmeTable(tb testing.TB, path, heading string) []map[string]string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == heading {
			start = i
			break
		}
	}
	if start < 0 {
		tb.Fatalf("%s: no heading %q", path, heading)
	}
	var header []string
	var rows []map[string]string
	for _, l := range lines[start+1:] {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			if header != nil {
				break // the end of the table
			}
			if strings.HasPrefix(l, "#") {
				break // the next section: no table
			}
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case header == nil:
			header = cells
		case strings.HasPrefix(cells[0], "---"):
		default:
			row := map[string]string{}
			for i, h := range header {
				if i < len(cells) {
					row[h] = cells[i]
				}
			}
			rows = append(rows, row)
		}
	}
	if header == nil {
		tb.Fatalf("%s: no table after %q", path, heading)
	}
	return rows
}
