package sqlstore

import "testing"

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, url string
		want      Location
		wantErr   bool
	}{
		{"default relative", "sqlite:///./data/homelab.db", Location{Engine: SQLite, Path: "data/homelab.db"}, false},
		{"relative", "sqlite:///relative/path.db", Location{Engine: SQLite, Path: "relative/path.db"}, false},
		{"absolute", "sqlite:////absolute/path.db", Location{Engine: SQLite, Path: "/absolute/path.db"}, false},
		{"sqlalchemy async driver", "sqlite+aiosqlite:///./data/homelab.db", Location{Engine: SQLite, Path: "data/homelab.db"}, false},
		{"postgres", "postgres://u@h:5432/db?sslmode=disable", Location{Engine: Postgres, DSN: "postgres://u@h:5432/db?sslmode=disable"}, false},
		{"postgresql scheme", "postgresql://u@h/db", Location{Engine: Postgres, DSN: "postgres://u@h/db"}, false},
		{"no file", "sqlite://", Location{}, true},
		{"empty path", "sqlite:///", Location{}, true},
		{"memory", "sqlite:///:memory:", Location{}, true},
		{"folder", "sqlite:///data/", Location{}, true},
		{"no scheme", "./data/homelab.db", Location{}, true},
		{"other engine", "mysql://u@h/db", Location{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.url)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
