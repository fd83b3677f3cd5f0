// Package web is Riffle's console: plain HTML, CSS and JavaScript modules,
// embedded in the binary (no build step, no CDN), served by riffle serve at
// /. It works only through the server's HTTP APIs (the Kinesis Analytics,
// Firehose and Kinesis APIs, and the stream taps), so everything it does
// can be done with the CLI or an SDK too.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the console's files.
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServerFS(files)
}
