// Code for the analyzer's tests: each package holds misuses, marked with the
// diagnostics they must produce, beside correct code that must not be
// reported. go.work makes the repository's module part of the workspace, so
// the library imported here is the one in this tree.
module example.com/synccheck

go 1.23.0
