package httpapi

import (
	"net/http"
	"strconv"
)

// routes is the API's one route table.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/v1/system/health", s.handleHealth)
	s.mux.HandleFunc("/api/", s.handleNotFound)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]any{"detail": map[string]string{"code": "NOT_FOUND", "message": "No such endpoint: " + r.Method + " " + r.URL.Path}})
}

func itoa(i int) string { return strconv.Itoa(i) }
