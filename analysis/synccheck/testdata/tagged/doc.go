// Package tagged holds a misuse that only a build with -tags=special sees.
package tagged
