module github.com/synchronicity-go/synchronicity/analysis

go 1.23.0

require (
	go.uber.org/goleak v1.3.0
	golang.org/x/tools v0.36.0
)

require (
	golang.org/x/mod v0.27.0 // indirect
	golang.org/x/sync v0.16.0 // indirect
)
