module github.com/synchronicity-go/synchronicity/cmd

go 1.24.0

require (
	github.com/synchronicity-go/synchronicity/analysis v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
	golang.org/x/tools v0.38.0
)

require (
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/mod v0.29.0 // indirect
	golang.org/x/sync v0.17.0 // indirect
)
