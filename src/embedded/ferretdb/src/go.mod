// Not a module to build: the Go files below are added to FerretDB's own source tree by the build
// (src/embedded/ferretdb.ts, FERRETDB_SOURCE_FILES_DIR), at the same paths. This file only keeps them out of the
// pin module one folder up, whose `go list ./...` and `go mod tidy` would otherwise take them for its packages.
module municipal-contact-center/embedded-ferretdb-overlay

go 1.24
