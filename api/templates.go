package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/riffle-sql/riffle/app"
	"github.com/riffle-sql/riffle/record"
	"github.com/riffle-sql/riffle/sqltemplates"
)

// TemplatesPath gives the console's "Add SQL from templates": a JSON array
// of {"id","title","description","sql"}, written against the columns of
// the application's first input (the demo stock ticker's without one).
const TemplatesPath = "GET /riffle/v1/applications/{app}/sql-templates"

// definition reads the application the request's path names, or answers
// why it cannot: 404 for an unknown one.
func (a *API) definition(w http.ResponseWriter, r *http.Request) (app.Application, bool) {
	def, err := a.apps.Get(r.Context(), r.PathValue("app"))
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, app.ErrNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, err.Error(), status)
		return app.Application{}, false
	}
	return def, true
}

// Templates serves TemplatesPath.
func (a *API) Templates(w http.ResponseWriter, r *http.Request) {
	def, ok := a.definition(w, r)
	if !ok {
		return
	}
	stream, columns := sqltemplates.InputStream, []record.RecordColumn(nil)
	if len(def.Inputs) > 0 {
		in := def.Inputs[0]
		columns = in.Schema.RecordColumns
		if in.NamePrefix != "" {
			stream = in.StreamName()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(sqltemplates.ForStream(stream, columns))
}
