#include "textflag.h"

// func getg() unsafe.Pointer: the running goroutine's runtime record,
// which the runtime keeps in register g on arm64.
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVD g, R0
	MOVD R0, ret+0(FP)
	RET
