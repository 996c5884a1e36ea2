package errtext

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

type store struct{ db *sql.DB }

func (s *store) getUser(w http.ResponseWriter, r *http.Request) {
	var name string
	err := s.db.QueryRowContext(r.Context(), "SELECT name FROM users WHERE id = $1", r.PathValue("id")).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		http.Error(w, "user not found", http.StatusNotFound) // a fixed message: fine
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError) // want `errtext: error text sent to the client`
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"name": name})
}

func createUser(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest) // want `errtext: error text sent to the client`
		return
	}
	if err := save(in.Name); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "could not save: %v", err) // want `errtext: error text sent to the client`
		return
	}
	if err := save(in.Name); err != nil {
		w.Write([]byte(err.Error())) // want `errtext: error text sent to the client`
		return
	}
	if err := save(in.Name); err != nil {
		io.WriteString(w, err.Error()) // want `errtext: error text sent to the client`
		return
	}
	fmt.Fprintf(w, "created %s", in.Name) // no error: fine
	w.Write([]byte("ok"))
	http.Error(w, http.StatusText(http.StatusConflict), http.StatusConflict)
}

// logError writes the error to a log, not to a client: fine.
func logError(out io.Writer, err error) {
	fmt.Fprintf(out, "error: %v\n", err)
}

func save(string) error { return nil }
