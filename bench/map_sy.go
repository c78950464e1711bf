package bench

import sy "github.com/synchronicity-go/synchronicity"

func init() {
	OrderedMap = append([]MapImpl{{Library, func(n int) []int {
		out := make([]int, 0, n)
		for v, err := range sy.Map(ctx, loop, ints(n, nil), double, sy.Prefetch(Workers)) {
			out = append(out, must(v, err))
		}
		return out
	}}}, OrderedMap...)
}
