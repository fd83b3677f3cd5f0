package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/riffle-sql/riffle/app"
)

// ClusterPath is the cluster's status (ClusterStatus as JSON), the same
// from every node; a server without --nats answers 404.
const ClusterPath = "GET /riffle/v1/cluster"

// ClusterStatus is what ClusterPath answers: app.ClusterStatus, its ages
// in seconds.
type ClusterStatus struct {
	Node            string        `json:"node"`
	LeaseTTLSeconds float64       `json:"leaseTTLSeconds"`
	Nodes           []ClusterNode `json:"nodes"`
	Applications    []ClusterApp  `json:"applications"`
}

// ClusterNode is a live node.
type ClusterNode struct {
	Name            string    `json:"name"`
	Started         time.Time `json:"started"`
	LastSeenSeconds float64   `json:"lastSeenSeconds"`
	Applications    int       `json:"applications"`
}

// ClusterApp is a RUNNING application and its lease.
type ClusterApp struct {
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	Owner           string  `json:"owner,omitempty"`
	LeaseAgeSeconds float64 `json:"leaseAgeSeconds"`
	// State is the lease's: running, starting (taken, the application
	// starting), placed (given to owner by another node, not yet taken).
	State    string `json:"state,omitempty"`
	MovingTo string `json:"movingTo,omitempty"` // a move asked: the node it goes to
	// LagMessages is how far behind its input the owner last measured the
	// application (app.Lag: messages of its input stream it has not fed),
	// at LagMeasured on the owner's clock; absent until measured.
	LagMessages *int64     `json:"lagMessages,omitempty"`
	LagMeasured *time.Time `json:"lagMeasured,omitempty"`
}

// Cluster serves ClusterPath.
func (a *API) Cluster(w http.ResponseWriter, r *http.Request) {
	st, err := a.apps.Cluster(r.Context())
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, app.ErrNoCluster) {
			status = http.StatusNotFound
		}
		http.Error(w, err.Error(), status)
		return
	}
	out := ClusterStatus{Node: st.Node, LeaseTTLSeconds: st.LeaseTTL.Seconds(), Nodes: []ClusterNode{}, Applications: []ClusterApp{}}
	for _, n := range st.Nodes {
		out.Nodes = append(out.Nodes, ClusterNode{Name: n.Name, Started: n.Started, LastSeenSeconds: n.LastSeen.Seconds(), Applications: n.Applications})
	}
	for _, l := range st.Applications {
		ca := ClusterApp{Name: l.Application, Status: l.Status, Owner: l.Owner, LeaseAgeSeconds: l.LeaseAge.Seconds(), State: l.State, MovingTo: l.MovingTo}
		if l.Lag != nil {
			ca.LagMessages, ca.LagMeasured = &l.Lag.Messages, &l.Lag.Measured
		}
		out.Applications = append(out.Applications, ca)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// MovePath moves a RUNNING application to another live node (app.Move),
// asked of any node, with a JSON MoveRequest; it answers a MoveResult
// once the application runs there, or after waitSeconds with moved
// false (the move goes on). Refusals are 400 (no such live node), 404 (no
// such application, or no --nats) and 409 (not RUNNING, already there,
// not running yet on its owner), their reason in the body.
const MovePath = "POST /riffle/v1/applications/{app}/move"

// MoveRequest asks for a move.
type MoveRequest struct {
	Node string `json:"node"`
	// WaitSeconds is how long to wait for the application to run on Node
	// (default 30, at most 300; 0 answers once the move is asked).
	WaitSeconds *float64 `json:"waitSeconds,omitempty"`
}

// MoveResult says where a move took an application.
type MoveResult struct {
	Application string `json:"application"`
	From        string `json:"from"`
	To          string `json:"to"`
	Moved       bool   `json:"moved"` // it runs on To
}

// Move serves MovePath.
func (a *API) Move(w http.ResponseWriter, r *http.Request) {
	var req MoveRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "read the move request: "+err.Error(), http.StatusBadRequest)
		return
	}
	wait := 30 * time.Second
	if req.WaitSeconds != nil {
		wait = time.Duration(min(max(*req.WaitSeconds, 0), 300) * float64(time.Second))
	}
	moved, err := a.apps.Move(r.Context(), r.PathValue("app"), req.Node, wait)
	if err != nil {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, app.ErrNoCluster), errors.Is(err, app.ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, app.ErrInvalid):
			status = http.StatusBadRequest
		case errors.Is(err, app.ErrInUse):
			status = http.StatusConflict
		}
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(MoveResult{Application: moved.Application, From: moved.From, To: moved.To, Moved: moved.Done})
}
