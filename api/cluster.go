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
		out.Applications = append(out.Applications, ClusterApp{Name: l.Application, Status: l.Status, Owner: l.Owner, LeaseAgeSeconds: l.LeaseAge.Seconds()})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
