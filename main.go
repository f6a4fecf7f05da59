// Command choucha is 抽查助手, a WeCom bot for a market supervision bureau's
// annual 双随机、一公开 spot-check programme.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "not yet")
	os.Exit(2)
}
