module github.com/synchronicity-go/synchronicity/bench

go 1.24.0

replace github.com/synchronicity-go/synchronicity => ../

require (
	github.com/destel/rill v0.8.0
	github.com/reugn/async v0.10.0
	github.com/samber/lo v1.53.0
	github.com/sourcegraph/conc v0.3.0
	github.com/synchronicity-go/synchronicity v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
	golang.design/x/mainthread v0.3.0
	golang.org/x/sync v0.19.0
)

require (
	go.uber.org/atomic v1.7.0 // indirect
	go.uber.org/multierr v1.9.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
	golang.org/x/text v0.34.0 // indirect
)
